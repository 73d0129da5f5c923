"""Widgets shared by every dialog: translated text, the language picker, and kind answers to
input a window does not expect."""

from __future__ import annotations

from typing import Any

from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.text import Text

from bot.i18n import LANGUAGE_NAMES, languages_in_order


class I18nFormat(Text):
    """A text widget translated through the gettext catalog, then filled from the getter's data.

    The msgid is extracted by Babel (keyword `I18nFormat`), so never build it from variables.
    """

    def __init__(self, msgid: str, when=None) -> None:
        super().__init__(when=when)
        self.msgid = msgid

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        if manager.is_preview():
            return self.msgid
        return I18n.get_current().gettext(self.msgid).format_map(data)


class I18nPlural(Text):
    """A translated text that depends on a number from the getter (`count_key`)."""

    def __init__(self, singular: str, plural: str, count_key: str, when=None) -> None:
        super().__init__(when=when)
        self.singular, self.plural, self.count_key = singular, plural, count_key

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        count = int(data.get(self.count_key, 0)) if not manager.is_preview() else 1
        text = I18n.get_current().gettext(self.singular, self.plural, count)
        return text if manager.is_preview() else text.format_map(data)


def language_items(current_locale: str) -> list[tuple[str, str]]:
    """(code, name) pairs for the language picker, the current or suggested language first."""
    return [(code, LANGUAGE_NAMES[code]) for code in languages_in_order(current_locale)]


async def on_unexpected_input(message: Message, _widget: Any, manager: DialogManager) -> None:
    if message.text:
        await message.answer(_("Sorry, I did not understand that. Please use the buttons."))
    else:
        await message.answer(
            _("Sorry, I cannot use this kind of message here. Please use the buttons.")
        )
    # Show the window again below the person's message, so the buttons are in reach.
    manager.show_mode = ShowMode.SEND


def unexpected_input() -> MessageInput:
    """Every window answers typing, stickers, photos and voice notes it does not expect."""
    return MessageInput(on_unexpected_input)
