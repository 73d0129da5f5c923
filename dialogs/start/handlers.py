from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram_dialog import DialogManager, StartMode

from bot.services import people
from dialogs.states import MainMenu


async def on_language_chosen(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, locale: str
) -> None:
    data = manager.middleware_data
    try:
        await people.choose_language(data["session"], data["participant"], locale)
    except people.UnsupportedLanguage:
        # A forged button: nothing changes and the picker stays on screen.
        return
    # Speak the new language from this very screen on.
    I18n.get_current().current_locale = locale
    await manager.next()


async def on_open_menu(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await manager.start(MainMenu.main, mode=StartMode.RESET_STACK)
