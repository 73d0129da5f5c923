"""Queries for the weekly digest: counts over a window of time, never a row about one person."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Integer, cast, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ClaimState,
    Feedback,
    Meeting,
    MeetingAttendance,
    MeetingStatus,
    Membership,
    OutboxMessage,
    PulseResponse,
    ReciprocityClaim,
    ReciprocityOffer,
    Role,
    WeDidStatus,
    YouSaidWeDid,
)


def _feedback_in(project_id: int, since: datetime, until: datetime):
    return (
        Feedback.project_id == project_id,
        Feedback.withdrawn_at.is_(None),
        Feedback.created_at >= since,
        Feedback.created_at < until,
    )


def _pulse_in(project_id: int, since: datetime, until: datetime):
    return (
        PulseResponse.project_id == project_id,
        PulseResponse.created_at >= since,
        PulseResponse.created_at < until,
    )


async def feedback_count(session: AsyncSession, project_id: int, since, until) -> int:
    query = select(func.count()).where(*_feedback_in(project_id, since, until))
    return (await session.execute(query)).scalar_one()


async def pulse_count(session: AsyncSession, project_id: int, since, until) -> int:
    query = select(func.count()).where(*_pulse_in(project_id, since, until))
    return (await session.execute(query)).scalar_one()


def _participants_by(project_id: int, until: datetime):
    """Participants of the project who had joined by `until`: a past week's digest (from
    `coproduce report`) counts the people of that week, not those who joined since."""
    return (
        Membership.project_id == project_id,
        Membership.role == Role.PARTICIPANT,
        Membership.created_at < until,
    )


async def people_who_answered(session: AsyncSession, project_id: int, since, until) -> int:
    """Participants of the project (by `until`) with feedback or a pulse answer in the window:
    each person once, however often they answered."""
    answered = union(
        select(Feedback.participant_id).where(*_feedback_in(project_id, since, until)),
        select(PulseResponse.participant_id).where(*_pulse_in(project_id, since, until)),
    ).subquery()
    query = (
        select(func.count())
        .select_from(Membership)
        .where(
            *_participants_by(project_id, until),
            Membership.participant_id.in_(select(answered.c.participant_id)),
        )
    )
    return (await session.execute(query)).scalar_one()


async def participants(session: AsyncSession, project_id: int, until: datetime) -> int:
    query = select(func.count()).where(*_participants_by(project_id, until))
    return (await session.execute(query)).scalar_one()


async def staff_ids(session: AsyncSession, project_id: int) -> list[int]:
    query = select(Membership.participant_id).where(
        Membership.project_id == project_id,
        Membership.role.in_((Role.FACILITATOR, Role.COORDINATOR)),
    )
    return list((await session.execute(query.order_by(Membership.participant_id))).scalars())


async def rating(session: AsyncSession, project_id: int, since, until) -> tuple[float | None, int]:
    """The average feedback rating in the window, and how many ratings it is made of."""
    query = select(func.avg(Feedback.rating), func.count()).where(
        *_feedback_in(project_id, since, until)
    )
    average, answers = (await session.execute(query)).one()
    return (float(average) if average is not None else None), answers


async def overdue_promises(
    session: AsyncSession, project_id: int, today: date
) -> list[YouSaidWeDid]:
    """ "We did" updates still planned or under way whose date has passed."""
    query = (
        select(YouSaidWeDid)
        .where(
            YouSaidWeDid.project_id == project_id,
            YouSaidWeDid.status.in_((WeDidStatus.PLANNED, WeDidStatus.IN_PROGRESS)),
            YouSaidWeDid.due_on.is_not(None),
            YouSaidWeDid.due_on < today,
        )
        .order_by(YouSaidWeDid.due_on, YouSaidWeDid.id)
    )
    return list((await session.execute(query)).scalars())


async def open_claims(session: AsyncSession, project_id: int) -> dict[str, int]:
    """Claims waiting for a decision ("requested") or to be given ("approved")."""
    query = (
        select(ReciprocityClaim.state, func.count())
        .join(ReciprocityOffer, ReciprocityOffer.id == ReciprocityClaim.offer_id)
        .where(
            ReciprocityOffer.project_id == project_id,
            ReciprocityClaim.state.in_((ClaimState.REQUESTED, ClaimState.APPROVED)),
        )
        .group_by(ReciprocityClaim.state)
    )
    return {str(state): count for state, count in (await session.execute(query)).all()}


async def meeting_turnout(
    session: AsyncSession, project_id: int, since, until
) -> list[tuple[str, datetime, int, int]]:
    """Meetings held in the window: (title, start, people marked as came, people marked)."""
    came = func.coalesce(func.sum(cast(MeetingAttendance.attended, Integer)), 0)
    query = (
        select(Meeting.title, Meeting.starts_at, came, func.count(MeetingAttendance.id))
        .outerjoin(MeetingAttendance, MeetingAttendance.meeting_id == Meeting.id)
        .where(
            Meeting.project_id == project_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at >= since,
            Meeting.starts_at < until,
        )
        .group_by(Meeting.id, Meeting.title, Meeting.starts_at)
        .order_by(Meeting.starts_at)
    )
    return [tuple(row) for row in (await session.execute(query)).all()]


async def digest_queued_since(
    session: AsyncSession, project_id: int, action: str, since: datetime
) -> bool:
    query = select(OutboxMessage.id).where(
        OutboxMessage.project_id == project_id,
        OutboxMessage.action == action,
        OutboxMessage.created_at >= since,
    )
    return (await session.execute(query.limit(1))).first() is not None
