"""Fault soak: simulated people use the real bot for N minutes while Telegram fails calls, the
bot's process is killed twice and (on PostgreSQL) the database goes away for a while.

The emulator runs in this process with random faults on every call: 5% 5xx (half of them after
the call took effect, so the bot cannot tell it landed), 2% dropped connections (half after
delivery) and 1% 429s on messages. The bot runs as `python -m bot run` in a child process, as
in production; it is killed with SIGKILL at a third and at two thirds of the run and started
again at once. On PostgreSQL (`--postgres URL`, or COPRODUCE_TEST_POSTGRES_URL) the database is
cut for 10 s at half time through a TCP proxy; on SQLite that step is not tried (said below).

Each person loops over three journeys: feedback with words of their own (/feedback, a topic, a
rating, the words, "Send without my name"), /mydata, and a language change and back. Printed:
answers given (Send pressed), thanked (the person saw "Thank you"), stored, lost (thanked but
not stored: must be 0), stored twice (must be 0), messages duplicated (the same screen twice in
a row in one chat: a retried send that had landed), unanswered callbacks, contract violations
(by Telegram's words; a retried edit that had landed meets "not modified") and tracebacks in
the bot's log. Everything talks only to 127.0.0.1 and it stops by itself.

    .venv/bin/python bench/soak.py [--minutes 3] [--people 50] [--seed N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.emulator import TelegramEmulator
from bot.emulator.errors import is_contract_violation
from bot.emulator.limits import Chaos
from bot.emulator.proxy import TcpProxy
from bot.emulator.users import ButtonNotFoundError, SimulatedUser
from bot.services import invites
from storage import projects
from storage.db import create_engine, create_session_factory, upgrade
from storage.models import Feedback, Role

PROJECT = str(Path(__file__).resolve().parent.parent)
TOKEN = "123456789:" + "S" * 35
FIRST_ID = 5_000_000
DONE = "Thank you. Your answer is with the team."
WAIT = 120.0  # seconds an action may wait for the bot (a kill and a restart included)


@dataclass
class Tally:
    given: set[str] = field(default_factory=set)
    thanked: set[str] = field(default_factory=set)
    data_asked: int = 0
    data_files: int = 0
    actions: int = 0
    stuck: int = 0  # actions the bot did not confirm within WAIT seconds


class Bot:
    """The real bot in a child process, as `coproduce run` starts it."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env = workdir, env
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.unexpected_exits = 0  # the bot ended by itself: a defect, and it is started again
        self._watch: asyncio.Task | None = None

    async def start(self) -> None:
        self.starts += 1
        log = open(self.workdir / f"bot-{self.starts}.log", "wb")  # noqa: ASYNC230
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=self.env, cwd=self.workdir, stderr=log
        )
        self._watch = asyncio.create_task(self._restart_if_it_ends(self.process))

    async def _restart_if_it_ends(self, process: asyncio.subprocess.Process) -> None:
        await process.wait()
        self.unexpected_exits += 1
        print(f"  the bot ended by itself (exit {process.returncode}); started again")
        await self.start()

    def _unwatch(self) -> None:
        if self._watch is not None:
            self._watch.cancel()

    async def kill(self) -> None:
        assert self.process is not None
        self._unwatch()
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        self._unwatch()
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                await self.kill()

    def tracebacks(self) -> int:
        return sum(
            path.read_text(errors="replace").count("Traceback (most recent call last)")
            for path in self.workdir.glob("bot-*.log")
        )


async def done(emulator: TelegramEmulator, update: dict, tally: Tally) -> bool:
    tally.actions += 1
    if await emulator.wait_until_confirmed(update["update_id"], timeout=WAIT):
        return True
    tally.stuck += 1
    return False


async def press(emulator, person: SimulatedUser, label: str, tally: Tally) -> bool:
    try:
        update = await person.press(label)
    except ButtonNotFoundError:
        return False  # the screen is not what it should be (a redraw that failed): start again
    return await done(emulator, update, tally)


async def say(emulator, person: SimulatedUser, words: str, tally: Tally) -> bool:
    return await done(emulator, await person.send_text(words), tally)


async def join(emulator, person: SimulatedUser, code: str, tally: Tally) -> None:
    await say(emulator, person, f"/start {code}", tally)
    await press(emulator, person, "English", tally)
    for index in (0, 0, 0, 0, 0, 1, 0, 0):  # next, agree, quote, name, skip name, 3 a week, ...
        data, message_id = button(person, index)
        await done(emulator, await person.press_data(data, message_id), tally)


def button(person: SimulatedUser, index: int) -> tuple[str, int]:
    """The callback data of the index-th button on the newest message with buttons."""
    for message in reversed(person.messages):
        flat = [data for row in message.callback_data for data in row if data]
        if flat:
            return flat[index], message.message_id
    raise ButtonNotFoundError("no buttons on screen")


async def feedback(emulator, person: SimulatedUser, number: int, tally: Tally) -> None:
    words = f"soak {person.id} answer {number}"
    if not (
        await say(emulator, person, "/feedback", tally)
        and await press(emulator, person, "Transport", tally)
        and await press(emulator, person, "🙂 Good", tally)
        and await say(emulator, person, words, tally)
    ):
        return
    before = {m.message_id for m in person.messages if DONE in m.body}
    try:
        update = await person.press("Send without my name")
    except ButtonNotFoundError:
        return
    tally.given.add(words)
    await done(emulator, update, tally)
    if any(DONE in m.body and m.message_id not in before for m in person.messages):
        tally.thanked.add(words)


async def my_data(emulator, person: SimulatedUser, tally: Tally) -> None:
    before = sum(1 for m in person.messages if m.document)
    tally.data_asked += 1
    await say(emulator, person, "/mydata", tally)
    tally.data_files += sum(1 for m in person.messages if m.document) > before


async def language(emulator, person: SimulatedUser, tally: Tally) -> None:
    await say(emulator, person, "/language", tally)
    await press(emulator, person, "Cymraeg", tally)
    await say(emulator, person, "/language", tally)
    await press(emulator, person, "English", tally)


async def live(emulator, person: SimulatedUser, stop: asyncio.Event, rng: random.Random, tally):
    number = 0
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.7:
            number += 1
            await feedback(emulator, person, number, tally)
        elif roll < 0.85:
            await my_data(emulator, person, tally)
        else:
            await language(emulator, person, tally)


def duplicated_screens(emulator: TelegramEmulator, people: list[SimulatedUser]) -> int:
    count = 0
    for person in people:
        previous = None
        for message in person.messages:
            shown = (message.body, tuple(message.labels), bool(message.document))
            count += shown == previous and not message.document
            previous = shown
    return count


async def window_after(emulator: TelegramEmulator, start: int) -> range:
    """The calls made in the 30 s after a kill (the restart included)."""
    await asyncio.sleep(30)
    return range(start, len(emulator.requests))


def _target(params: dict) -> tuple:
    if "callback_query_id" in params:
        return ("press", str(params["callback_query_id"]))
    return ("message", str(params.get("chat_id")), str(params.get("message_id")))


def unexplained_violations(emulator: TelegramEmulator, after_kills: list[range]) -> int:
    """Refusals that no fault explains. A retry of a call whose answer was lost (it had landed)
    meets "not modified" or "query is too old"; so may an update handled again in the first
    30 s after a kill (the new process cannot know what the killed one had sent). Any other
    is a defect."""
    lost_answers = {_target(record.params) for record in emulator.delivered_then_failed}
    return sum(
        1
        for index, record in enumerate(emulator.requests)
        if not record.ok
        and is_contract_violation(record.error_code or 0, record.description)
        and _target(record.params) not in lost_answers
        and not any(index in window for window in after_kills)
    )


async def seed_team(database_url: str) -> tuple[str, object]:
    engine = create_engine(database_url)
    await upgrade(engine)
    sessions = create_session_factory(engine)
    async with sessions() as session:
        project = await projects.create_project(session, "Soak team", timezone="Europe/London")
        project.feedback_topics = "Waiting times\nTransport"
        invite = await invites.create_invite(session, project, Role.PARTICIPANT, max_uses=None)
        await session.commit()
        code = invite.code
    return code, engine


async def soak_database(url: str) -> str:
    """A database of its own beside the one named (`<name>_soak`), made if missing, emptied."""
    parsed = make_url(url)
    own = parsed.set(database=f"{parsed.database}_soak")
    server = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with server.connect() as connection:
        found = await connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
        )
        if found.scalar() is None:
            await connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    await server.dispose()
    engine = create_engine(own.render_as_string(hide_password=False))
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    return own.render_as_string(hide_password=False)


async def soak(args: argparse.Namespace, workdir: Path) -> bool:
    rng = random.Random(args.seed)
    proxy = None
    if args.postgres:
        direct = await soak_database(args.postgres)
        url = make_url(direct)
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
        await proxy.start()
        bot_url = url.set(host="127.0.0.1", port=proxy.listen_port).render_as_string(
            hide_password=False
        )
    else:
        direct = bot_url = f"sqlite+aiosqlite:///{workdir / 'soak.db'}"
    code, engine = await seed_team(direct)
    async with TelegramEmulator(token=TOKEN) as emulator:
        env = {
            **os.environ,
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": emulator.api_url,
            "DATABASE_URL": bot_url,
            "DATA_DIR": str(workdir),
            "PYTHONPATH": PROJECT,
            "LOG_LEVEL": "WARNING",
        }
        env.pop("REDIS_URL", None)
        bot = Bot(workdir, env)
        await bot.start()
        tally = Tally()
        people = [emulator.user(FIRST_ID + i, first_name="Sam") for i in range(args.people)]
        started = time.monotonic()
        await asyncio.gather(*(join(emulator, person, code, tally) for person in people))
        print(f"  {args.people} people joined in {time.monotonic() - started:.0f} s")

        emulator.chaos = Chaos(server_errors=0.05, dropped=0.02, too_many=0.01, rng=rng)
        stop = asyncio.Event()
        lives = [
            asyncio.create_task(live(emulator, p, stop, random.Random(rng.random()), tally))
            for p in people
        ]
        seconds = args.minutes * 60
        kill_windows: list[asyncio.Task[range]] = []
        events = [(seconds / 3, "kill"), (seconds / 2, "database"), (2 * seconds / 3, "kill")]
        began = time.monotonic()
        for at, what in events:
            await asyncio.sleep(max(0.0, began + at - time.monotonic()))
            if what == "kill":
                await bot.kill()
                killed_at = len(emulator.requests)
                await bot.start()
                print(f"  {time.monotonic() - began:5.0f} s: kill -9, started again")
                kill_windows.append(asyncio.create_task(window_after(emulator, killed_at)))
            elif proxy is not None:
                await proxy.stop()
                await asyncio.sleep(10)
                await proxy.start()
                print(f"  {time.monotonic() - began:5.0f} s: database cut for 10 s, back")
            else:
                print(f"  {time.monotonic() - began:5.0f} s: database restart not tried (SQLite)")
        await asyncio.sleep(max(0.0, began + seconds - time.monotonic()))
        stop.set()
        await asyncio.gather(*lives)
        after_kills = list(await asyncio.gather(*kill_windows))
        emulator.chaos, injected = None, emulator.chaos.injected
        # Whatever is still pending is handled now that the faults stopped.
        await emulator.state.wait_for(lambda: not emulator.state.updates, WAIT)
        await bot.stop()

        async with create_session_factory(engine)() as session:
            rows = await session.execute(
                select(Feedback.text, func.count())
                .where(Feedback.text.like("soak %"))
                .group_by(Feedback.text)
            )
            stored = dict(rows.all())
        await engine.dispose()
        if proxy is not None:
            await proxy.stop()

        lost = len(tally.thanked - stored.keys())
        twice = sum(1 for count in stored.values() if count > 1)
        unanswered = sum(1 for a in emulator.state.callback_answers.values() if a is None)
        violations = Counter(v.description.split(":")[1].strip() for v in emulator.violations)
        unexplained = unexplained_violations(emulator, after_kills)
        print(f"  actions              {tally.actions} ({injected} faults injected)")
        print(f"  answers given        {len(tally.given)}")
        print(f"  thanked              {len(tally.thanked)}")
        print(f"  answers stored       {len(stored)}")
        print(f"  lost                 {lost} (thanked, not stored: must be 0)")
        print(f"  given, not stored    {len(tally.given - stored.keys())} (never thanked)")
        print(f"  stored twice         {twice} (must be 0)")
        print(f"  data files           {tally.data_files} of {tally.data_asked} asked")
        print(f"  messages duplicated  {duplicated_screens(emulator, people)}")
        print(f"  unanswered callbacks {unanswered}")
        print(f"  contract violations  {sum(violations.values())} {dict(violations)}")
        print(f"    not after a lost answer or a kill: {unexplained} (must be 0)")
        print(f"  tracebacks           {bot.tracebacks()}")
        print(f"  bot ended by itself  {bot.unexpected_exits} (must be 0)")
        print(f"  actions not handled within {WAIT:.0f} s: {tally.stuck}")
        return (
            lost == 0
            and twice == 0
            and unanswered == 0
            and unexplained == 0
            and bot.unexpected_exits == 0
            and not emulator.state.updates
        )


async def main(args: argparse.Namespace) -> int:
    args.seed = args.seed if args.seed is not None else random.randrange(10**6)
    where = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"fault soak: {args.people} people, {args.minutes} min, {where}, seed {args.seed}, "
        f"Python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory(prefix="coproduce-soak-") as tmp:
        ok = await soak(args, Path(tmp))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("COPRODUCE_TEST_POSTGRES_URL"),
        help="PostgreSQL server URL: the soak makes and empties <database>_soak beside it",
    )
    parser.add_argument("--sqlite", action="store_true", help="SQLite even if a URL is set")
    return parser


if __name__ == "__main__":
    arguments = _parser().parse_args()
    if arguments.sqlite:
        arguments.postgres = None
    sys.exit(asyncio.run(main(arguments)))
