"""Widgets shared by every dialog: translated text, the pickers people meet more than once
(language, how often, quiet hours, time zone), and kind answers to input nobody expected."""

from __future__ import annotations

import logging
import operator
import re
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.api.exceptions import UnknownIntent
from aiogram_dialog.manager.message_manager import MessageManager
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Column, Group, Select, Start
from aiogram_dialog.widgets.text import Const, Format, Text
from babel.dates import format_time
from babel.numbers import format_decimal

from bot.i18n import LANGUAGE_NAMES, babel_locale, fill, languages_in_order
from bot.services.broadcasts import VersionState
from bot.services.people import FREQUENCY_CHOICES, QUIET_HOURS_CHOICES
from dialogs.states import STAFF_STATE_GROUPS, MainMenu, Onboarding

# Time zones offered as buttons besides the suggested one; any IANA name can also be typed.
COMMON_TIMEZONES = (
    "Europe/London",
    "Europe/Dublin",
    "Europe/Warsaw",
    "Europe/Berlin",
    "Europe/Kyiv",
    "Africa/Cairo",
    "Asia/Dubai",
    "Asia/Karachi",
)


class I18nFormat(Text):
    """A text widget translated through the gettext catalog, then filled from the getter's data.

    The msgid is extracted by Babel (keyword `I18nFormat`), so never build it from variables.
    In a right-to-left language each value and each /command is isolated (`bot.i18n.fill`).
    """

    def __init__(self, msgid: str, when=None) -> None:
        super().__init__(when=when)
        self.msgid = msgid

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        if manager.is_preview():
            return self.msgid
        i18n = I18n.get_current()
        return fill(i18n.gettext(self.msgid), i18n.current_locale, data)


def language_items(current_locale: str) -> list[tuple[str, str]]:
    """(code, name) pairs for the language picker, the current or suggested language first."""
    return [(code, LANGUAGE_NAMES[code]) for code in languages_in_order(current_locale)]


def frequency_items() -> list[tuple[int, str]]:
    return [
        (
            count,
            ngettext("Up to {count} message a week", "Up to {count} messages a week", count).format(
                count=count
            ),
        )
        for count in FREQUENCY_CHOICES
    ]


def clock(minutes: int, locale: str) -> str:
    return format_time(
        time(minutes // 60, minutes % 60), format="short", locale=babel_locale(locale)
    )


def quiet_hours_items(locale: str) -> list[tuple[int, str]]:
    items = []
    for index, window in enumerate(QUIET_HOURS_CHOICES):
        if window is None:
            items.append((index, _("No quiet hours")))
        else:
            start, end = (clock(minutes, locale) for minutes in window)
            items.append((index, _("Not from {start} to {end}").format(start=start, end=end)))
    return items


def timezone_label(zone: str, locale: str, *, with_time: bool = True) -> str:
    """A time zone as the reader names it: Babel's city in their language ("Llundain" for
    Europe/London in Welsh), with the time there now so the right one is easy to spot."""
    from babel.dates import get_timezone_location

    try:
        city = get_timezone_location(zone, locale=babel_locale(locale), return_city=True)
    except (LookupError, ValueError):  # a zone Babel does not know: its own last part
        city = zone.split("/")[-1].replace("_", " ")
    if not with_time:
        return city
    now = datetime.now(ZoneInfo(zone))
    return f"{city} ({clock(now.hour * 60 + now.minute, locale)})"


def timezone_items(suggested: str, locale: str) -> list[tuple[str, str]]:
    zones = [suggested, *(zone for zone in COMMON_TIMEZONES if zone != suggested)]
    return [(zone, timezone_label(zone, locale)) for zone in zones]


# A button's number is an id or a small choice; every id fits a signed 64-bit database column.
_BUTTON_NUMBER = re.compile(r"-?[0-9]{1,19}")
_LARGEST_ID = 2**63 - 1


class ForgedButton(UnknownIntent):
    """Button data no screen of ours made (a number no id can be). It is answered like a button
    from a closed dialog: "that button is old", a fresh menu, no traceback (dialogs/fallback.py)."""


def button_number(item_id: str) -> int:
    """The `type_factory` of every numeric Select: the number a button carries, or ForgedButton."""
    if not _BUTTON_NUMBER.fullmatch(item_id) or abs(int(item_id)) > _LARGEST_ID:
        raise ForgedButton("button data out of range")
    return int(item_id)


def button_id(item: str) -> int | None:
    """The whole number (0 or more) a button's text item carries, or None if it carries none
    that an id or a choice could be: forged data never reaches a database column or a date."""
    if not item.isascii() or not item.isdigit() or int(item) > _LARGEST_ID:
        return None
    return int(item)


def picker(widget_id: str, items_key: str, on_click, *, numeric: bool = False) -> Column:
    """A column of buttons, one per (id, label) item from the getter."""
    return Column(
        Select(
            Format("{item[1]}"),
            id=widget_id,
            item_id_getter=operator.itemgetter(0),
            items=items_key,
            on_click=on_click,
            type_factory=button_number if numeric else str,
        )
    )


async def ask_for_a_shorter_name(message: Message, manager: DialogManager, limit: int) -> None:
    await message.answer(
        _("Please type a name of up to {limit} letters, or tap Skip.").format(limit=limit)
    )
    manager.show_mode = ShowMode.SEND


async def ask_for_a_known_timezone(message: Message, manager: DialogManager) -> None:
    await message.answer(
        _("Sorry, I do not know that time zone. Tap a button, or type one like Europe/London.")
    )
    manager.show_mode = ShowMode.SEND


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


class AnswerOnceMessageManager(MessageManager):
    """aiogram-dialog answers every button press after the handler ran. A press the handler
    already answered (with a kind word, as ours often do) is not answered again: the bot's
    session skips the second answer (bot/telegram_contract.py). What is left is a press handled
    after Telegram stopped waiting for its answer (a slow update, or one handled after a
    restart): Telegram refuses that answer, and nobody is waiting for it, so it is not worth a
    warning in the logs."""

    async def answer_callback(self, bot: Bot, callback_query: CallbackQuery) -> None:
        try:
            await bot.answer_callback_query(callback_query_id=callback_query.id)
        except TelegramBadRequest as error:
            if "query is too old" not in error.message.lower():
                raise
            logging.getLogger(__name__).debug("callback already answered")


# A button on a message no dialog owns (a finished export's last word): it opens the main menu.
MENU_BUTTON = "home"


def menu_button() -> InlineKeyboardMarkup:
    """One "Main menu" button, for a last message that would otherwise leave no way on."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("Main menu"), callback_data=MENU_BUTTON)]]
    )


async def open_from_button(manager: DialogManager, state: State, data: Any = None) -> None:
    """Open a dialog from a button on an unprompted message, on top of the main menu: whatever
    was open is closed, and Back or Done from it lands on the menu, never on nothing."""
    await manager.start(MainMenu.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.NO_UPDATE)
    await manager.start(state, data=data, show_mode=ShowMode.SEND)


# The globe on every participant screen: one tap opens the language choice on top of what is
# open, and choosing (or Back) returns there, to the same step with the same answers so far.
LANGUAGE_SWITCH = "language_switch"
# Joining begins with its own language step; staff tools are reached by /language.
_NO_LANGUAGE_SWITCH = (Onboarding, *STAFF_STATE_GROUPS)


def language_switch() -> Start:
    """Every language named in itself, after a globe: anyone finds theirs, whatever language
    the screen is in. Never translated: a name is the same in every language."""
    label = "🌐 " + " · ".join(LANGUAGE_NAMES.values())
    return Start(Const(label), id=LANGUAGE_SWITCH, state=MainMenu.language)


def add_language_switch(dialogs: Iterable[Any]) -> None:
    """Put the globe last on every window of the participants' dialogs, in this one place, so
    a new window gets it too. A window that places it itself (the main menu) keeps its own;
    the language choice has none. Last, so no other button moves."""
    for dialog in dialogs:
        for state, window in getattr(dialog, "windows", {}).items():
            if state.group in _NO_LANGUAGE_SWITCH or state == MainMenu.language:
                continue
            if window.keyboard.find(LANGUAGE_SWITCH) is None:
                window.keyboard = Group(window.keyboard, language_switch())


def language_name(locale: str) -> str:
    """A language as its speakers write it: "Cymraeg", "العربية"."""
    return LANGUAGE_NAMES.get(locale, locale)


def version_lines(lines, original_locale: str, locale: str) -> list[str]:
    """One line per language the readers use: this is the original, it has its own version, or
    it gets the original instead. The broadcast, poll and team-texts screens all say it so."""
    original = language_name(original_locale)
    shown = []
    for line in lines:
        if line.state == VersionState.ORIGINAL:
            text = ngettext(
                "{language}: {count} person. This is the original.",
                "{language}: {count} people. This is the original.",
                line.people,
            )
        elif line.state == VersionState.OWN:
            text = ngettext(
                "{language}: {count} person will get their own version.",
                "{language}: {count} people will get their own version.",
                line.people,
            )
        else:
            text = ngettext(
                "{language}: {count} person will get the {original} original.",
                "{language}: {count} people will get the {original} original.",
                line.people,
            )
        count = format_decimal(line.people, locale=babel_locale(locale))
        name = language_name(line.locale)
        shown.append("• " + text.format(language=name, count=count, original=original))
    return shown


def version_button(code: str, has_version: bool) -> tuple[str, str]:
    """(language, label) for a button that writes or changes that language's version."""
    name = language_name(code)
    if has_version:
        return code, _("Change the {language} version").format(language=name)
    return code, _("Write the {language} version").format(language=name)
