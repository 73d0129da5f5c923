"""What the "you said, we did" windows show. Getters only read."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram_dialog import DialogManager

from bot.config import SUPPORTED_LOCALES
from bot.services import feedback, we_did
from bot.services.we_did import UpdateDraft
from storage import feedback as store
from storage import projects
from storage.models import WeDidStatus, YouSaidWeDid

CHOSEN = "✓ "
SHORT = 40


def translator(i18n):
    return lambda msgid, locale: i18n.gettext(msgid, locale=locale)


def short(text: str) -> str:
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def status_name(status: str) -> str:
    return _(we_did.STATUS_NAMES[WeDidStatus(status)])


def status_items() -> list[tuple[str, str]]:
    return [(status.value, _(name)) for status, name in we_did.STATUS_NAMES.items()]


def draft_of(manager: DialogManager) -> UpdateDraft | None:
    return UpdateDraft.from_data(manager.dialog_data.get("draft"))


def as_update(draft: UpdateDraft) -> YouSaidWeDid:
    """The draft as an unsaved update, to preview it exactly as people will read it."""
    return YouSaidWeDid(
        project_id=draft.project_id,
        source_locale=draft.source_locale,
        you_said=draft.you_said,
        we_did=draft.we_did,
        status=WeDidStatus(draft.status),
        reason=draft.reason,
        owner=draft.owner,
        due_on=date.fromisoformat(draft.due_on) if draft.due_on else None,
    )


# -- participants -----------------------------------------------------------------------------


async def get_updates(session, participant, **_kw: Any) -> dict[str, Any]:
    found = await we_did.updates_for(session, participant)
    items = [(u.id, f"{status_name(u.status)} · {short(u.you_said)}") for u in found]
    return {"updates": items, "none": not items, "some": bool(items)}


async def get_update(
    session, participant, locale: str, i18n, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    update_id = dialog_manager.dialog_data.get("update_id", 0)
    update = await we_did.visible_update(session, participant, update_id)
    if update is None:
        return {"text": _("This update is no longer here."), "answers": [], "found": False}
    versions = await store.texts_of(session, update.id)
    mine = await store.reply_of(session, update.id, participant.id)
    answers = [
        (answer.value, (CHOSEN if mine and mine.answer == answer else "") + _(label))
        for answer, label in we_did.ANSWER_NAMES.items()
    ]
    text = we_did.render(update, versions, locale, translator(i18n), changed=False)
    return {"text": text, "answers": answers, "found": True}


# -- staff -------------------------------------------------------------------------------------


async def get_staff_projects(session, participant, **_kw: Any) -> dict[str, Any]:
    found = await feedback.projects_to_review(session, participant)
    return {"projects": [(p.id, p.name) for p in found]}


async def get_staff_updates(session, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    project_id = dialog_manager.dialog_data["project_id"]
    project = await projects.get_project(session, project_id)
    found = await store.updates_of_project(session, project_id)
    items = [(u.id, f"{status_name(u.status)} · {short(u.you_said)}") for u in found]
    return {"project": project.name if project else "", "updates": items, "none": not items}


async def get_draft(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    return {
        "statuses": status_items(),
        "limit": we_did.WORDS_LIMIT,
        "you_said": draft.you_said if draft else "",
    }


async def get_themes(session, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    project_id = draft.project_id if draft else dialog_manager.dialog_data["project_id"]
    found = await store.themes_of(session, project_id)
    items = [
        (
            theme.id,
            ngettext("{theme} ({count} answer)", "{theme} ({count} answers)", count).format(
                theme=theme.name, count=count
            ),
        )
        for theme, count in found
    ]
    return {"themes": items, "no_themes": not items}


async def get_versions(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    items = [
        (code, (CHOSEN if code in draft.versions else "") + we_did.language_name(code))
        for code in SUPPORTED_LOCALES
        if code != draft.source_locale
    ]
    return {"languages": items, "language": we_did.language_name(draft.source_locale)}


async def get_version(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    code = dialog_manager.dialog_data.get("version_locale", "")
    return {
        "language": we_did.language_name(code),
        "you_said": draft.you_said,
        "we_did": draft.we_did,
        "reason": draft.reason or "",
    }


async def get_words_to_correct(
    session, participant, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    update = await we_did.staff_update(
        session, participant, dialog_manager.dialog_data.get("update_id", 0)
    )
    if update is None:
        return {"words": _("This update is no longer here.")}
    field = dialog_manager.dialog_data.get("correcting")
    return {"words": update.we_did if field == "we_did" else update.you_said}


async def get_confirm(session, i18n, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    preview = we_did.render(
        as_update(draft), {}, draft.source_locale, translator(i18n), changed=False
    )
    people = set()
    if draft.theme_id:
        people = {f.participant_id for f in await store.feedback_in_theme(session, draft.theme_id)}
    everyone = len(await projects.member_ids(session, draft.project_id))
    reach = everyone if draft.to_whole_project else len(people)
    return {
        "preview": preview,
        "reach": ngettext(
            "{count} person will get it.", "{count} people will get it.", reach
        ).format(count=reach),
    }


async def get_detail(
    session, participant, locale: str, i18n, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    update = await we_did.staff_update(
        session, participant, dialog_manager.dialog_data["update_id"]
    )
    if update is None:
        return {"text": _("This update is no longer here."), "replies": "", "statuses": []}
    versions = await store.texts_of(session, update.id)
    summary = await we_did.replies_summary(session, participant, update.id)
    lines = [
        _("Does this answer what you said? Yes: {yes}. Partly: {partly}. No: {no}.").format(
            **summary.counts
        )
    ]
    lines += [f"• {comment}" for comment in summary.comments[-10:]]
    linked = len(await store.linked_authors(session, update.id))
    lines.append(
        ngettext(
            "It answers feedback from {count} person.",
            "It answers feedback from {count} people.",
            linked,
        ).format(count=linked)
    )
    return {
        "text": we_did.render(update, versions, locale, translator(i18n), changed=False),
        "replies": "\n".join(lines),
        "statuses": status_items(),
    }
