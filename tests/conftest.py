"""Shared fixtures: databases (SQLite always; PostgreSQL and Redis when their URLs are set),
the Telegram emulator, and the real bot wired to it exactly as the CLI wires it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import Application, create_application
from bot.config import Settings
from bot.emulator import TelegramEmulator
from bot.polling import ConfirmingPoller
from storage.db import create_engine, create_session_factory, upgrade

TOKEN = "123456789:" + "T" * 35
# Under pytest-xdist each worker ("gw0", "gw1", ...) gets a PostgreSQL database and a Redis
# database of its own, so workers never empty each other's.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_postgres_url(url: str | None) -> str | None:
    if not url or not WORKER:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


def _worker_redis_url(url: str | None) -> str | None:
    if not url or not WORKER:
        return url
    base, _, number = url.rpartition("/")
    index = int(number) if number.isdigit() else 15
    return f"{base}/{max(0, index - int(WORKER.removeprefix('gw') or 0))}"


BASE_POSTGRES_URL = os.environ.get("COPRODUCE_TEST_POSTGRES_URL")
POSTGRES_URL = _worker_postgres_url(BASE_POSTGRES_URL)
REDIS_URL = _worker_redis_url(os.environ.get("COPRODUCE_TEST_REDIS_URL"))


def _database_params() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    params.append(
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL, reason="COPRODUCE_TEST_POSTGRES_URL not set"
            ),
        )
    )
    return params


async def _create_worker_database() -> None:
    """The worker's own database, made once from the base one (trust auth, as in CI)."""
    base = create_async_engine(BASE_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = make_url(POSTGRES_URL).database
    async with base.connect() as connection:
        found = await connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if found.scalar() is None:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await base.dispose()


async def reset_postgres(url: str) -> None:
    if WORKER and url == POSTGRES_URL:
        await _create_worker_database()
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def fresh_database_url(backend: str, tmp_path: Path) -> str:
    if backend == "postgresql":
        await reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=_database_params())
async def database_url(request, tmp_path) -> str:
    return await fresh_database_url(request.param, tmp_path)


@pytest.fixture
async def sessions(database_url):
    engine = create_engine(database_url)
    await upgrade(engine)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    emu = TelegramEmulator()
    await emu.start()
    yield emu
    await emu.stop()


def bot_settings(emulator: TelegramEmulator, tmp_path: Path, **overrides) -> Settings:
    values = {
        "bot_token": TOKEN,
        "telegram_api_url": emulator.api_url,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "data_dir": tmp_path,
        "redis_url": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


class RunningBot:
    """The real application polling the emulator in this event loop."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.poller = ConfirmingPoller(app.dispatcher, app.bot, timeout=1)
        self._task: asyncio.Task | None = None

    async def start(self) -> RunningBot:
        self._task = asyncio.create_task(self.poller.run())
        return self

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.app.close()


@pytest.fixture
async def start_bot(emulator, tmp_path):
    """Start the bot (again, after a restart) with the same database; stops them all at the end."""
    running: list[RunningBot] = []

    async def _start(**overrides) -> RunningBot:
        app = await create_application(bot_settings(emulator, tmp_path, **overrides))
        bot = await RunningBot(app).start()
        running.append(bot)
        return bot

    yield _start
    for bot in running:
        await bot.stop()


async def settle(emulator: TelegramEmulator, update: dict, quiet: float = 0.1) -> None:
    """Wait until the bot confirmed an update and went quiet."""
    assert await emulator.wait_until_confirmed(update["update_id"], timeout=10), "not handled"
    count = -1
    while count != len(emulator.requests):
        count = len(emulator.requests)
        await asyncio.sleep(quiet)


async def join(
    emulator: TelegramEmulator,
    user_id: int,
    *,
    language: str = "English",
    language_code: str = "en",
    code: str | None = None,
    name: str | None = None,
    may_quote: bool = True,
    may_use_name: bool = True,
    rules: bool = False,
):
    """A newcomer goes through joining, tapping the buttons by position so any language works."""
    person = emulator.user(user_id, first_name="Sam", language_code=language_code)
    await settle(emulator, await person.send_text(f"/start {code}" if code else "/start"))
    await settle(emulator, await person.press(language))
    await settle(emulator, await person.press(person.buttons[0]))  # welcome: next
    await settle(emulator, await person.press(person.buttons[0]))  # consent: I agree
    await settle(emulator, await person.press(person.buttons[0 if may_quote else 1]))
    await settle(emulator, await person.press(person.buttons[0 if may_use_name else 1]))
    if rules:
        await settle(emulator, await person.press(person.buttons[0]))  # ground rules: I agree
    if name:
        await settle(emulator, await person.send_text(name))
    else:
        await settle(emulator, await person.press(person.buttons[0]))  # name: skip
    await settle(emulator, await person.press(person.buttons[1]))  # up to 3 messages a week
    await settle(emulator, await person.press(person.buttons[0]))  # quiet from 22:00 to 08:00
    await settle(emulator, await person.press(person.buttons[0]))  # the suggested time zone
    return person


_CATALOGS = None


def tr(msgid: str, locale: str = "en", **values) -> str:
    """What the bot shows for `msgid` in `locale`: so a story can press a Welsh button."""
    global _CATALOGS
    if _CATALOGS is None:
        from bot.i18n import create_i18n

        _CATALOGS = create_i18n()
    text = _CATALOGS.gettext(msgid, locale=locale)
    return text.format(**values) if values else text


def ntr(singular: str, plural: str, count: int, locale: str = "en", **values) -> str:
    """The plural form the bot shows for `count` in `locale`, filled in."""
    tr("", locale)  # loads the catalogs
    text = _CATALOGS.gettext(singular, plural, count, locale=locale)
    return text.format(count=count, **values)
