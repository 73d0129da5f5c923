"""Which Telegram updates were handled: the record that makes handling happen once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate
from storage.types import utcnow
from storage.upsert import insert_for

_TABLE = ProcessedUpdate.__table__


async def already_processed(session: AsyncSession, update_ids: list[int]) -> set[int]:
    if not update_ids:
        return set()
    rows = await session.execute(
        select(_TABLE.c.update_id).where(_TABLE.c.update_id.in_(update_ids))
    )
    return set(rows.scalars())


async def mark_processed(session: AsyncSession, update_ids: list[int]) -> None:
    if not update_ids:
        return
    now = utcnow()
    statement = insert_for(session.bind.dialect.name, _TABLE).values(
        [{"update_id": update_id, "processed_at": now} for update_id in update_ids]
    )
    await session.execute(statement.on_conflict_do_nothing(index_elements=["update_id"]))


async def forget_older_than(session: AsyncSession, age: timedelta) -> int:
    """Telegram keeps an unconfirmed update for at most 24 hours, so older ids can go."""
    result = await session.execute(delete(_TABLE).where(_TABLE.c.processed_at < utcnow() - age))
    return result.rowcount or 0
