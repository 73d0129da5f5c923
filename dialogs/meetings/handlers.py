"""Meetings: a participant opens a poll to answer; staff follow a poll, choose the time (the
calendar file goes to them once, then to everyone told, by its Telegram file id), change or
cancel the meeting (telling exactly who was told), and mark who came."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from bot.services import broadcasts, calendar, meetings
from bot.services.meetings import Decided, News
from dialogs.common import button_id
from dialogs.polls.handlers import translator
from dialogs.states import Availability, MeetingsStaff
from storage import meetings as store
from storage import projects
from storage.types import utcnow

log = logging.getLogger(__name__)


# -- a participant ---------------------------------------------------------------------------------


async def on_open_poll(callback: CallbackQuery, _w: Any, manager: DialogManager, poll_id: int):
    data = manager.middleware_data
    try:
        await meetings.poll_for_answering(data["session"], data["participant"], poll_id)
    except meetings.MeetingError:
        await callback.answer(_("Sorry, this is no longer available."), show_alert=True)
        return
    await manager.start(Availability.slots, data={"poll_id": poll_id})


async def on_coming_toggle(callback: CallbackQuery, _w: Any, manager: DialogManager, item: str):
    """ "I can't come to ..." or "I can come to ... after all": the item says which was meant,
    so a repeated or stale tap changes nothing."""
    meeting_id, _sep, coming = item.partition(":")
    if button_id(meeting_id) is None or coming not in ("0", "1"):
        return
    data = manager.middleware_data
    try:
        await change_coming(data, callback, int(meeting_id), coming == "1")
    except meetings.MeetingOver:
        await callback.answer(_("This meeting has already started."), show_alert=True)
    except meetings.MeetingError:
        await callback.answer(_("Sorry, this is no longer available."), show_alert=True)


async def change_coming(data: dict, callback: CallbackQuery, meeting_id: int, coming: bool):
    """Store their answer once and, when it changed, tell the facilitator (after the commit)."""
    session, person = data["session"], data["participant"]
    now = utcnow()
    meeting, changed = await meetings.set_coming(session, person, meeting_id, coming, now)
    if changed:
        i18n = data["i18n"]
        await meetings.tell_staff_coming(
            session,
            person,
            meeting,
            coming,
            translate=lambda msgid, locale: i18n.gettext(msgid, locale=locale),
            now=now,
        )
        data["end_of_update"].after_commit(data["delivery"].wake)
    await callback.answer(
        _("Thank you. We have told the facilitator. See you there!")
        if coming
        else _(
            "Thank you for telling us. The facilitator will see it. We hope to see you next time."
        ),
        show_alert=True,
    )


# -- staff: following a poll and choosing the time -------------------------------------------------


async def on_staff_start(data: Any, manager: DialogManager) -> None:
    """Opened from a "please choose a time" message: straight to that poll."""
    poll_id = (data or {}).get("poll_id") if isinstance(data, dict) else None
    if poll_id is not None:
        manager.dialog_data["poll_id"] = int(poll_id)
        await manager.switch_to(MeetingsStaff.poll)


async def on_older_polls(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    manager.dialog_data["poll_page"] = manager.dialog_data.get("poll_page", 0) + 1


async def on_newer_polls(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    manager.dialog_data["poll_page"] = max(0, manager.dialog_data.get("poll_page", 0) - 1)


async def on_poll(_c: CallbackQuery, _w: Any, manager: DialogManager, poll_id: int) -> None:
    data = manager.middleware_data
    try:
        await meetings.poll_for_staff(data["session"], data["participant"], poll_id)
    except meetings.MeetingError:
        return  # not their team's poll: nothing happens
    manager.dialog_data["poll_id"] = poll_id
    await manager.switch_to(MeetingsStaff.poll)


async def on_meeting(_c: CallbackQuery, _w: Any, manager: DialogManager, meeting_id: int) -> None:
    data = manager.middleware_data
    try:
        await meetings.meeting_for_staff(data["session"], data["participant"], meeting_id)
    except meetings.MeetingError:
        return
    manager.dialog_data["meeting_id"] = meeting_id
    await manager.switch_to(MeetingsStaff.meeting)


async def on_close_poll(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    data = manager.middleware_data
    try:
        await meetings.close_early(
            data["session"], data["participant"], manager.dialog_data["poll_id"], utcnow()
        )
    except meetings.MeetingError:
        await callback.answer(_("Sorry, this is no longer available."), show_alert=True)
        return
    await callback.answer(_("Answers have closed."))


async def on_see_meeting(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    data = manager.middleware_data
    meeting = await store.meeting_of_poll(data["session"], manager.dialog_data["poll_id"])
    if meeting is not None:
        manager.dialog_data["meeting_id"] = meeting.id
        await manager.switch_to(MeetingsStaff.meeting)


async def on_slot_chosen(callback: CallbackQuery, _w: Any, manager: DialogManager, slot_id: int):
    slot = await store.get_slot(manager.middleware_data["session"], slot_id)
    if slot is None or slot.poll_id != manager.dialog_data.get("poll_id"):
        await callback.answer(_("Sorry, this is no longer available."), show_alert=True)
        return
    manager.dialog_data["slot_id"] = slot_id
    await manager.switch_to(MeetingsStaff.decide)


async def _tell(
    callback: CallbackQuery | Message, manager: DialogManager, decided: Decided, news: News
) -> None:
    """Send the calendar file to the facilitator (their copy), then queue the news with it."""
    data = manager.middleware_data
    session, actor = data["session"], data["participant"]
    now = utcnow()
    project = await projects.get_project(session, decided.meeting.project_id)
    ics = calendar.meeting_ics(decided.meeting, team=project.name if project else "", now=now)
    chat_id = callback.message.chat.id if isinstance(callback, CallbackQuery) else callback.chat.id
    file_id = None
    try:
        sent = await callback.bot.send_document(
            chat_id,
            BufferedInputFile(ics, filename=calendar.FILENAME),
            caption=_("Your copy of the calendar file. We send it to the people we tell."),
        )
        file_id = sent.document.file_id if sent.document else None
    except TelegramAPIError as error:  # the news matters more than the file
        log.warning("could not send the calendar file: %s", type(error).__name__)
    await meetings.announce(
        session,
        decided,
        news,
        document_file_id=file_id,
        translate=translator(manager),
        now=now,
        actor_id=actor.id,
    )
    data["end_of_update"].after_commit(data["delivery"].wake)
    manager.show_mode = ShowMode.SEND


async def on_decide(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    data = manager.middleware_data
    try:
        decided = await meetings.decide(
            data["session"],
            data["participant"],
            manager.dialog_data["poll_id"],
            manager.dialog_data["slot_id"],
            utcnow(),
        )
    except meetings.AlreadyDecided as done:
        await callback.answer(_("A time was already chosen."))
        manager.dialog_data["meeting_id"] = done.meeting.id
        await manager.switch_to(MeetingsStaff.meeting)
        return
    except meetings.MeetingOver:
        await callback.answer(_("That time has passed. Please choose another."), show_alert=True)
        await manager.switch_to(MeetingsStaff.poll)
        return
    await _tell(callback, manager, decided, News.CONFIRMED)
    await callback.answer(_("Chosen. We are telling people now."))
    manager.dialog_data["meeting_id"] = decided.meeting.id
    await manager.switch_to(MeetingsStaff.meeting, show_mode=ShowMode.SEND)


# -- staff: changing, cancelling, who came ---------------------------------------------------------


async def _move_to(event: CallbackQuery | Message, manager: DialogManager, moment) -> None:
    data = manager.middleware_data
    try:
        decided = await meetings.move(
            data["session"],
            data["participant"],
            manager.dialog_data["meeting_id"],
            moment,
            utcnow(),
        )
    except meetings.MeetingOver:
        text = _("That time has passed. Please choose a later one.")
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        else:
            await event.answer(text)
            manager.show_mode = ShowMode.SEND
        return
    await _tell(event, manager, decided, News.MOVED)
    await manager.switch_to(MeetingsStaff.meeting, show_mode=ShowMode.SEND)


async def on_move_chosen(callback: CallbackQuery, _w: Any, manager: DialogManager, item: str):
    try:
        moment = datetime.fromisoformat(item)
    except ValueError:
        return
    await _move_to(callback, manager, moment)


async def on_move_typed(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    data = manager.middleware_data
    meeting = await meetings.meeting_for_staff(
        data["session"], data["participant"], manager.dialog_data["meeting_id"]
    )
    project = await projects.get_project(data["session"], meeting.project_id)
    try:
        moment = broadcasts.parse_local_time(
            message.text or "", project.timezone if project else "Europe/London", utcnow()
        )
    except broadcasts.TimeHasPassed:
        await message.answer(_("That time has passed. Please choose a later one."))
        manager.show_mode = ShowMode.SEND
        return
    except broadcasts.InvalidTime:
        await message.answer(
            _("Sorry, I could not read that. Please type it like 2026-12-01 18:00.")
        )
        manager.show_mode = ShowMode.SEND
        return
    await _move_to(message, manager, moment)


async def on_cancel_meeting(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    data = manager.middleware_data
    try:
        decided = await meetings.cancel(
            data["session"], data["participant"], manager.dialog_data["meeting_id"], utcnow()
        )
    except meetings.MeetingNotFound:
        await callback.answer(_("This meeting was already cancelled."))
        await manager.switch_to(MeetingsStaff.meeting)
        return
    except meetings.MeetingOver:
        await callback.answer(
            _("This meeting has started, so it cannot be cancelled. You can mark who came."),
            show_alert=True,
        )
        await manager.switch_to(MeetingsStaff.meeting)
        return
    await _tell(callback, manager, decided, News.CANCELLED)
    await callback.answer(_("Cancelled. We are telling people now."))
    await manager.switch_to(MeetingsStaff.meeting, show_mode=ShowMode.SEND)


async def on_attendance(callback: CallbackQuery, _w: Any, manager: DialogManager, person_id: int):
    data = manager.middleware_data
    try:
        await meetings.toggle_attendance(
            data["session"],
            data["participant"],
            manager.dialog_data["meeting_id"],
            person_id,
            utcnow(),
        )
    except meetings.MeetingOver:
        await callback.answer(_("You can mark who came once the meeting has started."))
    except meetings.MeetingError:
        await callback.answer(_("Sorry, this is no longer available."))
