"""Connection pools: the settings reach them, they never grow past their size, and updates reuse
their connections instead of opening new ones (issue 15: PostgreSQL and Redis under load)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, exc, text

from bot.config import Settings
from storage import db
from tests.conftest import POSTGRES_URL, REDIS_URL

SIZE = 4


def test_the_pool_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_POOL_SIZE", "7")
    monkeypatch.setenv("DATABASE_POOL_TIMEOUT", "2.5")
    settings = Settings(_env_file=None)
    assert (settings.database_pool_size, settings.database_pool_timeout) == (7, 2.5)


async def test_the_settings_reach_the_engine_and_its_size_is_the_limit(tmp_path):
    settings = Settings(_env_file=None, database_pool_size=SIZE, database_pool_timeout=0.2)
    engine = db.create_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}",
        pool_size=settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
    )
    try:
        assert engine.pool.size() == SIZE and engine.pool.timeout() == 0.2
        held = [await engine.connect() for _ in range(SIZE)]
        with pytest.raises(exc.TimeoutError):  # no overflow: one more waits, then gives up
            await engine.connect()
        for connection in held:
            await connection.close()
    finally:
        await engine.dispose()


def test_the_defaults_fit_each_database(tmp_path):
    sqlite = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}")
    postgres = db.create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert sqlite.pool.size() == db.SQLITE_POOL_SIZE
    assert postgres.pool.size() == db.POSTGRES_POOL_SIZE
    assert sqlite.pool.timeout() == postgres.pool.timeout() == db.POOL_TIMEOUT_SECONDS


async def _hold_all_at_once(sessions, tasks: int, size: int) -> list[int]:
    """`tasks` sessions at once, each holding its connection until the pool is full; the
    server process id behind each."""
    engine = sessions.kw["bind"]
    full = asyncio.Event()

    async def one() -> int:
        async with sessions() as session:
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
            if engine.pool.checkedout() >= size:
                full.set()
            await asyncio.wait_for(full.wait(), 10)
            return pid

    return await asyncio.gather(*(one() for _ in range(tasks)))


@pytest.mark.skipif(not POSTGRES_URL, reason="COPRODUCE_TEST_POSTGRES_URL not set")
async def test_postgresql_opens_at_most_the_pool_size_and_reuses_them():
    engine = db.create_engine(POSTGRES_URL, pool_size=SIZE, pool_timeout=10)
    opened = []
    event.listen(engine.sync_engine, "connect", lambda *_: opened.append(1))
    sessions = db.create_session_factory(engine)
    try:
        first = await _hold_all_at_once(sessions, 5 * SIZE, SIZE)
        assert len(set(first)) == SIZE == len(opened)  # it filled up, and went no further
        again = await _hold_all_at_once(sessions, 5 * SIZE, SIZE)
        assert set(again) == set(first) and len(opened) == SIZE  # steady state: nothing new
        async with engine.connect() as connection:
            on_server = await connection.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                {"pids": list(set(first))},
            )
        assert on_server == SIZE
    finally:
        await engine.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="COPRODUCE_TEST_POSTGRES_URL not set")
async def test_postgresql_keeps_more_prepared_statements_than_the_dialects_default():
    engine = db.create_engine(POSTGRES_URL, pool_size=1)
    try:
        async with engine.connect() as connection:
            for number in range(150):  # the dialect's own default keeps 100
                await connection.execute(text(f"SELECT {number} AS kept"))
            prepared = await connection.scalar(
                text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT %'")
            )
        assert prepared >= 150
    finally:
        await engine.dispose()


@pytest.mark.skipif(not REDIS_URL, reason="COPRODUCE_TEST_REDIS_URL not set")
async def test_redis_opens_at_most_the_pool_size_and_reuses_them():
    from redis.asyncio import Redis

    client = Redis(connection_pool=db.redis_connection_pool(REDIS_URL, size=SIZE, timeout=10))
    try:
        # Each round asks for more connections at once than the pool has: the rest wait.
        first = await asyncio.gather(*(client.client_id() for _ in range(5 * SIZE)))
        again = await asyncio.gather(*(client.client_id() for _ in range(5 * SIZE)))
        assert len(set(first)) == SIZE  # it filled up, and went no further
        assert set(again) <= set(first)  # steady state: the same connections
    finally:
        await client.aclose(close_connection_pool=True)


def test_left_empty_the_pool_settings_mean_the_defaults(monkeypatch):
    monkeypatch.setenv("DATABASE_POOL_SIZE", "")
    monkeypatch.setenv("DATABASE_POOL_TIMEOUT", " ")
    settings = Settings(_env_file=None)
    assert settings.database_pool_size is None and settings.database_pool_timeout is None
