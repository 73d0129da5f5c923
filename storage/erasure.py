"""After an erasure, the database's own old copies of the deleted rows are cleaned up too.

Deleting a row does not remove its bytes at once. SQLite keeps old copies of changed pages in
its write-ahead log (WAL) until a checkpoint; `secure_delete` (set on every connection in
storage/db.py) zeroes the deleted rows in the database file itself. PostgreSQL keeps dead row
versions in the table and its indexes until VACUUM, and sampled values in its planner
statistics (`pg_stats`) until ANALYZE.

So each erasure leaves a mark (a time, nothing about the person), and a cleanup follows:
- SQLite: a TRUNCATE checkpoint as part of the erasure's commit, once its writes are in (the
  WAL is cut to zero bytes), and again from the scheduler's sweep while a mark is left (a
  crash, a database too busy to checkpoint).
- PostgreSQL: the scheduler's sweep runs `VACUUM (ANALYZE)` on the tables an erasure touches,
  one run at a time across every running copy of the bot (an advisory lock), outside any
  transaction. A mark is cleared only by a cleanup that starts `SETTLE` after the erasure: a
  transaction still open when VACUUM runs keeps the old rows it could see.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, event, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.util import await_only
from sqlmodel import SQLModel

from storage.db import checkpoint_wal, end_of_write, sessions_like
from storage.models import ErasureCleanupDue
from storage.types import utcnow

log = logging.getLogger(__name__)

# PostgreSQL: after this, no transaction of ours is still open from before the erasure.
SETTLE = timedelta(minutes=30)
# pg_try_advisory_lock's key: one cleanup at a time, whichever process runs it.
_LOCK_KEY = 0x636F70726F64  # "coprod"
_NOTED = "erasure_noted"


def touched_tables() -> list[str]:
    """The tables an erasure deletes from or unlinks rows in, and the dialog state."""
    tables = SQLModel.metadata.tables
    deleted, touched = {"participant"}, {"participant", "fsm_record"}
    grew = True
    while grew:
        grew = False
        for table in tables.values():
            for key in table.foreign_keys:
                if key.column.table.name not in deleted:
                    continue
                if table.name not in touched:
                    touched.add(table.name)
                    grew = True
                if (key.ondelete or "").upper() == "CASCADE" and table.name not in deleted:
                    deleted.add(table.name)
                    grew = True
    return sorted(touched)


def note(session: AsyncSession, now: datetime | None = None) -> None:
    """Someone's rows are deleted in this session's transaction: leave a mark, and on SQLite
    clean up as soon as the transaction is committed, before `commit()` returns (so before the
    update is confirmed to Telegram). PostgreSQL waits for the sweep."""
    session.add(ErasureCleanupDue(erased_at=now or utcnow()))
    if session.info.get(_NOTED):
        return
    session.info[_NOTED] = True
    if session.bind.dialect.name != "sqlite":
        return
    sessions = sessions_like(session)

    def committed(_sync_session) -> None:
        # Runs inside commit(), in SQLAlchemy's greenlet: await_only waits for the coroutine.
        session.info.pop(_NOTED, None)
        end_of_write(session)  # the checkpoint needs the write gate this session holds
        try:
            await_only(clean_up(sessions))
        except Exception as error:  # the erasure is committed: never undo that; retry later
            log.warning(
                "cleanup after an erasure failed (%s); the sweep tries again",
                type(error).__name__,
            )

    event.listen(session.sync_session, "after_commit", committed, once=True)


async def clean_up(sessions: async_sessionmaker[AsyncSession], now: datetime | None = None) -> bool:
    """If an erasure left a mark, clean up the old copies of what it deleted. True if a
    cleanup ran."""
    now = now or utcnow()
    async with sessions() as session:
        marks = (
            await session.execute(select(ErasureCleanupDue.id, ErasureCleanupDue.erased_at))
        ).all()
        engine: AsyncEngine = session.bind
    if not marks:
        return False
    if engine.dialect.name == "sqlite":
        if not await checkpoint_wal(sessions):
            log.warning("the write-ahead log is in use; its cleanup after an erasure waits")
            return False
        done = [mark_id for mark_id, _at in marks]
    else:
        if not await vacuum_and_analyze(engine, touched_tables()):
            return False
        done = [mark_id for mark_id, at in marks if at <= now - SETTLE]
    if done:
        async with sessions() as session:
            await session.execute(delete(ErasureCleanupDue).where(ErasureCleanupDue.id.in_(done)))
            await session.commit()
    log.info("cleaned up after %d erasures", len(marks))
    return True


async def vacuum_and_analyze(engine: AsyncEngine, tables: list[str]) -> bool:
    """PostgreSQL: `VACUUM (ANALYZE)` these tables, unless another cleanup is running."""
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        locked = await connection.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": _LOCK_KEY}
        )
        if not locked:
            return False
        try:
            quote = connection.dialect.identifier_preparer.quote
            await connection.exec_driver_sql(
                "VACUUM (ANALYZE) " + ", ".join(quote(name) for name in tables)
            )
            await _forget_statistics_of_empty_tables(connection, tables)
        finally:
            await connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
    return True


async def _forget_statistics_of_empty_tables(
    connection: AsyncConnection, tables: list[str]
) -> None:
    """ANALYZE leaves a table's old statistics alone when it finds no rows, so the values of the
    last rows erased would stay in pg_stats. Only a superuser may remove them (before
    PostgreSQL 18); otherwise the operator is told which table."""
    superuser = await connection.scalar(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    )
    quote = connection.dialect.identifier_preparer.quote
    for name in tables:
        has_statistics = await connection.scalar(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_stats "
                "WHERE schemaname = current_schema() AND tablename = :name)"
            ),
            {"name": name},
        )
        if not has_statistics:
            continue
        if await connection.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {quote(name)})")):
            continue
        if superuser:
            await connection.execute(
                text("DELETE FROM pg_statistic WHERE starelid = CAST(:name AS regclass)"),
                {"name": quote(name)},
            )
        else:
            log.warning(
                "table %s is empty and its statistics still hold values of erased rows; "
                "they go when it has rows again (or a superuser runs the cleanup)",
                name,
            )
