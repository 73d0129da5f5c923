"""Several engines on one database: a claim on the outbox is a lease. A live engine renews it
(even through a long 429 pause), so another engine starting up never takes its rows and nobody
gets a message twice; a dead engine's rows come back once its lease runs out."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.delivery import Pacer, delivery_report
from storage import outbox
from storage.models import OutboxDelivery
from tests.test_delivery import Clock, Harness

LEASE = timedelta(seconds=0.3)  # renewed every 0.1 s of real time


@pytest.fixture
async def harness(sessions, emulator):
    h = Harness(sessions, emulator, Clock())
    yield h
    await h.close()


class GatedPacer(Pacer):
    """A pacer on its own clock whose waits last until the test opens the gate: a 429 pause
    of ten minutes takes no real time, and the test decides when it is over."""

    def __init__(self) -> None:
        self.now = 0.0
        self.gate = asyncio.Event()
        self.long_wait = asyncio.Event()
        super().__init__(clock=lambda: self.now, sleep=self._sleep_until_gate)

    async def _sleep_until_gate(self, seconds: float) -> None:
        if seconds >= 60:
            self.long_wait.set()
            await self.gate.wait()
        self.now += seconds


def _sends(harness: Harness) -> Counter:
    return Counter(
        r.params["chat_id"] for r in harness.emulator.requests if r.method == "sendMessage" and r.ok
    )


async def _claims(harness: Harness) -> list:
    async with harness.sessions() as session:
        rows = await session.execute(select(OutboxDelivery.claimed_until))
        return [until for (until,) in rows.all()]


async def _until(condition) -> None:
    """Wait for something the database shows (it sends no event); fail after 20 s."""
    async with asyncio.timeout(20):
        while not await condition():  # noqa: ASYNC110 - the database sends no event
            await asyncio.sleep(0.02)


async def test_a_second_engine_starting_up_leaves_a_live_engines_rows_alone(harness):
    people = await harness.people(4)
    message_id = await harness.broadcast(people)
    harness.emulator.inject_fault(method="sendMessage", kind="429", retry_after=600)
    pacer = GatedPacer()
    first = harness.engine(pacer=pacer, lease=LEASE)
    sending = asyncio.create_task(first.run_until_idle())
    await asyncio.wait_for(pacer.long_wait.wait(), 20)  # told to wait ten minutes

    harness.clock.advance(minutes=10)  # the pause lasts far longer than the lease
    now = harness.clock()

    async def renewed() -> bool:
        return all(until is not None and until > now for until in await _claims(harness))

    await _until(renewed)  # the live engine kept its lease through the pause

    second = harness.engine(lease=LEASE)  # another worker starts on the same database
    assert await second.recover() == 0
    assert await second.run_until_idle() == 0
    assert sum(_sends(harness).values()) == 0  # it sent nothing: the rows are the first's

    pacer.gate.set()
    await asyncio.wait_for(sending, 30)
    assert _sends(harness) == dict.fromkeys((p.telegram_id for p in people), 1)
    async with harness.sessions() as session:
        assert (await delivery_report(session, message_id)).sent == 4


async def test_a_dead_engines_rows_come_back_when_its_lease_runs_out(harness):
    people = await harness.people(6)
    message_id = await harness.broadcast(people)
    pacer = GatedPacer()
    harness.emulator.inject_fault(method="sendMessage", kind="429", retry_after=600)
    first = harness.engine(pacer=pacer, lease=timedelta(seconds=30))
    sending = asyncio.create_task(first.run_until_idle())
    await asyncio.wait_for(pacer.long_wait.wait(), 20)
    sending.cancel()  # the process dies while it holds all six
    await asyncio.gather(sending, return_exceptions=True)

    second = harness.engine()
    assert await second.recover() == 0  # its lease has not run out: nobody may take them yet
    assert await second.run_until_idle() == 0
    assert not _sends(harness)

    harness.clock.advance(seconds=31)  # now it has
    assert await second.recover() == 6
    await second.run_until_idle()
    assert _sends(harness) == dict.fromkeys((p.telegram_id for p in people), 1)
    async with harness.sessions() as session:
        assert (await delivery_report(session, message_id)).sent == 6
    assert await _claims(harness) == [None] * 6


async def test_only_expired_claims_are_released(sessions):
    """The storage rule itself: worker A claims; B's start-up frees nothing until A's lease
    has run out, then B may take the rows."""
    clock = Clock()
    setup = Harness(sessions, _NoEmulator(), clock)
    people = await setup.people(3)
    await setup.broadcast(people)
    now = clock()
    async with sessions() as session:
        held = await outbox.claim_due(session, now, now + timedelta(seconds=30), 10)
        await session.commit()
    assert len(held) == 3
    async with sessions() as session:  # B starts 10 s later
        assert await outbox.release_expired_claims(session, now + timedelta(seconds=10)) == 0
        assert await outbox.claim_due(session, now + timedelta(seconds=10), now, 10) == []
        await session.commit()
    async with sessions() as session:  # A renews: only rows whose lease is still its own
        ids = [item.delivery_id for item in held]
        renewed = await outbox.renew_claims(
            session, ids, now + timedelta(seconds=30), now + timedelta(seconds=60)
        )
        assert renewed == 3
        await session.commit()
    async with sessions() as session:
        assert await outbox.release_expired_claims(session, now + timedelta(seconds=45)) == 0
        assert await outbox.release_expired_claims(session, now + timedelta(seconds=61)) == 3
        taken = await outbox.claim_due(
            session, now + timedelta(seconds=61), now + timedelta(seconds=90), 10
        )
        await session.commit()
    assert len(taken) == 3
    async with sessions() as session:  # A's old lease is no longer its own: no renewal
        assert (
            await outbox.renew_claims(
                session, ids, now + timedelta(seconds=60), now + timedelta(seconds=120)
            )
            == 0
        )


class _NoEmulator:
    """Enough of an emulator for `Harness.people` (no Telegram here)."""

    def __init__(self) -> None:
        self.users: dict[int, None] = {}

    def user(self, telegram_id: int) -> None:
        self.users[telegram_id] = None
