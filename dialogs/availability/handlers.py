"""Answering a meeting poll: one tap per time cycles Yes -> If need be -> No; every tap is
saved at once, so nothing is lost if the person stops half-way. After the deadline, kindly no."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from bot.services import meetings
from dialogs.states import Availability
from storage.models import AccessNeedKind
from storage.types import utcnow


async def on_start(data: Any, manager: DialogManager) -> None:
    manager.dialog_data["poll_id"] = int((data or {})["poll_id"])
    poll = await meetings.poll_for_answering(
        manager.middleware_data["session"],
        manager.middleware_data["participant"],
        manager.dialog_data["poll_id"],
    )
    if not meetings.is_open(poll, utcnow()):
        await manager.switch_to(Availability.closed)


async def _closed(event: CallbackQuery | Message, manager: DialogManager) -> None:
    text = _("Sorry, answers for this meeting have closed.")
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)
        manager.show_mode = ShowMode.SEND
    await manager.switch_to(Availability.closed)


async def _gone(callback: CallbackQuery, manager: DialogManager) -> None:
    await callback.answer(_("Sorry, this is no longer available."), show_alert=True)
    await manager.done()


def _who(manager: DialogManager):
    data = manager.middleware_data
    return data["session"], data["participant"], manager.dialog_data["poll_id"]


async def on_slot(callback: CallbackQuery, _w: Any, manager: DialogManager, slot_id: int) -> None:
    session, person, poll_id = _who(manager)
    try:
        await meetings.cycle_answer(session, person, poll_id, slot_id, utcnow())
    except meetings.PollClosed:
        await _closed(callback, manager)
    except meetings.MeetingError:
        await _gone(callback, manager)


async def _finish(callback: CallbackQuery, manager: DialogManager, *, none_suit: bool) -> None:
    session, person, poll_id = _who(manager)
    try:
        await meetings.finish_answers(session, person, poll_id, utcnow(), none_suit=none_suit)
    except meetings.PollClosed:
        await _closed(callback, manager)
        return
    except meetings.MeetingError:
        await _gone(callback, manager)
        return
    await manager.switch_to(Availability.thanks)


async def on_done(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    await _finish(callback, manager, none_suit=False)


async def on_none_suit(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    await _finish(callback, manager, none_suit=True)


async def on_need(callback: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    if item not in {kind.value for kind in AccessNeedKind}:
        return
    session, person, poll_id = _who(manager)
    kind = AccessNeedKind(item)
    try:
        if kind == AccessNeedKind.OTHER and not await meetings.has_access_need(
            session, person, poll_id, kind
        ):
            await meetings.ensure_open(session, person, poll_id, utcnow())
            await manager.switch_to(Availability.need_note)  # what else? (optional words)
            return
        await meetings.toggle_access_need(session, person, poll_id, kind, utcnow())
    except meetings.PollClosed:
        await _closed(callback, manager)
    except meetings.MeetingError:
        await _gone(callback, manager)


async def _save_other(event, manager: DialogManager, note: str | None) -> None:
    session, person, poll_id = _who(manager)
    try:
        await meetings.add_other_need(session, person, poll_id, note, utcnow())
    except meetings.PollClosed:
        await _closed(event, manager)
        return
    show = ShowMode.SEND if isinstance(event, Message) else ShowMode.AUTO
    await manager.switch_to(Availability.needs, show_mode=show)


async def on_note(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    if message.content_type != ContentType.TEXT:
        await message.answer(_("Please type it in words, or tap Skip."))
        manager.show_mode = ShowMode.SEND
        return
    if len(message.text.strip()) > meetings.NOTE_MAX_LENGTH:
        await message.answer(
            _("Sorry, that is too long. It can have up to {limit} characters.").format(
                limit=meetings.NOTE_MAX_LENGTH
            )
        )
        manager.show_mode = ShowMode.SEND
        return
    await _save_other(message, manager, message.text)


async def on_note_skip(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    await _save_other(callback, manager, None)
