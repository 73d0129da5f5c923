from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager

from bot.commands import refresh_staff_commands
from bot.services import people
from dialogs.states import MainMenu


async def on_language_changed(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, locale: str
) -> None:
    data = manager.middleware_data
    try:
        await people.choose_language(data["session"], data["participant"], locale)
    except people.UnsupportedLanguage:
        return
    I18n.get_current().current_locale = locale
    await refresh_staff_commands(callback.bot, data["session"], data["participant"], data["i18n"])
    await callback.answer(_("Done. I will use this language from now on."))
    await manager.switch_to(MainMenu.main)
