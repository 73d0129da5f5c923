"""The async engine, sessions and schema migrations."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.sqlite_driver import one_trip_dbapi

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# How many connections a process keeps, and may have at most (DATABASE_POOL_SIZE in
# bot/config.py overrides it; Redis gets a pool of the same size: redis_connection_pool).
# They are opened as needed and then kept, so in steady state no update opens one. A session
# waits up to POOL_TIMEOUT_SECONDS for a free one; after that its update counts as met by an
# outage and is handled again later (storage/outage.py): late, never lost.
#
# PostgreSQL: one for each update handled at once (Telegram sends webhooks at most 40 at once)
# and some for the background work (the scheduler's sweeps, the delivery engine and its lease,
# the leader's lock). Each process's pool counts against the server's max_connections (100
# by default). The poller handles up to 100 chats side by side: the ones beyond the pool wait
# for a connection, which costs little while the database is what they wait for anyway.
# SQLite: one writer at a time (SQLiteWriteGate); more connections only cost a thread and a
# page cache each.
POSTGRES_POOL_SIZE = 40 + 10
SQLITE_POOL_SIZE = 20
POOL_TIMEOUT_SECONDS = 30.0
# asyncpg: statements are prepared once per connection and kept (an LRU in SQLAlchemy's
# dialect, 100 by default); bench/dialog_throughput.py's joining and /feedback round alone
# issue 144 different ones.
PREPARED_STATEMENTS_KEPT = 500


def redis_connection_pool(url: str, *, size: int | None = None, timeout: float | None = None):
    """A Redis connection pool sized like the database's (DATABASE_POOL_SIZE, else the
    PostgreSQL default): its connections are kept between updates, and when all are busy a
    command waits up to `timeout` seconds for one. redis-py's own pool instead opens a new
    connection whenever all are busy, with no limit."""
    from redis.asyncio import BlockingConnectionPool

    return BlockingConnectionPool.from_url(
        url,
        max_connections=size or POSTGRES_POOL_SIZE,
        timeout=timeout or POOL_TIMEOUT_SECONDS,
    )


def create_engine(
    url: str, *, pool_size: int | None = None, pool_timeout: float | None = None
) -> AsyncEngine:
    """The engine for `url`, with a pool of at most `pool_size` connections (no overflow: the
    size is the limit; None: the default above for the database) that a session waits for up
    to `pool_timeout` seconds (None: POOL_TIMEOUT_SECONDS)."""
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    pool = {
        "pool_size": pool_size or (SQLITE_POOL_SIZE if sqlite else POSTGRES_POOL_SIZE),
        "max_overflow": 0,
        "pool_timeout": pool_timeout or POOL_TIMEOUT_SECONDS,
    }
    if not sqlite:
        connect_args = {}
        if parsed.get_driver_name() == "asyncpg":
            connect_args["prepared_statement_cache_size"] = PREPARED_STATEMENTS_KEPT
        # hide_parameters: a database error must not copy names or typed text into the logs.
        return create_async_engine(
            url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args, **pool
        )
    in_memory = not parsed.database or parsed.database == ":memory:"
    if not in_memory:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # A busy timeout lets concurrent writers queue instead of failing with "database is locked".
    # An in-memory database is one connection (SQLAlchemy's StaticPool): no pool to size.
    # One trip to aiosqlite's thread per statement, not four (storage/sqlite_driver.py).
    engine = create_async_engine(
        url,
        module=one_trip_dbapi(),
        connect_args={"timeout": 30},
        hide_parameters=True,
        **({} if in_memory else pool),
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        # WAL lets readers work while one writer writes; NORMAL sync is durable across app crashes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, not just unlinked: after /forget the file
        # keeps no copy of the person's words (SQLite's stock builds leave this off).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    return engine


# The session of the update being handled. Dialog state is written through it, so the state, the
# handler's own writes and the "update handled" mark commit together; and on SQLite one update
# never waits for a write lock that its own open session holds.
_update_session: ContextVar[AsyncSession | None] = ContextVar("update_session", default=None)


@contextmanager
def update_session(session: AsyncSession) -> Iterator[AsyncSession]:
    token = _update_session.set(session)
    try:
        yield session
    finally:
        _update_session.reset(token)


def current_update_session() -> AsyncSession | None:
    return _update_session.get()


class SQLiteWriteGate:
    """One writing session at a time, queued in this process.

    SQLite has a single write lock. Writers that find it taken wait in SQLite's busy handler,
    which sleeps in growing steps (up to 100 ms) and leaves the lock idle meanwhile; under load
    most of the time goes there. Queuing writers here instead hands the lock straight on.

    A session takes its pooled connection before it queues here, never after: sessions that
    read first wait here holding one, so a holder of the gate still waiting for a connection
    would wait for ever once they have them all (a burst of updates while a sweep's first
    statement is a write: the sweep held the gate, the updates held every connection).
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    async def enter(self, session: AsyncSession) -> None:
        if not session.info.get(_HOLDS_GATE):
            await session.connection()  # first the connection (see above), then the gate
            await self._lock.acquire()
            session.info[_HOLDS_GATE] = True

    def leave(self, session: GatedSession) -> None:
        if session.info.pop(_HOLDS_GATE, False):
            self._lock.release()


_GATE = "sqlite_write_gate"
_HOLDS_GATE = "holds_sqlite_write_gate"


class GatedSession(AsyncSession):
    """A session that passes the write gate before its first write, and leaves it when its
    transaction ends. Reads never wait (WAL lets them run beside a writer)."""

    async def _before(self, statement=None) -> None:
        gate: SQLiteWriteGate | None = self.info.get(_GATE)
        if gate is None:
            return
        writes = getattr(statement, "is_dml", False) or self.new or self.dirty or self.deleted
        if writes:
            await gate.enter(self)

    def _after_transaction(self) -> None:
        gate: SQLiteWriteGate | None = self.info.get(_GATE)
        if gate is not None:
            gate.leave(self)

    async def execute(self, statement, *args, **kwargs):
        await self._before(statement)
        return await super().execute(statement, *args, **kwargs)

    async def scalar(self, statement, *args, **kwargs):
        await self._before(statement)
        return await super().scalar(statement, *args, **kwargs)

    async def scalars(self, statement, *args, **kwargs):
        await self._before(statement)
        return await super().scalars(statement, *args, **kwargs)

    async def get(self, *args, **kwargs):
        await self._before()
        return await super().get(*args, **kwargs)

    async def flush(self, objects=None) -> None:
        await self._before()
        await super().flush(objects)

    async def commit(self) -> None:
        try:
            await self._before()
            await super().commit()
        finally:
            self._after_transaction()

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            self._after_transaction()

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self._after_transaction()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    if engine.dialect.name != "sqlite":
        return async_sessionmaker(engine, expire_on_commit=False)
    return async_sessionmaker(
        engine, class_=GatedSession, expire_on_commit=False, info={_GATE: SQLiteWriteGate()}
    )


def end_of_write(session: AsyncSession) -> None:
    """The session's transaction is committed: let the next writer in now, not at the end of
    commit() (for work that runs inside commit and writes through a session of its own)."""
    gate: SQLiteWriteGate | None = session.info.get(_GATE)
    if gate is not None:
        gate.leave(session)


def sessions_like(session: AsyncSession) -> async_sessionmaker[AsyncSession]:
    """New sessions on the same engine (and, on SQLite, behind the same write gate) as this one:
    for work that must run after this session's transaction, on its own."""
    gate = session.info.get(_GATE)
    return async_sessionmaker(
        session.bind,
        class_=type(session),
        expire_on_commit=False,
        info={_GATE: gate} if gate is not None else {},
    )


async def checkpoint_wal(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """SQLite: copy the write-ahead log into the database file and cut the log to zero bytes,
    so it keeps no old copy of a deleted row. True if it finished (readers can hold it back
    until the busy timeout; then it is tried again later)."""
    async with sessions() as session:
        gate: SQLiteWriteGate | None = session.info.get(_GATE)
        if gate is not None:
            await gate.enter(session)  # the checkpoint takes SQLite's write lock
        busy, _log_frames, _copied = (
            await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        ).one()
        return busy == 0


def alembic_config(connection=None):
    # Imported here: Alembic (with Mako) is only needed to migrate, not to read or export.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


# Any number of processes may start at once and each applies the migrations on start: they
# take turns. PostgreSQL: a session advisory lock on this fixed key ("coprod" in ASCII), held by
# the migration connection. SQLite: a lock file beside the database (SQLite's own write lock does
# not cover the first "is there a version table?" look, so two fresh starts could both create it).
MIGRATION_LOCK_KEY = 0x636F70726F64


@contextmanager
def _sqlite_file_lock(engine: AsyncEngine) -> Iterator[None]:
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    import fcntl

    with open(f"{database}.migrate-lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)  # blocks until the other process has finished
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


async def _migrate(engine: AsyncEngine, step) -> None:
    if engine.dialect.name == "sqlite":
        # The lock wait blocks a thread, not the event loop (nothing else runs meanwhile anyway).
        lock = _sqlite_file_lock(engine)
        await asyncio.to_thread(lock.__enter__)
        try:
            await _migrate_sqlite(engine, step)
        finally:
            lock.__exit__(None, None, None)
        return
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        await connection.commit()  # the lock is the session's: it outlives this transaction
        try:
            await connection.run_sync(lambda sync: step(alembic_config(sync)))
            await connection.commit()
        finally:
            try:
                await connection.rollback()  # a failed migration leaves an aborted transaction
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                await connection.commit()
            except Exception:
                # Never hand a connection that may still hold the lock back to the pool.
                await connection.invalidate()
                raise


async def _migrate_sqlite(engine: AsyncEngine, step) -> None:
    async with engine.connect() as connection:
        # SQLite rebuilds a table to alter it; with foreign keys on, dropping the old copy
        # would cascade-delete the rows that point at it. The pragma must precede the BEGIN.
        await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await connection.run_sync(lambda sync: step(alembic_config(sync)))
        await connection.commit()
        await connection.exec_driver_sql("PRAGMA foreign_keys=ON")


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to `revision`; safe to run on every start, from any number of
    processes at once (they take turns)."""
    from alembic import command

    await _migrate(engine, lambda config: command.upgrade(config, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    from alembic import command

    await _migrate(engine, lambda config: command.downgrade(config, revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None: no schema yet)."""
    from alembic.migration import MigrationContext

    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def what_a_downgrade_drops(engine: AsyncEngine, revision: str) -> tuple[list[str], list[str]]:
    """The tables and the columns ("table.column") that going down to `revision` would drop,
    with everything in them. Worked out by running the migrations themselves on an empty
    scratch database in memory (up to where this one is, then down), and comparing."""
    current = await current_revision(engine)
    if current is None:
        return [], []
    scratch = create_engine("sqlite+aiosqlite:///:memory:")
    try:
        await upgrade(scratch, current)
        before = await _tables_and_columns(scratch)
        await downgrade(scratch, revision)
        after = await _tables_and_columns(scratch)
    finally:
        await scratch.dispose()
    tables = sorted(set(before) - set(after) - {"alembic_version"})
    columns = sorted(
        f"{table}.{column}"
        for table in set(before) & set(after)
        for column in before[table] - after[table]
    )
    return tables, columns


async def _tables_and_columns(engine: AsyncEngine) -> dict[str, set[str]]:
    from sqlalchemy import inspect

    def read(sync) -> dict[str, set[str]]:
        inspector = inspect(sync)
        return {
            table: {column["name"] for column in inspector.get_columns(table)}
            for table in inspector.get_table_names()
        }

    async with engine.connect() as connection:
        return await connection.run_sync(read)
