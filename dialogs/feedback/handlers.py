"""The feedback dialogs' handlers: read the tap or the words, ask bot.services.feedback, move on."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from bot.services import feedback
from dialogs.feedback.getters import OTHER
from dialogs.feedback.widgets import leave
from dialogs.states import GiveFeedback, MyFeedback
from storage import projects


def _session_and_person(manager: DialogManager):
    return manager.middleware_data["session"], manager.middleware_data["participant"]


async def _say(message: Message, manager: DialogManager, text: str) -> None:
    await message.answer(text)
    manager.show_mode = ShowMode.SEND  # the window again below, so the buttons are in reach


def too_long_text(error: feedback.TooLong) -> str:
    return _(
        "Thank you. That is a bit long for one message. "
        "Please keep it under {limit} characters. Yours has {length}."
    ).format(limit=error.limit, length=error.length)


async def _read_words(message: Message, manager: DialogManager) -> dict[str, Any] | None:
    """Typed words or a voice note, as the answer's fields; None (after a kind word) if neither."""
    if message.content_type == ContentType.VOICE:
        return {
            "text": None,
            "voice_file_id": message.voice.file_id,
            "voice_duration": message.voice.duration,
        }
    if message.content_type != ContentType.TEXT:
        await _say(message, manager, _("Please type your words or send a voice note."))
        return None
    try:
        words = feedback.check_words(message.text, feedback.TEXT_LIMIT)
    except feedback.TooLong as error:
        await _say(message, manager, too_long_text(error))
        return None
    except feedback.Empty:
        await _say(message, manager, _("Please type your words or send a voice note."))
        return None
    return {"text": words, "voice_file_id": None, "voice_duration": None}


# -- giving feedback -------------------------------------------------------------------------------


async def _chose_project(manager: DialogManager, project_id: int) -> None:
    session = manager.middleware_data["session"]
    project = await projects.get_project(session, project_id)
    manager.dialog_data["project_id"] = project_id
    if not feedback.topics_of(project):
        manager.dialog_data["topic"] = feedback.OTHER_TOPIC  # no topics: one tap fewer
        await manager.switch_to(GiveFeedback.rating)
    else:
        await manager.switch_to(GiveFeedback.topic)


async def on_start(start_data: Any, manager: DialogManager) -> None:
    """From a check-in the project is known; with only one project there is nothing to choose."""
    session, person = _session_and_person(manager)
    wanted = (start_data or {}).get("project_id") if isinstance(start_data, dict) else None
    if wanted and await feedback.is_member(session, person, wanted):
        await _chose_project(manager, wanted)
        return
    found = await feedback.projects_of(session, person)
    if len(found) == 1:
        manager.dialog_data["single_project"] = True
        await _chose_project(manager, found[0].id)


async def on_project(_c: CallbackQuery, _w: Any, manager: DialogManager, project_id: int) -> None:
    session, person = _session_and_person(manager)
    if await feedback.is_member(session, person, project_id):
        await _chose_project(manager, project_id)


async def on_topic(_c: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    session = manager.middleware_data["session"]
    project = await projects.get_project(session, manager.dialog_data["project_id"])
    topics = feedback.topics_of(project)
    if item == OTHER:
        manager.dialog_data["topic"] = feedback.OTHER_TOPIC
    elif item.isdigit() and int(item) < len(topics):
        manager.dialog_data["topic"] = topics[int(item)]
    else:
        return  # a stale button: the topics changed
    await manager.switch_to(GiveFeedback.rating)


async def on_topic_back(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    if manager.dialog_data.get("single_project") or manager.start_data:
        await leave(manager)
    else:
        await manager.switch_to(GiveFeedback.project)


async def on_rating(_c: CallbackQuery, _w: Any, manager: DialogManager, rating: int) -> None:
    if rating in feedback.RATINGS:
        manager.dialog_data["rating"] = rating
        await manager.switch_to(GiveFeedback.words)


async def on_rating_back(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    session = manager.middleware_data["session"]
    project = await projects.get_project(session, manager.dialog_data["project_id"])
    if feedback.topics_of(project):
        await manager.switch_to(GiveFeedback.topic)
    else:
        await on_topic_back(_c, _w, manager)


async def on_words(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    words = await _read_words(message, manager)
    if words is not None:
        manager.dialog_data.update(words)
        await manager.switch_to(GiveFeedback.send, show_mode=ShowMode.SEND)


async def _send(callback: CallbackQuery, manager: DialogManager, named: bool) -> None:
    session, person = _session_and_person(manager)
    data = manager.dialog_data
    try:
        answer = await feedback.give(
            session,
            person,
            project_id=data["project_id"],
            topic=data.get("topic", feedback.OTHER_TOPIC),
            rating=data["rating"],
            text=data.get("text"),
            voice_file_id=data.get("voice_file_id"),
            voice_duration=data.get("voice_duration"),
            named=named,
        )
    except feedback.NotAllowed:
        await callback.answer(_("Sorry, you are no longer part of this team."), show_alert=True)
        await manager.done()
        return
    data["named"] = not answer.anonymous
    await manager.switch_to(GiveFeedback.done)


async def on_send_anonymous(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    await _send(callback, manager, named=False)


async def on_send_named(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    await _send(callback, manager, named=True)


# -- my feedback ----------------------------------------------------------------------------------


async def on_answer_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, feedback_id: int):
    manager.dialog_data["feedback_id"] = feedback_id
    await manager.switch_to(MyFeedback.item)


async def _changed(manager: DialogManager, **fields: Any) -> bool:
    session, person = _session_and_person(manager)
    try:
        await feedback.change(session, person, manager.dialog_data.get("feedback_id", 0), **fields)
    except feedback.NotAllowed:
        return False
    return True


async def on_new_rating(callback: CallbackQuery, _w: Any, manager: DialogManager, rating: int):
    if rating in feedback.RATINGS and await _changed(manager, rating=rating):
        await callback.answer(_("Saved."))
    await manager.switch_to(MyFeedback.item)


async def on_new_words(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    words = await _read_words(message, manager)
    if words is None:
        return
    if words["voice_file_id"]:
        saved = await _changed(
            manager, voice_file_id=words["voice_file_id"], voice_duration=words["voice_duration"]
        )
    else:
        saved = await _changed(manager, text=words["text"])
    if saved:
        await message.answer(_("Saved."))
    await manager.switch_to(MyFeedback.item, show_mode=ShowMode.SEND)


def _name_on(named: bool):
    async def handler(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
        if await _changed(manager, named=named):
            if named:
                await callback.answer(_("Saved. It has your name on it now."))
            else:
                await callback.answer(_("Saved. Your name is no longer on it."))

    return handler


on_name_on = _name_on(True)
on_name_off = _name_on(False)


async def on_withdraw(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    session, person = _session_and_person(manager)
    try:
        await feedback.withdraw(session, person, manager.dialog_data.get("feedback_id", 0))
    except feedback.NotAllowed:
        pass
    await callback.answer(_("Done. The team will no longer see it."))
    await manager.switch_to(MyFeedback.list)
