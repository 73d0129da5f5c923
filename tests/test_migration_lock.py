"""An operator starts several processes at once, or goes back to an older schema.

Every process applies the migrations on start, so they must take turns; and going down asks
first, saying which tables and columns (and so which data) will be gone.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli import main
from storage.db import MIGRATIONS_DIR, create_engine, current_revision, upgrade

REPO = Path(__file__).resolve().parent.parent
HEAD = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("0*.py"))[-1].split("_")[0]
BASE_POSTGRES_URL = os.environ.get("COPRODUCE_TEST_POSTGRES_URL")


def _upgrades_at_once(database_url: str, cwd: Path, how_many: int) -> list:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    env = {**clean, "DATABASE_URL": database_url, "PYTHONPATH": str(REPO)}
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(how_many)
    ]
    return [(p.wait(timeout=120), *p.communicate()) for p in started]


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        return await current_revision(engine)
    finally:
        await engine.dispose()


@pytest.mark.skipif(not BASE_POSTGRES_URL, reason="COPRODUCE_TEST_POSTGRES_URL not set")
async def test_several_processes_migrate_a_fresh_postgres_database_at_once(tmp_path):
    url = make_url(BASE_POSTGRES_URL).set(database="test_miglock")
    admin = create_async_engine(BASE_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text("DROP DATABASE IF EXISTS test_miglock WITH (FORCE)"))
            await connection.execute(text("CREATE DATABASE test_miglock"))
        database_url = url.render_as_string(hide_password=False)
        results = await asyncio.to_thread(_upgrades_at_once, database_url, tmp_path, 3)
        for returncode, out, err in results:
            assert returncode == 0, err
            assert "Traceback" not in err and "up to date" in out
        assert await _revision(database_url) == HEAD
        assert {"participant", "project_text", "outbox_message"} <= await _tables(database_url)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text("DROP DATABASE IF EXISTS test_miglock WITH (FORCE)"))
        await admin.dispose()


async def test_several_processes_migrate_a_fresh_sqlite_file_at_once(tmp_path):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    results = await asyncio.to_thread(_upgrades_at_once, database_url, tmp_path, 3)
    for returncode, out, err in results:
        assert returncode == 0, err
        assert "Traceback" not in err and "up to date" in out
    assert await _revision(database_url) == HEAD


@pytest.fixture
def migrated_file(tmp_path, monkeypatch):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("BOT_TOKEN", raising=False)

    async def migrate() -> None:
        engine = create_engine(database_url)
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    return database_url


def test_a_downgrade_with_no_terminal_and_no_yes_is_refused_and_says_what_it_would_drop(
    migrated_file, monkeypatch, capsys
):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert main(["db", "downgrade", "0010"]) == 2
    out, err = capsys.readouterr()
    assert "project_text" in out and "meeting.versions" in out
    assert "--yes" in err
    assert asyncio.run(_revision(migrated_file)) == HEAD
    assert "project_text" in asyncio.run(_tables(migrated_file))


def test_going_down_to_base_warns_that_every_table_goes(migrated_file, monkeypatch, capsys):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert main(["db", "downgrade", "base"]) == 2
    assert "every table and all data" in capsys.readouterr().out
    assert asyncio.run(_revision(migrated_file)) == HEAD


def test_a_downgrade_asks_and_only_yes_goes_on(migrated_file, monkeypatch, capsys):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert main(["db", "downgrade", "0010"]) == 2
    assert "nothing changed" in capsys.readouterr().out
    assert asyncio.run(_revision(migrated_file)) == HEAD

    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    assert main(["db", "downgrade", "0010"]) == 0
    assert asyncio.run(_revision(migrated_file)) == "0010"
    assert "project_text" not in asyncio.run(_tables(migrated_file))


def test_a_downgrade_with_yes_does_not_ask(migrated_file, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert main(["db", "downgrade", "base", "--yes"]) == 0
    assert asyncio.run(_revision(migrated_file)) is None
    assert "participant" not in asyncio.run(_tables(migrated_file))
