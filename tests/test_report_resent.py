"""A message sent again after a try that got no answer is reported as such: the person may
have it twice, and the facilitator is told so, not shown a clean "sent"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.delivery import delivery_report
from storage.models import DeliveryState, OutboxDelivery
from tests.conftest import join, make_staff, make_team, no_quiet_hours, press, say, tr
from tests.test_delivery import Clock, Harness

FAY = 6300


@pytest.fixture
async def harness(sessions, emulator):
    h = Harness(sessions, emulator, Clock())
    yield h
    await h.close()


async def test_a_message_in_flight_when_the_worker_was_killed_is_reported_sent_again(harness):
    ann, bob = await harness.people(2)
    message_id = await harness.broadcast([ann, bob])
    # The worker was killed while Ann's message was on its way: 'sending', its lease ran out.
    async with harness.sessions() as session:
        await session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.participant_id == ann.id)
            .values(
                state=DeliveryState.SENDING,
                attempts=1,
                claimed_until=harness.clock() - timedelta(seconds=1),
            )
        )
        await session.commit()
    engine = harness.engine()
    await engine.recover()
    await engine.run_until_idle()
    assert harness.received(ann) == ["Hello from the team"]
    async with harness.sessions() as session:
        report = await delivery_report(session, message_id)
    assert (report.sent, report.resent, report.total) == (2, 1, 2)


async def test_a_retry_after_an_unanswered_try_is_reported_sent_again(harness):
    ann, bob = await harness.people(2)
    harness.emulator.inject_fault("sendMessage", "502-after", times=1, chat_id=ann.telegram_id)
    message_id = await harness.broadcast([ann, bob])
    engine = harness.engine()
    await engine.run_until_idle()
    harness.clock.advance(seconds=3)
    await engine.run_until_idle()
    assert harness.received(ann) == ["Hello from the team"] * 2  # she did get it twice
    async with harness.sessions() as session:
        report = await delivery_report(session, message_id)
    assert (report.sent, report.resent) == (2, 1)


async def test_the_arabic_report_tells_a_facilitator_some_may_have_it_twice(emulator, start_bot):
    running = await start_bot()
    running.app.delivery.max_attempts = 2  # one retry, 2 s after the first try
    await running.app.delivery.start()
    project_id, code = await make_team(running.app)
    await make_staff(running.app, FAY, project_id)
    fay = await join(emulator, FAY, language="العربية")
    amy = await join(emulator, FAY + 1, language="English", code=code)
    await no_quiet_hours(running.app, FAY, FAY + 1)
    emulator.inject_fault("sendMessage", "502-after", times=1, chat_id=FAY + 1)

    await press(emulator, fay, tr("Team tools", "ar"), tr("Send a message", "ar"))
    await press(emulator, fay, tr("Next", "ar"))
    await say(emulator, fay, "شكرا على يوم الاثنين.")
    await press(emulator, fay, tr("Preview", "ar"), tr("Send now", "ar"))
    await press(emulator, fay, tr("Yes, send it", "ar"))

    resent = tr(
        "• Sent again because Telegram did not confirm the first try "
        "(they may have it twice): {resent}",
        "ar",
    )
    line = resent.split("{resent}")[0]
    report = await fay.wait_for_message(lambda m: line in m.body, timeout=30)
    assert [m.body for m in amy.messages].count("شكرا على يوم الاثنين.") == 2
    assert resent.format(resent="1") in report.body
