"""Streaming queries for exports: every row a coordinator may export, a batch at a time.

Each query selects exactly the file's columns, in order, and never a whole participant (a
Telegram id must not even be read). The consent rules that depend only on the row are decided
here, in SQL, once for every format and database: free text only from people who agreed to be
quoted (else NULL, and "not shared" beside it), and no person at all for an anonymous answer.
The person column holds the participant's id; bot.services.exports.pseudonyms turns it into a
code or, when asked for and agreed to, a name.

Ways to read: `stream` (any database; typed values through SQLAlchemy, or, for a statement
made plain by `as_text` and `packed`, text and numbers) and, on SQLite, `stream_raw` (the
driver's own values: times as text, booleans as 0 and 1), which skips SQLAlchemy's per-row
work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnClause

from storage.models import (
    AccessNeed,
    AvailabilityPoll,
    Feedback,
    FeedbackTheme,
    LoggedActivity,
    Meeting,
    MeetingAttendance,
    Participant,
    PollAnswer,
    PollSlot,
    PulseResponse,
    ReciprocityClaim,
    ReciprocityOffer,
    ReciprocityOfferText,
    YouSaidWeDid,
    YouSaidWeDidReply,
)

# Rows fetched from the database at a time: big enough to be fast, small enough to stay light.
BATCH_ROWS = 2000
RAW_BATCH_ROWS = 10_000  # plain tuples are small: 10,000 of them are a few megabytes

# Beside free text: whether the person agreed to share it.
SHARED = "shared"
NOT_SHARED = "not shared"


@dataclass(frozen=True)
class Window:
    """Which rows: one project, and optionally from `since` up to (not including) `until` (UTC)."""

    project_id: int
    since: datetime | None = None
    until: datetime | None = None


def _person(person: Any, anonymous: Any = None) -> Any:
    """Who answered, as their participant id; NULL for an anonymous answer."""
    if anonymous is None:
        return person.label("person")
    return case((anonymous.is_(True), None), else_=person).label("person")


def _words(column: Any, person: Any) -> tuple[Any, Any]:
    """Free text only from someone who agreed to be quoted (None counts as no), and beside it
    whether it was shared (true or false); both NULL when there were no words. (`IN` the list
    of people who agreed rather than a join to every participant: on SQLite, much faster.)"""
    quotable = person.in_(select(Participant.id).where(Participant.may_quote.is_(True)))
    no_words = or_(column.is_(None), column == "")
    words = case((and_(quotable, ~no_words), column), else_=None)
    shared = case((no_words, None), (quotable, True), else_=False)  # SHARED / NOT_SHARED
    return words.label(f"{column.key}_words"), shared.label(f"{column.key}_shared")


def _in_window(statement: Select, column: Any, window: Window) -> Select:
    """Limit a timestamp column to the window (a date column compares by its UTC day)."""
    if window.since is not None:
        bound = window.since.date() if _is_date(column) else window.since
        statement = statement.where(column >= bound)
    if window.until is not None:
        bound = window.until.date() if _is_date(column) else window.until
        statement = statement.where(column < bound)
    return statement


def _is_date(column: Any) -> bool:
    return isinstance(column.type, Date)


# -- one statement per kind -------------------------------------------------------------------


def feedback(window: Window) -> Select:
    """Feedback answers; withdrawn answers are left out (the person took them back)."""
    statement = (
        select(
            Feedback.id,
            Feedback.created_at,
            Feedback.topic,
            Feedback.rating,
            _person(Feedback.participant_id, Feedback.anonymous),
            Feedback.anonymous,
            *_words(Feedback.text, Feedback.participant_id),
            Feedback.voice_file_id.is_not(None).label("has_voice"),
            FeedbackTheme.name.label("theme"),
            Feedback.reviewed_at.is_not(None).label("reviewed"),
        )
        .outerjoin(FeedbackTheme, FeedbackTheme.id == Feedback.theme_id)
        .where(Feedback.project_id == window.project_id, Feedback.withdrawn_at.is_(None))
        .order_by(Feedback.id)
    )
    return _in_window(statement, Feedback.created_at, window)


def pulse(window: Window) -> Select:
    statement = (
        select(
            PulseResponse.id,
            PulseResponse.created_at,
            PulseResponse.answer,
            _person(PulseResponse.participant_id),
            *_words(PulseResponse.comment, PulseResponse.participant_id),
        )
        .where(PulseResponse.project_id == window.project_id)
        .order_by(PulseResponse.id)
    )
    return _in_window(statement, PulseResponse.created_at, window)


def poll_answers(window: Window) -> Select:
    statement = (
        select(
            PollAnswer.id,
            PollAnswer.answered_at,
            AvailabilityPoll.id.label("poll_id"),
            AvailabilityPoll.title,
            PollSlot.starts_at,
            PollAnswer.choice,
            _person(PollAnswer.participant_id),
        )
        .join(AvailabilityPoll, AvailabilityPoll.id == PollAnswer.poll_id)
        .join(PollSlot, PollSlot.id == PollAnswer.slot_id)
        .where(AvailabilityPoll.project_id == window.project_id)
        .order_by(PollAnswer.id)
    )
    return _in_window(statement, PollAnswer.answered_at, window)


def access_needs(window: Window) -> Select:
    statement = (
        select(
            AccessNeed.id,
            AccessNeed.created_at,
            AvailabilityPoll.id.label("poll_id"),
            AvailabilityPoll.title,
            AccessNeed.kind,
            _person(AccessNeed.participant_id),
            *_words(AccessNeed.note, AccessNeed.participant_id),
        )
        .join(AvailabilityPoll, AvailabilityPoll.id == AccessNeed.poll_id)
        .where(AvailabilityPoll.project_id == window.project_id)
        .order_by(AccessNeed.id)
    )
    return _in_window(statement, AccessNeed.created_at, window)


def claims(window: Window) -> Select:
    title = aliased(ReciprocityOfferText)
    statement = (
        select(
            ReciprocityClaim.id,
            ReciprocityClaim.requested_at,
            ReciprocityOffer.id.label("offer_id"),
            ReciprocityOffer.kind.label("offer_kind"),
            title.title.label("offer_title"),
            ReciprocityClaim.state,
            (cast(ReciprocityClaim.amount_pence, Float) / 100).label("pounds"),
            ReciprocityClaim.receipt_file_id.is_not(None).label("has_receipt"),
            ReciprocityClaim.decided_at,
            ReciprocityClaim.fulfilled_at,
            _person(ReciprocityClaim.participant_id),
        )
        .join(ReciprocityOffer, ReciprocityOffer.id == ReciprocityClaim.offer_id)
        .outerjoin(
            title,
            and_(
                title.offer_id == ReciprocityOffer.id,
                title.locale == ReciprocityOffer.source_locale,
            ),
        )
        .where(ReciprocityOffer.project_id == window.project_id)
        .order_by(ReciprocityClaim.id)
    )
    return _in_window(statement, ReciprocityClaim.requested_at, window)


def we_did(window: Window) -> Select:
    """ "You said, we did" updates (staff's words), with how people answered each."""
    replies = (
        select(
            YouSaidWeDidReply.update_id,
            func.count().label("replies"),
            func.sum(_is(YouSaidWeDidReply.answer, "yes")).label("yes"),
            func.sum(_is(YouSaidWeDidReply.answer, "partly")).label("partly"),
            func.sum(_is(YouSaidWeDidReply.answer, "no")).label("no"),
        )
        .group_by(YouSaidWeDidReply.update_id)
        .subquery()
    )
    statement = (
        select(
            YouSaidWeDid.id,
            YouSaidWeDid.created_at,
            YouSaidWeDid.published_at,
            YouSaidWeDid.you_said,
            YouSaidWeDid.we_did,
            YouSaidWeDid.status,
            YouSaidWeDid.owner,
            YouSaidWeDid.due_on,
            func.coalesce(replies.c.replies, 0),
            func.coalesce(replies.c.yes, 0),
            func.coalesce(replies.c.partly, 0),
            func.coalesce(replies.c.no, 0),
        )
        .outerjoin(replies, replies.c.update_id == YouSaidWeDid.id)
        .where(YouSaidWeDid.project_id == window.project_id)
        .order_by(YouSaidWeDid.id)
    )
    return _in_window(statement, YouSaidWeDid.created_at, window)


def _is(column: Any, value: str) -> Any:
    return case((column == value, 1), else_=0)


def we_did_replies(window: Window) -> Select:
    statement = (
        select(
            YouSaidWeDidReply.id,
            YouSaidWeDidReply.created_at,
            YouSaidWeDid.id.label("update_id"),
            YouSaidWeDidReply.answer,
            _person(YouSaidWeDidReply.participant_id),
            *_words(YouSaidWeDidReply.comment, YouSaidWeDidReply.participant_id),
        )
        .join(YouSaidWeDid, YouSaidWeDid.id == YouSaidWeDidReply.update_id)
        .where(YouSaidWeDid.project_id == window.project_id)
        .order_by(YouSaidWeDidReply.id)
    )
    return _in_window(statement, YouSaidWeDidReply.created_at, window)


def contributions(window: Window) -> Select:
    """Time people gave outside meetings, as staff logged it."""
    statement = (
        select(
            LoggedActivity.id,
            LoggedActivity.day,
            LoggedActivity.minutes,
            LoggedActivity.description,
            LoggedActivity.logged_at,
            _person(LoggedActivity.participant_id),
        )
        .where(LoggedActivity.project_id == window.project_id)
        .order_by(LoggedActivity.id)
    )
    return _in_window(statement, LoggedActivity.day, window)


def attendance(window: Window) -> Select:
    statement = (
        select(
            MeetingAttendance.id,
            Meeting.id.label("meeting_id"),
            Meeting.title,
            Meeting.starts_at,
            Meeting.duration_minutes,
            MeetingAttendance.attended,
            _person(MeetingAttendance.participant_id),
        )
        .join(Meeting, Meeting.id == MeetingAttendance.meeting_id)
        .where(Meeting.project_id == window.project_id)
        .order_by(MeetingAttendance.id)
    )
    return _in_window(statement, Meeting.starts_at, window)


# -- running them -------------------------------------------------------------------------------


async def stream(
    session: AsyncSession, statement: Select, batch_rows: int = BATCH_ROWS
) -> AsyncIterator[Sequence[Any]]:
    """The statement's rows, a batch at a time (one round trip per batch, not per row).
    Through the session's connection: plain rows, without the ORM's per-row bookkeeping."""
    connection = await session.connection()
    result = await connection.stream(statement.execution_options(yield_per=batch_rows))
    try:
        async for batch in result.partitions(batch_rows):
            yield batch
    finally:
        await result.close()


async def names_to_show(session: AsyncSession) -> dict[int, str]:
    """The chosen names of the people who agreed to be named (for exports that ask for names)."""
    rows = await session.execute(
        select(Participant.id, Participant.display_name).where(
            Participant.may_use_name.is_(True),
            Participant.display_name.is_not(None),
            Participant.display_name != "",
        )
    )
    return {person_id: name for person_id, name in rows}


def never_null(statement: Select) -> list[bool]:
    """For each selected column: whether it can never be NULL (a NOT NULL column of the main
    table, the one the first column comes from; an outer join can make any other one NULL)."""
    columns = list(statement.selected_columns)
    main = getattr(columns[0], "table", None)
    return [
        isinstance(column, ColumnClause) and column.table is main and not column.nullable
        for column in columns
    ]


def packed(statement: Select, small: list[int], dialect: str = "sqlite") -> Select:
    """The statement with its small columns (each 0, 1 or NULL) folded into one number at the
    end, sum of (value, or 2 for NULL) * 3**k: fewer columns to read per row. (SQLite keeps
    booleans as numbers already; other databases cast them.)"""
    columns = list(statement.selected_columns)

    def number(column: Any) -> Any:
        return type_coerce(column, Integer) if dialect == "sqlite" else cast(column, Integer)

    folded = sum(
        (func.coalesce(number(columns[i]), 2) * 3**k for k, i in enumerate(small)),
        literal(0),
    ).label("small")
    kept = [column for i, column in enumerate(columns) if i not in small]
    return statement.with_only_columns(*kept, folded, maintain_column_froms=True)


def as_text(statement: Select, moments: list[int], days: list[int], dialect: str) -> Select:
    """The statement with its times as UTC text, "2026-07-01 14:05:09.123456", and its days as
    "2026-07-01", as SQLite keeps them: any database gives plain text and numbers, which the
    exports' line functions (bot.services.exports.cells) write with no per-cell typing."""
    columns = list(statement.selected_columns)
    for i in moments:
        if dialect == "postgresql":
            text = func.to_char(func.timezone("UTC", columns[i]), "YYYY-MM-DD HH24:MI:SS.US")
        elif dialect == "sqlite":
            text = columns[i]
        else:  # the line functions read any ISO 8601 text, with or without an offset
            text = cast(columns[i], String)
        columns[i] = type_coerce(text, String)
    for i in days:
        if dialect == "postgresql":
            text = func.to_char(columns[i], "YYYY-MM-DD")
        elif dialect == "sqlite":
            text = columns[i]
        else:
            text = cast(columns[i], String)
        columns[i] = type_coerce(text, String)
    return statement.with_only_columns(*columns, maintain_column_froms=True)


def reads_raw(session: AsyncSession) -> bool:
    """Whether `stream_raw` can read for this session (SQLite, through aiosqlite)."""
    bind = session.get_bind()
    return bind.dialect.name == "sqlite" and bind.dialect.driver == "aiosqlite"


def raw_query(dialect: Any, statement: Select) -> tuple[str, list[Any]]:
    """The statement as the driver runs it: its SQL and its parameters, in order."""
    compiled = statement.compile(dialect=dialect)
    named = compiled.construct_params()
    parameters = []
    for name in compiled.positiontup or ():
        value = named[name]
        process = compiled.binds[name].type.bind_processor(dialect)
        parameters.append(process(value) if process else value)
    return compiled.string, parameters


def database_file(session: AsyncSession) -> str | None:
    """The SQLite file the session reads (other processes may open it too); None elsewhere."""
    url = session.get_bind().url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


async def id_span(session: AsyncSession, statement: Select) -> tuple[int | None, int | None]:
    """The lowest and highest id of the table the statement reads (its first column), from
    the primary key at once; the statement's own rows lie between, and may be fewer."""
    first = statement.selected_columns[0]
    lowest = select(func.min(first)).scalar_subquery()
    highest = select(func.max(first)).scalar_subquery()
    return tuple((await session.execute(select(lowest, highest))).one())


def ids_between(statement: Select, lowest: int, highest: int) -> Select:
    """The statement's rows whose id (the first column) is from `lowest` to `highest`."""
    first = statement.selected_columns[0]
    return statement.where(first >= lowest, first <= highest)


async def stream_raw(
    session: AsyncSession, statement: Select, batch_rows: int = RAW_BATCH_ROWS
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """SQLite only: the statement's rows as the driver gives them (text as UTF-8 bytes, times
    as stored, booleans as 0 and 1), a batch at a time, with no per-row work in Python beyond
    the driver's. Through the session's own connection, so it reads what the session has
    written and stays in its transaction."""
    connection = await session.connection()
    sql, parameters = raw_query(connection.dialect, statement)
    driver = (await connection.get_raw_connection()).driver_connection  # aiosqlite
    text_factory = driver.text_factory
    driver.text_factory = bytes  # bytes straight into the file: no decoding and encoding again
    try:
        async for batch in _aiosqlite_batches(driver, sql, parameters, batch_rows):
            yield batch
    finally:
        driver.text_factory = text_factory


async def _aiosqlite_batches(driver, sql: str, parameters, batch_rows: int):
    """aiosqlite's own cursor, a batch at a time, closed however the reading ends."""
    cursor = await driver.execute(sql, parameters)
    try:
        while batch := await cursor.fetchmany(batch_rows):
            yield batch
    finally:
        await cursor.close()


async def stream_plain(
    session: AsyncSession, statement: Select, batch_rows: int = RAW_BATCH_ROWS
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """A statement of plain values (text and numbers: `as_text`, `packed`), a batch at a time,
    in the session's transaction, through the driver's own cursor where it is asyncpg (its
    records, each batch asked for in one round trip) or aiosqlite (its tuples): no SQLAlchemy
    row per record. Any other driver through `stream`."""
    connection = await session.connection()
    if connection.dialect.driver == "aiosqlite":
        sql, parameters = raw_query(connection.dialect, statement)
        driver = (await connection.get_raw_connection()).driver_connection
        async for batch in _aiosqlite_batches(driver, sql, parameters, batch_rows):
            yield batch
        return
    if connection.dialect.driver != "asyncpg":
        async for batch in stream(session, statement, batch_rows):
            yield batch
        return
    sql, parameters = raw_query(connection.dialect, statement)
    driver = (await connection.get_raw_connection()).driver_connection
    await connection.exec_driver_sql("SELECT 1")  # the session's transaction is open on it
    cursor = await driver.cursor(sql, *parameters)
    while batch := await cursor.fetch(batch_rows):
        yield batch


async def count(session: AsyncSession, statement: Select) -> int:
    """How many rows the statement would give (for progress, and for the tests)."""
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return (await session.execute(counted)).scalar_one()
