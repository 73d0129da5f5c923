"""The secret behind export codes (P-...) lives in the database: every worker, on any machine,
makes the same codes, and a restored backup makes them too. An installation that kept it in
DATA_DIR/pseudonym-secret keeps its codes when it moves in. The secret is never logged."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest
from sqlalchemy import event, func, select

from bot.logging_setup import setup_logging
from bot.services import privacy
from bot.services.exports import People, load_secret
from bot.services.exports.pseudonyms import SECRET_NAME
from storage import participants
from storage import secrets as stored_secrets
from storage.db import create_engine, create_session_factory, upgrade
from storage.models import AppSecret

OLD_FILE = "pseudonym-secret"
FROM_FILE = "ab" * 32  # the secret an installation kept in its data folder
OTHER_FILE = "cd" * 32  # another machine's own, never moved


@pytest.fixture
def bot_log():
    """What the bot logs at DEBUG, through the handler `setup_logging` installs (its filters
    included), into a buffer; the test run's logging comes back afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    setup_logging("DEBUG")
    buffer = io.StringIO()
    [handler] = root.handlers
    handler.setStream(buffer)
    yield buffer
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    for name, level in saved_levels.items():
        logging.getLogger(name).setLevel(level)


def _lines(log: io.StringIO, level: str) -> list[str]:
    return [line for line in log.getvalue().splitlines() if f" {level} " in line]


def _codes(secret: bytes) -> list[str]:
    people = People(secret)
    return [people.pseudonym(participant_id) for participant_id in (1, 2, 3)]


async def _secrets_held(sessions) -> int:
    async with sessions() as session:
        return (await session.execute(select(func.count()).select_from(AppSecret))).scalar_one()


async def test_codes_stay_the_same_when_the_old_file_moves_into_the_database(
    sessions, tmp_path, bot_log
):
    (tmp_path / OLD_FILE).write_text(FROM_FILE + "\n")
    before = _codes(bytes.fromhex(FROM_FILE))  # what exports made with the file showed

    assert _codes(await load_secret(sessions, tmp_path)) == before

    assert not (tmp_path / OLD_FILE).exists()
    [moved] = [line for line in _lines(bot_log, "INFO") if "pseudonym" in line]
    assert "moved" in moved and "codes stay the same" in moved
    assert FROM_FILE not in bot_log.getvalue()
    # From now on the database alone: this machine, another one, or a lost data folder.
    assert _codes(await load_secret(sessions, tmp_path)) == before
    assert _codes(await load_secret(sessions, tmp_path / "another-machine")) == before
    assert _codes(await load_secret(sessions)) == before
    assert await _secrets_held(sessions) == 1
    assert FROM_FILE not in bot_log.getvalue()


async def test_a_second_machine_with_a_file_of_its_own_uses_the_database_secret(
    sessions, tmp_path, bot_log
):
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, value in ((first, FROM_FILE), (second, OTHER_FILE)):
        folder.mkdir()
        (folder / OLD_FILE).write_text(value)
    assert await load_secret(sessions, first) == bytes.fromhex(FROM_FILE)

    assert await load_secret(sessions, second) == bytes.fromhex(FROM_FILE)

    # Its file is put aside, not lost: codes in that machine's earlier exports can be matched.
    assert not (second / OLD_FILE).exists()
    assert (second / f"{OLD_FILE}.unused").read_text() == OTHER_FILE
    [warning] = _lines(bot_log, "WARNING")
    assert f"{OLD_FILE}.unused" in warning
    assert FROM_FILE not in bot_log.getvalue() and OTHER_FILE not in bot_log.getvalue()


async def test_two_workers_making_the_secret_at_once_end_with_the_same_one(database_url):
    """Two processes (two engines) ask on an empty table: one is writing the secret, not yet
    committed, when the other finds none and writes its own. Both end with the first one."""
    first_engine, second_engine = create_engine(database_url), create_engine(database_url)
    await upgrade(first_engine)
    first_sessions = create_session_factory(first_engine)
    second_sessions = create_session_factory(second_engine)
    loop = asyncio.get_running_loop()
    second_inserts = asyncio.Event()

    @event.listens_for(second_engine.sync_engine, "before_cursor_execute")
    def _inserting(_connection, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO APP_SECRET"):
            loop.call_soon_threadsafe(second_inserts.set)

    try:
        async with first_sessions() as first:
            await stored_secrets.get_or_create(first, SECRET_NAME, FROM_FILE)
            second = asyncio.create_task(load_secret(second_sessions))
            await asyncio.wait_for(second_inserts.wait(), timeout=30)
            await first.commit()
        assert await asyncio.wait_for(second, timeout=30) == bytes.fromhex(FROM_FILE)
        assert await load_secret(first_sessions) == bytes.fromhex(FROM_FILE)
        assert await _secrets_held(first_sessions) == 1
    finally:
        await first_engine.dispose()
        await second_engine.dispose()


async def test_erasing_someone_changes_nobody_elses_code_and_their_data_holds_no_secret(sessions):
    secret = await load_secret(sessions)
    async with sessions() as session:
        ann = await participants.get_or_create(session, 930_001)
        bob = await participants.get_or_create(session, 930_002)
        await session.commit()
        bob_code = People(secret).pseudonym(bob.id)
        their_data = json.dumps((await privacy.collect(session, ann)).document)
        assert secret.hex() not in their_data
        await privacy.erase(session, ann)
        await session.commit()

    assert People(await load_secret(sessions)).pseudonym(bob.id) == bob_code
    assert await _secrets_held(sessions) == 1
