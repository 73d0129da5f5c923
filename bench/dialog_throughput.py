"""How many updates per second the real bot handles, next to a bare aiogram echo bot.

N simulated participants each send /start, press "English" and press "Next" (the first steps
of joining), all at once, against the local Telegram emulator over HTTP on 127.0.0.1
(rate limits off: we measure
our bot, not Telegram's limits). The real bot is built by `create_application`, as in
production (SQLite persistence, SQL dialog state, i18n), and polled by the product's
`ConfirmingPoller`. The echo bot is a plain aiogram Dispatcher making comparable Bot API calls
through the same poller against its own emulator: the ceiling that aiogram, the emulator and
this machine set, so the ratio says what our own code costs.

Latency of an update: from the participant's action to the moment the bot's answer (a message
sent or edited) is in the emulator, i.e. visible to them. Throughput: 3*N updates over the wall
time from the first action to the last answer. A few warm-up participants run first, untimed.

    .venv/bin/python bench/dialog_throughput.py [--participants 300] [--database PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import shlex
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.app import create_application, create_bot
from bot.config import Settings
from bot.emulator import SimulatedUser, TelegramEmulator
from bot.polling import ConfirmingPoller

TOKEN = "123456789:" + "B" * 35
ROOT = Path(__file__).resolve().parent.parent
TARGET_UPDATES_PER_SECOND = 250
STEP_TIMEOUT_SECONDS = 60


# -- the participant's script ---------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One thing a participant does, and the text that shows the bot has answered it."""

    name: str
    act: Callable[[SimulatedUser], Awaitable[dict[str, Any]]]
    answered_when_text_has: str


def _send(text: str) -> Callable[[SimulatedUser], Awaitable[dict[str, Any]]]:
    return lambda user: user.send_text(text)


def _press(label: str) -> Callable[[SimulatedUser], Awaitable[dict[str, Any]]]:
    return lambda user: user.press(label)


COPRODUCE_SCRIPT = (
    Step("/start", _send("/start"), "Please choose your language"),
    Step("English", _press("English"), "Welcome to Coproduce"),
    Step("Next", _press("Next"), "Before we start, here is what we keep."),
)
ECHO_SCRIPT = (
    Step("/start", _send("/start"), "You said /start"),
    Step("English", _press("English"), "You pressed en"),
    Step("Open the menu", _press("Open the menu"), "You pressed menu"),
)


# -- seeing the bot's answers ------------------------------------------------------------------


class AnswerClock:
    """Stamps the moment a bot message a participant waits for is sent or edited.

    `SimulatedUser.wait_for_message` wakes every waiter on every change in the emulator, so
    with hundreds of participants waiting at once the harness, not the bot, would eat the CPU
    (O(N) wake-ups per message). Instead this wraps the emulator state's two "a bot message
    appeared or changed" points for this run and wakes only the one participant concerned, with
    the time stamped at the change itself rather than when the waiter gets scheduled.
    """

    def __init__(self, emulator: TelegramEmulator) -> None:
        self._waiting: dict[int, tuple[str, asyncio.Future[float]]] = {}
        state = emulator.state
        add_message, touch = state.add_message, state.touch

        def add_message_and_stamp(chat_id: int, content: dict[str, Any], from_bot: bool):
            data = add_message(chat_id, content, from_bot)
            if from_bot:
                self._stamp(chat_id, data)
            return data

        def touch_and_stamp(message) -> None:
            touch(message)
            if message.from_bot:
                self._stamp(message.data["chat"]["id"], message.data)

        state.add_message = add_message_and_stamp  # type: ignore[method-assign]
        state.touch = touch_and_stamp  # type: ignore[method-assign]

    def expect(self, chat_id: int, text: str) -> asyncio.Future[float]:
        """Call before acting: the future gets the perf_counter time of the answer."""
        answered: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = (text, answered)
        return answered

    def _stamp(self, chat_id: int, data: dict[str, Any]) -> None:
        waiting = self._waiting.get(chat_id)
        if waiting is None:
            return
        text, answered = waiting
        if text in (data.get("text") or "") and not answered.done():
            answered.set_result(time.perf_counter())
            del self._waiting[chat_id]


async def play(
    user: SimulatedUser, script: tuple[Step, ...], clock: AnswerClock, latencies: list[float]
) -> tuple[float, float]:
    """One participant walks the script; returns (first action, last answer) times."""
    first = last = 0.0
    for step in script:
        answered = clock.expect(user.id, step.answered_when_text_has)
        started = time.perf_counter()
        first = first or started
        await step.act(user)
        try:
            last = await asyncio.wait_for(answered, STEP_TIMEOUT_SECONDS)
        except TimeoutError:
            raise TimeoutError(
                f"{user.first_name}: no answer to {step.name!r} within {STEP_TIMEOUT_SECONDS}s; "
                f"on screen: {user.last_message.text if user.last_message else None!r}"
            ) from None
        latencies.append(last - started)
    return first, last


# -- the two bots ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def bot_process(*command: str, env: dict[str, str]) -> AsyncIterator[None]:
    """A bot in its own process, as in production: Telegram (here the emulator, with the
    participants) does not share the bot's interpreter and core."""
    process = await asyncio.create_subprocess_exec(
        *command, env={**os.environ, **env, "LOG_LEVEL": "WARNING"}, cwd=ROOT
    )
    try:
        yield
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


@contextlib.asynccontextmanager
async def coproduce_process(emulator: TelegramEmulator, database: Path) -> AsyncIterator[None]:
    """The real bot started exactly as `coproduce run` starts it."""
    env = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emulator.api_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "DATA_DIR": str(database.parent),
        "REDIS_URL": "",
    }
    async with bot_process(sys.executable, "-m", "bot", "run", env=env):
        yield


@contextlib.asynccontextmanager
async def echo_process(emulator: TelegramEmulator) -> AsyncIterator[None]:
    command = (sys.executable, str(ROOT / "bench" / "dialog_throughput.py"), "--serve-echo")
    command = (*command, emulator.api_url)
    async with bot_process(*command, env={}):
        yield


async def serve_echo(api_url: str) -> None:
    """The echo bot alone, polling until it is terminated (the child of `echo_process`)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with echo_bot_at(api_url):
        await stop.wait()


@contextlib.asynccontextmanager
async def coproduce_bot(emulator: TelegramEmulator, database: Path) -> AsyncIterator[None]:
    """The real application, built and polled as production builds and polls it."""
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        telegram_api_url=emulator.api_url,
        database_url=f"sqlite+aiosqlite:///{database}",
        data_dir=database.parent,
        redis_url=None,
    )
    app = await create_application(settings)
    try:
        async with polling(app.dispatcher, app.bot):
            yield
    finally:
        await app.close()


def echo_router() -> Router:
    """Answers like the real bot's first path does (one send, then answer + edit per press),
    with no database, no dialog state and no translations."""
    router = Router(name="echo")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="English", callback_data="en")],
            [InlineKeyboardButton(text="Open the menu", callback_data="menu")],
        ]
    )

    @router.message(F.text)
    async def echo_text(message: Message) -> None:
        await message.answer(f"You said {message.text}", reply_markup=keyboard)

    @router.callback_query()
    async def echo_press(callback: CallbackQuery) -> None:
        await callback.answer()
        await callback.message.edit_text(f"You pressed {callback.data}", reply_markup=keyboard)

    return router


@contextlib.asynccontextmanager
async def echo_bot(emulator: TelegramEmulator) -> AsyncIterator[None]:
    async with echo_bot_at(emulator.api_url):
        yield


@contextlib.asynccontextmanager
async def echo_bot_at(api_url: str) -> AsyncIterator[None]:
    dispatcher = Dispatcher()
    dispatcher.include_router(echo_router())
    bot = create_bot(TOKEN, api_url)
    try:
        async with polling(dispatcher, bot):
            yield
    finally:
        await bot.session.close()


@contextlib.asynccontextmanager
async def polling(dispatcher: Dispatcher, bot: Bot) -> AsyncIterator[None]:
    poller = ConfirmingPoller(dispatcher, bot, timeout=1)
    task = asyncio.create_task(poller.run())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# -- one measured run -------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    participants: int
    updates: int
    seconds: float
    latencies: list[float]
    api_calls: Counter[str] = field(default_factory=Counter)
    api_errors: Counter[int] = field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: int) -> float:
        if len(self.latencies) < 2:
            return 1000 * (self.latencies[0] if self.latencies else 0.0)
        return 1000 * statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


async def measure(
    name: str,
    run_bot: Callable[[TelegramEmulator], contextlib.AbstractAsyncContextManager[None]],
    script: tuple[Step, ...],
    participants: int,
    warmup: int,
) -> Result:
    emulator = TelegramEmulator(rate_limits=False)
    await emulator.start()
    try:
        clock = AnswerClock(emulator)
        async with run_bot(emulator):
            # Warm-up: first renders, compiled SQL, connection pool; not timed.
            warm = [emulator.user(1_000_000 + i, f"Warm{i}") for i in range(warmup)]
            await asyncio.gather(*(play(user, script, clock, []) for user in warm))

            calls_before = Counter(emulator.stats.by_method)
            errors_before = Counter(emulator.stats.errors)
            users = [emulator.user(1 + i, f"P{i}", language_code="en") for i in range(participants)]
            latencies: list[float] = []
            spans = await asyncio.gather(*(play(user, script, clock, latencies) for user in users))
            seconds = max(last for _, last in spans) - min(first for first, _ in spans)
            return Result(
                name,
                participants,
                len(latencies),
                seconds,
                latencies,
                Counter(emulator.stats.by_method) - calls_before,
                Counter(emulator.stats.errors) - errors_before,
            )
    finally:
        await emulator.stop()


# -- report -----------------------------------------------------------------------------------


def report(results: list[Result], argv: list[str]) -> None:
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.machine()}"
    )
    print("rerun:   " + shlex.join([".venv/bin/python", "bench/dialog_throughput.py", *argv]))
    print("bots run in their own process (as in production) unless --same-process")
    print()
    header = ("bot", "participants", "updates", "seconds", "updates/s", "p50 ms", "p99 ms")
    rows = [
        (
            r.name,
            str(r.participants),
            str(r.updates),
            f"{r.seconds:.2f}",
            f"{r.per_second:.1f}",
            f"{r.percentile_ms(50):.1f}",
            f"{r.percentile_ms(99):.1f}",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    print()
    for r in results:
        calls = ", ".join(f"{m} {n / r.updates:.2f}" for m, n in r.api_calls.most_common())
        print(f"{r.name}: Bot API calls per update: {calls}")
        if r.api_errors:
            print(f"{r.name}: Bot API errors: {dict(r.api_errors)}")
    by_name = {r.name: r for r in results}
    coproduce, echo = by_name.get("coproduce"), by_name.get("bare aiogram echo")
    if coproduce and echo and echo.per_second:
        print(f"ratio (coproduce / echo): {coproduce.per_second / echo.per_second:.2f}")
    if coproduce:
        met = "MET" if coproduce.per_second >= TARGET_UPDATES_PER_SECOND else "NOT MET"
        print(f"target: >= {TARGET_UPDATES_PER_SECOND} updates/s for coproduce: {met}")


# -- command line -----------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Updates/s and latency of the real bot and of a bare aiogram echo bot."
    )
    parser.add_argument("--participants", type=int, default=300, help="at once (default 300)")
    parser.add_argument(
        "--database",
        type=Path,
        help="SQLite file for the real bot (must not exist yet; default: a temporary file)",
    )
    parser.add_argument("--warmup", type=int, default=10, help="untimed participants first")
    parser.add_argument(
        "--bots",
        choices=("both", "coproduce", "echo"),
        default="both",
        help="which bots to measure (one alone is handy under a profiler)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 30 participants, 2 warm-up"
    )
    parser.add_argument(
        "--same-process",
        action="store_true",
        help="run the bots in this process, beside the emulator (for a profiler)",
    )
    parser.add_argument("--serve-echo", metavar="API_URL", help=argparse.SUPPRESS)
    parser.add_argument(
        "--timeout", type=float, default=300, help="give up after this many seconds"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.participants, args.warmup = 30, 2
    if args.participants < 1:
        parser.error("--participants must be at least 1")
    if args.warmup < 1:
        # The first participant also proves the bot is polling before the counters start.
        parser.error("--warmup must be at least 1")
    if args.database is not None and args.database.exists():
        # A participant already in the database goes straight to the menu, not the script.
        parser.error(f"--database {args.database} exists; give a new file")
    return args


async def run(args: argparse.Namespace) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="coproduce-bench-") as tmp:
        database = args.database or Path(tmp) / "bench.db"
        async with asyncio.timeout(args.timeout):
            if args.bots in ("both", "coproduce"):
                results.append(
                    await measure(
                        "coproduce",
                        lambda emulator: (
                            coproduce_bot if args.same_process else coproduce_process
                        )(emulator, database),
                        COPRODUCE_SCRIPT,
                        args.participants,
                        args.warmup,
                    )
                )
            if args.bots in ("both", "echo"):
                results.append(
                    await measure(
                        "bare aiogram echo",
                        echo_bot if args.same_process else echo_process,
                        ECHO_SCRIPT,
                        args.participants,
                        args.warmup,
                    )
                )
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.serve_echo:
        asyncio.run(serve_echo(args.serve_echo))
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("aiogram", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        results = asyncio.run(run(args))
    except TimeoutError as error:
        print(f"benchmark did not finish: {error or f'over {args.timeout:.0f}s'}", file=sys.stderr)
        return 1
    report(results, argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
