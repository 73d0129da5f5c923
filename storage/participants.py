"""Queries about participants."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Participant
from storage.types import utcnow

# Refreshing "last seen" on every tap would write on every update; once an hour is enough.
_LAST_SEEN_RESOLUTION = timedelta(hours=1)


async def get_by_telegram_id(session: AsyncSession, telegram_id: int) -> Participant | None:
    return (
        await session.execute(select(Participant).where(Participant.telegram_id == telegram_id))
    ).scalar_one_or_none()


async def get_or_create(session: AsyncSession, telegram_id: int) -> Participant:
    participant = await get_by_telegram_id(session, telegram_id)
    if participant is None:
        participant = Participant(telegram_id=telegram_id)
        try:
            async with session.begin_nested():
                session.add(participant)
        except IntegrityError:
            # Two updates from a new person at once: the other one created the row.
            participant = await get_by_telegram_id(session, telegram_id)
            assert participant is not None
        return participant
    now = utcnow()
    if now - participant.last_seen_at > _LAST_SEEN_RESOLUTION:
        participant.last_seen_at = now
    return participant


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
