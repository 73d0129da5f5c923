"""A broadcast to N recipients through the real delivery engine, against the local Telegram
emulator with Telegram's flood limits on (at most 30 messages in any sliding second overall,
about 1/s per chat; beyond them, 429s).

Run 1: one engine sends the whole broadcast, in this process and on the same event loop as the
emulator (so it measures the engine's pacing, not a deployment of several processes; that is
bench/scale_out.py). Prints the sustained rate against Telegram's 30/s, the 429s the emulator
answered, the most messages in any sliding second, and recipients lost or sent twice.
Run 2: the engine runs in a child process, which is killed with SIGKILL at a random moment and
started again; the emulator stays in this process and counts. Every figure comes from the
emulator's own tally (`TelegramEmulator.traffic`): each recipient should receive the broadcast
text exactly once, so none is a loss and two are a duplicate. Everything talks only to
127.0.0.1; it stops by itself.

    .venv/bin/python bench/broadcast.py [--recipients 10000] [--quick] [--seed N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

from bot.app import create_bot
from bot.delivery import DeliveryEngine, Pacer, delivery_report, enqueue_message
from bot.emulator import TelegramEmulator
from bot.i18n import create_i18n
from storage import outbox
from storage.db import create_engine, create_session_factory, upgrade
from storage.models import OutboxKind, Participant

TOKEN = "123456789:" + "C" * 35
FIRST_TELEGRAM_ID = 1_000_000
TELEGRAM_RATE = 30  # Telegram's overall limit, messages in any second
TARGET_RATE = 28.0
TEXT = "The meeting on Thursday is moved to the library."


async def seed(database_url: str, emulator: TelegramEmulator, recipients: int) -> int:
    """N participants (and their Telegram users), and one broadcast to all of them."""
    engine = create_engine(database_url)
    await upgrade(engine)
    sessions = create_session_factory(engine)
    now = datetime.now(UTC)
    ids = [FIRST_TELEGRAM_ID + i for i in range(recipients)]
    for telegram_id in ids:
        emulator.user(telegram_id)
    async with sessions() as session:
        rows = [
            {"telegram_id": t, "created_at": now, "last_seen_at": now, "messages_per_week": 3}
            for t in ids
        ]
        await session.execute(insert(Participant), rows)
        people = list((await session.execute(select(Participant.id))).scalars())
        message_id = await enqueue_message(
            session,
            kind=OutboxKind.BROADCAST,
            recipients=people,
            now=now,
            source_locale="en",
            texts={"en": TEXT},
        )
        await session.commit()
    await engine.dispose()
    return message_id


async def send_all(database_url: str, api_url: str) -> dict:
    """What one engine process does: resume, send everything due, stop."""
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    bot = create_bot(TOKEN, api_url)
    delivery = DeliveryEngine(bot, sessions, create_i18n(), pacer=Pacer(), batch_size=100)
    try:
        await delivery.recover()
        handled = await delivery.run_until_idle()
        # A killed engine's rows come back once its lease runs out: wait for them, as a
        # restarted worker does (its poll finds them then).
        give_up = time.monotonic() + delivery.lease.total_seconds() + 60
        while time.monotonic() < give_up:
            async with sessions() as session:
                if not await outbox.open_count(session):
                    break
            await asyncio.sleep(0.5)
            handled += await delivery.run_until_idle()
    finally:
        await bot.session.close()
        await engine.dispose()
    return {"handled": handled, "retry_after": delivery.retry_after_received}


async def report_of(database_url: str, message_id: int):
    engine = create_engine(database_url)
    async with create_session_factory(engine)() as session:
        report = await delivery_report(session, message_id)
    await engine.dispose()
    return report


def tally(emulator: TelegramEmulator, recipients: int) -> tuple[float, int, int]:
    """Sustained rate, recipients who never got the text, and extra copies, from the emulator."""
    traffic = emulator.traffic
    per_chat = traffic.received[TEXT]
    lost = sum(1 for i in range(recipients) if per_chat[FIRST_TELEGRAM_ID + i] == 0)
    duplicated = sum(n - 1 for n in per_chat.values() if n > 1)
    calls, span = sum(traffic.accepted.values()), traffic.span_seconds()
    rate = (calls - 1) / span if calls > 1 and span > 0 else 0.0
    return rate, lost, duplicated


def print_pace(emulator: TelegramEmulator) -> None:
    print(f"  429s received        {emulator.traffic.too_many_requests}")
    print(
        f"  most in any second   {emulator.traffic.max_in_any_second()} "
        "(sliding window; the emulator refuses a 31st)"
    )


async def run_in_process(recipients: int, workdir: Path) -> bool:
    url = f"sqlite+aiosqlite:///{workdir / 'inprocess.db'}"
    async with TelegramEmulator(rate_limits=True) as emulator:
        message_id = await seed(url, emulator, recipients)
        started = time.monotonic()
        await send_all(url, emulator.api_url)
        elapsed = time.monotonic() - started
        rate, lost, duplicated = tally(emulator, recipients)
        report = await report_of(url, message_id)
        print(f"run 1: {recipients} recipients, engine in this process")
        print(f"  sent                 {emulator.stats.sent} in {elapsed:.1f} s")
        print(
            f"  sustained rate       {rate:.2f} messages/s "
            f"(Telegram's limit {TELEGRAM_RATE}/s, target >= {TARGET_RATE:.0f}/s)"
        )
        print_pace(emulator)
        print(f"  lost                 {lost}")
        print(f"  duplicated           {duplicated}")
        print(
            f"  report               sent {report.sent} of {report.total}, queued {report.queued}"
        )
    refused = emulator.traffic.too_many_requests
    return lost == 0 and duplicated == 0 and refused == 0 and rate >= TARGET_RATE


async def run_with_kill(recipients: int, workdir: Path, rng: random.Random) -> bool:
    url = f"sqlite+aiosqlite:///{workdir / 'killed.db'}"
    async with TelegramEmulator(rate_limits=True) as emulator:
        message_id = await seed(url, emulator, recipients)
        command = [sys.executable, __file__, "--worker", url, emulator.api_url]
        expected = recipients / Pacer().rate
        kill_after = rng.uniform(0.1, 0.9) * expected
        worker = await asyncio.create_subprocess_exec(*command)
        while not emulator.stats.sent and worker.returncode is None:  # noqa: ASYNC110 - a counter
            await asyncio.sleep(0.05)
        try:
            await asyncio.wait_for(worker.wait(), timeout=kill_after)
            killed_at = None  # it finished first (a tiny run)
        except TimeoutError:
            killed_at = emulator.stats.sent
            os.kill(worker.pid, signal.SIGKILL)
            await worker.wait()
        restarted = await asyncio.create_subprocess_exec(*command)
        await restarted.wait()
        rate, lost, duplicated = tally(emulator, recipients)
        report = await report_of(url, message_id)
        print(f"run 2: {recipients} recipients, engine in a child process, kill -9 and restart")
        if killed_at is None:
            print("  (the child finished before the kill: use more recipients)")
        else:
            print(f"  killed after         {kill_after:.1f} s, {killed_at} messages sent")
        print(f"  sent                 {emulator.stats.sent}")
        print(f"  rate across the kill {rate:.2f} messages/s (includes the restart)")
        print_pace(emulator)
        print(f"  lost                 {lost} (must be 0)")
        print(f"  duplicated           {duplicated} (at most 1)")
        print(
            f"  report               sent {report.sent} of {report.total}, queued {report.queued}"
        )
    return lost == 0 and duplicated <= 1 and restarted.returncode == 0


async def main(args: argparse.Namespace) -> int:
    recipients = 300 if args.quick else args.recipients
    seed_value = args.seed if args.seed is not None else random.randrange(10**6)
    print(f"broadcast benchmark: seed {seed_value}, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="coproduce-bench-") as tmp:
        first = await run_in_process(recipients, Path(tmp))
        second = await run_with_kill(recipients, Path(tmp), random.Random(seed_value))
    print("PASS" if first and second else "FAIL")
    return 0 if first and second else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="300 recipients: a smoke run")
    parser.add_argument("--seed", type=int, help="for the kill moment")
    parser.add_argument(
        "--worker", nargs=2, metavar=("DATABASE_URL", "API_URL"), help=argparse.SUPPRESS
    )
    return parser


if __name__ == "__main__":
    arguments = _parser().parse_args()
    logging.basicConfig(level=logging.WARNING)
    if arguments.worker:
        result = asyncio.run(send_all(*arguments.worker))
        print(f"  worker: {json.dumps(result)}", flush=True)
        sys.exit(0)
    sys.exit(asyncio.run(main(arguments)))
