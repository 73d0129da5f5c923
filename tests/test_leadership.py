"""Exactly one background worker: any number may start, one is elected, a standby takes over
within seconds when the leader dies, and a leader that loses its lock stops its work."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.leadership import FileLeadership, PostgresLeadership, lead_while, leadership_for
from storage.db import create_engine
from tests.conftest import POSTGRES_URL, reset_postgres

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="COPRODUCE_TEST_POSTGRES_URL not set")


@pytest.fixture
async def two_engines():
    await reset_postgres(POSTGRES_URL)
    engines = [create_engine(POSTGRES_URL), create_engine(POSTGRES_URL)]
    yield engines
    for engine in engines:
        await engine.dispose()


async def _drop_lock_holders(engine) -> None:
    """The server ends the sessions holding this database's advisory locks (a dead process, or
    a database restart, as the holder sees it)."""
    async with engine.connect() as admin:
        await admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND pid <> pg_backend_pid()"
            )
        )
        await admin.commit()


@needs_postgres
async def test_on_postgresql_one_is_elected_and_a_standby_takes_over_when_it_dies(two_engines):
    first, second = (PostgresLeadership(engine) for engine in two_engines)
    assert await first.try_acquire() is True
    assert await second.try_acquire() is False  # standing by
    # The leader's process dies (kill -9): the server drops its connection, and the lock.
    await _drop_lock_holders(two_engines[1])
    async with asyncio.timeout(10):
        while not await second.try_acquire():  # noqa: ASYNC110 - a standby asks, as it does
            await asyncio.sleep(0.1)
    assert await first.still_held() is False  # the old leader notices and stops its work
    await second.release()


def test_each_database_elects_its_own_leader():
    """Advisory locks belong to the whole server: two bots in two databases on one server must
    not wait on each other. The lock's second half is the database's own id."""
    from bot import leadership

    assert "current_database()" in leadership._LOCK


async def test_on_sqlite_a_lock_file_elects_one(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    first, second = leadership_for(engine), leadership_for(engine)
    assert isinstance(first, FileLeadership)
    assert await first.try_acquire() is True
    assert await second.try_acquire() is False
    await first.release()  # the process ends: the kernel frees the lock
    assert await second.try_acquire() is True
    await second.release()
    await engine.dispose()


async def test_only_the_elected_process_works_and_the_standby_starts_when_it_stops(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    working: list[str] = []
    started = {name: asyncio.Event() for name in ("a", "b")}
    stops = {name: asyncio.Event() for name in ("a", "b")}

    def worker(name: str) -> asyncio.Task:
        async def start() -> None:
            working.append(name)
            started[name].set()

        async def stop_work() -> None:
            working.remove(name)

        return asyncio.create_task(
            lead_while(
                leadership_for(engine),
                stops[name],
                start=start,
                stop_work=stop_work,
                retry_seconds=0.05,
                check_seconds=0.05,
            )
        )

    a = worker("a")
    await asyncio.wait_for(started["a"].wait(), 10)
    b = worker("b")
    await asyncio.sleep(0.3)  # b asks several times meanwhile (retry 0.05 s) and stands by
    assert working == ["a"]
    stops["a"].set()
    await a
    await asyncio.wait_for(started["b"].wait(), 10)
    assert working == ["b"]
    stops["b"].set()
    await b
    assert working == []
    await engine.dispose()


@needs_postgres
async def test_a_leader_whose_database_connection_breaks_stops_its_work(two_engines):
    stop = asyncio.Event()
    started, stopped = asyncio.Event(), asyncio.Event()

    async def start() -> None:
        started.set()

    async def stop_work() -> None:
        stopped.set()

    task = asyncio.create_task(
        lead_while(
            PostgresLeadership(two_engines[0]),
            stop,
            start=start,
            stop_work=stop_work,
            check_seconds=0.1,
        )
    )
    await asyncio.wait_for(started.wait(), 10)
    await _drop_lock_holders(two_engines[1])  # the database restarts, for this process
    await asyncio.wait_for(stopped.wait(), 10)
    stop.set()
    await task
