"""The shared pace's memory in PostgreSQL (used when there is no Redis): what the bot token
sent in the last second, and the moments it remembers ("paused", "unprompted"). Every call
runs in one short transaction under an advisory lock, on the database's clock."""

from __future__ import annotations

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import PaceMark, PaceSend
from storage.upsert import insert_for

# "copace" in ASCII: the shared pace's turn-taking, apart from the leader's and migrations'.
PACE_LOCK_KEY = 0x636F70616365
KEPT_SECONDS = 5.0


async def lock_and_now(connection: AsyncConnection) -> float:
    """Take the pace's turn for this transaction; the database's time, in epoch seconds."""
    row = await connection.execute(
        text("SELECT pg_advisory_xact_lock(:key), extract(epoch FROM clock_timestamp())"),
        {"key": PACE_LOCK_KEY},
    )
    return float(row.one()[1])


async def marks(connection: AsyncConnection) -> dict[str, float]:
    rows = await connection.execute(select(PaceMark.name, PaceMark.until))
    return {name: until for name, until in rows.all()}


async def set_mark(connection: AsyncConnection, name: str, until: float, *, keep_later: bool):
    table = PaceMark.__table__
    insert = insert_for(connection.dialect.name, table).values(name=name, until=until)
    value = insert.excluded.until
    if keep_later:
        value = func.greatest(table.c.until, insert.excluded.until)
    await connection.execute(
        insert.on_conflict_do_update(index_elements=["name"], set_={"until": value})
    )


async def recent(connection: AsyncConnection, since: float) -> list[tuple[float, int | None, bool]]:
    rows = await connection.execute(
        select(PaceSend.at, PaceSend.chat_id, PaceSend.unprompted)
        .where(PaceSend.at > since)
        .order_by(PaceSend.at)
    )
    return [tuple(row) for row in rows.all()]


async def add_send(
    connection: AsyncConnection, at: float, chat_id: int | None, unprompted: bool
) -> int:
    """Count a send; its row id (the ticket to stamp when Telegram answered)."""
    result = await connection.execute(
        PaceSend.__table__.insert()
        .values(at=at, chat_id=chat_id, unprompted=unprompted)
        .returning(PaceSend.__table__.c.id)
    )
    return result.scalar_one()


async def stamp_answered(connection: AsyncConnection, ticket: int) -> None:
    """Telegram answered: count the send from now, on the database's clock."""
    await connection.execute(
        update(PaceSend)
        .where(PaceSend.id == ticket)
        .values(at=func.greatest(PaceSend.at, text("extract(epoch FROM clock_timestamp())")))
    )


async def forget_before(connection: AsyncConnection, moment: float) -> None:
    await connection.execute(delete(PaceSend).where(PaceSend.at < moment))
