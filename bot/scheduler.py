"""Recurring sweeps on APScheduler 3.11; what is due, and when each sweep last ran, live in the
database (storage/sweeps.py), so every process sees the same and a restart changes nothing.

APScheduler only ticks: each sweep's job wakes at a fixed interval (at most a minute) in a
memory job store (APScheduler 3's job store is not for sharing between processes), asks the
database whether the sweep is due, and claims the run there (compare-and-set on its row) before
running it. So a restart never pushes a sweep back, a sweep due while the bot was down runs
once on start, and two processes ticking at the same moment cannot both run it for one period.
Only the elected background worker runs the scheduler (bot/leadership.py); the period marks
(`sweeps.mark_once`) keep the digest and the promise reminders once per period even so.

Job functions are referenced as text ("bot.scheduler:sweep_checkins"), take only plain values,
and find the running application's pieces in `_context`, set once by `start_scheduler`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.util import ref_to_obj
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.delivery.engine import DeliveryEngine
from bot.services import delivery as delivery_rules
from bot.services import privacy
from storage import sweeps, updates
from storage.outage import is_storage_outage
from storage.types import utcnow

log = logging.getLogger(__name__)

# The longest a due sweep waits for its tick.
TICK_SECONDS = 60


@dataclass(frozen=True)
class Sweep:
    job_id: str
    func: str
    every_seconds: int

    @property
    def every(self) -> timedelta:
        return timedelta(seconds=self.every_seconds)

    @property
    def tick_seconds(self) -> int:
        return min(self.every_seconds, TICK_SECONDS)


# What the scheduler runs.
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
_BY_ID = {sweep.job_id: sweep for sweep in SWEEPS}
# Telegram keeps an unconfirmed update for 24 hours; a handled id older than this cannot return.
HANDLED_UPDATES_KEPT = timedelta(days=2)


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


def create_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": TICK_SECONDS},
    )


def start_scheduler(
    *,
    sessions: async_sessionmaker[AsyncSession],
    delivery: DeliveryEngine | None,
    clock: Callable[[], datetime] = utcnow,
    scheduler: AsyncIOScheduler | None = None,
) -> AsyncIOScheduler:
    """Build (unless given), register one ticking job per sweep under its fixed id, and start;
    every sweep's first tick is now, so what fell due while the bot was down runs at once.
    Call it from inside the running event loop."""
    scheduler = scheduler or create_scheduler()
    set_context(JobContext(sessions=sessions, delivery=delivery, clock=clock))
    for sweep in SWEEPS:
        scheduler.add_job(
            "bot.scheduler:run_sweep",
            "interval",
            seconds=sweep.tick_seconds,
            args=[sweep.job_id],
            id=sweep.job_id,
            name=sweep.job_id,
            next_run_time=utcnow(),
            replace_existing=True,
        )
    scheduler.start()
    log.info("scheduler started with %d sweeps", len(SWEEPS))
    return scheduler


def stop_scheduler(scheduler: AsyncIOScheduler) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=False)
    set_context(None)


async def run_sweep(job_id: str) -> bool | None:
    """One tick: run the sweep if the database says it is due and nobody else started it.
    True: it ran and succeeded; False: it ran and failed (tried again within a minute);
    None: not due, or another process has it."""
    context = _require_context()
    sweep = _BY_ID[job_id]
    now = context.clock()
    try:
        async with context.sessions() as session:
            claimed = await sweeps.claim_run(session, job_id, sweep.every, now)
            await session.commit()
    except Exception as error:
        _log_failure(job_id, error)
        return False
    if not claimed:
        return None
    started = time.monotonic()
    ok = False
    try:
        await ref_to_obj(sweep.func)()
        ok = True
    except Exception as error:
        _log_failure(job_id, error)
    seconds = time.monotonic() - started
    metrics.SWEEP_SECONDS.labels(sweep=job_id, outcome="ok" if ok else "failed").observe(seconds)
    try:
        async with context.sessions() as session:
            await sweeps.finish_run(
                session, job_id, now, context.clock(), duration_ms=int(seconds * 1000), ok=ok
            )
            await session.commit()
    except Exception as error:  # it is retried within a minute as an unfinished run
        _log_failure(job_id, error)
    return ok


def _log_failure(job_id: str, error: Exception) -> None:
    if is_storage_outage(error):  # expected while the database restarts: no traceback
        log.warning("%s waits: the database is out of reach", job_id)
    else:
        log.error("%s failed; trying again within a minute", job_id, exc_info=error)


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
