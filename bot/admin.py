"""Command-line administration: projects and invites, for coordinators setting a team up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import SUPPORTED_LOCALES, ConfigError, Settings
from bot.services import invites, team_texts
from storage import audit, projects
from storage.db import create_engine, create_session_factory, upgrade
from storage.models import Role


async def _sessions(settings: Settings):
    engine = create_engine(settings.resolved_database_url)
    await upgrade(engine)
    return engine, create_session_factory(engine)


def _language_prefix(value: str, separator: str) -> tuple[str | None, str]:
    """ "cy=rules.cy.txt" -> ("cy", "rules.cy.txt"); with no known language first, (None, value)."""
    head, found, rest = value.partition(separator)
    if found and head.strip() in SUPPORTED_LOCALES:
        return head.strip(), rest.strip()
    return None, value


def read_rules_files(values: list[str]) -> dict[str | None, str]:
    """--rules-file FILE (the original) and --rules-file cy=FILE (a version): {lang: rules},
    the original under None. A file that cannot be read stops the command with its name."""
    rules: dict[str | None, str] = {}
    for value in values:
        locale, path = _language_prefix(value, "=")
        if locale in rules:
            raise ConfigError(f"--rules-file given twice for {locale or 'the original'}")
        try:
            rules[locale] = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(
                f"cannot read the rules file {path}: {error.strerror or error}"
            ) from None
    return rules


def topics_by_language(values: list[str]) -> list[tuple[str, dict[str, str]]]:
    """--topic "Waiting times" --topic "cy:Amseroedd aros": each topic with its versions. A
    version follows the topic it translates."""
    found: list[tuple[str, dict[str, str]]] = []
    for value in values:
        locale, words = _language_prefix(value, ":")
        words = words.strip()
        if not words:
            continue
        if locale is None:
            found.append((words, {}))
        elif not found:
            raise ConfigError(f'--topic "{value}" is a version: put it after its topic')
        else:
            found[-1][1][locale] = words
    return found


async def create_project(
    settings: Settings,
    *,
    name: str,
    description: str,
    timezone: str | None,
    locale: str | None,
    rules: str | dict[str | None, str],
    topics: list[str],
) -> str:
    rules_by_language = rules if isinstance(rules, dict) else {None: rules}
    topic_versions = topics_by_language(topics)
    original = locale or settings.default_locale
    engine, sessions = await _sessions(settings)
    try:
        async with sessions() as session:
            project = await projects.create_project(
                session,
                name,
                description=description,
                timezone=timezone or settings.timezone,
                default_locale=original,
            )
            project.ground_rules = "\n".join(team_texts.rule_lines(rules_by_language.get(None, "")))
            project.feedback_topics = "\n".join(topic for topic, _versions in topic_versions)
            session.add(project)
            for code, text in rules_by_language.items():
                if code is not None:
                    await team_texts.set_rules(session, project, code, text)
            for topic, versions in topic_versions:
                for code, words in versions.items():
                    if code != original:
                        await team_texts.set_topic(session, project, code, topic, words)
            await session.commit()
            written = {code for code in rules_by_language if code} | {
                code for _topic, versions in topic_versions for code in versions
            }
            languages = sorted(written - {original})
            also = f" (also in {', '.join(languages)})" if languages else ""
            return f"project {project.id}: {project.name}{also}"
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
    expires_in = timedelta(days=expires_days) if expires_days is not None else None
    problem = invites.limits_problem(expires_in=expires_in, max_uses=max_uses)
    if problem:
        raise ConfigError(problem)
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
                expires_in=expires_in,
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


def _describe(schedule, project) -> str:
    """One line a coordinator can read: which check-in, when, and its id to stop it."""
    minutes = schedule.minute_of_day
    local = schedule.next_run_at.astimezone(ZoneInfo(project.timezone))
    return (
        f"{schedule.id}\t{schedule.start} check-in every {schedule.every_weeks} week(s) on "
        f"{WEEKDAYS[schedule.weekday]} at {minutes // 60:02d}:{minutes % 60:02d} "
        f"({project.timezone}); next on {local:%Y-%m-%d %H:%M}"
    )


async def list_checkins(settings: Settings, *, project_id: int) -> str:
    """A project's running check-ins, one a line, with the id `--stop` takes."""
    from bot.services import checkins

    engine, sessions = await _sessions(settings)
    try:
        async with sessions() as session:
            project = await projects.get_project(session, project_id)
            if project is None:
                raise ConfigError(f"there is no project {project_id}: see coproduce project list")
            found = await checkins.running(session, project_id)
            lines = [_describe(schedule, project) for schedule in found]
    finally:
        await engine.dispose()
    return "\n".join(lines) or f"no check-ins for {project.name}"


async def stop_checkin(settings: Settings, *, schedule_id: int) -> str:
    from bot.services import checkins

    engine, sessions = await _sessions(settings)
    try:
        async with sessions() as session:
            stopped = await checkins.stop_by_id(session, schedule_id, actor=None)
            if stopped is None:
                raise ConfigError(
                    f"there is no running check-in {schedule_id}: see coproduce checkin "
                    "--project ID --list"
                )
            project = await projects.get_project(session, stopped.project_id)
            await session.commit()
    finally:
        await engine.dispose()
    return f"check-in {schedule_id} stopped: {project.name} gets no more {stopped.start} check-ins"


async def add_checkin(
    settings: Settings,
    *,
    project_id: int,
    every_weeks: int,
    weekday: str,
    at: str,
    start: str,
    replace: bool = False,
) -> str:
    """A project's recurring check-in, e.g. every second Tuesday at 18:00 in its time zone.
    One of each kind a project: a second would send everyone each check-in twice, so it is
    refused, or (with `replace`) takes the place of the one running."""
    from bot.services import checkins, delivery
    from storage.types import utcnow

    try:
        hours, minutes = (int(part) for part in at.split(":"))
        minute_of_day = hours * 60 + minutes
    except ValueError:
        raise ConfigError("--at takes a time like 18:00") from None
    if weekday not in WEEKDAYS or every_weeks < 1 or not 0 <= minute_of_day < 24 * 60:
        raise ConfigError("give --weekday mon..sun, --every-weeks 1 or more and --at 00:00-23:59")
    replaced: list[str] = []
    engine, sessions = await _sessions(settings)
    try:
        async with sessions() as session:
            project = await projects.get_project(session, project_id)
            if project is None:
                raise ConfigError(f"there is no project {project_id}: see coproduce project list")
            same = await checkins.same_kind(session, project.id, start)
            if same and not replace:
                ids = ", ".join(str(schedule.id) for schedule in same)
                raise ConfigError(
                    f"{project.name} already has a {start} check-in (id {ids}); a second one "
                    "would send everyone each check-in twice. Add --replace to put this one in "
                    f"its place, or stop it first: coproduce checkin --stop {same[0].id}"
                )
            for schedule in same:
                replaced.append(_describe(schedule, project))
                await checkins.stop_by_id(session, schedule.id, actor=None)
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
            await audit.record(
                session,
                "checkin.added",
                actor_id=None,
                project_id=project.id,
                detail=f"{start} (command line)",
            )
            await session.commit()
            first = schedule.next_run_at.astimezone(ZoneInfo(project.timezone))
            schedule_id = schedule.id
    finally:
        await engine.dispose()
    done = (
        f"{start} check-in {schedule_id} for {project.name} every {every_weeks} week(s) on "
        f"{weekday} at {at} ({project.timezone}); first on {first:%Y-%m-%d %H:%M}"
    )
    if replaced:
        done = "replaced (stopped):\n" + "\n".join(replaced) + "\n" + done
    return done
