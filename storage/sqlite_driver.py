"""SQLite through aiosqlite with one trip to its thread per statement, not four.

aiosqlite runs each sqlite3 call on the connection's own thread and wakes the event loop when
it is done. SQLAlchemy's adapter makes four such calls for every statement (open a cursor,
execute, fetch the rows, close the cursor), and each trip costs a queue hand-off, a thread
wake-up and an event-loop wake-up: measured, the trips were about a third of the CPU an update
costs on SQLite. Here a statement is one function run on that thread, which opens the cursor,
executes, fetches and closes, and brings back the rows with the cursor's description, row
count and last row id. Nothing else changes: the same thread, the same sqlite3 connection, the
same errors (they are raised on the thread and re-raised here, as aiosqlite does), and the
server-side cursors that stream exports keep aiosqlite's own.

    create_async_engine("sqlite+aiosqlite:///...", module=one_trip_dbapi())
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT


class _Outcome:
    """What the cursor knew when the statement ended (the real cursor is closed by then)."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self) -> None:
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool):
    """On aiosqlite's thread: the whole statement, start to end."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else ()
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        return _Outcome()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    async def _trip(self, operation: str, parameters: Any, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection
        async with self._adapt_connection._execute_mutex:
            description, rowcount, lastrowid, rows = await connection._execute(
                _run, connection._conn, operation, parameters, many
            )
        outcome: _Outcome = self._cursor
        outcome.description, outcome.rowcount, outcome.lastrowid = description, rowcount, lastrowid
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._trip(operation, seq_of_parameters, many=True)

    async def _async_soft_close(self) -> None:
        """The rows are already here and the real cursor already closed."""

    def close(self) -> None:
        self._rows.clear()


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


class _OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _OneTripConnection:
        connection = super().connect(*arg, **kw)  # SQLAlchemy's own, thread settings and all
        connection.__class__ = _OneTripConnection  # the same object, with one-trip cursors
        return connection


def one_trip_dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    return _OneTripDbapi(aiosqlite, sqlite3)
