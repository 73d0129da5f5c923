"""Queries for the outbox (unprompted messages and their recipients) and check-in schedules.

The engine (bot/delivery) commits; these functions only read and write within the caller's
transaction. Claiming takes row locks with SKIP LOCKED on PostgreSQL, so two engines never take
the same row; SQLite has a single writer anyway.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    CheckinSchedule,
    DeliveryState,
    OutboxDelivery,
    OutboxKind,
    OutboxMessage,
    Participant,
    Project,
)

OPEN_STATES = (DeliveryState.PENDING, DeliveryState.DEFERRED, DeliveryState.SENDING)


def _skip_locked(session: AsyncSession, statement: Select) -> Select:
    if session.bind.dialect.name == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement


# -- creating ----------------------------------------------------------------------------------


async def create_message(
    session: AsyncSession,
    *,
    kind: OutboxKind,
    priority: int,
    recipients: list[int],
    source_locale: str,
    texts: dict[str, str] | None = None,
    text_key: str | None = None,
    send_at: datetime,
    project_id: int | None = None,
    created_by: int | None = None,
    photo_file_id: str | None = None,
    document_file_id: str | None = None,
    action: str | None = None,
    expires_at: datetime | None = None,
) -> OutboxMessage:
    """The message and one pending delivery per recipient (each participant once)."""
    message = OutboxMessage(
        kind=kind,
        project_id=project_id,
        created_by=created_by,
        send_at=send_at,
        source_locale=source_locale,
        texts=json.dumps(texts or {}, ensure_ascii=False),
        text_key=text_key,
        photo_file_id=photo_file_id,
        document_file_id=document_file_id,
        action=action,
        expires_at=expires_at,
    )
    session.add(message)
    await session.flush()
    rows = [
        {
            "message_id": message.id,
            "participant_id": participant_id,
            "priority": priority,
            "state": DeliveryState.PENDING,
            "due_at": send_at,
            "attempts": 0,
        }
        for participant_id in dict.fromkeys(recipients)
    ]
    for start in range(0, len(rows), 5000):
        await session.execute(insert(OutboxDelivery), rows[start : start + 5000])
    return message


async def get_message(session: AsyncSession, message_id: int) -> OutboxMessage | None:
    return await session.get(OutboxMessage, message_id)


def message_texts(message: OutboxMessage) -> dict[str, str]:
    return json.loads(message.texts or "{}")


# -- claiming and recording what happened ------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A delivery an engine holds, with what it needs to decide and send."""

    delivery_id: int
    message_id: int
    priority: int
    attempts: int
    participant: Participant
    # An earlier try got no answer (its engine stopped mid-send, or Telegram did not answer and
    # it waits to retry): it may have reached them already.
    tried_unanswered: bool = False


async def claim_due(
    session: AsyncSession, now: datetime, lease_until: datetime, limit: int
) -> list[Claimed]:
    """Take up to `limit` deliveries that are due, most important first, until `lease_until`.
    A 'sending' row whose lease ran out was in flight when its engine died: it is taken again."""
    ids_query = (
        select(OutboxDelivery.id)
        .where(
            OutboxDelivery.state.in_(OPEN_STATES),
            OutboxDelivery.due_at <= now,
            or_(OutboxDelivery.claimed_until.is_(None), OutboxDelivery.claimed_until <= now),
        )
        .order_by(OutboxDelivery.priority, OutboxDelivery.due_at, OutboxDelivery.id)
        .limit(limit)
    )
    ids = list((await session.execute(_skip_locked(session, ids_query))).scalars())
    if not ids:
        return []
    await session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id.in_(ids))
        .values(claimed_until=lease_until)
        .execution_options(synchronize_session=False)
    )
    rows = await session.execute(
        select(OutboxDelivery, Participant)
        .join(Participant, Participant.id == OutboxDelivery.participant_id)
        .where(OutboxDelivery.id.in_(ids))
        .order_by(OutboxDelivery.priority, OutboxDelivery.due_at, OutboxDelivery.id)
    )
    return [
        Claimed(
            d.id,
            d.message_id,
            d.priority,
            d.attempts,
            participant,
            tried_unanswered=d.state == DeliveryState.SENDING
            or (d.state == DeliveryState.DEFERRED and d.reason == "retry"),
        )
        for d, participant in rows.all()
    ]


async def release_expired_claims(session: AsyncSession, now: datetime) -> int:
    """Let go of rows whose lease ran out (their engine died or lost touch); rows a live
    engine holds keep their claim: it renews its lease while it works through them."""
    result = await session.execute(
        update(OutboxDelivery)
        .where(
            OutboxDelivery.state.in_(OPEN_STATES),
            OutboxDelivery.claimed_until.is_not(None),
            OutboxDelivery.claimed_until <= now,
        )
        .values(claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def release_all_claims(session: AsyncSession) -> int:
    """Let go of every claim: only for an engine that knows every other engine is dead."""
    result = await session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.state.in_(OPEN_STATES), OutboxDelivery.claimed_until.is_not(None))
        .values(claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def renew_claims(
    session: AsyncSession, delivery_ids: list[int], held_until: datetime, new_until: datetime
) -> int:
    """Extend our lease on rows we still hold (their lease is still ours: `held_until`). A row
    already done, or whose lease lapsed and another engine took, is left alone."""
    if not delivery_ids:
        return 0
    result = await session.execute(
        update(OutboxDelivery)
        .where(
            OutboxDelivery.id.in_(delivery_ids),
            OutboxDelivery.state.in_(OPEN_STATES),
            OutboxDelivery.claimed_until == held_until,
        )
        .values(claimed_until=new_until)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def release(session: AsyncSession, delivery_ids: list[int]) -> None:
    if delivery_ids:
        await session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id.in_(delivery_ids), OutboxDelivery.state != DeliveryState.SENT)
            .values(claimed_until=None)
            .execution_options(synchronize_session=False)
        )


async def mark_sending(session: AsyncSession, delivery_id: int) -> None:
    """About to send: the claim stays as it is (the engine's lease keeps it)."""
    await session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id == delivery_id)
        .values(
            state=DeliveryState.SENDING,
            reason=None,
            attempts=OutboxDelivery.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )


async def mark_sent(
    session: AsyncSession,
    delivery_id: int,
    telegram_message_id: int,
    at: datetime,
    *,
    reason: str | None = None,
) -> None:
    """Sent; `reason` "resent" when an earlier try's outcome was unknown, so the report can
    say they may have it twice."""
    await session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id == delivery_id)
        .values(
            state=DeliveryState.SENT,
            reason=reason,
            sent_at=at,
            telegram_message_id=telegram_message_id,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )


async def mark(
    session: AsyncSession,
    delivery_id: int,
    state: DeliveryState,
    reason: str | None,
    due_at: datetime | None = None,
) -> None:
    """Deferred (with when to look again), failed or blocked; the row is let go."""
    values: dict = {"state": state, "reason": reason, "claimed_until": None}
    if due_at is not None:
        values["due_at"] = due_at
    await session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id == delivery_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def mark_unreachable(session: AsyncSession, participant_id: int, at: datetime) -> None:
    await session.execute(
        update(Participant)
        .where(Participant.id == participant_id, Participant.unreachable_since.is_(None))
        .values(unreachable_since=at)
        .execution_options(synchronize_session=False)
    )


async def wake_participant(session: AsyncSession, participant_id: int, now: datetime) -> int:
    """Make their held deliveries due now (they resumed, or changed their quiet hours)."""
    result = await session.execute(
        update(OutboxDelivery)
        .where(
            OutboxDelivery.participant_id == participant_id,
            OutboxDelivery.state == DeliveryState.DEFERRED,
            OutboxDelivery.due_at > now,
        )
        .values(due_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# -- what the rules need -----------------------------------------------------------------------


async def sent_since(
    session: AsyncSession, participant_ids: list[int], since: datetime
) -> dict[int, list[datetime]]:
    """When each person was sent an unprompted message since `since`."""
    found: dict[int, list[datetime]] = defaultdict(list)
    if participant_ids:
        rows = await session.execute(
            select(OutboxDelivery.participant_id, OutboxDelivery.sent_at).where(
                OutboxDelivery.participant_id.in_(participant_ids),
                OutboxDelivery.state == DeliveryState.SENT,
                OutboxDelivery.sent_at > since,
            )
        )
        for participant_id, sent_at in rows.all():
            found[participant_id].append(sent_at)
    return found


async def waiting_by_priority(
    session: AsyncSession, participant_ids: list[int], due_before: datetime
) -> dict[int, dict[int, int]]:
    """Per person, how many open deliveries of each priority are due before `due_before`."""
    found: dict[int, dict[int, int]] = defaultdict(dict)
    if participant_ids:
        rows = await session.execute(
            select(OutboxDelivery.participant_id, OutboxDelivery.priority, func.count())
            .where(
                OutboxDelivery.participant_id.in_(participant_ids),
                OutboxDelivery.state.in_(OPEN_STATES),
                OutboxDelivery.due_at < due_before,
            )
            .group_by(OutboxDelivery.participant_id, OutboxDelivery.priority)
        )
        for participant_id, priority, count in rows.all():
            found[participant_id][priority] = count
    return found


async def next_due_at(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(OutboxDelivery.due_at)).where(OutboxDelivery.state.in_(OPEN_STATES))
        )
    ).scalar_one_or_none()


async def backlog(session: AsyncSession, now: datetime) -> tuple[int, datetime | None]:
    """Deliveries due now and not yet sent, and the oldest one's due time (for /readyz and
    the metrics: a backlog that grows, or an old one, means the background worker is not
    keeping up or not running)."""
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(OutboxDelivery.due_at)).where(
                OutboxDelivery.state.in_(OPEN_STATES), OutboxDelivery.due_at <= now
            )
        )
    ).one()
    return count, oldest


async def open_count(session: AsyncSession) -> int:
    return (
        await session.execute(select(func.count()).where(OutboxDelivery.state.in_(OPEN_STATES)))
    ).scalar_one()


async def delivery_counts(
    session: AsyncSession, message_id: int
) -> dict[tuple[str, str | None], int]:
    rows = await session.execute(
        select(OutboxDelivery.state, OutboxDelivery.reason, func.count())
        .where(OutboxDelivery.message_id == message_id)
        .group_by(OutboxDelivery.state, OutboxDelivery.reason)
    )
    return {(state, reason): count for state, reason, count in rows.all()}


async def project_locale(session: AsyncSession, project_id: int | None) -> str | None:
    if project_id is None:
        return None
    return (
        await session.execute(select(Project.default_locale).where(Project.id == project_id))
    ).scalar_one_or_none()


# -- check-in schedules ------------------------------------------------------------------------


async def add_checkin_schedule(
    session: AsyncSession,
    *,
    project_id: int,
    start: str,
    every_weeks: int,
    weekday: int,
    minute_of_day: int,
    first_on: date,
    next_run_at: datetime,
) -> CheckinSchedule:
    schedule = CheckinSchedule(
        project_id=project_id,
        start=start,
        every_weeks=every_weeks,
        weekday=weekday,
        minute_of_day=minute_of_day,
        first_on=first_on,
        next_run_at=next_run_at,
    )
    session.add(schedule)
    await session.flush()
    return schedule


async def due_checkins(
    session: AsyncSession, now: datetime, limit: int = 50
) -> list[tuple[CheckinSchedule, Project]]:
    """Schedules whose time has come, locked (PostgreSQL) so a second scheduler skips them."""
    query = (
        select(CheckinSchedule, Project)
        .join(Project, Project.id == CheckinSchedule.project_id)
        .where(CheckinSchedule.active.is_(True), CheckinSchedule.next_run_at <= now)
        .order_by(CheckinSchedule.next_run_at)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=CheckinSchedule)
    return [(schedule, project) for schedule, project in (await session.execute(query)).all()]


async def deliveries_of(session: AsyncSession, participant_id: int) -> list[tuple]:
    """What we sent (or meant to send) one person: kind, state, when due, when sent."""
    rows = await session.execute(
        select(
            OutboxMessage.kind,
            OutboxDelivery.state,
            OutboxDelivery.due_at,
            OutboxDelivery.sent_at,
        )
        .join(OutboxMessage, OutboxMessage.id == OutboxDelivery.message_id)
        .where(OutboxDelivery.participant_id == participant_id)
        .order_by(OutboxDelivery.id)
    )
    return list(rows.all())


async def checkin_schedules(session: AsyncSession, project_id: int) -> list[CheckinSchedule]:
    """A project's running check-ins, the soonest first."""
    rows = await session.execute(
        select(CheckinSchedule)
        .where(CheckinSchedule.project_id == project_id, CheckinSchedule.active.is_(True))
        .order_by(CheckinSchedule.next_run_at, CheckinSchedule.id)
    )
    return list(rows.scalars())


async def stop_checkin_schedule(session: AsyncSession, project_id: int, schedule_id: int) -> bool:
    """Stop one of a project's check-ins; False when it is not that project's or already stopped."""
    result = await session.execute(
        update(CheckinSchedule)
        .where(
            CheckinSchedule.id == schedule_id,
            CheckinSchedule.project_id == project_id,
            CheckinSchedule.active.is_(True),
        )
        .values(active=False)
    )
    return result.rowcount == 1


# -- what waits, and scheduled messages staff can still cancel ---------------------------------


async def open_deliveries(
    session: AsyncSession, *, message_ids: list[int] | None = None, action: str | None = None
) -> list[tuple[OutboxKind, int, str, str | None, Participant]]:
    """Each recipient not yet sent these messages (by id, or every message with this action):
    (kind, priority, state, reason, participant)."""
    query = (
        select(
            OutboxMessage.kind,
            OutboxDelivery.priority,
            OutboxDelivery.state,
            OutboxDelivery.reason,
            Participant,
        )
        .join(OutboxMessage, OutboxMessage.id == OutboxDelivery.message_id)
        .join(Participant, Participant.id == OutboxDelivery.participant_id)
        .where(OutboxDelivery.state.in_(OPEN_STATES))
        .order_by(OutboxDelivery.id)
    )
    if message_ids is not None:
        query = query.where(OutboxDelivery.message_id.in_(message_ids))
    if action is not None:
        query = query.where(OutboxMessage.action == action)
    return [tuple(row) for row in (await session.execute(query)).all()]


async def scheduled_broadcasts(
    session: AsyncSession, project_id: int, now: datetime, limit: int = 20
) -> list[tuple[OutboxMessage, int]]:
    """A project's broadcasts whose time has not come, soonest first, with how many get each."""
    rows = await session.execute(
        select(OutboxMessage, func.count(OutboxDelivery.id))
        .join(OutboxDelivery, OutboxDelivery.message_id == OutboxMessage.id)
        .where(
            OutboxMessage.project_id == project_id,
            OutboxMessage.kind == OutboxKind.BROADCAST,
            OutboxMessage.send_at > now,
            OutboxDelivery.state == DeliveryState.PENDING,
        )
        .group_by(OutboxMessage.id)
        .order_by(OutboxMessage.send_at, OutboxMessage.id)
        .limit(limit)
    )
    return [(message, count) for message, count in rows.all()]


async def cancel_pending(session: AsyncSession, message_id: int, now: datetime, reason: str) -> int:
    """Nobody gets it whose time has not come: those deliveries fail with `reason`. A delivery
    already due may be on its way, so it is left to go."""
    result = await session.execute(
        update(OutboxDelivery)
        .where(
            OutboxDelivery.message_id == message_id,
            OutboxDelivery.state == DeliveryState.PENDING,
            OutboxDelivery.due_at > now,
        )
        .values(state=DeliveryState.FAILED, reason=reason, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
