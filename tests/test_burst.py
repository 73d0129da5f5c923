"""A crowd arriving at once is answered at once, while the scheduler and the delivery engine
run beside them (as `coproduce run` runs them).

On SQLite, writers queue at the write gate (storage/db.py). A sweep's first statement is a
write; when it queued for the gate before it had a connection, and a burst of updates held
every pooled connection while queued behind it, nobody moved until the pool's timeout (30 s,
then again for the next sweep in the queue). Here the pool's timeout is cut to 2 s, and the
story fails if anyone waited that long: a sweep that gave up for want of a connection says so
in the log, an update that did is handled again after an "outage" (answered late, or twice).

On PostgreSQL without Redis the shared pace (bot/delivery/shared_pace.py) takes a turn in a
transaction of its own. When it drew that connection from the updates' pool, a burst bigger
than the pool left every update holding one connection and waiting for a second: the pace has
its own connections now, and the same story runs there with a pool smaller than the burst.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

from storage import db
from storage.types import utcnow
from tests.conftest import _database_params, fresh_database_url

NEWCOMERS = 60  # more than the SQLite pool (20): the burst keeps every connection busy
ANSWERED_WITHIN = 30  # seconds: generous; a stall shows in the logs, not the clock


@pytest.fixture
def short_pool_timeout(monkeypatch):
    monkeypatch.setattr(db, "POOL_TIMEOUT_SECONDS", 2.0)


@pytest.mark.parametrize("backend", _database_params())
async def test_sixty_newcomers_at_once_are_each_answered_once_while_sweeps_run(
    emulator, start_bot, short_pool_timeout, caplog, backend, tmp_path
):
    caplog.set_level(logging.WARNING)
    if backend == "postgresql":
        url = await fresh_database_url(backend, tmp_path)
        bot = await start_bot(database_url=url, database_pool_size=20)  # smaller than the burst
    else:
        bot = await start_bot()
    await bot.app.start_background_work()
    someone = emulator.user(90_000, "First")
    assert await emulator.wait_until_confirmed((await someone.send_text("/start"))["update_id"])
    await someone.wait_for_message()

    people = [emulator.user(100_000 + i, f"P{i}") for i in range(NEWCOMERS)]
    # Every /start is queued before the poller wakes: one getUpdates batch.
    updates = await asyncio.gather(*(person.send_text("/start") for person in people))
    # Every sweep ticks now, while the burst holds the connections: each tick starts with a write.
    scheduler = bot.app.scheduler
    ticking = {job.id for job in scheduler.get_jobs()}
    all_ticked = asyncio.Event()

    def ticked(event) -> None:
        ticking.discard(event.job_id)
        if not ticking:
            all_ticked.set()

    scheduler.add_listener(ticked, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    for job in scheduler.get_jobs():
        job.modify(next_run_time=utcnow())
    scheduler.wakeup()

    await asyncio.gather(*(person.wait_for_message(timeout=ANSWERED_WITHIN) for person in people))
    last = max(update["update_id"] for update in updates)
    assert await emulator.wait_until_confirmed(last, timeout=ANSWERED_WITHIN)
    assert not bot.poller.outage
    for person in people:
        assert len(person.messages) == 1, f"{person.first_name} was answered more than once"
    # The sweeps that ticked during the burst have finished, and nobody gave up waiting.
    await asyncio.wait_for(all_ticked.wait(), ANSWERED_WITHIN)
    await bot.stop()
    troubles = [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.name.startswith(("bot.", "storage.")) and record.levelno >= logging.WARNING
    ]
    assert not troubles, troubles
