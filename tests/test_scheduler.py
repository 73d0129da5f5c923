"""The scheduler: fixed jobs, what is due read from the database (so restarts and a second
process change nothing), recurring check-ins, and work that fell due while the bot was down
running once after a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import scheduler as jobs
from bot.services.delivery import add_checkin_schedule, delivery_report, next_checkin
from storage import projects
from storage.models import CheckinSchedule, OutboxMessage, Role
from tests.test_delivery import Clock, Harness

TUESDAY_18 = {"weekday": 1, "minute_of_day": 18 * 60}


def test_every_second_tuesday_at_six_keeps_local_time_across_the_clock_change():
    occurrences = []
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    for _ in range(4):
        moment = next_checkin(
            moment,
            first_on=date(2026, 3, 10),
            every_weeks=2,
            timezone="Europe/London",
            **TUESDAY_18,
        )
        occurrences.append(moment)
    # London moves to summer time on 29 March: 18:00 local is 18:00 UTC, then 17:00 UTC.
    assert occurrences == [
        datetime(2026, 3, 10, 18, 0, tzinfo=UTC),
        datetime(2026, 3, 24, 18, 0, tzinfo=UTC),
        datetime(2026, 4, 7, 17, 0, tzinfo=UTC),
        datetime(2026, 4, 21, 17, 0, tzinfo=UTC),
    ]


def test_the_next_check_in_after_a_given_moment_skips_the_off_weeks():
    after = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)  # an off-week Tuesday
    found = next_checkin(
        after, first_on=date(2026, 3, 10), every_weeks=2, timezone="Europe/London", **TUESDAY_18
    )
    assert found == datetime(2026, 3, 24, 18, 0, tzinfo=UTC)


@pytest.fixture
async def harness(sessions, emulator):
    h = Harness(sessions, emulator, Clock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC)))
    yield h
    await h.close()
    jobs.set_context(None)


async def _team_with_checkins(harness, members) -> int:
    async with harness.sessions() as session:
        project = await projects.create_project(session, "Carers' forum")
        for person in members:
            await projects.set_role(session, project, person, Role.PARTICIPANT)
        await add_checkin_schedule(
            session,
            project_id=project.id,
            timezone=project.timezone,
            start="pulse",
            every_weeks=2,
            first_on=date(2026, 3, 10),
            now=harness.clock(),
            **TUESDAY_18,
        )
        await session.commit()
        return project.id


async def test_a_participant_who_paused_gets_no_check_in(harness):
    (ann,) = await harness.people(1)
    (bob,) = await harness.people(1, paused_at=harness.clock())
    await _team_with_checkins(harness, [ann, bob])
    engine = harness.engine()
    jobs.set_context(jobs.JobContext(harness.sessions, engine, harness.clock))
    assert await jobs.sweep_checkins() == 0  # not 18:00 yet
    harness.clock.now = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    assert await jobs.sweep_checkins() == 1
    await engine.run_until_idle()
    assert harness.received(ann) == [
        "Check-in time for Carers' forum. How are things going for you?"
    ]
    assert harness.received(bob) == []


async def test_check_ins_due_while_the_bot_was_down_run_once_after_restart(harness):
    people = await harness.people(2)
    await _team_with_checkins(harness, people)
    # Down from Monday to three weeks later: two check-ins fell due meanwhile.
    harness.clock.now = datetime(2026, 3, 31, 9, 0, tzinfo=UTC)
    engine = harness.engine()
    jobs.set_context(jobs.JobContext(harness.sessions, engine, harness.clock))
    assert await jobs.sweep_checkins() == 1
    assert await jobs.sweep_checkins() == 0  # a second sweep (or a second restart) adds none
    await engine.run_until_idle()
    assert all(len(harness.received(p)) == 1 for p in people)
    async with harness.sessions() as session:
        schedule = (await session.execute(select(CheckinSchedule))).scalar_one()
        message = (await session.execute(select(OutboxMessage))).scalar_one()
        report = await delivery_report(session, message.id)
    assert schedule.next_run_at == datetime(2026, 4, 7, 17, 0, tzinfo=UTC)
    assert (message.kind, message.action) == ("checkin", f"checkin:pulse:{message.project_id}")
    assert report.sent == report.total == 2


async def test_a_scheduled_broadcast_fires_once_after_a_restart_that_spanned_its_time(harness):
    people = await harness.people(3)
    message_id = await harness.broadcast(people, send_at=harness.clock() + timedelta(hours=1))
    before = harness.engine()
    await before.run_until_idle()
    assert all(harness.received(p) == [] for p in people)  # not yet: then the bot goes down

    harness.clock.advance(hours=5)
    after = harness.engine()  # a new process, started well after the broadcast's time
    await after.recover()
    await after.run_until_idle()
    await after.run_until_idle()
    assert all(harness.received(p) == ["Hello from the team"] for p in people)
    async with harness.sessions() as session:
        assert (await delivery_report(session, message_id)).sent == 3


async def test_each_sweep_has_one_fixed_job_that_ticks_at_least_every_minute(sessions):
    first = jobs.start_scheduler(sessions=sessions, delivery=None)
    jobs.stop_scheduler(first)
    second = jobs.start_scheduler(sessions=sessions, delivery=None)
    try:
        stored = {job.id: job for job in second.get_jobs()}
        assert set(stored) == {sweep.job_id for sweep in jobs.SWEEPS}
        assert len(second.get_jobs()) == len(jobs.SWEEPS)  # replaced, never added again
        assert stored["unjoined-sweep"].args == ("unjoined-sweep",)
        assert stored["unjoined-sweep"].trigger.interval == timedelta(seconds=60)
        assert stored["checkins-sweep"].coalesce is True
        assert str(stored["checkins-sweep"].trigger.timezone) == "UTC"
    finally:
        jobs.stop_scheduler(second)


class _Counting:
    """A sweep that counts its runs (and can be told to fail)."""

    runs = 0
    fail = False

    @classmethod
    async def sweep(cls) -> None:
        cls.runs += 1
        if cls.fail:
            raise RuntimeError("the sweep broke")


@pytest.fixture
def counted_sweep(monkeypatch):
    _Counting.runs, _Counting.fail = 0, False
    sweep = jobs.Sweep("unjoined-sweep", "tests.test_scheduler:_Counting.sweep", 6 * 3600)
    monkeypatch.setitem(jobs._BY_ID, sweep.job_id, sweep)
    return sweep


async def test_a_bot_restarted_every_hour_still_runs_the_six_hourly_sweep(sessions, counted_sweep):
    """The 30-day promise to forget people who never joined depends on it."""
    clock = Clock(datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    ran_at = []
    for _hour in range(13):  # a restart every hour for 13 hours: each start ticks at once
        jobs.set_context(jobs.JobContext(sessions, None, clock))
        if await jobs.run_sweep(counted_sweep.job_id):
            ran_at.append(clock().hour)
        jobs.set_context(None)
        clock.advance(hours=1)
    assert ran_at == [0, 6, 12]


async def test_a_sweep_due_while_the_bot_was_down_runs_once_on_start(sessions, counted_sweep):
    clock = Clock(datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    jobs.set_context(jobs.JobContext(sessions, None, clock))
    try:
        assert await jobs.run_sweep(counted_sweep.job_id) is True
        clock.advance(days=2)  # down for two days: many periods missed
        assert await jobs.run_sweep(counted_sweep.job_id) is True
        assert await jobs.run_sweep(counted_sweep.job_id) is None  # one run, not one a period
    finally:
        jobs.set_context(None)
    assert _Counting.runs == 2


async def test_two_processes_ticking_at_the_same_moment_run_a_sweep_once(
    database_url, sessions, counted_sweep
):
    from storage.db import create_engine, create_session_factory

    other_engine = create_engine(database_url)  # a second process's own connections
    other = create_session_factory(other_engine)
    clock = Clock(datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    try:
        for _period in range(5):
            results = []
            for factory in (sessions, other):
                jobs.set_context(jobs.JobContext(factory, None, clock))
                results.append(jobs.run_sweep(counted_sweep.job_id))
            outcomes = await asyncio.gather(*results)
            assert sorted(outcomes, key=str) == [None, True]
            clock.advance(hours=6)
    finally:
        jobs.set_context(None)
        await other_engine.dispose()
    assert _Counting.runs == 5


async def test_a_failed_sweep_is_tried_again_within_a_minute_not_a_period_later(
    sessions, counted_sweep, caplog
):
    clock = Clock(datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    jobs.set_context(jobs.JobContext(sessions, None, clock))
    try:
        _Counting.fail = True
        assert await jobs.run_sweep(counted_sweep.job_id) is False
        assert "unjoined-sweep failed" in caplog.text
        clock.advance(seconds=30)
        assert await jobs.run_sweep(counted_sweep.job_id) is None
        _Counting.fail = False
        clock.advance(seconds=31)
        assert await jobs.run_sweep(counted_sweep.job_id) is True
        clock.advance(hours=1)
        assert await jobs.run_sweep(counted_sweep.job_id) is None  # now six hours again
    finally:
        jobs.set_context(None)


async def test_handled_update_ids_are_kept_two_days_then_dropped(sessions):
    from storage.models import ProcessedUpdate

    now = datetime.now(UTC)
    async with sessions() as session:
        session.add(ProcessedUpdate(update_id=1, processed_at=now - timedelta(days=3)))
        session.add(ProcessedUpdate(update_id=2, processed_at=now - timedelta(hours=20)))
        await session.commit()
    jobs.set_context(jobs.JobContext(sessions=sessions, delivery=None))
    try:
        assert await jobs.sweep_handled_updates() == 1
    finally:
        jobs.set_context(None)
    async with sessions() as session:
        kept = (await session.execute(select(ProcessedUpdate.update_id))).scalars().all()
    assert kept == [2]  # still inside Telegram's 24-hour redelivery window
