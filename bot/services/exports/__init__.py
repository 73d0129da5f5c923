"""Exports for coordinators: every response of a project in a file that opens cleanly, is safe to
open, shows people only as they agreed, and streams at any size.

Who may export: a coordinator of the project, and the command line (which has the database
anyway). Each export is audited. Words in the files (the "About" sheet) go through the
`translate` function the caller passes: gettext in the coordinator's language, or English.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.delivery import local_time_to_utc, zone
from bot.services.exports import parallel
from bot.services.exports.cells import csv_lines_from_sqlite, moment, small_columns
from bot.services.exports.kinds import KINDS, ExportKind, Value, __
from bot.services.exports.pseudonyms import People, load_secret
from bot.services.exports.writers import (
    CsvTable,
    Format,
    JsonLinesTable,
    XlsxBook,
    write_columns_csv,
)
from storage import audit, projects
from storage import exports as queries
from storage.models import Participant, Project, Role
from storage.types import utcnow

__all__ = [
    "KINDS",
    "ExportRequest",
    "ExportResult",
    "Format",
    "NotAllowed",
    "export",
    "load_secret",
    "may_export",
    "note_refusal",
    "projects_to_export",
]

# Telegram's bots may send files up to 50 MB; parts stay a little under it.
TELEGRAM_FILE_LIMIT = 49 * 1024 * 1024
ABOUT_SHEET = __("About")


class NotAllowed(PermissionError):
    pass


class UnknownProject(LookupError):
    pass


async def projects_to_export(session: AsyncSession, person: Participant | None) -> list[Project]:
    """Projects this person coordinates: only coordinators export (they report to funders)."""
    if person is None or person.id is None:
        return []
    found = []
    for membership in await projects.memberships_of(session, person.id):
        if membership.role == Role.COORDINATOR:
            project = await projects.get_project(session, membership.project_id)
            if project is not None:
                found.append(project)
    return found


async def may_export(session: AsyncSession, person: Participant | None, project_id: int) -> bool:
    if person is None or person.id is None:
        return False
    return await projects.role_in(session, project_id, person.id) == Role.COORDINATOR


async def note_refusal(
    session: AsyncSession, person: Participant | None, project_id: int | None
) -> None:
    """A refused export goes in the audit log: who tried, and where."""
    await audit.record(
        session, "export.denied", actor_id=person.id if person else None, project_id=project_id
    )


@dataclass(frozen=True)
class ExportRequest:
    project_id: int
    kinds: tuple[str, ...] = tuple(KINDS)
    format: Format = Format.XLSX
    since: date | None = None  # the first day, in the project's zone
    until: date | None = None  # the last day (included), in the project's zone
    with_names: bool = False

    def __post_init__(self) -> None:
        unknown = [kind for kind in self.kinds if kind not in KINDS]
        if unknown or not self.kinds:
            raise ValueError(f"unknown kinds: {unknown}")
        if self.since and self.until and self.until < self.since:
            raise ValueError("the last day comes before the first")

    def detail(self) -> str:
        """For the audit log: what was exported, never anything about a person."""
        days = f"{self.since or '-'}..{self.until or '-'}"
        names = " names" if self.with_names else ""
        return f"{self.format} {','.join(self.kinds)} {days}{names}"[:255]


@dataclass
class ExportResult:
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def window_of(request: ExportRequest, project: Project) -> queries.Window:
    """The request's days, in the project's zone, as UTC moments."""
    tz = zone(project.timezone, "Europe/London")
    since = local_time_to_utc(request.since, 0, tz) if request.since else None
    until = local_time_to_utc(request.until + timedelta(days=1), 0, tz) if request.until else None
    return queries.Window(project.id, since, until)


Translate = Callable[[str], str]


def _english(message: str) -> str:
    return message


def about_rows(
    request: ExportRequest,
    project: Project,
    made_at: datetime,
    kinds: Sequence[ExportKind],
    _: Translate = _english,
) -> list[list[str]]:
    tz = zone(project.timezone, "Europe/London")
    everything = _("everything")
    rows = [
        [_("Project"), project.name, ""],
        [_("Made at"), moment(made_at, tz), ""],
        [_("From"), request.since.isoformat() if request.since else everything, ""],
        [_("To"), request.until.isoformat() if request.until else everything, ""],
        [_("Times"), _("ISO 8601 in the project's time zone, {zone}.").format(zone=tz.key), ""],
        [
            _("People"),
            _("Each person has a code, the same in every export. Anonymous answers have none."),
            "",
        ],
        [
            _("Privacy"),
            _("Words appear only from people who agreed to be quoted. Keep this file safe."),
            "",
        ],
        [],
        [_("Sheet"), _("Column"), _("What it holds")],
    ]
    for kind in kinds:
        rows.extend([kind.name, column.name, _(column.explanation)] for column in kind.columns)
    return rows


Progress = Callable[[str, int, int], None]  # kind, rows done, rows in all


async def export(
    session: AsyncSession,
    request: ExportRequest,
    directory: Path,
    *,
    secret: bytes,
    actor: Participant | None = None,
    max_bytes: int | None = None,
    progress: Progress | None = None,
    translate: Translate = _english,
    fast: bool = True,
    workers: int = 1,
    parallel_from: int = parallel.PARALLEL_ROWS,
) -> ExportResult:
    """Write the request's files into `directory` and audit it. The actor (None: the command
    line) must coordinate the project. Rows are streamed: memory does not grow with them.
    `fast`: CSV on SQLite reads the driver's own values and writes lines directly (False: the
    general path every database takes; the tests compare the two). `workers`: a fast CSV of
    at least `parallel_from` rows, in one file (no `max_bytes`), is written by this many
    processes at once (exports.parallel); only when nothing the session wrote is uncommitted,
    as other processes read the database file."""
    if actor is not None and not await may_export(session, actor, request.project_id):
        await note_refusal(session, actor, request.project_id)
        raise NotAllowed(request.project_id)
    project = await projects.get_project(session, request.project_id)
    if project is None:
        raise UnknownProject(request.project_id)
    made_at = utcnow()
    tz: ZoneInfo = zone(project.timezone, "Europe/London")
    window = window_of(request, project)
    names = await queries.names_to_show(session) if request.with_names else None
    people = People(secret, names)
    kinds = [KINDS[name] for name in request.kinds]
    raw_csv = fast and request.format == Format.CSV and queries.reads_raw(session)
    in_parallel = (
        raw_csv
        and workers > 1
        and max_bytes is None
        and parallel.can_fork()
        and queries.database_file(session) is not None
    )
    result = ExportResult()
    stem = f"{_safe_stem(project.name)}-{made_at.astimezone(tz):%Y-%m-%d}"
    directory.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - local, instant

    book = None
    if request.format == Format.XLSX:
        book = XlsxBook(directory / f"{stem}.xlsx", tz)
        book.about(about_rows(request, project, made_at, kinds, translate), translate(ABOUT_SHEET))
    for kind in kinds:
        statement = kind.query(window)
        total = await queries.count(session, statement) if progress else 0
        ranges = []
        if in_parallel:
            lowest, highest = await queries.id_span(session, statement)
            if lowest is not None and highest - lowest + 1 >= max(parallel_from, 1):
                ranges = parallel.id_ranges(lowest, highest, workers)
        if book is not None:
            table = book.table(kind.name, kind.header)
        elif request.format == Format.CSV:
            table = CsvTable(directory / f"{stem}-{kind.name}.csv", kind.header, tz, max_bytes)
        else:
            path = directory / f"{stem}-{kind.name}.jsonl"
            table = JsonLinesTable(path, kind.header, tz, max_bytes)
        done = 0
        if raw_csv:
            lines = csv_lines_from_sqlite(kind.values, tz, people, queries.never_null(statement))
            if small := small_columns(kind.values):
                statement = queries.packed(statement, small)
            collecting = gc.isenabled()
            gc.disable()  # a million short-lived row tuples, none in a cycle: no need to look
            try:
                if ranges:
                    done = await parallel.write_ranges(
                        session,
                        statement,
                        ranges,
                        lines,
                        table.write_lines,
                        table.append_lines,
                        directory / f"{stem}-{kind.name}.csv",
                        _rows_done(progress, kind.name, total) if progress else None,
                    )
                else:
                    async for batch in queries.stream_raw(session, statement):
                        table.write_lines(lines(batch))
                        done += len(batch)
                        if progress:
                            progress(kind.name, done, total)
            finally:
                if collecting:
                    gc.enable()
        else:
            to_cells = _cells(kind, people)
            async for batch in queries.stream(session, statement):
                table.write(map(to_cells, batch))
                done += len(batch)
                if progress:
                    progress(kind.name, done, total)
        result.files.extend(table.close())
        result.rows[kind.name] = done
    if book is not None:
        result.files.extend(book.close())
    else:
        result.files.append(
            write_columns_csv(
                directory / f"{stem}-columns.csv",
                about_rows(request, project, made_at, kinds, translate),
            )
        )
    await audit.record(
        session,
        "export.made",
        actor_id=actor.id if actor else None,
        project_id=project.id,
        detail=request.detail(),
    )
    return result


def _rows_done(progress: Progress, kind: str, total: int) -> Callable[[int], None]:
    return lambda done: progress(kind, done, total)


def _cells(kind: ExportKind, people: People) -> Callable[[Sequence], list]:
    """A row's cells for the writers: each person id becomes how they may be shown, and
    "shared" says whether free text was."""
    persons = [i for i, value in enumerate(kind.values) if value == Value.PERSON]
    shared = [i for i, value in enumerate(kind.values) if value == Value.SHARED]
    words = {True: queries.SHARED, False: queries.NOT_SHARED, None: None}

    def cells(row: Sequence) -> list:
        cells = list(row)
        for i in persons:
            cells[i] = people[cells[i]]
        for i in shared:
            cells[i] = words[cells[i]]
        return cells

    return cells


def _safe_stem(name: str) -> str:
    """A file name from a project's name: letters and digits of any script, dashes for the rest."""
    stem = "".join(ch if ch.isalnum() else "-" for ch in name).strip("-")
    return "-".join(part for part in stem.split("-") if part)[:40] or "project"
