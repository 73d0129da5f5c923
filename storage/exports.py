"""Streaming queries for exports: every row a coordinator may export, a batch at a time.

Each query selects plain columns (never a whole participant: a Telegram id must not even be
read) plus the three things that decide how a person may be shown: their chosen name and
whether they agreed to be named and quoted. Rows come back in batches through
`session.stream(...)` with `yield_per`, so memory stays the same at any size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    AccessNeed,
    AvailabilityPoll,
    Feedback,
    FeedbackTheme,
    LoggedActivity,
    Meeting,
    MeetingAttendance,
    Participant,
    PollAnswer,
    PollSlot,
    PulseResponse,
    ReciprocityClaim,
    ReciprocityOffer,
    ReciprocityOfferText,
    YouSaidWeDid,
    YouSaidWeDidReply,
)

# Rows fetched from the database at a time: big enough to be fast, small enough to stay light.
BATCH_ROWS = 2000


@dataclass(frozen=True)
class Window:
    """Which rows: one project, and optionally from `since` up to (not including) `until` (UTC)."""

    project_id: int
    since: datetime | None = None
    until: datetime | None = None


def _person_columns() -> tuple[Any, ...]:
    return (
        Participant.id.label("person_id"),
        Participant.display_name,
        Participant.may_use_name,
        Participant.may_quote,
    )


def _in_window(statement: Select, column: Any, window: Window) -> Select:
    """Limit a timestamp column to the window (a date column compares by its UTC day)."""
    if window.since is not None:
        bound = window.since.date() if _is_date(column) else window.since
        statement = statement.where(column >= bound)
    if window.until is not None:
        bound = window.until.date() if _is_date(column) else window.until
        statement = statement.where(column < bound)
    return statement


def _is_date(column: Any) -> bool:
    try:
        return column.type.python_type is date
    except NotImplementedError:
        return False


# -- one statement per kind -------------------------------------------------------------------


def feedback(window: Window) -> Select:
    """Feedback answers; withdrawn answers are left out (the person took them back)."""
    statement = (
        select(
            Feedback.id,
            Feedback.created_at,
            Feedback.topic,
            Feedback.rating,
            Feedback.anonymous,
            Feedback.text,
            Feedback.voice_file_id.is_not(None).label("has_voice"),
            FeedbackTheme.name.label("theme"),
            Feedback.reviewed_at.is_not(None).label("reviewed"),
            *_person_columns(),
        )
        .join(Participant, Participant.id == Feedback.participant_id)
        .outerjoin(FeedbackTheme, FeedbackTheme.id == Feedback.theme_id)
        .where(Feedback.project_id == window.project_id, Feedback.withdrawn_at.is_(None))
        .order_by(Feedback.id)
    )
    return _in_window(statement, Feedback.created_at, window)


def pulse(window: Window) -> Select:
    statement = (
        select(
            PulseResponse.id,
            PulseResponse.created_at,
            PulseResponse.answer,
            PulseResponse.comment,
            *_person_columns(),
        )
        .join(Participant, Participant.id == PulseResponse.participant_id)
        .where(PulseResponse.project_id == window.project_id)
        .order_by(PulseResponse.id)
    )
    return _in_window(statement, PulseResponse.created_at, window)


def poll_answers(window: Window) -> Select:
    statement = (
        select(
            PollAnswer.id,
            PollAnswer.answered_at,
            AvailabilityPoll.id.label("poll_id"),
            AvailabilityPoll.title,
            PollSlot.starts_at,
            PollAnswer.choice,
            *_person_columns(),
        )
        .join(AvailabilityPoll, AvailabilityPoll.id == PollAnswer.poll_id)
        .join(PollSlot, PollSlot.id == PollAnswer.slot_id)
        .join(Participant, Participant.id == PollAnswer.participant_id)
        .where(AvailabilityPoll.project_id == window.project_id)
        .order_by(PollAnswer.id)
    )
    return _in_window(statement, PollAnswer.answered_at, window)


def access_needs(window: Window) -> Select:
    statement = (
        select(
            AccessNeed.id,
            AccessNeed.created_at,
            AvailabilityPoll.id.label("poll_id"),
            AvailabilityPoll.title,
            AccessNeed.kind,
            AccessNeed.note,
            *_person_columns(),
        )
        .join(AvailabilityPoll, AvailabilityPoll.id == AccessNeed.poll_id)
        .join(Participant, Participant.id == AccessNeed.participant_id)
        .where(AvailabilityPoll.project_id == window.project_id)
        .order_by(AccessNeed.id)
    )
    return _in_window(statement, AccessNeed.created_at, window)


def claims(window: Window) -> Select:
    title = aliased(ReciprocityOfferText)
    statement = (
        select(
            ReciprocityClaim.id,
            ReciprocityClaim.requested_at,
            ReciprocityOffer.id.label("offer_id"),
            ReciprocityOffer.kind.label("offer_kind"),
            title.title.label("offer_title"),
            ReciprocityClaim.state,
            ReciprocityClaim.amount_pence,
            ReciprocityClaim.receipt_file_id.is_not(None).label("has_receipt"),
            ReciprocityClaim.decided_at,
            ReciprocityClaim.fulfilled_at,
            *_person_columns(),
        )
        .join(ReciprocityOffer, ReciprocityOffer.id == ReciprocityClaim.offer_id)
        .outerjoin(
            title,
            and_(
                title.offer_id == ReciprocityOffer.id,
                title.locale == ReciprocityOffer.source_locale,
            ),
        )
        .join(Participant, Participant.id == ReciprocityClaim.participant_id)
        .where(ReciprocityOffer.project_id == window.project_id)
        .order_by(ReciprocityClaim.id)
    )
    return _in_window(statement, ReciprocityClaim.requested_at, window)


def we_did(window: Window) -> Select:
    """ "You said, we did" updates (staff's words), with how people answered each."""
    replies = (
        select(
            YouSaidWeDidReply.update_id,
            func.count().label("replies"),
            func.sum(_is(YouSaidWeDidReply.answer, "yes")).label("yes"),
            func.sum(_is(YouSaidWeDidReply.answer, "partly")).label("partly"),
            func.sum(_is(YouSaidWeDidReply.answer, "no")).label("no"),
        )
        .group_by(YouSaidWeDidReply.update_id)
        .subquery()
    )
    statement = (
        select(
            YouSaidWeDid.id,
            YouSaidWeDid.created_at,
            YouSaidWeDid.published_at,
            YouSaidWeDid.you_said,
            YouSaidWeDid.we_did,
            YouSaidWeDid.status,
            YouSaidWeDid.owner,
            YouSaidWeDid.due_on,
            func.coalesce(replies.c.replies, 0),
            func.coalesce(replies.c.yes, 0),
            func.coalesce(replies.c.partly, 0),
            func.coalesce(replies.c.no, 0),
        )
        .outerjoin(replies, replies.c.update_id == YouSaidWeDid.id)
        .where(YouSaidWeDid.project_id == window.project_id)
        .order_by(YouSaidWeDid.id)
    )
    return _in_window(statement, YouSaidWeDid.created_at, window)


def _is(column: Any, value: str) -> Any:
    return case((column == value, 1), else_=0)


def we_did_replies(window: Window) -> Select:
    statement = (
        select(
            YouSaidWeDidReply.id,
            YouSaidWeDidReply.created_at,
            YouSaidWeDid.id.label("update_id"),
            YouSaidWeDidReply.answer,
            YouSaidWeDidReply.comment,
            *_person_columns(),
        )
        .join(YouSaidWeDid, YouSaidWeDid.id == YouSaidWeDidReply.update_id)
        .join(Participant, Participant.id == YouSaidWeDidReply.participant_id)
        .where(YouSaidWeDid.project_id == window.project_id)
        .order_by(YouSaidWeDidReply.id)
    )
    return _in_window(statement, YouSaidWeDidReply.created_at, window)


def contributions(window: Window) -> Select:
    """Time people gave outside meetings, as staff logged it."""
    statement = (
        select(
            LoggedActivity.id,
            LoggedActivity.day,
            LoggedActivity.minutes,
            LoggedActivity.description,
            LoggedActivity.logged_at,
            *_person_columns(),
        )
        .join(Participant, Participant.id == LoggedActivity.participant_id)
        .where(LoggedActivity.project_id == window.project_id)
        .order_by(LoggedActivity.id)
    )
    return _in_window(statement, LoggedActivity.day, window)


def attendance(window: Window) -> Select:
    statement = (
        select(
            MeetingAttendance.id,
            Meeting.id.label("meeting_id"),
            Meeting.title,
            Meeting.starts_at,
            Meeting.duration_minutes,
            MeetingAttendance.attended,
            *_person_columns(),
        )
        .join(Meeting, Meeting.id == MeetingAttendance.meeting_id)
        .join(Participant, Participant.id == MeetingAttendance.participant_id)
        .where(Meeting.project_id == window.project_id)
        .order_by(MeetingAttendance.id)
    )
    return _in_window(statement, Meeting.starts_at, window)


# -- running them -------------------------------------------------------------------------------


async def stream(
    session: AsyncSession, statement: Select, batch_rows: int = BATCH_ROWS
) -> AsyncIterator[Sequence[Any]]:
    """The statement's rows, a batch at a time (one round trip per batch, not per row).
    Through the session's connection: plain rows, without the ORM's per-row bookkeeping."""
    connection = await session.connection()
    result = await connection.stream(statement.execution_options(yield_per=batch_rows))
    try:
        async for batch in result.partitions(batch_rows):
            yield batch
    finally:
        await result.close()


async def count(session: AsyncSession, statement: Select) -> int:
    """How many rows the statement would give (for progress, and for the tests)."""
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return (await session.execute(counted)).scalar_one()
