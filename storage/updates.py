"""Which Telegram updates were handled: the record that makes handling happen once.

Every update pays for these statements, so they are built once (SQLAlchemy then finds each in
its compiled cache) and the first two questions an update asks go in one round trip."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from sqlalchemy import bindparam, delete, exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Participant, ProcessedUpdate
from storage.types import utcnow
from storage.upsert import insert_for

_TABLE = ProcessedUpdate.__table__
_NO_UPDATE = -1  # Telegram's update ids are never negative

_HANDLED = select(_TABLE.c.update_id).where(_TABLE.c.update_id == bindparam("update_id"))
# Was this update handled, and who sent it (None for someone new), in one statement.
_CONTEXT = (
    select(
        exists().where(_TABLE.c.update_id == bindparam("update_id")).label("handled"),
        Participant,
    )
    .select_from(select(literal(1).label("one")).subquery("one"))
    .outerjoin(Participant, Participant.telegram_id == bindparam("telegram_id"))
)


async def already_processed(session: AsyncSession, update_ids: list[int]) -> set[int]:
    if not update_ids:
        return set()
    if len(update_ids) == 1:
        rows = await session.execute(_HANDLED, {"update_id": update_ids[0]})
    else:
        rows = await session.execute(
            select(_TABLE.c.update_id).where(_TABLE.c.update_id.in_(update_ids))
        )
    return set(rows.scalars())


async def handled_and_sender(
    session: AsyncSession, update_id: int | None, telegram_id: int
) -> tuple[bool, Participant | None]:
    """Whether this update was handled before (False for one that is not Telegram's), and the
    sender's record if they have one."""
    row = (
        await session.execute(
            _CONTEXT,
            {
                "update_id": _NO_UPDATE if update_id is None else update_id,
                "telegram_id": telegram_id,
            },
        )
    ).one()
    return bool(row.handled), row.Participant


@cache
def _mark(dialect_name: str):
    return insert_for(dialect_name, _TABLE).on_conflict_do_nothing(index_elements=["update_id"])


async def mark_processed(session: AsyncSession, update_ids: list[int]) -> None:
    if not update_ids:
        return
    now = utcnow()
    await session.execute(
        _mark(session.bind.dialect.name),
        [{"update_id": update_id, "processed_at": now} for update_id in update_ids],
    )


async def forget_older_than(session: AsyncSession, age: timedelta) -> int:
    """Telegram keeps an unconfirmed update for at most 24 hours, so older ids can go."""
    result = await session.execute(delete(_TABLE).where(_TABLE.c.processed_at < utcnow() - age))
    return result.rowcount or 0
