"""When Telegram never says how the last try went (a 5xx or a dropped connection after it took
the message) and the tries run out, the message may well have arrived: the delivery report says
"may have arrived", never "could not be sent"."""

from __future__ import annotations

import pytest

from bot.delivery import delivery_report
from storage.models import DeliveryState
from tests.conftest import join, make_staff, make_team, no_quiet_hours, press, say, tr
from tests.test_delivery import Clock, Harness

FAY = 6100


@pytest.fixture
async def harness(sessions, emulator):
    h = Harness(sessions, emulator, Clock())
    yield h
    await h.close()


async def test_tries_that_end_without_an_answer_are_reported_as_may_have_arrived(harness):
    ann, bob, cat, dan = await harness.people(4)
    harness.emulator.inject_fault("sendMessage", "502-after", times=3, chat_id=ann.telegram_id)
    harness.emulator.inject_fault("sendMessage", "drop-after", times=3, chat_id=bob.telegram_id)
    harness.emulator.inject_fault("sendMessage", "400", times=1, chat_id=dan.telegram_id)
    message_id = await harness.broadcast([ann, bob, cat, dan])
    engine = harness.engine(max_attempts=3)
    for wait in (0, 2, 4):  # the first try, then each retry when it is due
        harness.clock.advance(seconds=wait)
        await engine.run_until_idle()

    # Telegram had the message each time: Ann and Bob did get it.
    assert harness.received(ann) == ["Hello from the team"] * 3
    assert harness.received(bob) == ["Hello from the team"] * 3
    assert harness.received(cat) == ["Hello from the team"]
    assert harness.received(dan) == []  # refused outright: it truly could not be sent
    states = await harness.states(message_id)
    assert states[(DeliveryState.FAILED, "may_have_arrived")] == 2
    async with harness.sessions() as session:
        report = await delivery_report(session, message_id)
    assert (report.sent, report.may_have_arrived, report.failed) == (1, 2, 1)
    assert report.finished and report.queued == 0
    figures = (report.sent, report.blocked, report.failed, report.may_have_arrived)
    assert sum(figures) + report.quiet_hours + report.paused + report.over_cap == report.total


async def test_the_welsh_report_tells_a_facilitator_it_may_have_arrived(emulator, start_bot):
    running = await start_bot()
    running.app.delivery.max_attempts = 2  # one retry, 2 s after the first try
    await running.app.delivery.start()
    project_id, code = await make_team(running.app)
    await make_staff(running.app, FAY, project_id)
    fay = await join(emulator, FAY, language="Cymraeg")
    amy = await join(emulator, FAY + 1, language="English", code=code)
    await join(emulator, FAY + 2, language="English", code=code)
    await no_quiet_hours(running.app, FAY, FAY + 1, FAY + 2)
    emulator.inject_fault("sendMessage", "502-after", times=2, chat_id=FAY + 1)

    await press(emulator, fay, tr("Team tools", "cy"), tr("Send a message", "cy"))
    await press(emulator, fay, tr("Next", "cy"))
    await say(emulator, fay, "Diolch am ddydd Llun.")
    await press(emulator, fay, tr("Preview", "cy"), tr("Send now", "cy"))
    await press(emulator, fay, tr("Yes, send it", "cy"))

    report = await fay.wait_for_message(lambda m: "Adroddiad anfon" in m.body, timeout=30)
    assert amy.messages[-1].body == "Diolch am ddydd Llun."  # it did reach her
    assert "• Efallai ei fod wedi cyrraedd, ond ni chadarnhaodd Telegram hynny: 1" in report.body
    assert "• Dim modd eu hanfon: 0" in report.body  # not "could not be sent"
    # Fay (she gets it too) and the third member: sent; three in all.
    assert "• Wedi'u hanfon: 2" in report.body and "• Cyfanswm: 3" in report.body
