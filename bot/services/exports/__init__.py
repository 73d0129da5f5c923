"""Exports for coordinators: every response of a project in a file that opens cleanly, is safe to
open, shows people only as they agreed, and streams at any size.

Who may export: a coordinator of the project, and the command line (which has the database
anyway). Each export is audited. Words in the files (the "About" sheet) go through the
`translate` function the caller passes: gettext in the coordinator's language, or English.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.delivery import local_time_to_utc, zone
from bot.services.exports import parallel
from bot.services.exports.cells import line_maker, moment, small_columns
from bot.services.exports.kinds import KINDS, ExportKind, Value, __
from bot.services.exports.pseudonyms import People, load_secret
from bot.services.exports.writers import (
    CsvTable,
    Format,
    JsonLinesTable,
    XlsxBook,
    XlsxTable,
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
    "Reading",
    "export",
    "load_secret",
    "may_export",
    "note_refusal",
    "projects_to_export",
    "reading_statement",
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


class Reading(StrEnum):
    """How an export reads its rows. The files are the same byte for byte whichever way."""

    # SQLite's own values through the session's driver (aiosqlite), where it is SQLite; else
    # PORTABLE. Big tables may be read by several processes at once (exports.parallel).
    BEST = "best"
    # Any database: the same query with times and days as text and booleans folded into one
    # number, read through SQLAlchemy, each row written by one %-format (cells.line_maker).
    PORTABLE = "portable"
    # Typed values through SQLAlchemy's types, written cell by cell: the plainest statement of
    # what each cell holds, which the tests compare the other ways with.
    TYPED = "typed"


def reading_statement(
    kind: ExportKind, window: queries.Window, dialect: str, raw: bool = False
) -> Select:
    """The statement a line-writing export runs for a kind: the kind's query (its columns, its
    consent rules, its filters) with the small columns folded into one number and, unless
    SQLite's own values are read (`raw`), times and days as text."""
    statement = kind.query(window)
    values = kind.values
    if not raw:
        moments = [i for i, value in enumerate(values) if value == Value.MOMENT]
        days = [i for i, value in enumerate(values) if value == Value.DAY]
        statement = queries.as_text(statement, moments, days, dialect)
    if small := small_columns(values):
        statement = queries.packed(statement, small, dialect)
    return statement


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
    reading: Reading = Reading.BEST,
    workers: int = 1,
    parallel_from: int = parallel.PARALLEL_ROWS,
) -> ExportResult:
    """Write the request's files into `directory` and audit it. The actor (None: the command
    line) must coordinate the project. Rows are streamed: memory does not grow with them.
    `reading`: how rows are read (Reading). `workers`: on SQLite, a table of at least
    `parallel_from` rows, in one file (no `max_bytes`), is written by this many processes at
    once (exports.parallel); only when nothing the session wrote is uncommitted, as other
    processes read the database file."""
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
    raw = reading == Reading.BEST and queries.reads_raw(session)
    in_parallel = (
        raw
        and workers > 1
        and max_bytes is None
        and parallel.can_fork()
        and queries.database_file(session) is not None
    )
    dialect = session.get_bind().dialect.name
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
        if book is not None:
            table = book.table(kind.name, kind.header)
        elif request.format == Format.CSV:
            table = CsvTable(directory / f"{stem}-{kind.name}.csv", kind.header, tz, max_bytes)
        else:
            path = directory / f"{stem}-{kind.name}.jsonl"
            table = JsonLinesTable(path, kind.header, tz, max_bytes)
        rows_done = _rows_done(progress, kind.name, total) if progress else None
        if reading == Reading.TYPED:
            done = 0
            to_cells = _cells(kind, people)
            async for batch in queries.stream(session, statement):
                table.write(map(to_cells, batch))
                done += len(batch)
                if rows_done:
                    rows_done(done)
        else:
            ranges = []
            if in_parallel:
                lowest, highest = await queries.id_span(session, statement)
                if lowest is not None and highest - lowest + 1 >= max(parallel_from, 1):
                    ranges = parallel.id_ranges(lowest, highest, workers)
            lines = line_maker(
                str(request.format),
                kind.values,
                tz,
                people,
                queries.never_null(statement),
                bytes if raw else str,
                kind.header,
            )
            plain = reading_statement(kind, window, dialect, raw)
            scratch = directory / f"{stem}-{kind.name}.{request.format}"
            done = await _write_lines(session, plain, lines, table, raw, ranges, scratch, rows_done)
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


_ENDINGS = {CsvTable: b"\r\n", JsonLinesTable: b"\n", XlsxTable: b"\n"}


async def _write_lines(
    session: AsyncSession,
    statement: Select,
    lines: Callable,
    table: CsvTable | JsonLinesTable | XlsxTable,
    raw: bool,
    ranges: list[tuple[int, int]],
    scratch: Path,
    rows_done: Callable[[int], None] | None,
) -> int:
    """A kind's rows as lines into its table: SQLite's own values (`raw`), in id ranges by
        several processes when there are `ranges` (their parts beside `scratch`), or any database's
    plain rows. How many rows were written."""
    collecting = gc.isenabled()
    gc.disable()  # a million short-lived row tuples, none in a cycle: no need to look
    try:
        if ranges:
            return await parallel.write_ranges(
                session,
                statement,
                ranges,
                lines,
                table.write_lines,
                table.append_lines,
                scratch,
                rows_done,
                _ENDINGS[type(table)],
            )
        done = 0
        batches = (
            queries.stream_raw(session, statement)
            if raw
            else queries.stream_plain(session, statement)
        )
        async for batch in _ahead(batches):
            table.write_lines(lines(batch))
            done += len(batch)
            if rows_done:
                rows_done(done)
        return done
    finally:
        if collecting:
            gc.enable()


async def _ahead(batches: AsyncIterator[list]) -> AsyncIterator[list]:
    """The same batches, the next one asked for before this one is handed over: the database
    (SQLite in its driver's thread, a server over its socket) reads it while this process
    writes lines, on the other core."""
    upcoming = asyncio.ensure_future(anext(batches, None))
    try:
        while (batch := await upcoming) is not None:
            upcoming = asyncio.ensure_future(anext(batches, None))
            for _ in range(8):  # let the request go out: a few steps of the driver's own
                await asyncio.sleep(0)
            yield batch
    finally:
        if not upcoming.done():
            upcoming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await upcoming
        await batches.aclose()


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
