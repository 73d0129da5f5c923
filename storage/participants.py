"""Queries about participants."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Participant
from storage.types import utcnow
from storage.upsert import insert_for

# Refreshing "last seen" on every tap would write on every update; once an hour is enough.
_LAST_SEEN_RESOLUTION = timedelta(hours=1)


async def get(session: AsyncSession, participant_id: int) -> Participant | None:
    return await session.get(Participant, participant_id)


async def get_by_telegram_id(session: AsyncSession, telegram_id: int) -> Participant | None:
    return (
        await session.execute(select(Participant).where(Participant.telegram_id == telegram_id))
    ).scalar_one_or_none()


async def get_or_create(session: AsyncSession, telegram_id: int) -> Participant:
    participant = await get_by_telegram_id(session, telegram_id)
    if participant is None:
        await add_if_missing(session, telegram_id)
        participant = await get_by_telegram_id(session, telegram_id)
    else:
        touch(participant)
    return participant


async def add_if_missing(session: AsyncSession, telegram_id: int) -> None:
    table = Participant.__table__
    now = utcnow()
    statement = insert_for(session.bind.dialect.name, table).values(
        telegram_id=telegram_id, created_at=now, last_seen_at=now, messages_per_week=3
    )
    await session.execute(statement.on_conflict_do_nothing(index_elements=["telegram_id"]))


def touch(participant: Participant) -> None:
    """Note that they were here, at most once an hour (a write on every tap would be waste)."""
    now = utcnow()
    if now - participant.last_seen_at > _LAST_SEEN_RESOLUTION:
        participant.last_seen_at = now


async def set_locale(session: AsyncSession, participant: Participant, locale: str) -> None:
    participant.locale = locale
    session.add(participant)


async def count_by_locale(session: AsyncSession, participant_ids: list[int]) -> dict[str, int]:
    if not participant_ids:
        return {}
    rows = await session.execute(
        select(Participant.locale, func.count())
        .where(Participant.id.in_(participant_ids))
        .group_by(Participant.locale)
    )
    return {locale or "": count for locale, count in rows.all()}


async def delete(session: AsyncSession, participant: Participant) -> None:
    """Delete the row; the database cascades memberships and unlinks anonymous records."""
    await session.execute(sa_delete(Participant).where(Participant.id == participant.id))
    session.expunge(participant)


async def delete_unconsented_since(session: AsyncSession, cutoff: datetime) -> list[int]:
    """Delete people who never consented and were last seen before `cutoff`; their Telegram ids."""
    stale = (Participant.consent_version.is_(None)) & (Participant.last_seen_at < cutoff)
    telegram_ids = list(
        (await session.execute(select(Participant.telegram_id).where(stale))).scalars()
    )
    if telegram_ids:
        await session.execute(
            sa_delete(Participant).where(Participant.telegram_id.in_(telegram_ids))
        )
    return telegram_ids


async def languages_and_zones(
    session: AsyncSession, participant_ids: list[int]
) -> list[tuple[int, str | None, str | None]]:
    """(id, locale, timezone) of each of these people, as they chose them (None: not chosen)."""
    if not participant_ids:
        return []
    rows = await session.execute(
        select(Participant.id, Participant.locale, Participant.timezone).where(
            Participant.id.in_(participant_ids)
        )
    )
    return [(row[0], row[1], row[2]) for row in rows]
