"""Recurring sweeps on APScheduler 3.11: what is due lives in the database, the jobs look for it.

Jobs have fixed ids, are replaced (never added again) on every start, run in UTC, and are stored
persistently (APScheduler's SQLAlchemyJobStore, a synchronous driver): in the application's
PostgreSQL database, or, on SQLite, in a file of its own beside the application's. The job store
writes synchronously inside the event loop; on SQLite's single write lock it would stall the loop
behind an update that holds the lock and needs the loop to finish: so the two never share a file.
A job store that cannot be reached is an error at start, never a silent fallback
to memory. Job functions are referenced as text ("bot.scheduler:sweep_checkins"), take only plain
values, and find the running application's pieces in `_context`, set once by `start_scheduler`.

Because each sweep asks the database what is due *now*, work that fell due while the bot was
down runs once after restart (coalesce=True: one run, not one per missed interval).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import ConfigError
from bot.delivery.engine import DeliveryEngine
from bot.services import delivery as delivery_rules
from bot.services import privacy
from storage import updates
from storage.types import utcnow

log = logging.getLogger(__name__)

_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


@dataclass(frozen=True)
class Sweep:
    job_id: str
    func: str
    every_seconds: int


# What the scheduler runs. Reminders and deadlines join here when meetings exist.
SWEEPS = (
    Sweep("outbox-sweep", "bot.scheduler:sweep_outbox", 30),
    Sweep("checkins-sweep", "bot.scheduler:sweep_checkins", 60),
    Sweep("unjoined-sweep", "bot.scheduler:sweep_people_who_never_joined", 6 * 3600),
    Sweep("handled-updates-sweep", "bot.scheduler:sweep_handled_updates", 3600),
    Sweep("promises-sweep", "bot.scheduler:sweep_overdue_promises", 3600),
    Sweep("meetings-sweep", "bot.scheduler:sweep_meetings", 60),
    Sweep("thank-you-sweep", "bot.scheduler:sweep_thank_yous", 6 * 3600),
    Sweep("digest-sweep", "bot.scheduler:sweep_weekly_digests", 15 * 60),
    Sweep("erasure-cleanup-sweep", "bot.scheduler:sweep_erasure_cleanup", 10 * 60),
)
# Telegram keeps an unconfirmed update for 24 hours; a handled id older than this cannot return.
HANDLED_UPDATES_KEPT = timedelta(days=2)
MISFIRE_GRACE_SECONDS = 6 * 3600


@dataclass(frozen=True)
class JobContext:
    sessions: async_sessionmaker[AsyncSession]
    delivery: DeliveryEngine | None
    clock: Callable[[], datetime] = utcnow


_context: JobContext | None = None


def set_context(context: JobContext | None) -> None:
    global _context
    _context = context


def _require_context() -> JobContext:
    if _context is None:
        raise RuntimeError("the scheduler's jobs run only after start_scheduler()")
    return _context


def jobstore_url(database_url: str) -> str:
    """The synchronous URL of APScheduler's job store for the application's database."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend not in _SYNC_DRIVERS:
        raise ConfigError(f"the scheduler cannot store its jobs in a {backend} database")
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise ConfigError("the scheduler needs a database file, not an in-memory SQLite")
        database = PurePosixPath(url.database)
        url = url.set(database=str(database.with_name(f"{database.stem}-scheduler.db")))
    return url.set(drivername=_SYNC_DRIVERS[backend]).render_as_string(hide_password=False)


class ResilientScheduler(AsyncIOScheduler):
    """APScheduler 3 stops waking up for good if its job store fails once while it processes
    jobs (the error escapes before the next timer is set). Here a failure is logged and the
    scheduler tries again after `jobstore_retry_interval`."""

    def _process_jobs(self):
        try:
            return super()._process_jobs()
        except Exception:
            log.exception("scheduler could not process its jobs; retrying")
            return self.jobstore_retry_interval


def create_scheduler(database_url: str) -> AsyncIOScheduler:
    url = jobstore_url(database_url)
    options: dict = {"pool_pre_ping": True, "hide_parameters": True}
    if url.startswith("sqlite"):
        # Its own file: nobody else writes there, so it never needs to wait long.
        options = {"connect_args": {"timeout": 2}, "hide_parameters": True}
    store = SQLAlchemyJobStore(url=url, engine_options=options)
    return ResilientScheduler(
        jobstores={"default": store},
        timezone="UTC",
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )


def _check_store(scheduler: AsyncIOScheduler) -> None:
    store = scheduler._jobstores.get("default")  # built by create_scheduler
    if not isinstance(store, SQLAlchemyJobStore):
        raise ConfigError("the scheduler's job store is not the database")
    try:
        with store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        raise ConfigError(
            f"the scheduler cannot reach its job store ({type(error).__name__})"
        ) from error


def start_scheduler(
    database_url: str,
    *,
    sessions: async_sessionmaker[AsyncSession],
    delivery: DeliveryEngine | None,
    clock: Callable[[], datetime] = utcnow,
    scheduler: AsyncIOScheduler | None = None,
) -> AsyncIOScheduler:
    """Build (unless given), register the jobs under their fixed ids, and start. Call it from
    inside the running event loop."""
    scheduler = scheduler or create_scheduler(database_url)
    _check_store(scheduler)
    set_context(JobContext(sessions=sessions, delivery=delivery, clock=clock))
    scheduler.start()
    for sweep in SWEEPS:
        scheduler.add_job(
            sweep.func,
            "interval",
            seconds=sweep.every_seconds,
            id=sweep.job_id,
            name=sweep.job_id,
            replace_existing=True,
        )
    log.info("scheduler started with %d jobs", len(SWEEPS))
    return scheduler


def stop_scheduler(scheduler: AsyncIOScheduler) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=False)
    set_context(None)


# -- the jobs ----------------------------------------------------------------------------------


async def sweep_outbox() -> None:
    """Deliveries whose wait ended (quiet hours, a pause, a retry) are due: wake the engine.
    It also polls by itself; this keeps it honest if a wake-up was missed."""
    context = _require_context()
    if context.delivery is not None:
        context.delivery.wake()


async def sweep_checkins() -> int:
    """Queue the check-ins that are due and move each schedule on, in one transaction."""
    context = _require_context()
    async with context.sessions() as session:
        queued = await delivery_rules.run_due_checkins(session, context.clock())
        await session.commit()
    if queued:
        log.info("queued %d check-ins", len(queued))
        if context.delivery is not None:
            context.delivery.wake()
    return len(queued)


async def sweep_people_who_never_joined() -> int:
    """Forget people who wrote to us but never agreed to take part (data we need not keep)."""
    context = _require_context()
    async with context.sessions() as session:
        forgotten = await privacy.forget_people_who_never_joined(session, context.clock())
        await session.commit()
    if forgotten:
        log.info("forgot %d people who never agreed to take part", forgotten)
    return forgotten


async def sweep_handled_updates() -> int:
    """Drop handled update ids too old to be delivered again, so the table stays small."""
    context = _require_context()
    async with context.sessions() as session:
        removed = await updates.forget_older_than(session, HANDLED_UPDATES_KEPT)
        await session.commit()
    return removed


# -- meetings (issue 6): poll reminders, closing at the deadline, reminders before meetings -------


def _translate(context: JobContext):
    """gettext in a reader's language: the delivery engine's catalogs (none in bare tests)."""
    i18n = context.delivery.i18n if context.delivery is not None else None
    if i18n is None:
        return lambda msgid, _locale: msgid
    return lambda msgid, locale: i18n.gettext(msgid, locale=locale)


async def sweep_meetings() -> int:
    """Queue what fell due (each marked in the same transaction, so once): the one reminder to
    people who have not answered a poll, the closing of polls at their deadline, and the
    reminders 24 hours and 2 hours before a meeting. Returns the messages queued."""
    from bot.services import meetings

    context = _require_context()
    translate = _translate(context)
    now = context.clock()
    async with context.sessions() as session:
        queued = await meetings.queue_poll_reminders(session, now, translate)
        closed = await meetings.close_polls_past_deadline(session, now, translate)
        queued += await meetings.queue_meeting_reminders(session, now, translate)
        await session.commit()
    if queued or closed:
        log.info("meetings: queued %d messages, closed %d polls", queued, closed)
        if context.delivery is not None:
            context.delivery.wake()
    return queued


# -- "you said, we did" (issue 5): the promise tracker ---------------------------------------------


async def sweep_overdue_promises() -> int:
    """Remind staff of updates past their due date and not done: once per due date (marked on
    the update in the same transaction as the reminder is queued)."""
    from bot.services import we_did

    context = _require_context()
    i18n = context.delivery.i18n if context.delivery is not None else None
    translate = (
        (lambda msgid, locale: i18n.gettext(msgid, locale=locale))
        if i18n is not None
        else (lambda msgid, _locale: msgid)
    )
    async with context.sessions() as session:
        reminded = await we_did.remind_overdue(session, context.clock(), translate)
        await session.commit()
    if reminded:
        log.info("reminded staff of %d overdue promises", reminded)
        if context.delivery is not None:
            context.delivery.wake()
    return reminded


# -- reciprocity (issue 7): the periodic thank-you ------------------------------------------------


async def sweep_thank_yous() -> int:
    """A personal thank-you, at most once a month, to each participant who gave something new;
    queued and recorded in one transaction, so a restart neither loses nor doubles one."""
    from bot.i18n import create_i18n
    from bot.services import contributions
    from dialogs.contribution.words import thank_you
    from dialogs.offers.words import in_language

    context = _require_context()
    i18n = context.delivery.i18n if context.delivery is not None else create_i18n()
    async with context.sessions() as session:
        queued = await contributions.queue_thank_yous(
            session, context.clock(), in_language(i18n, thank_you)
        )
        await session.commit()
    if queued:
        log.info("queued %d thank-you messages", queued)
        if context.delivery is not None:
            context.delivery.wake()
    return queued


# -- exports and reports (issue 8): the weekly digest for staff -----------------------------------


async def sweep_weekly_digests() -> int:
    """Each project's weekly digest to its facilitators and coordinators (Monday 09:00 in its
    zone); what was queued is in the outbox, so a restart neither loses nor doubles one."""
    from bot.i18n import create_i18n
    from bot.services import reports

    context = _require_context()
    i18n = context.delivery.i18n if context.delivery is not None else create_i18n()
    async with context.sessions() as session:
        queued = await reports.queue_due_digests(
            session, context.clock(), lambda msgid, locale: i18n.gettext(msgid, locale=locale)
        )
        await session.commit()
    if queued:
        log.info("queued the weekly digest for %d projects", queued)
        if context.delivery is not None:
            context.delivery.wake()
    return queued


# -- privacy (issue 12): erasure leaves no bytes --------------------------------------------------


async def sweep_erasure_cleanup() -> bool:
    """After erasures, clean up the database's own old copies of the deleted rows (SQLite's
    write-ahead log; PostgreSQL's VACUUM and ANALYZE): see storage/erasure.py."""
    from storage import erasure

    context = _require_context()
    return await erasure.clean_up(context.sessions, context.clock())
