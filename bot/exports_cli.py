"""`coproduce export` and `coproduce report`: a project's responses and weekly digest as files,
for coordinators reporting to boards and funders. English, like the rest of the command line."""

from __future__ import annotations

import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.config import ConfigError, Settings
from storage.db import create_engine, create_session_factory, upgrade


def _english(message: str, _locale: str = "en") -> str:
    return message


class ProgressBar:
    """A one-line bar on stderr, only when stderr is a terminal (never in a log or a pipe)."""

    def __init__(self, stream=None, every_seconds: float = 0.2) -> None:
        self.stream = stream or sys.stderr
        self.shown = self.stream.isatty()
        self.every = every_seconds
        self._last = 0.0

    def __call__(self, kind: str, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.shown or (now - self._last < self.every and done < total):
            return
        self._last = now
        share = done / total if total else 1.0
        filled = int(share * 30)
        bar = "#" * filled + "-" * (30 - filled)
        self.stream.write(f"\r{kind:<15} [{bar}] {share:4.0%} {done:,}/{total:,} ")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


async def export(
    settings: Settings,
    *,
    project_id: int,
    kinds: list[str],
    fmt: str,
    since: date | None,
    until: date | None,
    names: bool,
    out: Path | None,
) -> str:
    from bot.services import exports

    unknown = sorted(set(kinds) - set(exports.KINDS))
    if unknown:
        raise ConfigError(
            f"unknown --kind {', '.join(unknown)}; choose from {', '.join(exports.KINDS)}"
        )
    try:
        request = exports.ExportRequest(
            project_id,
            tuple(dict.fromkeys(kinds)) or tuple(exports.KINDS),
            exports.Format(fmt),
            since,
            until,
            names,
        )
    except ValueError as error:
        raise ConfigError(str(error)) from None
    directory = out or settings.data_dir / "exports"
    engine = create_engine(settings.resolved_database_url)
    await upgrade(engine)
    try:
        sessions = create_session_factory(engine)
        secret = await exports.load_secret(sessions, settings.data_dir)
        async with sessions() as session:
            try:
                result = await exports.export(
                    session,
                    request,
                    directory,
                    secret=secret,
                    progress=bar if (bar := ProgressBar()).shown else None,  # counting costs a pass
                    workers=exports.parallel.cores(),
                )
            except exports.UnknownProject:
                raise ConfigError(
                    f"there is no project {project_id}: see coproduce project list"
                ) from None
            await session.commit()  # the audit entry
    finally:
        await engine.dispose()
    counts = ", ".join(f"{kind} {rows:,}" for kind, rows in result.rows.items())
    files = "\n".join(f"  {path}" for path in result.files)
    return f"rows: {counts}\nfiles:\n{files}"


async def report(
    settings: Settings, *, project_id: int, until: date | None, out: Path | None
) -> str:
    from bot.services import reports
    from bot.services.delivery import local_time_to_utc, zone
    from storage import projects
    from storage.types import utcnow

    engine = create_engine(settings.resolved_database_url)
    await upgrade(engine)
    try:
        async with create_session_factory(engine)() as session:
            project = await projects.get_project(session, project_id)
            if project is None:
                raise ConfigError(f"there is no project {project_id}: see coproduce project list")
            tz = zone(project.timezone, settings.timezone)
            end: datetime = (
                local_time_to_utc(until + timedelta(days=1), 0, tz) if until else utcnow()
            )
            digest = await reports.build_digest(session, project, end)
    finally:
        await engine.dispose()
    directory = out or settings.data_dir / "reports" / f"project-{project_id}-{end:%Y-%m-%d}"
    directory.mkdir(parents=True, exist_ok=True)
    summary = directory / "digest.md"
    summary.write_text(reports.digest_markdown(digest, _english, "en", tz), encoding="utf-8")
    chart = directory / "rating-trend.png"
    chart.write_bytes(reports.rating_chart(digest))
    return f"weekly digest for {project.name}:\n  {summary}\n  {chart}"
