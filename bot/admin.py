"""Command-line administration: projects and invites, for coordinators setting a team up."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.config import ConfigError, Settings
from bot.services import invites
from storage import projects
from storage.db import create_engine, create_session_factory, upgrade
from storage.models import Role


async def _sessions(settings: Settings):
    engine = create_engine(settings.resolved_database_url)
    await upgrade(engine)
    return engine, create_session_factory(engine)


async def create_project(
    settings: Settings,
    *,
    name: str,
    description: str,
    timezone: str | None,
    locale: str | None,
    rules: str,
    topics: list[str],
) -> str:
    engine, sessions = await _sessions(settings)
    try:
        async with sessions() as session:
            project = await projects.create_project(
                session,
                name,
                description=description,
                timezone=timezone or settings.timezone,
                default_locale=locale or settings.default_locale,
            )
            project.ground_rules = rules.strip()
            project.feedback_topics = "\n".join(topic.strip() for topic in topics if topic.strip())
            await session.commit()
            return f"project {project.id}: {project.name}"
    finally:
        await engine.dispose()


async def list_projects(settings: Settings) -> str:
    engine, sessions = await _sessions(settings)
    try:
        async with sessions() as session:
            rows = await projects.all_projects(session)
        return "\n".join(f"{p.id}\t{p.name}\t{p.timezone}\t{p.default_locale}" for p in rows) or (
            "no projects yet: coproduce project create --name ..."
        )
    finally:
        await engine.dispose()


async def _bot_username(settings: Settings) -> str:
    from bot.app import create_bot

    bot = create_bot(settings.token(), settings.telegram_api_url)
    try:
        return (await bot.me()).username
    finally:
        await bot.session.close()


async def make_invite(
    settings: Settings,
    *,
    project_id: int,
    role: str,
    expires_days: int | None,
    max_uses: int | None,
    bot_username: str | None,
) -> tuple[str, str]:
    """Returns the text to print and the deep link (for the QR code)."""
    username = bot_username or await _bot_username(settings)
    engine, sessions = await _sessions(settings)
    try:
        async with sessions() as session:
            project = await projects.get_project(session, project_id)
            if project is None:
                raise ConfigError(f"there is no project {project_id}: see coproduce project list")
            invite = await invites.create_invite(
                session,
                project,
                Role(role),
                expires_in=timedelta(days=expires_days) if expires_days else None,
                max_uses=max_uses,
            )
            await session.commit()
    finally:
        await engine.dispose()
    link = invites.deep_link(username, invite.code)
    limits = []
    if invite.expires_at:
        limits.append(f"expires {invite.expires_at:%Y-%m-%d %H:%M} UTC")
    if invite.max_uses:
        limits.append(f"{invite.max_uses} uses")
    described = f"{role} invite for {project.name}"
    return f"{described}{' (' + ', '.join(limits) + ')' if limits else ''}:\n{link}", link


async def revoke_invite(settings: Settings, code: str) -> str:
    engine, sessions = await _sessions(settings)
    try:
        async with sessions() as session:
            found = await invites.revoke(session, code)
            await session.commit()
    finally:
        await engine.dispose()
    if not found:
        raise ConfigError("there is no invite with that code")
    return "invite revoked: the link no longer works"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


async def add_checkin(
    settings: Settings,
    *,
    project_id: int,
    every_weeks: int,
    weekday: str,
    at: str,
    start: str,
) -> str:
    """A project's recurring check-in, e.g. every second Tuesday at 18:00 in its time zone."""
    from bot.services import delivery
    from storage.types import utcnow

    try:
        hours, minutes = (int(part) for part in at.split(":"))
        minute_of_day = hours * 60 + minutes
    except ValueError:
        raise ConfigError("--at takes a time like 18:00") from None
    if weekday not in WEEKDAYS or every_weeks < 1 or not 0 <= minute_of_day < 24 * 60:
        raise ConfigError("give --weekday mon..sun, --every-weeks 1 or more and --at 00:00-23:59")
    engine, sessions = await _sessions(settings)
    try:
        async with sessions() as session:
            project = await projects.get_project(session, project_id)
            if project is None:
                raise ConfigError(f"there is no project {project_id}: see coproduce project list")
            now = utcnow()
            schedule = await delivery.add_checkin_schedule(
                session,
                project_id=project.id,
                timezone=project.timezone,
                start=start,
                every_weeks=every_weeks,
                weekday=WEEKDAYS.index(weekday),
                minute_of_day=minute_of_day,
                first_on=now.astimezone(ZoneInfo(project.timezone)).date(),
                now=now,
            )
            await session.commit()
            first = schedule.next_run_at.astimezone(ZoneInfo(project.timezone))
    finally:
        await engine.dispose()
    return (
        f"{start} check-in for {project.name} every {every_weeks} week(s) on {weekday} at {at} "
        f"({project.timezone}); first on {first:%Y-%m-%d %H:%M}"
    )
