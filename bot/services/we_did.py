"""'You said, we did': an update tells people what the team did with what they said, asks
whether it answered them, and is sent again at every change of status. Plain rules (no aiogram).

Words are translated through `translate(msgid, locale)`, which the caller gives (the bot's
gettext), so the same rules serve a dialog and a scheduled job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SUPPORTED_LOCALES
from bot.i18n import LANGUAGE_NAMES, babel_locale
from bot.services import delivery, people
from bot.services.feedback import COMMENT_LIMIT, NotAllowed, check_words, is_member
from bot.services.typed_input import read_day
from storage import audit, projects, sweeps
from storage import feedback as store
from storage.models import (
    OutboxKind,
    Participant,
    WeDidAnswer,
    WeDidStatus,
    YouSaidWeDid,
    YouSaidWeDidReply,
)
from storage.types import utcnow

log = logging.getLogger(__name__)

Translate = Callable[[str, str], str]  # (msgid, locale) -> text
WORDS_LIMIT = 1000  # each part; the whole message stays well under Telegram's 4096
OWNER_LIMIT = 100
COMMENTS_SHOWN = 10  # the newest comments on an update, on the facilitator's screen


def __(message: str) -> str:
    """Marks a message for `coproduce i18n extract`; it is translated when rendered."""
    return message


STATUS_NAMES: dict[WeDidStatus, str] = {
    WeDidStatus.PLANNED: __("Planned"),
    WeDidStatus.IN_PROGRESS: __("In progress"),
    WeDidStatus.DONE: __("Done"),
    WeDidStatus.NOT_POSSIBLE: __("Not possible"),
}
ANSWER_NAMES: dict[WeDidAnswer, str] = {
    WeDidAnswer.YES: __("Yes"),
    WeDidAnswer.PARTLY: __("Partly"),
    WeDidAnswer.NO: __("No"),
}
FIRST_TIME = __("You said, we did. This is about something people told us.")
CHANGED = __("News about something you told us. The status has changed.")
NO_VERSION = __("(We do not have this in your language yet. This is the original.)")
YOU_SAID = __("You said: {text}")
WE_DID = __("What we are doing: {text}")
STATUS = __("Status: {status}")
REASON = __("Why not: {text}")
OWNER = __("Who is doing it: {owner}")
DUE = __("By: {date}")
QUESTION = __("Does this answer what you said?")
OVERDUE = __(
    "A promise is overdue in {project}. It was due on {date}. Please update it or say why: {text}"
)


@dataclass
class UpdateDraft:
    """An update being written by a facilitator, kept in dialog data as plain JSON values."""

    project_id: int
    source_locale: str
    you_said: str = ""
    we_did: str = ""
    status: str = WeDidStatus.PLANNED.value
    reason: str | None = None
    owner: str = ""
    due_on: str | None = None  # ISO date
    theme_id: int | None = None
    to_whole_project: bool = False
    # {locale: {"you_said": ..., "we_did": ..., "reason": ...}} besides the source language
    versions: dict[str, dict[str, str | None]] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> UpdateDraft | None:
        return cls(**data) if data else None


def parse_due(text: str | None, today: date) -> date:
    """A typed date like 2026-12-01 (or ٢٠٢٦-١٢-٠١, 01/12/2026); not in the past."""
    due = read_day(text)
    if due is None:
        raise ValueError("not a date")
    if due < today:
        raise ValueError("in the past")
    return due


# -- what people read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    you_said: str
    we_did: str
    reason: str | None


def words_for(update: YouSaidWeDid, versions: dict, locale: str) -> tuple[Words, bool]:
    """Their language's version, else the original; True when it is their own language."""
    if locale == update.source_locale:
        return Words(update.you_said, update.we_did, update.reason), True
    version = versions.get(locale)
    if version is not None:
        # A reason given after the version was written is shown as it was typed, not left out.
        return Words(version.you_said, version.we_did, version.reason or update.reason), True
    return Words(update.you_said, update.we_did, update.reason), False


def render(
    update: YouSaidWeDid, versions: dict, locale: str, translate: Translate, *, changed: bool
) -> str:
    """The message as someone reading `locale` gets it."""
    words, own_language = words_for(update, versions, locale)

    def t(msgid: str) -> str:
        return translate(msgid, locale)

    lines = [t(CHANGED if changed else FIRST_TIME)]
    if not own_language:
        lines.append(t(NO_VERSION))
    lines += ["", t(YOU_SAID).format(text=words.you_said), t(WE_DID).format(text=words.we_did)]
    lines.append(t(STATUS).format(status=t(STATUS_NAMES[WeDidStatus(update.status)])))
    if update.status == WeDidStatus.NOT_POSSIBLE and words.reason:
        lines.append(t(REASON).format(text=words.reason))
    if update.owner:
        lines.append(t(OWNER).format(owner=update.owner))
    if update.due_on:
        shown = format_date(update.due_on, format="long", locale=babel_locale(locale))
        lines.append(t(DUE).format(date=shown))
    lines += ["", t(QUESTION)]
    return "\n".join(lines)


async def _texts(session: AsyncSession, update: YouSaidWeDid, translate: Translate, changed: bool):
    versions = await store.texts_of(session, update.id)
    return {
        locale: render(update, versions, locale, translate, changed=changed)
        for locale in SUPPORTED_LOCALES
    }


def language_name(locale: str) -> str:
    return LANGUAGE_NAMES.get(locale, locale)


# -- staff ---------------------------------------------------------------------------------------


async def require_staff(session: AsyncSession, staff: Participant | None, project_id: int) -> None:
    if not await people.is_staff_in(session, staff, project_id):
        raise NotAllowed()


@dataclass(frozen=True)
class Published:
    update: YouSaidWeDid
    linked: int  # people whose feedback it answers
    others: int  # the rest of the team, when sent to everyone


async def _send(
    session: AsyncSession,
    update: YouSaidWeDid,
    *,
    now: datetime,
    translate: Translate,
    changed: bool,
    whole_project: bool,
    sender_id: int | None,
) -> tuple[int, int]:
    """Queue the update for the people whose feedback it answers and, for a whole-team
    update, the rest of the team: on publishing, everyone in it; on a change of status, the
    members who were told it before, so someone who joined since gets no news of something
    they were never told. Returns (linked, others): how many of each will hear."""
    members = set(await projects.member_ids(session, update.project_id))
    linked = [pid for pid in await store.linked_authors(session, update.id) if pid in members]
    others: list[int] = []
    if whole_project and changed:
        told = await store.told_about(session, update.id)
        others = sorted((told & members) - set(linked))
    elif whole_project:
        others = sorted(members - set(linked))
    texts = await _texts(session, update, translate, changed)
    action = f"wedid:{update.id}"
    common = dict(
        now=now,
        source_locale=update.source_locale,
        texts=texts,
        project_id=update.project_id,
        created_by=sender_id,
        action=action,
    )
    if linked:
        await delivery.enqueue_message(session, kind=OutboxKind.WE_DID, recipients=linked, **common)
    if others:
        await delivery.enqueue_message(
            session, kind=OutboxKind.BROADCAST, recipients=others, **common
        )
    return len(linked), len(others)


async def publish(
    session: AsyncSession,
    staff: Participant,
    draft: UpdateDraft,
    *,
    now: datetime,
    translate: Translate,
) -> Published:
    """Save the update, link its theme's feedback, and queue it for those it answers (and the
    rest of the team when chosen), each person once, in their language where we have it."""
    await require_staff(session, staff, draft.project_id)
    you_said = check_words(draft.you_said, WORDS_LIMIT)
    we_did = check_words(draft.we_did, WORDS_LIMIT)
    status = WeDidStatus(draft.status)
    theme = await store.get_theme(session, draft.theme_id) if draft.theme_id else None
    if theme is not None and theme.project_id != draft.project_id:
        raise NotAllowed()
    update = await store.add_update(
        session,
        YouSaidWeDid(
            project_id=draft.project_id,
            created_by=staff.id,
            theme_id=theme.id if theme else None,
            source_locale=draft.source_locale,
            you_said=you_said,
            we_did=we_did,
            status=status,
            reason=draft.reason if status == WeDidStatus.NOT_POSSIBLE else None,
            owner=(draft.owner or "")[:OWNER_LIMIT],
            due_on=date.fromisoformat(draft.due_on) if draft.due_on else None,
            to_whole_project=draft.to_whole_project,
            published_at=now,
        ),
    )
    for locale, version in draft.versions.items():
        if locale in SUPPORTED_LOCALES and locale != draft.source_locale:
            if version.get("you_said") and version.get("we_did"):
                await store.set_text(
                    session,
                    update.id,
                    locale,
                    you_said=version["you_said"],
                    we_did=version["we_did"],
                    reason=version.get("reason"),
                )
    if theme is not None:
        answers = await store.feedback_in_theme(session, theme.id)
        await store.link_feedback(session, update.id, [answer.id for answer in answers])
    linked, others = await _send(
        session,
        update,
        now=now,
        translate=translate,
        changed=False,
        whole_project=draft.to_whole_project,
        sender_id=staff.id,
    )
    await audit.record(
        session,
        "we_did.publish",
        actor_id=staff.id,
        project_id=update.project_id,
        detail=f"update={update.id} linked={linked} others={others}",
    )
    return Published(update=update, linked=linked, others=others)


async def staff_update(
    session: AsyncSession, staff: Participant, update_id: int
) -> YouSaidWeDid | None:
    update = await store.get_update(session, update_id)
    if update is None or not await people.is_staff_in(session, staff, update.project_id):
        return None
    return update


async def change_status(
    session: AsyncSession,
    staff: Participant,
    update_id: int,
    status: str,
    *,
    reason: str | None = None,
    now: datetime,
    translate: Translate,
) -> int:
    """A new status, sent again to exactly the people who were told the update: those whose
    feedback it answers and, for a whole-team update, the team members told it then. Returns
    how many will hear. Choosing the status it already has sends nothing."""
    update = await staff_update(session, staff, update_id)
    if update is None:
        raise NotAllowed()
    new = WeDidStatus(status)
    new_reason = check_words(reason, WORDS_LIMIT) if new == WeDidStatus.NOT_POSSIBLE else None
    if new == update.status and new_reason == update.reason:
        return 0
    if new_reason != update.reason:
        await store.forget_version_reasons(session, update.id)
    update.status, update.reason, update.updated_at = new, new_reason, now
    session.add(update)
    await session.flush()
    linked, others = await _send(
        session,
        update,
        now=now,
        translate=translate,
        changed=True,
        whole_project=update.to_whole_project,
        sender_id=staff.id,
    )
    await audit.record(
        session,
        "we_did.status",
        actor_id=staff.id,
        project_id=update.project_id,
        detail=f"update={update.id} status={new.value} linked={linked} others={others}",
    )
    return linked + others


async def link_theme(
    session: AsyncSession,
    staff: Participant,
    update_id: int,
    theme_id: int,
    *,
    now: datetime,
    translate: Translate,
) -> int:
    """Link a theme's answers to a published update. People who have not had the update yet
    get it now; nobody gets it twice. Returns how many will hear."""
    update = await staff_update(session, staff, update_id)
    theme = await store.get_theme(session, theme_id)
    if update is None or theme is None or theme.project_id != update.project_id:
        raise NotAllowed()
    answers = await store.feedback_in_theme(session, theme.id)
    added = await store.link_feedback(session, update.id, [answer.id for answer in answers])
    if update.theme_id is None:
        update.theme_id = theme.id
        session.add(update)
    members = set(await projects.member_ids(session, update.project_id))
    told = await store.told_about(session, update.id)
    new = [
        pid
        for pid in await store.linked_authors(session, update.id)
        if pid in members and pid not in told
    ]
    if new:
        await delivery.enqueue_message(
            session,
            kind=OutboxKind.WE_DID,
            recipients=new,
            now=now,
            source_locale=update.source_locale,
            texts=await _texts(session, update, translate, False),
            project_id=update.project_id,
            created_by=staff.id,
            action=f"wedid:{update.id}",
        )
    await audit.record(
        session,
        "we_did.link",
        actor_id=staff.id,
        project_id=update.project_id,
        detail=f"update={update.id} theme={theme.id} answers={added} told={len(new)}",
    )
    await session.flush()
    return len(new)


async def change_words(
    session: AsyncSession,
    staff: Participant,
    update_id: int,
    *,
    you_said: str | None = None,
    we_did: str | None = None,
    now: datetime,
) -> YouSaidWeDid:
    """Correct the words of an update in the language it was written in. Nobody is sent it
    again; /updates shows the new words."""
    update = await staff_update(session, staff, update_id)
    if update is None:
        raise NotAllowed()
    if you_said is not None:
        update.you_said = check_words(you_said, WORDS_LIMIT)
    if we_did is not None:
        update.we_did = check_words(we_did, WORDS_LIMIT)
    update.updated_at = now
    session.add(update)
    await audit.record(
        session,
        "we_did.words",
        actor_id=staff.id,
        project_id=update.project_id,
        detail=f"update={update.id}",
    )
    await session.flush()
    return update


@dataclass(frozen=True)
class RepliesSummary:
    counts: dict[str, int]
    comments: list[str]  # never with a name: a reply may come from an anonymous answer


async def replies_summary(
    session: AsyncSession, staff: Participant, update_id: int
) -> RepliesSummary:
    if await staff_update(session, staff, update_id) is None:
        raise NotAllowed()
    counts = {answer.value: 0 for answer in WeDidAnswer}
    counts.update(await store.reply_counts(session, update_id))
    comments = await store.latest_reply_comments(session, update_id, COMMENTS_SHOWN)
    return RepliesSummary(counts=counts, comments=comments)


# -- participants ---------------------------------------------------------------------------------


async def visible_update(
    session: AsyncSession, participant: Participant | None, update_id: int
) -> YouSaidWeDid | None:
    """A published update of one of their projects; None for anything else (stale, forged)."""
    update = await store.get_update(session, update_id)
    if update is None or update.published_at is None:
        return None
    if not await is_member(session, participant, update.project_id):
        return None
    return update


async def reply(
    session: AsyncSession, participant: Participant, update_id: int, answer: str
) -> YouSaidWeDidReply:
    """Once per person per update: a new tap changes the answer."""
    if await visible_update(session, participant, update_id) is None:
        raise NotAllowed()
    return await store.save_reply(session, update_id, participant.id, WeDidAnswer(answer))


async def comment_on_reply(
    session: AsyncSession, participant: Participant, update_id: int, text: str | None
) -> None:
    found = await store.reply_of(session, update_id, participant.id)
    if found is None:
        raise NotAllowed()
    found.comment = check_words(text, COMMENT_LIMIT)
    found.updated_at = utcnow()
    session.add(found)
    await session.flush()


async def updates_for(session: AsyncSession, participant: Participant | None) -> list[YouSaidWeDid]:
    if participant is None or participant.id is None:
        return []
    return await store.published_updates_for(session, participant.id)


# -- the promise tracker ------------------------------------------------------------------------


async def remind_overdue(session: AsyncSession, now: datetime, translate: Translate) -> int:
    """Remind the update's author and the project's staff of each update past its due date and
    not done: once per due date (stored on the update, in the same transaction)."""
    reminded = 0
    for update in await store.overdue_updates(session, now.date()):
        # Once per update and due date, even if two processes get here at the same moment.
        if not await sweeps.mark_once(session, f"promise:{update.id}:{update.due_on}", now):
            continue
        project = await projects.get_project(session, update.project_id)
        members = set(await projects.member_ids(session, update.project_id))
        staff = set(await store.members_with_roles(session, project.id, people.STAFF_ROLES))
        if update.created_by in members:
            staff.add(update.created_by)  # its author, even if no longer staff there
        recipients = sorted(staff)
        update.reminded_for_due_on = update.due_on
        session.add(update)
        if not recipients:
            continue

        def text_for(locale: str, update=update, project=project) -> str:
            shown = format_date(update.due_on, format="long", locale=babel_locale(locale))
            summary = update.you_said if len(update.you_said) <= 200 else update.you_said[:199]
            return translate(OVERDUE, locale).format(project=project.name, date=shown, text=summary)

        await delivery.enqueue_message(
            session,
            kind=OutboxKind.NUDGE,
            recipients=recipients,
            now=now,
            source_locale=project.default_locale,
            texts={locale: text_for(locale) for locale in SUPPORTED_LOCALES},
            project_id=project.id,
        )
        reminded += 1
    await session.flush()
    return reminded
