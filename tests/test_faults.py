"""The bot keeps its promises under ordinary faults: Telegram errors while polling, a reply that
fails after Telegram delivered it, a 429 on a reply, and a database that goes away for a while.
Nothing a person did is lost, nothing is handled twice, and polling never stops for good."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.emulator.proxy import TcpProxy
from bot.i18n import LANGUAGE_NAMES
from storage.models import Feedback
from tests.conftest import (
    FEEDBACK_TOPICS,
    POSTGRES_URL,
    join,
    make_team,
    press,
    reset_postgres,
    say,
    settle,
    tr,
)

DONE = "Thank you. Your answer is with the team."


async def answers(app) -> list[Feedback]:
    async with app.sessions() as session:
        return list((await session.execute(select(Feedback).order_by(Feedback.id))).scalars())


async def to_the_send_screen(emulator, running, user_id: int, locale: str = "en"):
    _project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    amy = await join(emulator, user_id, code=code, language=LANGUAGE_NAMES[locale])
    await say(emulator, amy, "/feedback")
    await press(emulator, amy, "Transport", f"🙂 {tr('Good', locale)}")
    return amy


async def until(condition, within: float = 20) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - the request log has no event to wait on
            await asyncio.sleep(0.05)


# -- polling never stops ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["409", "400", "500", "drop"])
async def test_polling_goes_on_after_telegram_refuses_getupdates(emulator, start_bot, kind):
    await start_bot()
    emulator.inject_fault("getUpdates", kind, times=2)
    amy = emulator.user(7101)
    await settle(emulator, await amy.send_text("/start"), within=30)
    assert amy.messages, "the bot never answered after getUpdates failed"


async def test_a_webhook_left_set_for_a_while_does_not_stop_polling(emulator, start_bot):
    await start_bot()
    await until(lambda: any(r.method == "deleteWebhook" for r in emulator.requests))
    await emulator.api.call(
        "setWebhook", {"url": "https://example.org/hook", "secret_token": "s" * 20}
    )
    await until(
        lambda: any(r.method == "getUpdates" and r.error_code == 409 for r in emulator.requests)
    )
    amy = emulator.user(7102)
    update = await amy.send_text("/start")
    await asyncio.sleep(1.5)  # a deploy overlap: another instance's webhook, then it is gone
    assert not amy.messages
    await emulator.api.call("deleteWebhook", {})
    await settle(emulator, update, within=40)
    assert amy.messages


async def test_an_update_aiogram_cannot_read_is_skipped_and_the_next_one_handled(
    emulator, start_bot, caplog
):
    await start_bot()
    broken = emulator.state.enqueue("message", {"message_id": "x", "chat": "not a chat"})
    amy = emulator.user(7103)
    update = await amy.send_text("/start")
    await settle(emulator, update, within=30)
    assert amy.messages
    assert emulator.state.is_confirmed(broken["update_id"])
    assert "not a chat" not in caplog.text  # pydantic's words copy input values: never logged


async def test_a_failing_getme_at_start_is_retried_until_it_works(emulator, start_bot):
    emulator.inject_fault("getMe", "502", times=6)
    await start_bot()
    amy = emulator.user(7104)
    await settle(emulator, await amy.send_text("/start"), within=60)
    assert amy.messages


# -- write first, then talk --------------------------------------------------------------------


@pytest.mark.contract_violations(reason="a retried edit that had landed is 'not modified'")
@pytest.mark.parametrize(
    ("kind", "locale"), [("500-after", "en"), ("502-after", "cy"), ("drop-after", "ar")]
)
async def test_thank_you_then_a_lost_answer_keeps_the_feedback(emulator, start_bot, kind, locale):
    running = await start_bot()
    amy = await to_the_send_screen(emulator, running, 7110, locale)
    emulator.inject_fault("editMessageText", kind, chat_id=7110)
    await press(emulator, amy, tr("Send without my name", locale))

    assert emulator.delivered_then_failed, "the fault did not happen"
    assert tr(DONE, locale) in amy.last_message.text  # what the person saw ...
    [answer] = await answers(running.app)  # ... is what was stored, once
    assert (answer.topic, answer.rating) == ("Transport", 4)


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_a_screen_that_cannot_be_drawn_keeps_the_answer_and_says_so(
    emulator, start_bot, locale
):
    running = await start_bot()
    amy = await to_the_send_screen(emulator, running, 7111, locale)
    # Every try to draw the next screen fails: the retries, then the redraw.
    emulator.inject_fault("editMessageText", "500", times=20, chat_id=7111)
    await press(emulator, amy, tr("Send without my name", locale))

    [answer] = await answers(running.app)
    assert answer.rating == 4
    sorry = "Sorry, I could not show the next screen. Type /menu to go on."
    assert amy.last_message.text == tr(sorry, locale)
    emulator.faults.clear()
    await say(emulator, amy, "/menu")
    assert amy.last_message.buttons


async def test_a_reply_that_meets_429_is_sent_after_retry_after(emulator, start_bot):
    running = await start_bot()
    amy = await to_the_send_screen(emulator, running, 7112)
    emulator.inject_fault("editMessageText", "429", chat_id=7112, retry_after=1)
    await press(emulator, amy, "Send without my name")
    assert DONE in amy.last_message.text
    assert len(await answers(running.app)) == 1


async def test_my_data_after_two_quick_commands_still_arrives(emulator, start_bot):
    await start_bot()
    amy = await join(emulator, 7113)
    emulator.rate_limits = True
    first = await amy.send_text("/menu")
    second = await amy.send_text("/menu")
    third = await amy.send_text("/mydata")
    for update in (first, second, third):
        await settle(emulator, update, within=30)
    assert any(message.document for message in amy.messages), "the data file never came"
    assert emulator.stats.rejected_429 > 0, "the per-chat limit was never met"


# -- a database outage -------------------------------------------------------------------------


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set COPRODUCE_TEST_POSTGRES_URL")
async def test_updates_sent_while_the_database_is_down_are_handled_once_it_is_back(
    emulator, start_bot, caplog
):
    await reset_postgres(POSTGRES_URL)
    url = make_url(POSTGRES_URL)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.listen_port)
    running = await start_bot(database_url=proxied.render_as_string(hide_password=False))
    _project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    people = [await join(emulator, 7120 + index, code=code) for index in range(3)]
    for person in people:
        await say(emulator, person, "/feedback")
        await press(emulator, person, "Transport", "🙂 Good")
    seen = {person.id: len(person.messages) for person in people}

    await proxy.stop()  # the database goes away while people type and tap
    caplog.set_level(logging.WARNING)
    during = []
    for index, person in enumerate(people):
        send = person.last_message.data_for("Send without my name")
        during.append(await person.send_text(f"The lift is broken on floor {index}"))
        during.append(await person.press_data(send, person.last_message.message_id))
    await asyncio.sleep(2)  # the outage lasts a while
    assert not any(emulator.state.is_confirmed(update["update_id"]) for update in during)
    assert all(len(person.messages) == seen[person.id] for person in people)

    await proxy.start()  # and comes back on the same address
    for update in during:
        await settle(emulator, update, within=60)
    stored = await answers(running.app)
    assert sorted(answer.text for answer in stored) == [
        f"The lift is broken on floor {index}" for index in range(3)
    ]
    assert all(any(DONE in m.body for m in person.messages) for person in people)
    assert "out of reach" in caplog.text
    await proxy.stop()
