"""Exactly one background worker: an election by a lock the database holds for a live process.

The scheduler and the delivery engine run in one process at a time. On PostgreSQL that process
holds a session advisory lock on its own connection; when it dies (even by kill -9) the server
drops the connection and the lock with it, and a standby that asks every second takes over. On
SQLite (one machine) a lock file beside the database does the same: the kernel releases it when
the process ends. A leader that can no longer reach its lock (the database restarted, the
connection broke) stops its background work at once: the lock may already be someone else's.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# "cowo" in ASCII, with the database's oid as the lock's second half: advisory locks belong to
# the whole server, and two bots on one server (in two databases) must not elect one leader.
LEADER_LOCK_KEY = 0x636F776F
_LOCK = "(SELECT oid::int FROM pg_database WHERE datname = current_database())"


class Leadership(Protocol):
    # True when holding the lock proves every earlier holder is dead (a file lock the kernel
    # frees only when its process ends): their outbox claims can be taken back at once.
    earlier_holders_dead: bool

    async def try_acquire(self) -> bool: ...
    async def still_held(self) -> bool: ...
    async def release(self) -> None: ...


class PostgresLeadership:
    # An old leader whose connection broke may still be finishing a send: claims come back
    # only when their lease runs out.
    earlier_holders_dead = False

    def __init__(self, engine: AsyncEngine, key: int = LEADER_LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._connection: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        connection = await self.engine.connect()
        try:
            held = (
                await connection.execute(
                    text(f"SELECT pg_try_advisory_lock(:key, {_LOCK})"), {"key": self.key}
                )
            ).scalar_one()
            await connection.commit()  # the lock is the session's: it outlives the transaction
        except BaseException:
            await connection.invalidate()
            raise
        if not held:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            async with asyncio.timeout(5):
                await self._connection.execute(text("SELECT 1"))
                await self._connection.commit()
            return True
        except Exception:
            await self._drop()
            return False

    async def release(self) -> None:
        if self._connection is None:
            return
        try:
            await self._connection.execute(
                text(f"SELECT pg_advisory_unlock(:key, {_LOCK})"), {"key": self.key}
            )
            await self._connection.commit()
            await self._connection.close()
            self._connection = None
        except Exception:
            await self._drop()

    async def _drop(self) -> None:
        # Never hand a connection that may still hold the lock back to the pool.
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.invalidate()
            except Exception:
                pass


class FileLeadership:
    """SQLite: an exclusive lock on `<database>.leader-lock`."""

    earlier_holders_dead = True

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = None

    async def try_acquire(self) -> bool:
        return self._try_lock()  # a local file and a non-blocking lock: no wait to speak of

    def _try_lock(self) -> bool:
        import fcntl

        lock_file = open(self.path, "a")  # held open for as long as we lead
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            return False
        self._file = lock_file
        return True

    async def still_held(self) -> bool:
        return self._file is not None

    async def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file releases the lock
            self._file = None


class SoleProcess:
    """An in-memory database: nobody else can see it, so this process leads."""

    earlier_holders_dead = True

    async def try_acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


def leadership_for(engine: AsyncEngine) -> Leadership:
    if engine.dialect.name == "postgresql":
        return PostgresLeadership(engine)
    database = engine.url.database
    if not database or database == ":memory:":
        return SoleProcess()
    return FileLeadership(f"{database}.leader-lock")


async def lead_while(
    leadership: Leadership,
    stop: asyncio.Event,
    *,
    start,
    stop_work,
    on_change=None,
    retry_seconds: float = 1.0,
    check_seconds: float = 2.0,
) -> None:
    """Until `stop` is set: stand by until elected, run `start()`, check the lock every
    `check_seconds`, and run `stop_work()` when it is lost or at the end."""

    async def pause(seconds: float) -> None:
        try:
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        except TimeoutError:
            pass

    standing_by_said = False
    while not stop.is_set():
        try:
            elected = await leadership.try_acquire()
        except Exception as error:
            log.warning("cannot reach the database to ask for the lead (%s)", type(error).__name__)
            elected = False
        if not elected:
            if not standing_by_said:
                log.info("standing by: another process runs the scheduler and the delivery")
                standing_by_said = True
            await pause(retry_seconds)
            continue
        standing_by_said = False
        log.info("elected: this process runs the scheduler and the delivery")
        if on_change is not None:
            on_change(True)
        try:
            await start()
            while not stop.is_set():
                await pause(check_seconds)
                if not stop.is_set() and not await leadership.still_held():
                    log.warning("lost the lead (the database connection broke); stopping work")
                    break
        finally:
            await stop_work()
            if on_change is not None:
                on_change(False)
            await leadership.release()
