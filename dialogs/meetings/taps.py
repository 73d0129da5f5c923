"""Buttons on unprompted meeting messages. Callback data says everything a tap needs, weeks
later and after restarts, and is never trusted: each tap is checked against the database.

- "poll:<poll id>" (invitation, reminder): "Choose times" opens the answering dialog.
  Callback "mt_poll:<poll id>". After the deadline it says so kindly.
- "meeting:<meeting id>" (confirmation, reminders): "I can't come now".
  Callback "mt_cant:<meeting id>". The facilitator is told (and sees it in the meeting's
  window); the button becomes "I can come after all" (callback "mt_can:<meeting id>"), which
  undoes it and tells the facilitator too. A second tap of either changes nothing.
- "decide:<poll id>" (to whoever made the poll, at its deadline): "Choose a time" opens the
  staff view of that poll. Callback "mt_decide:<poll id>"; staff of its team only.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot.services import meetings
from dialogs.meetings.handlers import change_coming
from dialogs.states import Availability, MeetingsStaff
from storage.types import utcnow

log = logging.getLogger(__name__)

POLL = "mt_poll:"
CANT_COME = "mt_cant:"
CAN_COME = "mt_can:"
DECIDE = "mt_decide:"


def __(message: str) -> str:
    """Marks a message for `coproduce i18n extract`; translated in the recipient's language."""
    return message


CHOOSE_TIMES = __("Choose times")
CANT_COME_NOW = __("I can't come now")
CAN_COME_AFTER_ALL = __("I can come after all")
CHOOSE_A_TIME = __("Choose a time")


def _one_button(text: str, data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data)]]
    )


def poll_buttons(argument: str, translate) -> InlineKeyboardMarkup | None:
    return _one_button(translate(CHOOSE_TIMES), POLL + argument) if argument.isdigit() else None


def meeting_buttons(argument: str, translate) -> InlineKeyboardMarkup | None:
    return (
        _one_button(translate(CANT_COME_NOW), CANT_COME + argument) if argument.isdigit() else None
    )


def decide_buttons(argument: str, translate) -> InlineKeyboardMarkup | None:
    return _one_button(translate(CHOOSE_A_TIME), DECIDE + argument) if argument.isdigit() else None


def _number(callback: CallbackQuery, prefix: str) -> int | None:
    value = (callback.data or "").removeprefix(prefix)
    return int(value) if value.isdigit() and len(value) < 12 else None


async def _stale(callback: CallbackQuery) -> None:
    await callback.answer(
        _("Sorry, this button no longer works. Please use /menu."), show_alert=True
    )


async def on_poll_tap(
    callback: CallbackQuery, dialog_manager: DialogManager, session, participant
) -> None:
    poll_id = _number(callback, POLL)
    try:
        poll = await meetings.poll_for_answering(session, participant, poll_id or 0)
    except meetings.MeetingError:
        await _stale(callback)
        return
    if not meetings.is_open(poll, utcnow()):
        await callback.answer(
            _("Sorry, answers for this meeting have closed. Thank you for your time."),
            show_alert=True,
        )
        return
    await callback.answer()
    await dialog_manager.start(
        Availability.slots,
        data={"poll_id": poll.id},
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )


async def _on_coming_tap(callback: CallbackQuery, data: dict, coming: bool) -> None:
    meeting_id = _number(callback, CAN_COME if coming else CANT_COME)
    try:
        await change_coming(data, callback, meeting_id or 0, coming)
    except meetings.MeetingOver:
        await callback.answer(_("This meeting has already started."), show_alert=True)
        return
    except meetings.MeetingError:
        await _stale(callback)
        return
    # The button now offers the way back.
    text, prefix = (_(CANT_COME_NOW), CANT_COME) if coming else (_(CAN_COME_AFTER_ALL), CAN_COME)
    try:
        await callback.message.edit_reply_markup(
            reply_markup=_one_button(text, f"{prefix}{meeting_id}")
        )
    except (TelegramAPIError, AttributeError) as error:  # too old to edit: My meetings has it
        log.info("could not change the button: %s", type(error).__name__)


async def on_cant_come_tap(callback: CallbackQuery, **data) -> None:
    await _on_coming_tap(callback, data, coming=False)


async def on_can_come_tap(callback: CallbackQuery, **data) -> None:
    await _on_coming_tap(callback, data, coming=True)


async def on_decide_tap(
    callback: CallbackQuery, dialog_manager: DialogManager, session, participant
) -> None:
    poll_id = _number(callback, DECIDE)
    try:
        poll = await meetings.poll_for_staff(session, participant, poll_id or 0)
    except meetings.NotAllowed:
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    except meetings.MeetingError:
        await _stale(callback)
        return
    await callback.answer()
    await dialog_manager.start(
        MeetingsStaff.list,
        data={"poll_id": poll.id},
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )


def router() -> Router:
    taps = Router(name="meeting_taps")
    taps.callback_query.register(on_poll_tap, F.data.startswith(POLL))
    taps.callback_query.register(on_cant_come_tap, F.data.startswith(CANT_COME))
    taps.callback_query.register(on_can_come_tap, F.data.startswith(CAN_COME))
    taps.callback_query.register(on_decide_tap, F.data.startswith(DECIDE))
    return taps
