"""Nothing a participant does is lost when the bot stops, crashes or is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from aiogram.types import Update

from tests.conftest import TOKEN, settle


async def test_a_dialog_continues_after_a_restart_and_taps_made_meanwhile_count(
    emulator, start_bot
):
    first = await start_bot()
    ann = emulator.user(2001, first_name="Ann", language_code="en")
    await settle(emulator, await ann.send_text("/start"))
    await settle(emulator, await ann.press("Cymraeg"))
    welcome = ann.last_message.text
    await first.stop()

    tap = await ann.press(ann.buttons[0])  # "next", tapped while the bot was down
    assert not await emulator.wait_until_confirmed(tap["update_id"], timeout=0.5)

    await start_bot()
    await settle(emulator, tap)
    assert ann.last_message.text != welcome
    assert "/mydata" in ann.last_message.text  # the consent screen, in Welsh
    assert len(ann.buttons) == 4


async def test_an_update_in_flight_during_a_crash_is_handled_after_restart(emulator, start_bot):
    first = await start_bot()
    ben = emulator.user(2002, first_name="Ben", language_code="en")
    emulator.inject_fault(method="sendMessage", kind="timeout", delay=30)
    update = await ben.send_text("/start")
    await asyncio.sleep(1.0)  # the bot fetched it and is now stuck mid-update, waiting on Telegram
    assert not ben.messages
    await first.stop()  # the crash
    assert not await emulator.wait_until_confirmed(update["update_id"], timeout=0.3)

    await start_bot()
    await settle(emulator, update)
    assert "English" in ben.buttons


async def test_the_same_update_delivered_twice_is_handled_once(emulator, start_bot):
    running = await start_bot()
    cat = emulator.user(2003, first_name="Cat", language_code="en")
    update = await cat.send_text("/start")
    await settle(emulator, update)
    sent_before = [r for r in emulator.requests if r.method == "sendMessage"]
    await running.app.dispatcher.feed_update(running.app.bot, Update.model_validate(update))
    await asyncio.sleep(0.2)
    assert [r for r in emulator.requests if r.method == "sendMessage"] == sent_before


async def test_kill_9_mid_dialog_then_restart_lets_the_participant_finish(emulator, tmp_path):
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emulator.api_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'killed.db'}",
        "PYTHONPATH": os.getcwd(),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)

    async def start_process():
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path
        )

    dee = emulator.user(2004, first_name="Dee", language_code="pl")
    process = await start_process()
    try:
        # A new process imports the bot and applies migrations first: on a busy machine, slowly.
        await settle(emulator, await dee.send_text("/start"), quiet=0.3, within=60)
        await settle(emulator, await dee.press("Polski"), quiet=0.3)
        welcome = dee.last_message.text
        process.send_signal(signal.SIGKILL)
        await process.wait()

        tap = await dee.press(dee.buttons[0])
        process = await start_process()
        await settle(emulator, tap, quiet=0.3, within=60)
        assert dee.last_message.text != welcome
        assert "/mydata" in dee.last_message.text  # the consent screen, in Polish
        await settle(emulator, await dee.press(dee.buttons[0]), quiet=0.3)  # and it goes on
        assert len(dee.buttons) == 4
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
            await process.wait()


async def test_a_double_tap_arriving_at_once_is_stored_once(emulator, start_bot):
    """Two webhook requests for the same button at the same moment: one consent, not two."""
    from sqlalchemy import func, select

    from storage.models import ConsentRecord

    running = await start_bot()
    eli = emulator.user(2005, first_name="Eli", language_code="en")
    await settle(emulator, await eli.send_text("/start"))
    await settle(emulator, await eli.press("English"))
    await settle(emulator, await eli.press("Next"))
    consent_screen = eli.last_message
    data = consent_screen.data_for("I agree")
    taps = [await eli.press_data(data, message_id=consent_screen.message_id) for _ in range(2)]
    await running.stop()  # the poller must not see these; we deliver them at once, as a webhook
    app = await start_bot()
    await asyncio.gather(
        *(app.app.dispatcher.feed_update(app.app.bot, Update.model_validate(t)) for t in taps)
    )
    async with app.app.sessions() as session:
        given = await session.scalar(select(func.count()).select_from(ConsentRecord))
    assert given == 1
