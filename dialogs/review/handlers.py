"""Review handlers: page, filter, play a voice note, mark reviewed, group into a theme."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from bot.services import feedback, people
from dialogs.feedback.handlers import too_long_text
from dialogs.feedback.widgets import leave
from dialogs.states import ReviewFeedback
from storage import feedback as store


def _data(manager: DialogManager):
    return manager.middleware_data["session"], manager.middleware_data["participant"]


async def _current_id(manager: DialogManager) -> int | None:
    """The answer on screen now (looked up again: it may have changed since it was drawn)."""
    session, staff = _data(manager)
    data = manager.dialog_data
    page = await feedback.review_page(
        session,
        staff,
        data["project_id"],
        topic=data.get("topic"),
        unreviewed_only=data.get("unreviewed_only", True),
        index=data.get("index", 0),
    )
    return page.item.id if page.item else None


async def on_start(_start_data: Any, manager: DialogManager) -> None:
    session, staff = _data(manager)
    found = await feedback.projects_to_review(session, staff)
    if len(found) == 1:
        manager.dialog_data.update(project_id=found[0].id, single_project=True)
        await manager.switch_to(ReviewFeedback.page)


async def on_project(_c: CallbackQuery, _w: Any, manager: DialogManager, project_id: int) -> None:
    session, staff = _data(manager)
    if await people.is_staff_in(session, staff, project_id):
        manager.dialog_data.update(project_id=project_id, index=0)
        await manager.switch_to(ReviewFeedback.page)


async def on_page_back(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    if manager.dialog_data.get("single_project"):
        await leave(manager)
    else:
        await manager.switch_to(ReviewFeedback.project)


async def on_previous(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    manager.dialog_data["index"] = max(0, manager.dialog_data.get("index", 0) - 1)


async def on_next(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    manager.dialog_data["index"] = manager.dialog_data.get("index", 0) + 1


async def on_play(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    """Staff hear the voice note as it was sent: Telegram plays it from its file id."""
    session, staff = _data(manager)
    feedback_id = await _current_id(manager)
    try:
        file_id = await feedback.voice_for_staff(session, staff, feedback_id or 0)
    except feedback.NotAllowed:
        await callback.answer(_("Sorry, this voice note is no longer here."))
        return
    await callback.bot.send_voice(callback.message.chat.id, file_id)
    await callback.answer()
    manager.show_mode = ShowMode.SEND


async def on_reviewed(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    session, staff = _data(manager)
    feedback_id = await _current_id(manager)
    if feedback_id is not None:
        try:
            await feedback.mark_reviewed(session, staff, feedback_id)
        except feedback.NotAllowed:
            return
        await callback.answer(_("Marked as reviewed."))
    if not manager.dialog_data.get("unreviewed_only", True):
        manager.dialog_data["index"] = manager.dialog_data.get("index", 0) + 1


async def on_topic(_c: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    session = manager.middleware_data["session"]
    topics = await store.topics_in_use(session, manager.dialog_data["project_id"])
    if item == "all":
        manager.dialog_data["topic"] = None
    elif item.isdigit() and int(item) < len(topics):
        manager.dialog_data["topic"] = topics[int(item)]
    else:
        return
    manager.dialog_data["index"] = 0


async def on_which(_c: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    manager.dialog_data.update(unreviewed_only=item == "new", index=0)


async def _themed(event, manager: DialogManager, **how: Any) -> bool:
    session, staff = _data(manager)
    feedback_id = await _current_id(manager)
    try:
        await feedback.put_in_theme(session, staff, feedback_id or 0, **how)
    except feedback.TooLong as error:
        await event.answer(too_long_text(error))
        manager.show_mode = ShowMode.SEND
        return False
    except (feedback.NotAllowed, feedback.Empty):
        return False
    await event.answer(_("Added to the theme."))
    return True


async def on_theme(callback: CallbackQuery, _w: Any, manager: DialogManager, theme_id: int) -> None:
    if await _themed(callback, manager, theme_id=theme_id):
        await manager.switch_to(ReviewFeedback.page)


async def on_new_theme(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    if message.content_type != ContentType.TEXT:
        await message.answer(_("Please type a name for the theme."))
        manager.show_mode = ShowMode.SEND
        return
    if await _themed(message, manager, new_theme=message.text):
        await manager.switch_to(ReviewFeedback.page, show_mode=ShowMode.SEND)
