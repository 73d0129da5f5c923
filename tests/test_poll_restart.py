"""Kill -9 right after "Send" on a new availability poll: after the restart everyone asked has
the invitation once, and the crash doubled at most the one message that was in flight when the
process died (Telegram has no idempotency key, so one is the floor; more is a defect).

The delivery engine waits for each message's turn (30 a second overall, one a second per chat,
longer after a 429). It used to record a message as sent only together with the next one, after
that wait: a crash while it waited sent again a message Telegram had already answered. The
first story holds the engine in that wait and crashes it there, every time; the second kills
a real process with SIGKILL at several points of the sending."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import Update
from sqlalchemy import func, select

from bot.delivery import DeliveryEngine, Pacer
from bot.services.consent import CONSENT_VERSION
from dialogs.actions import markup_factory
from storage import participants, projects
from storage.db import create_engine, create_session_factory, upgrade
from storage.models import DeliveryState, OutboxDelivery, OutboxMessage, Role
from storage.types import utcnow
from tests.conftest import TEAM, TOKEN, press, say, settle

LONDON = ZoneInfo("Europe/London")
FACILITATOR = 9000
INVITED = list(range(9001, 9009))  # eight people, so a crash can fall in the middle
# Kill when this many invitations of the round have reached Telegram: before the first (the
# "Send" itself may be undone), in the middle of the batch, and at its end.
KILL_AFTER = (0, 3, len(INVITED))


async def _seed(url: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await _seed_team(create_session_factory(engine))
    await engine.dispose()


async def _seed_team(sessions) -> None:
    """A team whose people joined earlier: consented, no quiet hours, in London."""
    async with sessions() as session:
        project = await projects.create_project(session, TEAM, timezone="Europe/London")
        for telegram_id in [FACILITATOR, *INVITED]:
            person = await participants.get_or_create(session, telegram_id)
            person.consent_version, person.consented_at = CONSENT_VERSION, utcnow()
            person.onboarded_at, person.locale = utcnow(), "en"
            person.quiet_start = person.quiet_end = None
            person.messages_per_week = 21
            role = Role.FACILITATOR if telegram_id == FACILITATOR else Role.PARTICIPANT
            await projects.set_role(session, project, person, role)
        await session.commit()


async def _open_deliveries(url: str) -> int:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        rows = await session.execute(
            select(OutboxDelivery.id).where(OutboxDelivery.state != DeliveryState.SENT)
        )
        found = len(rows.all())
    await engine.dispose()
    return found


async def _choose_day(emulator, fay, day) -> None:
    today = utcnow().astimezone(LONDON).date()
    if (day.year, day.month) != (today.year, today.month):
        await press(emulator, fay, next(label for label in fay.buttons if label.endswith(">>")))
    await press(emulator, fay, str(day.day))


async def _poll_ready_to_send(emulator, fay, title: str) -> None:
    day = utcnow().astimezone(LONDON).date() + timedelta(days=3)
    await say(emulator, fay, "/team")
    await press(emulator, fay, "Meetings", "Find a meeting time")
    await say(emulator, fay, title)
    await say(emulator, fay, "Room 4, Town Hall")
    await _choose_day(emulator, fay, day)
    await press(emulator, fay, "18:00", "Add another time")
    await _choose_day(emulator, fay, day)
    await press(emulator, fay, "19:00", "Next", "1 hour")
    await press(emulator, fay, fay.buttons[0])  # the first deadline offered
    await press(emulator, fay, next(b for b in fay.buttons if b.startswith("Everyone")))
    assert "Send it now?" in fay.last_message.text


def _invitations(emulator, title: str) -> dict[int, int]:
    wanted = f"{TEAM} wants to find a time to meet: {title}."
    return {
        telegram_id: sum(m.body.startswith(wanted) for m in emulator.user(telegram_id).messages)
        for telegram_id in INVITED
    }


class TurnNeverComes:
    """The engine's pacer, except that the message after the first `let_through` never gets
    its turn: the engine waits there, as it does for up to a second per chat, or for a 429's
    retry_after, until the crash."""

    def __init__(self, pacer: Pacer, let_through: int) -> None:
        self.pacer, self.let_through = pacer, let_through
        self.waiting = asyncio.Event()

    rate = Pacer().rate

    @contextlib.asynccontextmanager
    async def turn(self, chat_id, *, unprompted: bool = True):
        if self.let_through == 0:
            self.waiting.set()
            await asyncio.Event().wait()
        self.let_through -= 1
        async with self.pacer.turn(chat_id, unprompted=unprompted):
            yield

    async def pause(self, seconds: float) -> None:
        await self.pacer.pause(seconds)

    async def close(self) -> None:
        await self.pacer.close()


@pytest.mark.parametrize("answered", [1, 2, len(INVITED) - 1])
async def test_a_crash_while_the_engine_waits_for_the_next_turn_doubles_nothing(
    emulator, start_bot, answered
):
    running = await start_bot()
    app = running.app
    await _seed_team(app.sessions)
    fay = emulator.user(FACILITATOR, first_name="Fay", language_code="en")
    for telegram_id in INVITED:
        emulator.user(telegram_id, first_name="Sam", language_code="en")
    await _poll_ready_to_send(emulator, fay, "Planning day")
    send = await fay.press("Send")
    await settle(emulator, send)
    assert "Sent. We asked 8 people." in fay.last_message.text

    held = TurnNeverComes(app.delivery.pacer, let_through=answered)
    app.delivery.pacer = held
    sending = asyncio.create_task(app.delivery.run_until_idle())
    await asyncio.wait_for(held.waiting.wait(), 30)
    assert sum(_invitations(emulator, "Planning day").values()) == answered  # all answered
    sending.cancel()  # the crash: what was not committed is gone, as after kill -9
    await asyncio.gather(sending, return_exceptions=True)

    # Telegram sends the unconfirmed "Send" again; the restarted engine finishes the round.
    await app.dispatcher.feed_update(app.bot, Update.model_validate(send))
    restarted = DeliveryEngine(  # started after the dead engine's 30 s lease ran out
        app.bot,
        app.sessions,
        app.i18n,
        pacer=Pacer(),
        markup_for=markup_factory(app.i18n),
        clock=lambda: utcnow() + timedelta(seconds=31),
    )
    await restarted.recover()
    await restarted.run_until_idle()

    assert _invitations(emulator, "Planning day") == dict.fromkeys(INVITED, 1)
    async with app.sessions() as session:
        queued = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.action.like("poll:%"))
        )
    assert queued == 1  # invited once per poll, though "Send" came twice


async def test_kill_9_right_after_send_doubles_at_most_the_message_in_flight(emulator, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'polls.db'}"
    await _seed(url)
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emulator.api_url,
        "DATABASE_URL": url,
        "PYTHONPATH": os.getcwd(),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    fay = emulator.user(FACILITATOR, first_name="Fay", language_code="en")
    for telegram_id in INVITED:
        emulator.user(telegram_id, first_name="Sam", language_code="en")

    async def start_process():
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path
        )
        # A new process imports the bot and applies migrations first: on a busy machine, slowly.
        await settle(emulator, await fay.send_text("/help"), quiet=0.3, within=60)
        return process

    process = await start_process()
    outcomes = []
    try:
        for round_number, kill_after in enumerate(KILL_AFTER, start=1):
            title = f"Planning day {round_number}"
            await _poll_ready_to_send(emulator, fay, title)
            send = await fay.press("Send")
            arrived = await emulator.state.wait_for(
                lambda t=title, k=kill_after: sum(_invitations(emulator, t).values()) >= k, 30
            )
            assert arrived, f"round {round_number}: the invitations never started"
            process.send_signal(signal.SIGKILL)
            await process.wait()

            process = await start_process()
            await settle(emulator, send, quiet=0.3, within=60)
            done = await emulator.state.wait_for(
                lambda t=title: all(_invitations(emulator, t).values()), 60
            )
            assert done, f"round {round_number}: not everyone was invited"
            while await _open_deliveries(url):  # noqa: ASYNC110 - the database sends no event
                await asyncio.sleep(0.2)
            outcomes.append((kill_after, _invitations(emulator, title)))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
            await process.wait()

    for kill_after, counts in outcomes:
        doubled = sum(count - 1 for count in counts.values())
        assert all(counts.values()), (kill_after, counts)  # nobody lost
        assert doubled <= 1, f"killed after {kill_after} sent: {counts}"
