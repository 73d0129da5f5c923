"""When each recurring sweep last ran, and which periods' work is done.

Every process that may run sweeps reads the same rows, so what is due comes from data: a
restart never pushes a sweep back, a sweep due while the bot was down runs once on start, and
two processes looking at the same moment cannot both start one (compare-and-set on the row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SweepMark, SweepRun
from storage.upsert import insert_for

# A sweep that failed, or whose process died mid-run, is tried again this soon (or at its own
# interval, if shorter), not a whole interval later.
RETRY_AFTER_FAILURE = timedelta(seconds=60)


@dataclass(frozen=True)
class LastRun:
    name: str
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    ok: bool | None


def due_at(run: SweepRun | LastRun, every: timedelta) -> datetime | None:
    """When the sweep is next due; None means now (it never ran)."""
    started = run.last_started_at if isinstance(run, SweepRun) else run.started_at
    finished = run.last_finished_at if isinstance(run, SweepRun) else run.finished_at
    ok = run.last_ok if isinstance(run, SweepRun) else run.ok
    if started is None:
        return None
    completed = finished is not None and finished >= started and ok
    return started + (every if completed else min(every, RETRY_AFTER_FAILURE))


async def claim_run(session: AsyncSession, name: str, every: timedelta, now: datetime) -> bool:
    """Start this sweep's run at `now` if it is due and nobody started it meanwhile: True when
    this caller got it. The caller commits, runs the sweep, then calls finish_run."""
    dialect = session.get_bind().dialect.name
    await session.execute(
        insert_for(dialect, SweepRun.__table__)
        .values(name=name)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    run = (
        await session.execute(
            select(SweepRun).where(SweepRun.name == name).execution_options(populate_existing=True)
        )
    ).scalar_one()
    due = due_at(run, every)
    if due is not None and now < due:
        return False
    seen = run.last_started_at
    result = await session.execute(
        update(SweepRun)
        .where(SweepRun.name == name, SweepRun.last_started_at.is_not_distinct_from(seen))
        .values(last_started_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # 0: another process started it a moment ago


async def finish_run(
    session: AsyncSession,
    name: str,
    started_at: datetime,
    finished_at: datetime,
    *,
    duration_ms: int,
    ok: bool,
) -> None:
    """Record how the run that started at `started_at` ended (if no later run replaced it)."""
    await session.execute(
        update(SweepRun)
        .where(SweepRun.name == name, SweepRun.last_started_at == started_at)
        .values(last_finished_at=finished_at, last_ok=ok, last_duration_ms=duration_ms)
        .execution_options(synchronize_session=False)
    )


async def last_runs(session: AsyncSession) -> list[LastRun]:
    rows = (await session.execute(select(SweepRun).order_by(SweepRun.name))).scalars()
    return [
        LastRun(r.name, r.last_started_at, r.last_finished_at, r.last_duration_ms, r.last_ok)
        for r in rows
    ]


async def mark_once(session: AsyncSession, key: str, now: datetime) -> bool:
    """Mark one period's work (e.g. "digest:<project>:<week>") as done, in the caller's
    transaction: True if this caller marked it, False if it was already done. On PostgreSQL a
    second process marking the same key waits for the first to commit, then gets False."""
    dialect = session.get_bind().dialect.name
    result = await session.execute(
        insert_for(dialect, SweepMark.__table__)
        .values(key=key, made_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return result.rowcount == 1
