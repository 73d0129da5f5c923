"""Shared fixtures: databases (SQLite always; PostgreSQL and Redis when their URLs are set),
the Telegram emulator, and the real bot wired to it exactly as the CLI wires it. Also the small
story helpers many tests share: a team with an invite, staff, people tapping and typing.

Contract violations: the emulator refuses what Telegram refuses and records in
`emulator.violations` every refusal that says the bot broke the Bot API contract (a second
`answerCallbackQuery` for one press, an edit that changes nothing, an edit or delete of a message
that is not there or not the bot's, an unknown method or a wrong field; see
`bot/emulator/errors.py: is_contract_violation`). Every test that uses the `emulator` fixture
fails at teardown if any were recorded. A test whose purpose is to provoke one (an emulator unit
test, a fault story where an edit retried after an injected failure meets "message is not
modified") says so, and the check is skipped for it:

    @pytest.mark.contract_violations(reason="the retried edit after a 502 is not modified")
    async def test_...(emulator, ...):

Injected faults (`emulator.inject_fault`) are not violations, whatever their status.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram_dialog.utils import CB_SEP
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import Application, create_application, dialogs_router
from bot.config import Settings
from bot.emulator import TelegramEmulator
from bot.polling import ConfirmingPoller
from bot.services import invites
from storage import participants, projects
from storage import reciprocity as offers
from storage.db import create_engine, create_session_factory, upgrade
from storage.models import OfferKind, ReciprocityOffer, Role

TOKEN = "123456789:" + "T" * 35
TEAM = "Carers' voice"
FEEDBACK_TOPICS = "Waiting times\nTransport"
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


@pytest.fixture(autouse=True)
def no_contract_violations(request):
    """Fail a test that used the emulator if the bot broke the Bot API contract (see above).
    Set up before, so torn down after, the emulator and the bots: shutdown calls count too."""
    yield
    if "emulator" not in request.fixturenames:
        return
    if request.node.get_closest_marker("contract_violations") is not None:
        return
    emu = request.node.funcargs.get("emulator")
    if emu is None or not emu.violations:
        return
    listing = "\n".join(f"  {v.method}: {v.description}" for v in emu.violations)
    pytest.fail(
        f"{len(emu.violations)} Bot API contract violation(s):\n{listing}\n"
        "Fix the bot, or mark a test that provokes them on purpose with "
        "@pytest.mark.contract_violations(reason=...)",
        pytrace=False,
    )


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


async def settle(
    emulator: TelegramEmulator, update: dict, quiet: float = 0.1, within: float = 10
) -> None:
    """Wait until the bot confirmed an update and went quiet."""
    assert await emulator.wait_until_confirmed(update["update_id"], timeout=within), "not handled"
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


@functools.cache
def _catalogs():
    from bot.i18n import create_i18n

    return create_i18n()


def tr(msgid: str, locale: str = "en", **values) -> str:
    """What the bot shows for `msgid` in `locale`: so a story can press a Welsh button."""
    text = _catalogs().gettext(msgid, locale=locale)
    return text.format(**values) if values else text


def states_with_a_window() -> set:
    """Every dialog state the bot has a window for."""
    return {
        window.get_state()
        for dialog in dialogs_router().sub_routers
        for window in dialog.windows.values()
    }


def untranslated(msgid: str, _locale: str) -> str:
    """A `translate` for services that leaves every text in English, as written."""
    return msgid


def ntr(singular: str, plural: str, count: int, locale: str = "en", **values) -> str:
    """The plural form the bot shows for `count` in `locale`, filled in."""
    text = _catalogs().gettext(singular, plural, count, locale=locale)
    return text.format(count=count, **values)


# Story helpers: plain functions, so a test reads as what people do.


async def make_team(
    app: Application,
    name: str = TEAM,
    *,
    timezone: str = "Europe/London",
    feedback_topics: str = "",
) -> tuple[int, str]:
    """A team and an invite to join it as a participant: (project_id, invite_code)."""
    async with app.sessions() as session:
        project = await projects.create_project(session, name, timezone=timezone)
        project.feedback_topics = feedback_topics
        invite = await invites.create_invite(session, project, Role.PARTICIPANT)
        await session.commit()
        return project.id, invite.code


async def make_staff(
    app: Application, telegram_id: int, *project_ids: int, role: Role = Role.FACILITATOR
) -> None:
    """Give someone (made if new) the role in each of these teams."""
    async with app.sessions() as session:
        person = await participants.get_or_create(session, telegram_id)
        for project_id in project_ids:
            project = await projects.get_project(session, project_id)
            await projects.set_role(session, project, person, role)
        await session.commit()


async def update_person(app: Application, telegram_id: int, **fields) -> None:
    """Set fields of someone's participant row, as their settings would."""
    async with app.sessions() as session:
        person = await participants.get_by_telegram_id(session, telegram_id)
        for name, value in fields.items():
            setattr(person, name, value)
        session.add(person)
        await session.commit()


async def no_quiet_hours(app: Application, *telegram_ids: int) -> None:
    """So the stories do not depend on the hour the tests run at."""
    async with app.sessions() as session:
        for telegram_id in telegram_ids:
            person = await participants.get_by_telegram_id(session, telegram_id)
            person.quiet_start = person.quiet_end = None
            session.add(person)
        await session.commit()


async def team_with_people(
    emulator: TelegramEmulator,
    app: Application,
    members: dict[int, str],
    *,
    facilitator: int,
    **join_options,
):
    """A facilitator of one team, and members who joined it in their own languages
    ({telegram_id: language button}), none with quiet hours: (project_id, facilitator, people)."""
    project_id, code = await make_team(app)
    await make_staff(app, facilitator, project_id)
    fay = await join(emulator, facilitator)
    people = {}
    for telegram_id, language in members.items():
        people[telegram_id] = await join(
            emulator, telegram_id, language=language, code=code, **join_options
        )
    await no_quiet_hours(app, facilitator, *members)
    return project_id, fay, people


async def press(emulator: TelegramEmulator, person, *labels: str) -> None:
    """The person taps these buttons, one after another, each handled before the next."""
    for label in labels:
        await settle(emulator, await person.press(label))


async def say(emulator: TelegramEmulator, person, text: str) -> None:
    """The person sends this text, and the bot handles it."""
    await settle(emulator, await person.send_text(text))


def got(person, text: str, *, starting: bool = False) -> list:
    """The messages the person got that read exactly `text` (or, if `starting`, begin with it)."""
    if starting:
        return [m for m in person.messages if m.body.startswith(text)]
    return [m for m in person.messages if m.body == text]


def button_data(person, widget: str, item: str | None = None) -> tuple[str, int]:
    """Callback data and message id of the newest button of this widget (and item) on screen."""
    for message in reversed(person.messages):
        for row in message.callback_data:
            for data in row:
                if not data or CB_SEP not in data:
                    continue
                own = data.split(CB_SEP, 1)[1]
                name, _sep, value = own.partition(":")
                if name == widget and (item is None or value == item):
                    return data, message.message_id
    raise AssertionError(f"no button {widget}:{item} on screen: {person.buttons}")


async def tap(emulator: TelegramEmulator, person, widget: str, item: str | None = None) -> None:
    """Press a button by its widget id (and item), not its label: any language works."""
    data, message_id = button_data(person, widget, item)
    await settle(emulator, await person.press_data(data, message_id))


async def give_feedback(
    emulator: TelegramEmulator,
    person,
    topic: str,
    rating: str,
    words: str | None,
    named: bool = False,
    locale: str = "en",
) -> None:
    """Quick feedback through /feedback: a topic, a rating like "🙂 Good", words or none."""
    await say(emulator, person, "/feedback")
    face, _, word = rating.partition(" ")
    await press(emulator, person, topic, f"{face} {tr(word, locale)}")
    if words:
        await say(emulator, person, words)
    send = "Send with my name" if named else "Send without my name"
    await press(emulator, person, tr(send, locale))


async def add_offer(app: Application, project_id: int, title: str, **fields) -> int:
    """A thank-you offer in English (training unless `kind` says otherwise): its id."""
    fields.setdefault("kind", OfferKind.TRAINING)
    async with app.sessions() as session:
        offer = ReciprocityOffer(project_id=project_id, source_locale="en", **fields)
        await offers.add_offer(session, offer, {"en": (title, "")})
        await session.commit()
        return offer.id


# The stories that run real processes for minutes start first, so the short ones fill in
# around them on the other workers instead of one long story finishing alone at the end.
_LONG_FIRST = (
    "test_scale_out.py",
    "test_poll_restart.py",
    "test_audit_bound.py",
    "test_platform.py",
    "test_every_window.py",
    "test_ways_out.py",
    "test_restart.py",
    "test_chat_demo.py",
    "test_first_hour.py",
    "test_admin_cli.py",
)


# The stories that start several bot processes each take turns on one xdist worker
# (`--dist loadgroup`): at most one of them loads the two cores at a time, so the stories on
# the other workers are never starved by five processes at once.
_PROCESS_STORIES = ("test_scale_out.py", "test_poll_restart.py", "test_platform.py")


def _file_name(item) -> str:
    return item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1]


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        name = _file_name(item)
        return _LONG_FIRST.index(name) if name in _LONG_FIRST else len(_LONG_FIRST)

    items.sort(key=rank)  # stable: within a file, the order stays as written
    for item in items:
        if _file_name(item) in _PROCESS_STORIES:
            item.add_marker(pytest.mark.xdist_group("processes"))
