"""A big export on SQLite in several processes at once: each reads and writes one range of
ids, and the file is their parts in order, byte for byte what one process writes.

Reading rows through Python's sqlite3 module and formatting them is the whole cost of a big
export, and it is bound to one core. So the rows are cut into ranges of ids: this process
writes the first range into the file through its own session, and a forked worker process
writes each other range into a temporary file beside it, through its own read-only
connection and the same line function (with its caches: people, hours, topics), so the
consent rules (in the SQL) and the cells are exactly those of one process. The parts are
then added to the file in order and removed. Each process holds one batch of rows at a time.

Workers are forked (Linux and the BSDs; elsewhere the export stays in one process), so they
start at once, with everything already imported. The fork happens between two awaits, while
the session's driver thread waits idle for work, holding no lock a worker could need.
Only for exports that write a whole file (the command line): the bot keeps one process.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import exports as queries

# Below this many rows, starting workers costs more than it saves.
PARALLEL_ROWS = 200_000

Lines = Callable[[Sequence[Sequence]], list[bytes]]
Progress = Callable[[int], None]  # rows written so far


def cores() -> int:
    """Processes for an export from the command line: one per core."""
    return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def id_ranges(lowest: int, highest: int, parts: int) -> list[tuple[int, int]]:
    """`parts` ranges of ids, from `lowest` to `highest` (both included), as even as may be."""
    size = -(-(highest - lowest + 1) // parts)
    return [(start, min(highest, start + size - 1)) for start in range(lowest, highest + 1, size)]


async def write_ranges(
    session: AsyncSession,
    statement: Select,
    ranges: list[tuple[int, int]],
    lines: Lines,
    write: Callable[[list[bytes]], None],
    append: Callable[[Path, int], None],
    scratch: Path,
    progress: Progress | None = None,
    ending: bytes = b"\r\n",
) -> int:
    """Write the statement's rows, range by range in order: the first range here through
    `write` (a batch of lines at a time), each other one in a worker into a scratch file that
    `append` then adds (with its row count); each line ends with `ending`. How many rows were
    written."""
    database = queries.database_file(session)
    assert database is not None, "only a SQLite file can be read by other processes"
    dialect = (await session.connection()).dialect
    context = multiprocessing.get_context("fork")
    workers = []
    try:
        for number, (lowest, highest) in enumerate(ranges[1:], start=1):
            sql, parameters = queries.raw_query(
                dialect, queries.ids_between(statement, lowest, highest)
            )
            path = scratch.with_name(f".{scratch.name}.{number}.part")
            receiver, sender = context.Pipe(duplex=False)
            worker = context.Process(
                target=_write_range,
                args=(database, sql, parameters, lines, path, sender, ending),
                daemon=True,
            )
            worker.start()
            sender.close()  # the worker has its own end; a dead worker shows as an end of file
            workers.append((worker, receiver, path))

        done = 0
        first = queries.ids_between(statement, *ranges[0])
        async for batch in queries.stream_raw(session, first):
            write(lines(batch))
            done += len(batch)
            if progress:
                progress(done)
        for worker, receiver, path in workers:
            try:
                rows = await asyncio.to_thread(receiver.recv)
            except EOFError:
                await asyncio.to_thread(worker.join)
                failed = f"an export worker failed (exit code {worker.exitcode})"
                raise RuntimeError(failed) from None
            append(path, rows)
            path.unlink()
            done += rows
            if progress:
                progress(done)
        return done
    finally:
        for worker, receiver, path in workers:
            if worker.is_alive():
                worker.kill()
            worker.join()
            receiver.close()
            path.unlink(missing_ok=True)


def _write_range(
    database: str,
    sql: str,
    parameters: list[Any],
    lines: Lines,
    path: Path,
    sender: Any,
    ending: bytes,
) -> None:
    """In a worker: one range's lines into `path`, then its row count to the parent."""
    gc.disable()  # short-lived row tuples, none in a cycle
    connection = sqlite3.connect(f"{Path(database).resolve().as_uri()}?mode=ro", uri=True)
    connection.text_factory = bytes  # as stream_raw reads them: UTF-8 straight into the file
    rows = 0
    try:
        with path.open("wb", buffering=1 << 20) as file:
            cursor = connection.execute(sql, parameters)
            while batch := cursor.fetchmany(queries.RAW_BATCH_ROWS):
                file.write(ending.join(lines(batch)) + ending)
                rows += len(batch)
    finally:
        connection.close()
    sender.send(rows)
