"""Recurring check-ins as facilitators set them in the bot: only staff of the project may add or
stop one, and each change is audited. When they run is decided in bot/services/delivery.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import delivery, people
from storage import audit, outbox, projects
from storage.models import CheckinSchedule, Participant

EVERY_WEEKS_CHOICES = (1, 2, 4)
TIME_CHOICES = (10 * 60, 14 * 60, 18 * 60)


class NotAllowed(PermissionError):
    pass


async def _check_staff(session: AsyncSession, actor: Participant, project_id: int) -> None:
    if not await people.is_staff_in(session, actor, project_id):
        raise NotAllowed(project_id)


async def schedules(
    session: AsyncSession, actor: Participant, project_id: int
) -> list[CheckinSchedule]:
    await _check_staff(session, actor, project_id)
    return await outbox.checkin_schedules(session, project_id)


async def add(
    session: AsyncSession,
    actor: Participant,
    *,
    project_id: int,
    start: str,
    every_weeks: int,
    weekday: int,
    minute_of_day: int,
    now: datetime,
) -> Added:
    """Start a check-in every `every_weeks` weeks on `weekday` at a time in the project's zone.
    One of the same kind already running is stopped in the same transaction: two would send
    everyone each check-in twice. `replaced` on the result says whether one was."""
    await _check_staff(session, actor, project_id)
    if every_weeks not in EVERY_WEEKS_CHOICES:
        raise ValueError("every 1, 2 or 4 weeks")
    earlier = await same_kind(session, project_id, start)
    for schedule in earlier:
        await outbox.stop_checkin_schedule(session, project_id, schedule.id)
        await audit.record(
            session, "checkin.replaced", actor_id=actor.id, project_id=project_id, detail=start
        )
    project = await projects.get_project(session, project_id)
    schedule = await delivery.add_checkin_schedule(
        session,
        project_id=project_id,
        timezone=project.timezone,
        start=start,
        every_weeks=every_weeks,
        weekday=weekday,
        minute_of_day=minute_of_day,
        first_on=now.astimezone(ZoneInfo(project.timezone)).date(),
        now=now,
    )
    await audit.record(
        session, "checkin.added", actor_id=actor.id, project_id=project_id, detail=start
    )
    return Added(schedule, replaced=bool(earlier))


@dataclass(frozen=True)
class Added:
    schedule: CheckinSchedule
    replaced: bool


async def stop(
    session: AsyncSession, actor: Participant, project_id: int, schedule_id: int
) -> bool:
    await _check_staff(session, actor, project_id)
    stopped = await outbox.stop_checkin_schedule(session, project_id, schedule_id)
    if stopped:
        await audit.record(session, "checkin.stopped", actor_id=actor.id, project_id=project_id)
    return stopped


# -- from the command line (a coordinator setting a team up; no actor in the bot) ------------------


async def running(session: AsyncSession, project_id: int) -> list[CheckinSchedule]:
    return await outbox.checkin_schedules(session, project_id)


async def same_kind(session: AsyncSession, project_id: int, start: str) -> list[CheckinSchedule]:
    """The project's running check-ins that start the same thing: a second one of a kind
    would send everyone each check-in twice."""
    return [s for s in await outbox.checkin_schedules(session, project_id) if s.start == start]


async def stop_by_id(
    session: AsyncSession, schedule_id: int, *, actor: Participant | None
) -> CheckinSchedule | None:
    """Stop a running check-in by its id (audited); None if there is no such running one."""
    schedule = await session.get(CheckinSchedule, schedule_id)
    if schedule is None or not schedule.active:
        return None
    if not await outbox.stop_checkin_schedule(session, schedule.project_id, schedule_id):
        return None
    await audit.record(
        session,
        "checkin.stopped",
        actor_id=actor.id if actor else None,
        project_id=schedule.project_id,
        detail=f"schedule={schedule_id}",
    )
    return schedule
