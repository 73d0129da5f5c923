"""The broadcast dialog's handlers: read what the facilitator did, ask bot.services.broadcasts,
then move the dialog. Nothing here decides who may send or what a message may hold."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from bot.config import SUPPORTED_LOCALES
from bot.services import broadcasts, people
from bot.services.broadcasts import Draft, Refusal
from dialogs.broadcast import progress
from dialogs.broadcast.getters import ALL, draft_of, query_of, send_at_of
from dialogs.broadcast.waiting import confirmation_with_later
from dialogs.states import Broadcast
from storage import projects
from storage.models import Role
from storage.types import utcnow


def _session_and_sender(manager: DialogManager):
    return manager.middleware_data["session"], manager.middleware_data["participant"]


async def _refuse(message: Message, manager: DialogManager, text: str) -> None:
    await message.answer(text)
    manager.show_mode = ShowMode.SEND  # the window again below, so the buttons are in reach


def _refusal_text(checked: broadcasts.Checked) -> str:
    if checked.refusal == Refusal.TOO_LONG:
        return _(
            "Sorry, that is too long. It can have up to {limit} characters. Yours has {length}."
        ).format(limit=checked.limit, length=checked.length)
    if checked.refusal == Refusal.KIND:
        return _("Sorry, I cannot send this kind of message. Please send text, a photo or a file.")
    return _("Please add some words. People need to know what it is about.")


# -- which project, who gets it -------------------------------------------------------------------


async def on_start(_start_data: Any, manager: DialogManager) -> None:
    """With only one project to choose from, skip the choice."""
    session, sender = _session_and_sender(manager)
    found = await broadcasts.projects_to_broadcast(session, sender)
    if len(found) == 1:
        manager.dialog_data.update(project_id=found[0].id, single_project=True)
        await manager.switch_to(Broadcast.audience)


async def on_project(callback: CallbackQuery, _w: Any, manager: DialogManager, project_id: int):
    session, sender = _session_and_sender(manager)
    if not await people.is_staff_in(session, sender, project_id):
        return  # the staff guard refuses forged buttons first; the rule is held twice
    manager.dialog_data.update(
        project_id=project_id, role=None, language=None, poll_id=None, offer_id=None
    )
    await manager.switch_to(Broadcast.audience)


async def on_role(_c: CallbackQuery, _w: Any, manager: DialogManager, role: str) -> None:
    if role == ALL or role in {r.value for r in Role}:
        manager.dialog_data["role"] = None if role == ALL else role


async def on_language(_c: CallbackQuery, _w: Any, manager: DialogManager, code: str) -> None:
    if code == ALL or code in SUPPORTED_LOCALES:
        manager.dialog_data["language"] = None if code == ALL else code


async def on_poll(_c: CallbackQuery, _w: Any, manager: DialogManager, poll_id: int) -> None:
    session, _sender = _session_and_sender(manager)
    project_id = manager.dialog_data["project_id"]
    if poll_id in dict(await broadcasts.polls_to_choose(session, project_id)):
        manager.dialog_data.update(poll_id=poll_id, offer_id=None)
    await manager.switch_to(Broadcast.audience)


async def on_offer(callback: CallbackQuery, _w: Any, manager: DialogManager, offer_id: int):
    session, sender = _session_and_sender(manager)
    project_id = manager.dialog_data["project_id"]
    offers = await broadcasts.offers_to_choose(session, project_id, sender.locale or "en")
    if offer_id in dict(offers):
        manager.dialog_data.update(offer_id=offer_id, poll_id=None)
    await manager.switch_to(Broadcast.audience)


async def on_whole_team(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    manager.dialog_data.update(poll_id=None, offer_id=None)


async def on_audience_back(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    if manager.dialog_data.get("single_project"):
        await manager.done()
    else:
        await manager.switch_to(Broadcast.project)


# -- the message and its versions ----------------------------------------------------------------


async def on_original(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    """Text, or a photo or document with a caption, in the facilitator's own language."""
    kind = message.content_type
    checked = broadcasts.check_original(
        manager.middleware_data["locale"],
        text=message.text,
        caption=message.caption,
        photo_file_id=message.photo[-1].file_id if message.photo else None,
        document_file_id=message.document.file_id if message.document else None,
        other_kind=kind not in (ContentType.TEXT, ContentType.PHOTO, ContentType.DOCUMENT),
    )
    if checked.draft is None:
        await _refuse(message, manager, _refusal_text(checked))
        return
    earlier = draft_of(manager)
    if earlier is not None and set(earlier.texts) - {earlier.source_locale}:
        # Versions of the old words would say something else now.
        await message.answer(
            _("Your other language versions were removed. Please write them again.")
        )
    manager.dialog_data["draft"] = checked.draft.to_data()
    await manager.switch_to(Broadcast.versions, show_mode=ShowMode.SEND)


async def on_version_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, code: str):
    if code in SUPPORTED_LOCALES:
        manager.dialog_data["version_locale"] = code
        await manager.switch_to(Broadcast.version_text)


async def on_version_text(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    draft = draft_of(manager)
    if message.content_type != ContentType.TEXT:
        await _refuse(
            message, manager, _("Please type the words only. The photo or file stays the same.")
        )
        return
    checked = broadcasts.check_version(draft, message.text)
    if checked.draft is None:
        await _refuse(message, manager, _refusal_text(checked))
        return
    draft.texts[manager.dialog_data["version_locale"]] = message.text
    manager.dialog_data["draft"] = draft.to_data()
    await manager.switch_to(Broadcast.versions, show_mode=ShowMode.SEND)


async def on_version_removed(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    draft.texts.pop(manager.dialog_data["version_locale"], None)
    manager.dialog_data["draft"] = draft.to_data()
    await manager.switch_to(Broadcast.versions)


# -- the preview -----------------------------------------------------------------------------------


async def send_as_recipients_see_it(bot: Bot, chat_id: int, draft: Draft, locale: str) -> None:
    """The same call, file and words the delivery engine uses for someone reading `locale`."""
    text = draft.text_for(locale)
    if draft.photo_file_id:
        await bot.send_photo(chat_id, draft.photo_file_id, caption=text or None)
    elif draft.document_file_id:
        await bot.send_document(chat_id, draft.document_file_id, caption=text or None)
    else:
        await bot.send_message(chat_id, text)


async def _show_preview(callback: CallbackQuery, manager: DialogManager, locale: str) -> None:
    draft = draft_of(manager)
    manager.dialog_data["preview_locale"] = locale
    await send_as_recipients_see_it(callback.bot, callback.message.chat.id, draft, locale)


async def on_preview(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    await _show_preview(callback, manager, draft_of(manager).source_locale)
    await manager.switch_to(Broadcast.preview, show_mode=ShowMode.SEND)


async def on_preview_version(callback: CallbackQuery, _w: Any, manager: DialogManager, code: str):
    if code in (draft_of(manager).texts or {}):
        await _show_preview(callback, manager, code)
        manager.show_mode = ShowMode.SEND


# -- when ------------------------------------------------------------------------------------------


async def on_send_now(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    manager.dialog_data["send_at"] = None
    await manager.switch_to(Broadcast.confirm)


async def _project_timezone(manager: DialogManager) -> str:
    session = manager.middleware_data["session"]
    project = await projects.get_project(session, manager.dialog_data["project_id"])
    return project.timezone if project else "Europe/London"


async def on_when_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, choice: str):
    now = utcnow()
    if choice == "hour":
        when = broadcasts.in_one_hour(now)
    elif choice == "tomorrow":
        when = broadcasts.tomorrow_at(now, await _project_timezone(manager))
    else:
        return
    manager.dialog_data["send_at"] = when.isoformat()
    await manager.switch_to(Broadcast.confirm)


async def on_when_typed(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    if message.content_type != ContentType.TEXT:
        await _refuse(message, manager, _("Please type a date and time, like 2026-12-01 18:00."))
        return
    try:
        when = broadcasts.parse_local_time(message.text, await _project_timezone(manager), utcnow())
    except broadcasts.TimeHasPassed:
        await _refuse(message, manager, _("That time has passed. Please choose a later one."))
        return
    except broadcasts.InvalidTime:
        await _refuse(
            message,
            manager,
            _("Sorry, I could not read that. Please type it like 2026-12-01 18:00."),
        )
        return
    manager.dialog_data["send_at"] = when.isoformat()
    await manager.switch_to(Broadcast.confirm, show_mode=ShowMode.SEND)


async def on_confirm_back(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    later = manager.dialog_data.get("send_at") is not None
    await manager.switch_to(Broadcast.when if later else Broadcast.preview)


# -- sending and after -----------------------------------------------------------------------------


async def on_send(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    data = manager.middleware_data
    session, sender = data["session"], data["participant"]
    send_at = send_at_of(manager)
    now = utcnow()
    if send_at is not None and send_at <= now:
        send_at = None  # the chosen time came while they were reading: send it now
    try:
        queued = await broadcasts.send(
            session, sender, query_of(manager), draft_of(manager), now=now, send_at=send_at
        )
    except broadcasts.NotAllowed:
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    except broadcasts.EmptyAudience:
        await callback.answer(_("Nobody would get it now. Please choose who gets it again."))
        await manager.switch_to(Broadcast.audience)
        return
    manager.dialog_data.update(message_id=queued.message_id, send_at=None)
    if send_at is not None:
        manager.dialog_data["send_at"] = send_at.isoformat()
    end_of_update = data["end_of_update"]
    end_of_update.after_commit(data["delivery"].wake)
    if send_at is None:
        bg = manager.bg(stack_id=manager.current_stack().id)
        tasks = data["background_tasks"]
        end_of_update.after_commit(lambda: progress.watch(tasks, bg, queued.message_id))
        await callback.answer(
            await confirmation_with_later(
                manager, _("Sending now."), message_ids=[queued.message_id]
            )
        )
    else:
        await callback.answer(_("Saved. It will go out at the time you chose."))
    await manager.switch_to(Broadcast.progress)


async def on_refresh(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    """Show the report once nothing is left to send now; otherwise the window just renews."""
    session = manager.middleware_data["session"]
    if await progress.nothing_left_to_send(session, manager.dialog_data["message_id"]):
        await manager.switch_to(Broadcast.report)


# -- messages waiting for their time -------------------------------------------------------------


async def on_scheduled_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, message_id: int):
    manager.dialog_data["scheduled_id"] = message_id
    await manager.switch_to(Broadcast.cancel_scheduled)


async def on_cancel_scheduled(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    session, sender = _session_and_sender(manager)
    try:
        cancelled = await broadcasts.cancel_scheduled(
            session, sender, manager.dialog_data.get("scheduled_id", 0), now=utcnow()
        )
    except broadcasts.NotAllowed:
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    if cancelled:
        await callback.answer(
            ngettext(
                "Cancelled. {count} person will not get it.",
                "Cancelled. {count} people will not get it.",
                cancelled,
            ).format(count=cancelled)
        )
        await manager.switch_to(Broadcast.scheduled)
    else:
        await callback.answer(_("Its time has come, so it can no longer be cancelled."))
