"""The scheduler: fixed jobs in a persistent store, recurring check-ins, and work that fell due
while the bot was down running once after a restart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import scheduler as jobs
from bot.config import ConfigError
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


async def test_jobs_live_in_the_database_with_fixed_ids(database_url, sessions):
    first = jobs.start_scheduler(database_url, sessions=sessions, delivery=None)
    jobs.stop_scheduler(first)
    second = jobs.start_scheduler(database_url, sessions=sessions, delivery=None)
    try:
        stored = {job.id: job for job in second.get_jobs()}
        assert set(stored) == {  # replaced, never added again
            "outbox-sweep",
            "checkins-sweep",
            "unjoined-sweep",
            "handled-updates-sweep",
            "promises-sweep",
            "meetings-sweep",
            "thank-you-sweep",
            "digest-sweep",
            "erasure-cleanup-sweep",
        }
        assert len(second.get_jobs()) == len(jobs.SWEEPS)
        assert stored["checkins-sweep"].func_ref == "bot.scheduler:sweep_checkins"
        assert stored["checkins-sweep"].coalesce is True
        assert str(stored["checkins-sweep"].trigger.timezone) == "UTC"
    finally:
        jobs.stop_scheduler(second)


def test_the_job_store_uses_the_same_database_through_a_sync_driver():
    # On SQLite the job store has a file of its own, so it never waits on the bot's write lock.
    assert jobs.jobstore_url("sqlite+aiosqlite:///data/c.db") == "sqlite:///data/c-scheduler.db"
    assert (
        jobs.jobstore_url("postgresql+asyncpg://bot:pw@db:5432/coproduce")
        == "postgresql+psycopg://bot:pw@db:5432/coproduce"
    )
    with pytest.raises(ConfigError):
        jobs.jobstore_url("mysql+aiomysql://db/coproduce")
    with pytest.raises(ConfigError):
        jobs.jobstore_url("sqlite+aiosqlite:///:memory:")


async def test_an_unreachable_job_store_stops_the_start_instead_of_using_memory(sessions):
    with pytest.raises(ConfigError, match="cannot reach its job store"):
        jobs.start_scheduler(
            "postgresql+asyncpg://nobody@127.0.0.1:9/none", sessions=sessions, delivery=None
        )


def test_a_job_store_failure_does_not_stop_the_scheduler_for_good(tmp_path, monkeypatch):
    """APScheduler 3 lets an error from updating a job escape before it sets its next timer,
    so it would never wake again; ours logs it and tries again shortly."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    def store_fails(_self):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(AsyncIOScheduler, "_process_jobs", store_fails)
    scheduler = jobs.create_scheduler(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    assert scheduler._process_jobs() == scheduler.jobstore_retry_interval


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
