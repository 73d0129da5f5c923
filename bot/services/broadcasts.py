"""Broadcasts from facilitators: who may send one, what a message may hold, which languages
have a version, when it goes, and queueing it for the delivery engine.

Plain rules over plain values (no aiogram): the dialog in dialogs/broadcast asks these.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import delivery, people
from bot.services.typed_input import read_day_and_time
from storage import audit, meetings, outbox, projects, reciprocity
from storage.audience import AudienceQuery, member_ids
from storage.models import OutboxKind, Participant, Project, Role

log = logging.getLogger(__name__)

# Telegram's limits, counted as Telegram counts them (UTF-16 code units), so nothing we accept
# is refused at send time.
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
TOMORROW_AT = 9 * 60  # the "tomorrow at 9:00" choice, minutes after midnight, project's zone
LATEST = timedelta(days=366)
# Polls or offers offered as an audience: the newest, as many as fit a phone screen's buttons.
CHOICES_SHOWN = 20


class NotAllowed(PermissionError):
    """The sender does not (or no longer) run this project."""


class EmptyAudience(ValueError):
    pass


def telegram_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# -- the message ------------------------------------------------------------------------------


@dataclass
class Draft:
    """A broadcast being written: one text per language, and a photo or document shared by all.
    Kept in the dialog's data, so it is turned into plain JSON values and back."""

    source_locale: str
    texts: dict[str, str] = field(default_factory=dict)
    photo_file_id: str | None = None
    document_file_id: str | None = None

    @property
    def has_media(self) -> bool:
        return bool(self.photo_file_id or self.document_file_id)

    @property
    def limit(self) -> int:
        return CAPTION_LIMIT if self.has_media else TEXT_LIMIT

    @property
    def original(self) -> str:
        return self.texts.get(self.source_locale, "")

    def text_for(self, locale: str) -> str:
        """What someone reading `locale` gets (the delivery engine's own choice)."""
        return delivery.choose_text(self.texts, locale, self.source_locale)

    def to_data(self) -> dict[str, Any]:
        return {
            "source_locale": self.source_locale,
            "texts": dict(self.texts),
            "photo_file_id": self.photo_file_id,
            "document_file_id": self.document_file_id,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> Draft | None:
        if not data:
            return None
        return cls(
            source_locale=data["source_locale"],
            texts=dict(data.get("texts") or {}),
            photo_file_id=data.get("photo_file_id"),
            document_file_id=data.get("document_file_id"),
        )


class Refusal(StrEnum):
    """Why a message cannot be a broadcast."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    KIND = "kind"  # stickers, voice notes, video ...


@dataclass(frozen=True)
class Checked:
    draft: Draft | None = None
    refusal: Refusal | None = None
    length: int = 0
    limit: int = 0


def check_original(
    source_locale: str,
    *,
    text: str | None,
    caption: str | None,
    photo_file_id: str | None,
    document_file_id: str | None,
    other_kind: bool = False,
) -> Checked:
    """A message the facilitator sent, as a new draft, or why it cannot be one."""
    if other_kind:
        return Checked(refusal=Refusal.KIND)
    has_media = bool(photo_file_id or document_file_id)
    words = (caption if has_media else text) or ""
    if not words.strip():
        return Checked(refusal=Refusal.EMPTY)
    limit = CAPTION_LIMIT if has_media else TEXT_LIMIT
    length = telegram_length(words)
    if length > limit:
        return Checked(refusal=Refusal.TOO_LONG, length=length, limit=limit)
    draft = Draft(
        source_locale=source_locale,
        texts={source_locale: words},
        photo_file_id=photo_file_id,
        document_file_id=document_file_id,
    )
    return Checked(draft=draft)


def check_version(draft: Draft, text: str | None) -> Checked:
    """A version's text for an existing draft (the photo or document stays shared)."""
    if not text or not text.strip():
        return Checked(refusal=Refusal.EMPTY)
    length = telegram_length(text)
    if length > draft.limit:
        return Checked(refusal=Refusal.TOO_LONG, length=length, limit=draft.limit)
    return Checked(draft=draft)


# -- languages --------------------------------------------------------------------------------


class VersionState(StrEnum):
    ORIGINAL = "original"  # the language it was written in
    OWN = "own"  # a version was written for this language
    GETS_ORIGINAL = "gets_original"  # no version: they will get the original


@dataclass(frozen=True)
class LanguageLine:
    locale: str
    people: int
    state: VersionState


def language_lines(draft: Draft, people_by_language: dict[str, int]) -> list[LanguageLine]:
    """Each language in the audience, most people first: which version its readers get."""
    lines = []
    for locale, count in sorted(people_by_language.items(), key=lambda item: (-item[1], item[0])):
        if locale == draft.source_locale:
            state = VersionState.ORIGINAL
        elif draft.texts.get(locale):
            state = VersionState.OWN
        else:
            state = VersionState.GETS_ORIGINAL
        lines.append(LanguageLine(locale, count, state))
    return lines


# -- when -------------------------------------------------------------------------------------


class InvalidTime(ValueError):
    pass


class TimeHasPassed(ValueError):
    pass


def in_one_hour(now: datetime) -> datetime:
    return now + timedelta(hours=1)


def tomorrow_at(now: datetime, timezone: str, minute_of_day: int = TOMORROW_AT) -> datetime:
    tz = delivery.zone(timezone, "Europe/London")
    day = now.astimezone(tz).date() + timedelta(days=1)
    return delivery.local_time_to_utc(day, minute_of_day, tz)


def parse_local_time(typed: str, timezone: str, now: datetime) -> datetime:
    """'2026-12-01 18:00' (or '٢٠٢٦-١٢-٠١ ٦ م') in the project's zone, as UTC; only the
    future, up to a year ahead."""
    local = read_day_and_time(typed)
    if local is None:
        raise InvalidTime(typed)
    tz = delivery.zone(timezone, "Europe/London")
    moment = delivery.local_time_to_utc(local.date(), local.hour * 60 + local.minute, tz)
    if moment <= now:
        raise TimeHasPassed(typed)
    if moment > now + LATEST:
        raise InvalidTime(typed)
    return moment


# -- who may send, to whom, and sending --------------------------------------------------------


async def projects_to_broadcast(session: AsyncSession, sender: Participant | None) -> list[Project]:
    """Projects where this person is a facilitator or coordinator."""
    found = []
    for project_id in await people.staff_projects(session, sender):
        project = await projects.get_project(session, project_id)
        if project is not None:
            found.append(project)
    return found


def audience_query(
    project_id: int,
    role: str | None,
    language: str | None,
    *,
    poll_id: int | None = None,
    offer_id: int | None = None,
) -> AudienceQuery:
    return AudienceQuery(
        project_id=project_id,
        role=Role(role) if role else None,
        language=language or None,
        poll_id=poll_id,
        offer_id=offer_id,
    )


async def polls_to_choose(session: AsyncSession, project_id: int) -> list[tuple[int, str]]:
    """The project's availability polls (id, title), newest first: "who answered this poll"."""
    polls = await meetings.polls_of_project(session, project_id, limit=CHOICES_SHOWN)
    return [(poll.id, poll.title) for poll in polls]


async def offers_to_choose(
    session: AsyncSession, project_id: int, locale: str
) -> list[tuple[int, str]]:
    """The project's offers (id, title in `locale` where written), newest first."""
    offers = await reciprocity.offers_of_project(session, project_id, limit=CHOICES_SHOWN)
    texts = await reciprocity.texts_of_many(session, [offer.id for offer in offers])
    chosen = []
    for offer in offers:
        versions = texts.get(offer.id, {})
        version = versions.get(locale) or versions.get(offer.source_locale)
        if version is None and versions:
            version = next(iter(versions.values()))
        chosen.append((offer.id, version.title if version else str(offer.id)))
    return chosen


@dataclass(frozen=True)
class Queued:
    message_id: int
    people: int
    send_at: datetime | None


async def send(
    session: AsyncSession,
    sender: Participant,
    query: AudienceQuery,
    draft: Draft,
    *,
    now: datetime,
    send_at: datetime | None = None,
) -> Queued:
    """Queue the broadcast for everyone the query finds now, and note it in the audit log.
    The caller commits, then wakes the delivery engine."""
    if not await people.is_staff_in(session, sender, query.project_id):
        raise NotAllowed(query.project_id)
    recipients = await member_ids(session, query)
    if not recipients:
        raise EmptyAudience(query.project_id)
    message_id = await delivery.enqueue_message(
        session,
        kind=OutboxKind.BROADCAST,
        recipients=recipients,
        now=now,
        source_locale=draft.source_locale,
        texts={locale: text for locale, text in draft.texts.items() if text},
        send_at=send_at,
        project_id=query.project_id,
        created_by=sender.id,
        photo_file_id=draft.photo_file_id,
        document_file_id=draft.document_file_id,
    )
    media = "photo" if draft.photo_file_id else "document" if draft.document_file_id else "text"
    detail = (
        f"message={message_id} people={len(recipients)} role={query.role or 'all'} "
        f"language={query.language or 'all'} versions={','.join(sorted(draft.texts))} "
        f"media={media} send_at={send_at.isoformat() if send_at else 'now'}"
    )
    await audit.record(
        session,
        "broadcast.create",
        actor_id=sender.id,
        project_id=query.project_id,
        detail=detail[:255],
    )
    # Never the message's words: only who, how many and when.
    log.info(
        "broadcast %s queued by participant %s for %d people in project %s",
        message_id,
        sender.id,
        len(recipients),
        query.project_id,
    )
    return Queued(message_id=message_id, people=len(recipients), send_at=send_at)


# -- scheduled messages: seen and cancelled before their time ---------------------------------


@dataclass(frozen=True)
class Scheduled:
    message_id: int
    send_at: datetime
    people: int
    text: str  # in the language it was written in


async def scheduled(
    session: AsyncSession, staff: Participant, project_id: int, now: datetime
) -> list[Scheduled]:
    """The team's broadcasts still waiting for their time, soonest first (staff of it only)."""
    if not await people.is_staff_in(session, staff, project_id):
        raise NotAllowed(project_id)
    found = []
    for message, count in await outbox.scheduled_broadcasts(session, project_id, now):
        texts = outbox.message_texts(message)
        text = delivery.choose_text(texts, message.source_locale, message.source_locale)
        found.append(Scheduled(message.id, message.send_at, count, text))
    return found


async def cancel_scheduled(
    session: AsyncSession, staff: Participant, message_id: int, *, now: datetime
) -> int:
    """Nobody gets it: how many it would have gone to. 0 when its time came (it is going out,
    or has gone). Staff of its team only; audited, without its words."""
    message = await outbox.get_message(session, message_id)
    if (
        message is None
        or message.kind != OutboxKind.BROADCAST
        or message.project_id is None
        or not await people.is_staff_in(session, staff, message.project_id)
    ):
        raise NotAllowed(message_id)
    cancelled = await outbox.cancel_pending(session, message_id, now, delivery.Reason.CANCELLED)
    if cancelled:
        await audit.record(
            session,
            "broadcast.cancel",
            actor_id=staff.id,
            project_id=message.project_id,
            detail=f"message={message_id} people={cancelled}",
        )
        log.info("broadcast %s cancelled by participant %s", message_id, staff.id)
    return cancelled
