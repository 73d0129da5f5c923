"""One pace for the bot token, whichever process sends: never 31 messages in a second, a 429
seen by one process pauses every process, and unprompted messages keep a share of the second
even when conversations are busy. The same stories run against each place the pace can live:
this process's memory (one process on SQLite), Redis, and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from bot.delivery.pacer import Limits, Pacer, Sent, wait_before
from bot.delivery.shared_pace import DatabasePace, RedisPace
from storage.db import create_engine, upgrade
from tests.conftest import POSTGRES_URL, REDIS_URL, reset_postgres


def _went(result) -> bool:
    """try_acquire counted it (a ticket), rather than saying how long to wait (seconds)."""
    return not isinstance(result, float)


def _backends() -> list:
    return [
        pytest.param("memory", id="memory"),
        pytest.param(
            "redis",
            id="redis",
            marks=pytest.mark.skipif(not REDIS_URL, reason="COPRODUCE_TEST_REDIS_URL not set"),
        ),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL, reason="COPRODUCE_TEST_POSTGRES_URL not set"
            ),
        ),
    ]


@pytest.fixture(params=_backends())
async def two_processes(request):
    """Two paces that share their memory, as two worker processes would (memory: one)."""
    if request.param == "memory":
        pace = Pacer()
        yield pace, pace
        return
    if request.param == "redis":
        from redis.asyncio import Redis

        clients = [Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)]
        prefix = "{test-pace-" + uuid.uuid4().hex + "}"
        yield tuple(RedisPace(client, key=b"token", prefix=prefix) for client in clients)
        for client in clients:
            await client.aclose()
        return
    await reset_postgres(POSTGRES_URL)
    engines = [create_engine(POSTGRES_URL), create_engine(POSTGRES_URL)]
    await upgrade(engines[0])
    yield tuple(DatabasePace(engine, key=b"token") for engine in engines)
    for engine in engines:
        await engine.dispose()


async def test_two_processes_together_never_send_a_31st_message_within_a_second(two_processes):
    first, second = two_processes
    allowed = []
    began = time.monotonic()
    for chat in range(31):  # alternating, as two workers' messages interleave
        pace = first if chat % 2 else second
        allowed.append(await pace.try_acquire(1000 + chat, unprompted=True))
    took = time.monotonic() - began
    assert all(_went(result) for result in allowed[:30])
    if took < first.limits.window:  # (a machine so busy that 31 calls took a second: no test)
        assert not _went(allowed[30])
        assert 0 < allowed[30] <= first.limits.window  # it waits for the oldest to age out


async def test_a_429_seen_by_one_process_pauses_the_other(two_processes):
    first, second = two_processes
    await first.pause(3)
    wait = await second.try_acquire(42, unprompted=True)
    assert 2.5 < wait <= 3.0
    assert await second.try_acquire(42, unprompted=False) > 2.5  # replies wait too


async def test_busy_conversations_leave_unprompted_messages_their_share(two_processes):
    first, second = two_processes
    limits = first.limits
    assert _went(await first.try_acquire(7, unprompted=True))  # a broadcast is going out
    replies = [await second.try_acquire(2000 + n, unprompted=False) for n in range(25)]
    allowed_replies = limits.limit - limits.unprompted_share
    assert all(_went(reply) for reply in replies[:allowed_replies])
    assert not any(_went(reply) for reply in replies[allowed_replies:])  # they wait their turn
    # ... and the broadcast still has room in this very second.
    assert _went(await first.try_acquire(8, unprompted=True))


async def test_replies_may_use_the_whole_second_when_nothing_unprompted_waits(two_processes):
    _, second = two_processes
    replies = [await second.try_acquire(3000 + n, unprompted=False) for n in range(30)]
    assert all(_went(reply) for reply in replies)


async def test_an_unprompted_message_waits_a_second_after_anything_to_the_same_person(
    two_processes,
):
    first, second = two_processes
    assert _went(await second.try_acquire(55, unprompted=False))  # the bot answered them
    assert _went(await second.try_acquire(55, unprompted=False))  # and edited the screen
    assert 0.5 < await first.try_acquire(55, unprompted=True) <= 1.0
    assert _went(await first.try_acquire(56, unprompted=True))  # others are not held


def test_the_rule_counts_any_sliding_second_not_calendar_seconds():
    limits = Limits(limit=3, window=1.0, chat_interval=1.0, unprompted_share=1)
    sent = [Sent(0.5, 1, True), Sent(0.9, 2, True), Sent(1.2, 3, True)]
    # At 1.4 the last second (0.4, 1.4] holds three: wait until 0.5 ages out.
    assert wait_before(
        1.4,
        sent,
        chat_id=4,
        unprompted=True,
        paused_until=0,
        unprompted_waiting=False,
        limits=limits,
    ) == pytest.approx(0.1)
    assert (
        wait_before(
            1.51,
            sent,
            chat_id=4,
            unprompted=True,
            paused_until=0,
            unprompted_waiting=False,
            limits=limits,
        )
        == 0.0
    )


def test_a_pace_faster_than_telegram_allows_is_refused():
    with pytest.raises(ValueError):
        Limits(limit=31, window=1.0)


async def test_the_pace_as_a_whole_sends_30_in_every_second_in_memory():
    """With a clock that only moves when the pacer waits, 300 messages to 300 people take
    nine seconds (ten windows of 30): the whole budget is used, never more."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = Pacer(clock=lambda: now[0], sleep=sleep)
    times = []
    for chat in range(300):
        async with pacer.turn(chat):
            times.append(now[0])
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest == 30
    assert times[-1] == pytest.approx(9.0, abs=0.01)  # 300 = 10 windows of 30


async def test_a_message_slow_on_its_way_is_counted_from_when_telegram_answered(two_processes):
    """Telegram may see a slow request late: until its answer it is counted from its turn,
    after it from the answer, so 31 can never land inside Telegram's second. (One a window of
    four seconds here, so that a second passing between turn and answer can be seen.)"""
    first, second = two_processes
    for pace in (first, second):
        pace.limits = Limits(limit=1, window=4.0, chat_interval=1.0, unprompted_share=0)
    slow = await first.try_acquire(1, unprompted=True)
    assert _went(slow)
    await asyncio.sleep(1.0)  # the request is on its way for a second
    await first.answered(slow)
    wait = await second.try_acquire(2, unprompted=True)
    assert not _went(wait)
    assert wait > 3.05  # four seconds from the answer, not three from the turn


async def test_the_shared_pace_never_stores_a_telegram_id(two_processes):
    """Redis' files and the database's statistics outlive an erasure: the pace keeps a keyed
    hash of the chat, and the rule still holds per chat."""
    first, _ = two_processes
    telegram_id = 5_123_456_789
    assert _went(await first.try_acquire(telegram_id, unprompted=False))
    assert not _went(await first.try_acquire(telegram_id, unprompted=True))  # same person
    if isinstance(first, RedisPace):
        keys = [key.decode() async for key in first.redis.scan_iter(match=f"{first.prefix}*")]
        assert keys and not any(str(telegram_id) in key for key in keys)
    elif isinstance(first, DatabasePace):
        from sqlalchemy import select

        from storage.models import PaceSend

        async with first.engine.connect() as connection:
            stored = list((await connection.execute(select(PaceSend.chat_id))).scalars())
        assert stored and telegram_id not in stored
