"""Run as compose.yaml runs it: two webhook workers behind a proxy and two background workers,
as real processes on PostgreSQL and Redis. A facilitator sends a message to a team of 2,000;
the elected background worker is killed with SIGKILL half-way. Counted at the (emulated)
Telegram, not by the bot: everyone got it, at most one person twice, never more than 30
messages in any sliding second, no 429 the bot caused, the standby took over within seconds,
and no sweep ran twice for one period."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from bot.delivery import delivery_report
from storage.db import create_engine, create_session_factory
from storage.models import OutboxMessage
from tests.cluster import Cluster, seed_team
from tests.conftest import POSTGRES_URL, REDIS_URL, join, no_quiet_hours, press, reset_postgres, say

pytestmark = pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL),
    reason="needs COPRODUCE_TEST_POSTGRES_URL and COPRODUCE_TEST_REDIS_URL",
)

TOKEN = "987654321:" + "C" * 35
PEOPLE = 2000
FIRST_ID = 7_000_000
FAY = 6_900_000
TEXT = "The next meeting is on Monday at 10. Thank you all."
# Sweeps that may run at most once in this story (their period is 10 minutes or more).
ONCE = (
    "unjoined-sweep",
    "handled-updates-sweep",
    "promises-sweep",
    "thank-you-sweep",
    "digest-sweep",
    "erasure-cleanup-sweep",
)


async def _received(cluster: Cluster) -> dict[int, int]:
    return {int(chat): n for chat, n in cluster.emulator.traffic.received.get(TEXT, {}).items()}


async def _until(condition, within: float, every: float = 0.1) -> None:
    """Wait until the emulator's tally shows it (it sends no event); fail after `within` s."""
    async with asyncio.timeout(within):
        while not await condition():  # noqa: ASYNC110 - polling what the emulator counted
            await asyncio.sleep(every)


async def test_a_broadcast_survives_the_leader_being_killed_with_two_of_each_role(tmp_path):
    await reset_postgres(POSTGRES_URL)
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    await redis.aclose()
    cluster = Cluster(tmp_path, POSTGRES_URL, REDIS_URL, TOKEN, webhooks=2, workers=2)
    started = time.monotonic()
    await cluster.start()
    try:
        _, code = await seed_team(POSTGRES_URL, cluster.emulator, PEOPLE, FIRST_ID)
        engine = create_engine(POSTGRES_URL)
        app = SimpleNamespace(sessions=create_session_factory(engine))

        # A facilitator joins and sends, through the webhook workers. A simulated person taps
        # far faster than anyone can; Telegram's per-chat limit is for the broadcast onward.
        cluster.emulator.limiter.enabled = False
        fay = await join(cluster.emulator, FAY, code=code)
        await no_quiet_hours(app, FAY)
        await press(cluster.emulator, fay, "Team tools", "Send a message")
        await press(cluster.emulator, fay, "Next")
        await say(cluster.emulator, fay, TEXT)
        await press(cluster.emulator, fay, "Preview", "Send now")
        cluster.emulator.limiter.enabled = True
        yes = await fay.press("Yes, send it")  # no settling: the broadcast starts at once
        assert await cluster.emulator.wait_until_confirmed(yes["update_id"], timeout=30)

        everyone = {FAY, *range(FIRST_ID, FIRST_ID + PEOPLE)}

        async def a_third_got_it() -> bool:
            return len(await _received(cluster)) >= len(everyone) // 3

        await _until(a_third_got_it, within=120)
        leader = await cluster.leader()
        runs_before_kill = await cluster.sweep_runs(leader)
        got_before = len(await _received(cluster))
        leader.kill()
        killed_at = time.monotonic()

        async def sending_again() -> bool:
            return len(await _received(cluster)) > got_before + 5

        await _until(sending_again, within=60, every=0.05)
        takeover = time.monotonic() - killed_at

        async def everyone_got_it() -> bool:
            return set(await _received(cluster)) >= everyone

        await _until(everyone_got_it, within=240)
        new_leader = await cluster.leader()
        assert new_leader is not leader
        runs_after = await cluster.sweep_runs(new_leader)
        received = await _received(cluster)
        traffic = cluster.emulator.traffic

        # Fay also saw the text in her preview: count twice-received among the members.
        twice = {chat: n for chat, n in received.items() if n > 1 and chat != FAY}
        duplicated = sum(n - 1 for n in twice.values())
        assert set(received) == everyone  # no one lost, and no one outside the team
        assert duplicated <= 1, twice  # at most one more per crash (one message in flight)
        assert traffic.max_in_any_second() <= 30  # combined, in any sliding second
        refused = [
            (r.method, r.params.get("chat_id") == FAY)
            for r in cluster.emulator.requests
            if r.error_code == 429
        ]
        assert traffic.flood_refusals == 0, refused  # no 429 the bot caused
        assert takeover <= 10, f"the standby took {takeover:.1f} s to go on"
        assert cluster.emulator.violations == []  # 0 Bot API contract violations
        for sweep in ONCE:
            runs = runs_before_kill.get(sweep, 0) + runs_after.get(sweep, 0)
            assert runs == 1, f"{sweep} ran {runs} times"
        minutes = (time.monotonic() - started) / 60
        for sweep in ("checkins-sweep", "meetings-sweep"):
            runs = runs_before_kill.get(sweep, 0) + runs_after.get(sweep, 0)
            assert 1 <= runs <= minutes + 2, f"{sweep} ran {runs} times in {minutes:.1f} min"

        # The facilitator's report counts what people actually got, and says so of a resend.
        async def recorded() -> bool:  # the last answer is written just after it arrived
            nonlocal report
            async with app.sessions() as session:
                message = (await session.execute(select(OutboxMessage))).scalars().one()
                report = await delivery_report(session, message.id)
            return report.queued == 0

        report = None
        await _until(recorded, within=30, every=0.2)
        assert report.sent == report.total == len(everyone)
        assert report.resent >= duplicated  # a real duplicate is never hidden
        await engine.dispose()
    finally:
        await cluster.stop()
    for process in cluster.processes:
        assert "Traceback" not in process.log(), process.log_path
