"""The "you said, we did" handlers: read what was typed or tapped, ask bot.services.we_did,
then move the dialog."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.widgets.input import MessageInput

from bot.config import SUPPORTED_LOCALES
from bot.services import feedback, people, we_did
from bot.services.we_did import UpdateDraft
from dialogs.broadcast.waiting import confirmation_with_later
from dialogs.feedback.handlers import too_long_text
from dialogs.feedback.widgets import leave
from dialogs.states import MainMenu, WeDidEditor, WeDidUpdates
from dialogs.wedid.getters import draft_of, translator
from storage import feedback as store
from storage.models import WeDidAnswer, WeDidStatus
from storage.types import utcnow


def _data(manager: DialogManager):
    return manager.middleware_data["session"], manager.middleware_data["participant"]


async def _say(message: Message, manager: DialogManager, text: str) -> None:
    await message.answer(text)
    manager.show_mode = ShowMode.SEND


async def _typed(message: Message, manager: DialogManager, limit: int) -> str | None:
    """Typed words within the limit, or None after a kind word."""
    if message.content_type != ContentType.TEXT:
        await _say(message, manager, _("Please type your words."))
        return None
    try:
        return feedback.check_words(message.text, limit)
    except feedback.TooLong as error:
        await _say(message, manager, too_long_text(error))
    except feedback.Empty:
        await _say(message, manager, _("Please type your words."))
    return None


def _wake_after_commit(manager: DialogManager) -> None:
    data = manager.middleware_data
    data["end_of_update"].after_commit(data["delivery"].wake)


# -- participants ---------------------------------------------------------------------------------


async def on_updates_start(start_data: Any, manager: DialogManager) -> None:
    if isinstance(start_data, dict) and start_data.get("update_id"):
        manager.dialog_data["update_id"] = start_data["update_id"]


async def on_update_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, update_id: int):
    manager.dialog_data["update_id"] = update_id
    await manager.switch_to(WeDidUpdates.item)


async def on_reply(callback: CallbackQuery, _w: Any, manager: DialogManager, answer: str) -> None:
    if answer not in {a.value for a in WeDidAnswer}:
        return
    session, person = _data(manager)
    try:
        await we_did.reply(session, person, manager.dialog_data.get("update_id", 0), answer)
    except feedback.NotAllowed:
        await callback.answer(_("Sorry, this update is no longer here."))
        await manager.switch_to(WeDidUpdates.list)
        return
    await callback.answer(_("Thank you. We have saved your answer."))
    await manager.switch_to(WeDidUpdates.comment)


async def on_reply_comment(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    words = await _typed(message, manager, feedback.COMMENT_LIMIT)
    if words is None:
        return
    session, person = _data(manager)
    update_id = manager.dialog_data.get("update_id") or (manager.start_data or {}).get("update_id")
    try:
        await we_did.comment_on_reply(session, person, update_id or 0, words)
    except feedback.NotAllowed:
        await _say(message, manager, _("Sorry, this update is no longer here."))
        return
    await message.answer(_("Thank you. The team will read it."))
    await manager.start(MainMenu.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


# -- staff: writing an update ---------------------------------------------------------------------


async def _open_project(manager: DialogManager, project_id: int) -> None:
    manager.dialog_data["project_id"] = project_id
    await manager.switch_to(WeDidEditor.list)


async def on_editor_start(_start_data: Any, manager: DialogManager) -> None:
    session, staff = _data(manager)
    found = await feedback.projects_to_review(session, staff)
    if len(found) == 1:
        manager.dialog_data["single_project"] = True
        await _open_project(manager, found[0].id)


async def on_project(_c: CallbackQuery, _w: Any, manager: DialogManager, project_id: int) -> None:
    session, staff = _data(manager)
    if await people.is_staff_in(session, staff, project_id):
        await _open_project(manager, project_id)


async def on_list_back(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    if manager.dialog_data.get("single_project"):
        await leave(manager)
    else:
        await manager.switch_to(WeDidEditor.project)


async def on_new(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    draft = UpdateDraft(
        project_id=manager.dialog_data["project_id"],
        source_locale=manager.middleware_data["locale"],
    )
    manager.dialog_data["draft"] = draft.to_data()
    await manager.switch_to(WeDidEditor.you_said)


def _typed_into(field: str, next_state, limit: int = we_did.WORDS_LIMIT):
    async def handler(message: Message, _w: MessageInput, manager: DialogManager) -> None:
        words = await _typed(message, manager, limit)
        if words is None:
            return
        draft = draft_of(manager)
        setattr(draft, field, words)
        manager.dialog_data["draft"] = draft.to_data()
        await manager.switch_to(next_state, show_mode=ShowMode.SEND)

    return handler


on_you_said = _typed_into("you_said", WeDidEditor.we_did)
on_we_did = _typed_into("we_did", WeDidEditor.status)
on_reason = _typed_into("reason", WeDidEditor.owner)
on_owner = _typed_into("owner", WeDidEditor.due, we_did.OWNER_LIMIT)


async def on_status(_c: CallbackQuery, _w: Any, manager: DialogManager, status: str) -> None:
    if status not in {s.value for s in WeDidStatus}:
        return
    draft = draft_of(manager)
    draft.status = status
    manager.dialog_data["draft"] = draft.to_data()
    if status == WeDidStatus.NOT_POSSIBLE:
        await manager.switch_to(WeDidEditor.reason)
    else:
        draft.reason = None
        manager.dialog_data["draft"] = draft.to_data()
        await manager.switch_to(WeDidEditor.owner)


async def on_due(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    try:
        due = we_did.parse_due(message.text, utcnow().date())
    except ValueError:
        await _say(message, manager, _("Please type a date from today on, like 2026-12-01."))
        return
    draft = draft_of(manager)
    draft.due_on = due.isoformat()
    manager.dialog_data["draft"] = draft.to_data()
    await manager.switch_to(WeDidEditor.link, show_mode=ShowMode.SEND)


async def on_theme(_c: CallbackQuery, _w: Any, manager: DialogManager, theme_id: int) -> None:
    session = manager.middleware_data["session"]
    draft = draft_of(manager)
    theme = await store.get_theme(session, theme_id)
    if theme is None or theme.project_id != draft.project_id:
        return
    draft.theme_id = theme.id
    manager.dialog_data["draft"] = draft.to_data()
    await manager.switch_to(WeDidEditor.audience)


async def on_no_theme(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    draft.theme_id = None
    draft.to_whole_project = True  # nobody is linked: the whole team is the only audience
    manager.dialog_data["draft"] = draft.to_data()
    await manager.switch_to(WeDidEditor.versions)


def _audience(whole: bool):
    async def handler(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
        draft = draft_of(manager)
        draft.to_whole_project = whole
        manager.dialog_data["draft"] = draft.to_data()
        await manager.switch_to(WeDidEditor.versions)

    return handler


on_linked_only = _audience(False)
on_whole_team = _audience(True)


async def on_version_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, code: str) -> None:
    if code in SUPPORTED_LOCALES and code != draft_of(manager).source_locale:
        manager.dialog_data["version_locale"] = code
        await manager.switch_to(WeDidEditor.version_you_said)


async def on_version_you_said(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    words = await _typed(message, manager, we_did.WORDS_LIMIT)
    if words is not None:
        manager.dialog_data["version_you_said"] = words
        await manager.switch_to(WeDidEditor.version_we_did, show_mode=ShowMode.SEND)


async def on_version_we_did(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    words = await _typed(message, manager, we_did.WORDS_LIMIT)
    if words is None:
        return
    draft = draft_of(manager)
    if draft.status == WeDidStatus.NOT_POSSIBLE and draft.reason:
        manager.dialog_data["version_we_did"] = words
        await manager.switch_to(WeDidEditor.version_reason, show_mode=ShowMode.SEND)
        return
    _save_version(manager, draft, we_did_words=words, reason=None)
    await manager.switch_to(WeDidEditor.versions, show_mode=ShowMode.SEND)


async def on_version_reason(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    words = await _typed(message, manager, we_did.WORDS_LIMIT)
    if words is None:
        return
    draft = draft_of(manager)
    we_did_words = manager.dialog_data.pop("version_we_did", draft.we_did)
    _save_version(manager, draft, we_did_words=we_did_words, reason=words)
    await manager.switch_to(WeDidEditor.versions, show_mode=ShowMode.SEND)


def _save_version(
    manager: DialogManager, draft: UpdateDraft, *, we_did_words: str, reason: str | None
) -> None:
    draft.versions[manager.dialog_data["version_locale"]] = {
        "you_said": manager.dialog_data.pop("version_you_said", draft.you_said),
        "we_did": we_did_words,
        "reason": reason,
    }
    manager.dialog_data["draft"] = draft.to_data()


async def on_publish(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    session, staff = _data(manager)
    try:
        published = await we_did.publish(
            session,
            staff,
            draft_of(manager),
            now=utcnow(),
            translate=translator(manager.middleware_data["i18n"]),
        )
    except (feedback.NotAllowed, feedback.Empty, feedback.TooLong):
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    _wake_after_commit(manager)
    reach = published.linked + published.others
    confirmation = ngettext(
        "Published. It goes to {count} person.", "Published. It goes to {count} people.", reach
    ).format(count=reach)
    action = f"wedid:{published.update.id}"  # who gets it later, and why, said honestly
    await callback.answer(await confirmation_with_later(manager, confirmation, action=action))
    manager.dialog_data.pop("draft", None)
    manager.dialog_data["update_id"] = published.update.id
    await manager.switch_to(WeDidEditor.detail)


# -- staff: an update after publishing ------------------------------------------------------------


async def on_update_opened(_c: CallbackQuery, _w: Any, manager: DialogManager, update_id: int):
    session, staff = _data(manager)
    if await we_did.staff_update(session, staff, update_id) is not None:
        manager.dialog_data["update_id"] = update_id
        await manager.switch_to(WeDidEditor.detail)


async def _change_status(event, manager: DialogManager, status: str, reason: str | None):
    session, staff = _data(manager)
    try:
        count = await we_did.change_status(
            session,
            staff,
            manager.dialog_data["update_id"],
            status,
            reason=reason,
            now=utcnow(),
            translate=translator(manager.middleware_data["i18n"]),
        )
    except feedback.NotAllowed:
        return
    _wake_after_commit(manager)
    text = ngettext(
        "Saved. {count} person will hear about it.",
        "Saved. {count} people will hear about it.",
        count,
    ).format(count=count)
    action = f"wedid:{manager.dialog_data['update_id']}"
    text = await confirmation_with_later(manager, text, action=action)
    if isinstance(event, CallbackQuery):
        await event.answer(text)
        await manager.switch_to(WeDidEditor.detail)
    else:
        await event.answer(text)
        await manager.switch_to(WeDidEditor.detail, show_mode=ShowMode.SEND)


async def on_new_status(callback: CallbackQuery, _w: Any, manager: DialogManager, status: str):
    if status not in {s.value for s in WeDidStatus}:
        return
    if status == WeDidStatus.NOT_POSSIBLE:
        await manager.switch_to(WeDidEditor.new_reason)
        return
    await _change_status(callback, manager, status, None)


async def on_new_reason(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    words = await _typed(message, manager, we_did.WORDS_LIMIT)
    if words is not None:
        await _change_status(message, manager, WeDidStatus.NOT_POSSIBLE.value, words)


async def on_more_theme(callback: CallbackQuery, _w: Any, manager: DialogManager, theme_id: int):
    session, staff = _data(manager)
    try:
        count = await we_did.link_theme(
            session,
            staff,
            manager.dialog_data.get("update_id", 0),
            theme_id,
            now=utcnow(),
            translate=translator(manager.middleware_data["i18n"]),
        )
    except feedback.NotAllowed:
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    _wake_after_commit(manager)
    await callback.answer(
        ngettext(
            "Linked. {count} more person will get the update.",
            "Linked. {count} more people will get the update.",
            count,
        ).format(count=count)
    )
    await manager.switch_to(WeDidEditor.detail)


def _correct(field: str):
    async def handler(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
        manager.dialog_data["correcting"] = field
        await manager.switch_to(WeDidEditor.edit_words)

    return handler


on_edit_you_said = _correct("you_said")
on_edit_we_did = _correct("we_did")


async def on_corrected_words(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    words = await _typed(message, manager, we_did.WORDS_LIMIT)
    if words is None:
        return
    session, staff = _data(manager)
    field = "we_did" if manager.dialog_data.get("correcting") == "we_did" else "you_said"
    try:
        await we_did.change_words(
            session, staff, manager.dialog_data.get("update_id", 0), now=utcnow(), **{field: words}
        )
    except feedback.NotAllowed:
        await _say(message, manager, _("Sorry, this is not available to you."))
        return
    await message.answer(_("Saved."))
    await manager.switch_to(WeDidEditor.detail, show_mode=ShowMode.SEND)
