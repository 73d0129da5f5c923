from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager

from bot.commands import refresh_chat_commands
from bot.services import people
from dialogs.states import MainMenu


async def _back_to_where_they_were(manager: DialogManager) -> None:
    """Close the language choice and show the screen under it (same step, same answers).
    Opened with nothing under it (/language after a restart, say): the main menu."""
    if len(manager.current_stack().intents) > 1:
        await manager.done()
    else:
        await manager.switch_to(MainMenu.main)


async def on_language_changed(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, locale: str
) -> None:
    data = manager.middleware_data
    try:
        await people.choose_language(data["session"], data["participant"], locale)
    except people.UnsupportedLanguage:
        return  # a forged button: nothing changes and the choice stays
    # From this very update on: the screen shown next, its getters and dates, all in it.
    I18n.get_current().current_locale = locale
    data["locale"] = locale
    await refresh_chat_commands(callback.bot, data["session"], data["participant"], data["i18n"])
    await callback.answer(_("Done. I will use this language from now on."))
    await _back_to_where_they_were(manager)


async def on_language_back(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _back_to_where_they_were(manager)
