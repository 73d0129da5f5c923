"""Rules about a person: their language, and what their roles let them do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SUPPORTED_LOCALES
from bot.services import delivery
from storage import participants, projects
from storage.models import Participant, Role
from storage.types import utcnow

STAFF_ROLES = frozenset({Role.FACILITATOR, Role.COORDINATOR})


class UnsupportedLanguage(ValueError):
    pass


async def choose_language(session: AsyncSession, participant: Participant, locale: str) -> None:
    if locale not in SUPPORTED_LOCALES:
        raise UnsupportedLanguage(locale)
    await participants.set_locale(session, participant, locale)


@dataclass(frozen=True)
class TeamSummary:
    project_id: int
    project_name: str
    people: int
    by_language: dict[str, int]


async def is_staff_in(
    session: AsyncSession, participant: Participant | None, project_id: int
) -> bool:
    return project_id in await staff_projects(session, participant)


async def staff_projects(session: AsyncSession, participant: Participant | None) -> list[int]:
    """Projects where this person may use the team tools (a role decides what one may do)."""
    if participant is None or participant.id is None:
        return []
    return [
        membership.project_id
        for membership in await projects.memberships_of(session, participant.id)
        if membership.role in STAFF_ROLES
    ]


async def team_summaries(
    session: AsyncSession, participant: Participant | None
) -> list[TeamSummary]:
    summaries = []
    for project_id in await staff_projects(session, participant):
        project = await projects.get_project(session, project_id)
        if project is None:
            continue
        member_ids = await projects.member_ids(session, project_id)
        summaries.append(
            TeamSummary(
                project_id=project.id,
                project_name=project.name,
                people=len(member_ids),
                by_language=await participants.count_by_locale(session, member_ids),
            )
        )
    return summaries


# How often we may message someone: the choices offered, as messages a week.
FREQUENCY_CHOICES = (1, 3, 7)
# Quiet hours offered, as (start, end) minutes after midnight in their zone; None = none.
QUIET_HOURS_CHOICES = ((22 * 60, 8 * 60), (21 * 60, 9 * 60), None)
PAUSE_WEEKS_CHOICES = (1, 2, 4)
NAME_MAX_LENGTH = 64


class InvalidChoice(ValueError):
    pass


def clean_name(text: str | None) -> str | None:
    """A name as typed: trimmed, printable, short. None if nothing usable is left."""
    if not text:
        return None
    name = " ".join("".join(ch for ch in text if ch.isprintable()).split())
    if not name or len(name) > NAME_MAX_LENGTH:
        return None
    return name


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return "/" in name or name == "UTC"


async def set_display_name(session: AsyncSession, participant: Participant, name: str | None):
    participant.display_name = name
    session.add(participant)


async def set_quoting(
    session: AsyncSession,
    participant: Participant,
    *,
    may_quote: bool | None = None,
    may_use_name: bool | None = None,
) -> None:
    participant.may_quote = may_quote
    participant.may_use_name = may_use_name
    session.add(participant)


async def set_frequency(session: AsyncSession, participant: Participant, per_week: int) -> None:
    if per_week not in FREQUENCY_CHOICES:
        raise InvalidChoice(per_week)
    participant.messages_per_week = per_week
    session.add(participant)


async def set_quiet_hours(session: AsyncSession, participant: Participant, choice: int) -> None:
    """`choice` indexes QUIET_HOURS_CHOICES (a button's item id)."""
    if not 0 <= choice < len(QUIET_HOURS_CHOICES):
        raise InvalidChoice(choice)
    window = QUIET_HOURS_CHOICES[choice]
    participant.quiet_start, participant.quiet_end = window if window else (None, None)
    session.add(participant)
    await delivery.resume_deliveries(session, participant.id, utcnow())


async def set_timezone(session: AsyncSession, participant: Participant, zone: str) -> None:
    if not valid_timezone(zone):
        raise InvalidChoice(zone)
    participant.timezone = zone
    session.add(participant)
    if participant.id is not None:
        await delivery.resume_deliveries(session, participant.id, utcnow())


async def pause(
    session: AsyncSession, participant: Participant, weeks: int | None, now: datetime | None = None
) -> None:
    """Pause unprompted messages for some weeks, or (weeks=None) until they resume."""
    if weeks is not None and weeks not in PAUSE_WEEKS_CHOICES:
        raise InvalidChoice(weeks)
    now = now or utcnow()
    participant.paused_at = now
    participant.paused_until = now + timedelta(weeks=weeks) if weeks else None
    session.add(participant)


async def resume(session: AsyncSession, participant: Participant) -> None:
    """Messages that waited during the pause are looked at again now."""
    participant.paused_at = None
    participant.paused_until = None
    session.add(participant)
    await delivery.resume_deliveries(session, participant.id, utcnow())


def is_paused(participant: Participant, now: datetime | None = None) -> bool:
    if participant.paused_at is None:
        return False
    return participant.paused_until is None or participant.paused_until > (now or utcnow())


async def finish_onboarding(session: AsyncSession, participant: Participant) -> None:
    participant.onboarded_at = participant.onboarded_at or utcnow()
    session.add(participant)
