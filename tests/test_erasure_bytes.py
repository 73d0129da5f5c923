"""After /forget, the person is gone from the database's own files too, not just from its
tables: SQLite's file and write-ahead log hold no byte of their id, name or words, while the
bot runs and after it stops; on PostgreSQL the cleanup vacuums the tables and its statistics
no longer hold them."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot import scheduler as jobs
from bot.services import meetings, privacy
from bot.services.meetings import PollDraft
from storage import erasure, participants
from storage.db import create_engine, create_session_factory, upgrade
from storage.models import ErasureCleanupDue, Participant
from storage.types import utcnow
from tests.conftest import (
    FEEDBACK_TOPICS,
    POSTGRES_URL,
    give_feedback,
    join,
    make_staff,
    make_team,
    no_quiet_hours,
    press,
    reset_postgres,
    say,
    untranslated,
)
from tests.test_feedback import pulse_checkin

TELEGRAM_ID = 7_319_044_286  # over 2^32: SQLite stores it in 6 bytes, big-endian
NAME = "Ada Quillfeather"
WORDS = "The xylocarp ramp by the marmalade door is broken"
NEED = "Orrinwick hearing loop"
COMMENT = "Snapdragon week again"
SECRETS = ("Quillfeather", "xylocarp", "marmalade", "Orrinwick", "Snapdragon")


def _id_forms(telegram_id: int) -> dict[str, bytes]:
    """How the id can sit in the file: as text (dialog state keys, JSON), and as SQLite's
    record integer (big-endian two's complement in 1, 2, 3, 4, 6 or 8 bytes: the 6-byte form
    is the tail of the 8-byte one), and little-endian for good measure."""
    return {
        "text": str(telegram_id).encode(),
        "int big-endian": telegram_id.to_bytes(8, "big").lstrip(b"\0").rjust(6, b"\0"),
        "int64 little-endian": telegram_id.to_bytes(8, "little"),
    }


def _hits(database: Path) -> list[str]:
    """Where the person's id, name or words appear in the raw SQLite files."""
    needles = {**_id_forms(TELEGRAM_ID), **{word: word.lower().encode() for word in SECRETS}}
    found = []
    for suffix in ("", "-wal", "-journal"):
        path = Path(f"{database}{suffix}")
        if not path.exists():
            continue
        content = path.read_bytes()
        lowered = content.lower()
        for what, needle in needles.items():
            haystack = content if what in _id_forms(TELEGRAM_ID) else lowered
            if needle in haystack:
                found.append(f"{path.name}: {what} x{haystack.count(needle)}")
    return found


async def _person_who_said_a_lot(emulator, running):
    """A team where the person gave named feedback, a check-in comment and an access need,
    beside a facilitator and someone else who stays."""
    app = running.app
    project_id, code = await make_team(app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(app, 6100, project_id)
    await join(emulator, 6100)
    other = await join(emulator, 6101, name="Bea Stays", code=code)
    ada = await join(emulator, TELEGRAM_ID, name=NAME, code=code)
    await no_quiet_hours(app, 6100, 6101, TELEGRAM_ID)
    await give_feedback(emulator, ada, "Waiting times", "🙁 Bad", WORDS, named=True)
    await give_feedback(emulator, other, "Transport", "🙂 Good", "Buses are fine now")

    await pulse_checkin(running, ada, project_id)
    await press(emulator, ada, "😟 Hard")
    await say(emulator, ada, COMMENT)

    draft = PollDraft(project_id=project_id, title="Planning day", place="Room 4")
    soon = utcnow() + timedelta(days=3)
    for hours in (0, 2):
        assert meetings.add_slot(draft, soon + timedelta(hours=hours), utcnow()) is None
    draft.deadline = (utcnow() + timedelta(days=2)).isoformat()
    async with app.sessions() as session:
        fay = await participants.get_by_telegram_id(session, 6100)
        await meetings.publish(session, fay, draft, now=utcnow(), translate=untranslated)
        await session.commit()
    await app.delivery.run_until_idle()
    await ada.wait_for_message(lambda m: "Choose times" in m.labels)
    await press(emulator, ada, "Choose times")
    await press(emulator, ada, ada.buttons[0])
    await press(emulator, ada, "Anything that would help you come?", "Step-free access")
    await press(emulator, ada, "Something else")
    await say(emulator, ada, NEED)
    await press(emulator, ada, "Done", "Done")
    assert "Thank you. We have your answers." in ada.last_message.text
    return ada


async def _forget(emulator, person) -> None:
    await say(emulator, person, "/forget")
    await press(emulator, person, "Yes, delete my data", "Delete now")
    assert "Your data is deleted" in person.messages[-1].text


@pytest.fixture
def stock_sqlite(monkeypatch):
    """SQLite as most builds ship it, deleted rows left in place (Debian's build overwrites
    them by default, which would hide a bot that forgot to ask for it)."""
    connect = sqlite3.connect

    def stock_connect(*args, **kwargs):
        connection = connect(*args, **kwargs)
        connection.execute("PRAGMA secure_delete=OFF")
        return connection

    monkeypatch.setattr(sqlite3, "connect", stock_connect)


async def test_after_forget_the_sqlite_files_hold_no_byte_of_them(
    emulator, start_bot, tmp_path, stock_sqlite
):
    running = await start_bot()
    database = tmp_path / "bot.db"
    ada = await _person_who_said_a_lot(emulator, running)
    assert _hits(database), "the story should have stored the person's words"

    await _forget(emulator, ada)
    assert _hits(database) == [], "while the bot runs"
    await running.stop()
    assert _hits(database) == [], "after the bot stopped"


async def test_someone_who_never_joined_is_forgotten_from_the_files_too(
    emulator, start_bot, tmp_path, stock_sqlite
):
    running = await start_bot()
    database = tmp_path / "bot.db"
    newcomer = emulator.user(TELEGRAM_ID, first_name="Sam", language_code="en")
    await say(emulator, newcomer, "/start")
    await press(emulator, newcomer, "English")  # and then nothing more
    assert _hits(database)
    month_later = utcnow() + timedelta(days=31)
    jobs.set_context(
        jobs.JobContext(sessions=running.app.sessions, delivery=None, clock=lambda: month_later)
    )
    try:
        assert await jobs.sweep_people_who_never_joined() == 1
    finally:
        jobs.set_context(None)
    assert _hits(database) == []


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set COPRODUCE_TEST_POSTGRES_URL")
async def test_on_postgresql_the_cleanup_vacuums_and_the_statistics_forget_them(
    emulator, start_bot
):
    await reset_postgres(POSTGRES_URL)
    running = await start_bot(database_url=POSTGRES_URL)
    app = running.app
    ada = await _person_who_said_a_lot(emulator, running)
    tables = erasure.touched_tables()
    async with app.engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.exec_driver_sql("ANALYZE")  # as autovacuum would, on a busy day
        assert await _in_statistics(connection), "the story should have reached pg_stats"

        await _forget(emulator, ada)
        async with app.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(ErasureCleanupDue)) == 1
        before = await _cleanup_times(connection, tables)
        jobs.set_context(jobs.JobContext(sessions=app.sessions, delivery=None))
        try:
            assert await jobs.sweep_erasure_cleanup()
            after = await _cleanup_times(connection, tables)
            assert await _in_statistics(connection) == []
            for name in tables:
                assert after[name][0] and after[name][0] != before[name][0], name
                assert after[name][1] and after[name][1] != before[name][1], name
            # The mark stays until a cleanup starts well after the erasure; then it goes.
            later = utcnow() + erasure.SETTLE + timedelta(minutes=1)
            jobs.set_context(
                jobs.JobContext(sessions=app.sessions, delivery=None, clock=lambda: later)
            )
            assert await jobs.sweep_erasure_cleanup()
            assert not await jobs.sweep_erasure_cleanup()  # nothing left to clean up
        finally:
            jobs.set_context(None)


async def _in_statistics(connection) -> list[str]:
    """Sampled values in pg_stats (most common values, histogram bounds) that hold the person."""
    rows = await connection.execute(
        text(
            "SELECT tablename, attname, "
            "coalesce(most_common_vals::text, '') || ' ' || coalesce(histogram_bounds::text, '') "
            "FROM pg_stats WHERE schemaname = current_schema()"
        )
    )
    needles = [str(TELEGRAM_ID), *(word.lower() for word in SECRETS)]
    return [
        f"{table}.{column}"
        for table, column, values in rows
        if any(needle in values.lower() for needle in needles)
    ]


async def _cleanup_times(connection, tables: list[str]) -> dict[str, tuple]:
    await connection.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
    rows = await connection.execute(
        text("SELECT relname, last_vacuum, last_analyze FROM pg_stat_user_tables")
    )
    times = {name: (vacuumed, analysed) for name, vacuumed, analysed in rows}
    return {name: times.get(name, (None, None)) for name in tables}


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set COPRODUCE_TEST_POSTGRES_URL")
async def test_when_the_last_people_leave_the_statistics_forget_them_too():
    """ANALYZE keeps a table's old statistics when it finds no rows: the cleanup removes them."""
    await reset_postgres(POSTGRES_URL)
    engine = create_engine(POSTGRES_URL)
    await upgrade(engine)
    sessions = create_session_factory(engine)
    try:
        async with sessions() as session:
            for number, name in enumerate(("Ada Quillfeather", "Bo Xylocarp", "Cy Marmalade")):
                session.add(Participant(telegram_id=TELEGRAM_ID + number, display_name=name))
            await session.commit()
        async with engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql("ANALYZE participant")
            assert await _in_statistics(connection)
            async with sessions() as session:
                for person in (await session.execute(select(Participant))).scalars().all():
                    await privacy.erase(session, person)
                await session.commit()
            assert await erasure.clean_up(sessions)
            assert await _in_statistics(connection) == []
    finally:
        await engine.dispose()
