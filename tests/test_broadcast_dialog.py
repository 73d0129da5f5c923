"""Facilitators send a message to their team: who gets it, a version per language, a preview,
now or later, live progress and a delivery report. Driven through the emulator as people would."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.services import broadcasts
from bot.services.delivery import delivery_report
from dialogs import states
from dialogs.broadcast import progress
from storage import audit, participants, projects
from storage.models import AuditEntry, OutboxMessage, Role
from storage.types import utcnow
from tests.conftest import (
    TEAM,
    got,
    join,
    make_staff,
    make_team,
    press,
    say,
    settle,
    states_with_a_window,
    team_with_people,
)

FAY = 5000


@pytest.fixture(autouse=True)
def quick_progress(monkeypatch):
    monkeypatch.setattr(progress, "EVERY_SECONDS", 0.2)


async def _outbox_count(app) -> int:
    async with app.sessions() as session:
        return (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar()


async def test_a_text_broadcast_reaches_every_member_once_in_their_language(emulator, start_bot):
    running = await start_bot()
    await running.app.delivery.start()
    project_id, fay, people = await team_with_people(
        emulator, running.app, {5001: "English", 5002: "Cymraeg", 5003: "Polski"}, facilitator=FAY
    )
    amy, bryn, ola = people.values()
    async with running.app.sessions() as session:  # joined the team, never agreed to our terms
        stranger = await participants.get_or_create(session, 5009)
        await projects.set_role(
            session, await projects.get_project(session, project_id), stranger, Role.PARTICIPANT
        )
        await session.commit()

    await press(emulator, fay, "Team tools", "Send a message")
    assert f"4 people in {TEAM} will get it." in fay.last_message.text  # one team: no choice
    await press(emulator, fay, "Next")
    await say(emulator, fay, "The meeting moves to Tuesday.")
    versions = fay.last_message.text
    assert "English: 2 people. This is the original." in versions
    assert "Cymraeg: 1 person will get the English original." in versions
    assert "Polski: 1 person will get the English original." in versions

    await press(emulator, fay, "Write the Cymraeg version")
    await say(emulator, fay, "Mae'r cyfarfod yn symud i ddydd Mawrth.")
    versions = fay.last_message.text
    assert "Cymraeg: 1 person will get their own version." in versions
    assert "Polski: 1 person will get the English original." in versions

    await press(emulator, fay, "Preview")
    assert fay.messages[-2].text == "The meeting moves to Tuesday."  # as recipients see it
    await press(emulator, fay, "Show the Cymraeg version")
    assert fay.messages[-2].text == "Mae'r cyfarfod yn symud i ddydd Mawrth."
    await press(emulator, fay, "Send now")
    assert f"Send it now to 4 people in {TEAM}?" in fay.last_message.text
    await press(emulator, fay, "Yes, send it")

    await amy.wait_for_message(lambda m: m.text == "The meeting moves to Tuesday.")
    await bryn.wait_for_message(lambda m: m.text == "Mae'r cyfarfod yn symud i ddydd Mawrth.")
    await ola.wait_for_message(lambda m: m.text == "The meeting moves to Tuesday.")
    report = await fay.wait_for_message(lambda m: "Delivery report" in m.body, timeout=10)
    assert "Sent: 4" in report.text and "All together: 4" in report.text
    for person in (amy, ola):
        assert len(got(person, "The meeting moves to Tuesday.")) == 1
    assert len(got(bryn, "Mae'r cyfarfod yn symud i ddydd Mawrth.")) == 1
    assert not got(bryn, "The meeting moves to Tuesday.")
    assert not emulator.user(5009).messages  # no consent, no message

    async with running.app.sessions() as session:
        entries = [e for e in await audit.entries(session) if e.action == "broadcast.create"]
    assert len(entries) == 1 and entries[0].project_id == project_id
    assert "Tuesday" not in entries[0].detail and "people=4" in entries[0].detail


async def test_a_paused_participant_gets_nothing_and_the_report_adds_up(emulator, start_bot):
    running = await start_bot()
    await running.app.delivery.start()
    _, fay, people = await team_with_people(
        emulator, running.app, {5011: "English", 5012: "English"}, facilitator=FAY
    )
    cai, dee = people.values()
    await say(emulator, dee, "/pause")
    await press(emulator, dee, "Pause until I turn it on")

    await press(emulator, fay, "Team tools", "Send a message", "Next")
    await say(emulator, fay, "Thank you all for Monday.")
    await press(emulator, fay, "Preview", "Send now", "Yes, send it")
    going = fay.last_message.body
    assert "Your message is going out." in going and " of 3 sent." in going

    await cai.wait_for_message(lambda m: m.text == "Thank you all for Monday.")
    report = await fay.wait_for_message(lambda m: "Delivery report" in m.body, timeout=10)
    assert not got(dee, "Thank you all for Monday.")
    for line in ("Sent: 2", "Paused their messages: 1", "Still to go: 0", "All together: 3"):
        assert line in report.text
    assert "People who are waiting will get it later" in report.text

    async with running.app.sessions() as session:
        message_id = (await session.execute(select(OutboxMessage.id))).scalar_one()
        figures = await delivery_report(session, message_id)
    parts = (figures.sent, figures.blocked, figures.failed, figures.quiet_hours, figures.paused)
    assert sum(parts) + figures.over_cap + figures.queued == figures.total == 3


async def test_the_preview_shows_the_photo_and_caption_recipients_get(emulator, start_bot):
    running = await start_bot()
    await running.app.delivery.start()
    _, fay, people = await team_with_people(
        emulator, running.app, {5021: "English"}, facilitator=FAY
    )
    eli = people[5021]

    await press(emulator, fay, "Team tools", "Send a message", "Next")
    await settle(emulator, await fay.send_photo(caption="Our new meeting room."))
    await press(emulator, fay, "Preview")
    preview = fay.messages[-2]
    assert preview.photo and preview.caption == "Our new meeting room."
    await press(emulator, fay, "Send now", "Yes, send it")

    received = await eli.wait_for_message(lambda m: m.photo is not None)
    assert received.caption == preview.caption
    assert received.photo[-1]["file_id"] == preview.photo[-1]["file_id"]


async def test_a_scheduled_broadcast_waits_for_its_time(emulator, start_bot):
    running = await start_bot()
    engine = running.app.delivery  # not started: the test turns the engine's crank
    _, fay, people = await team_with_people(
        emulator, running.app, {5031: "English"}, facilitator=FAY
    )
    gus = people[5031]
    london = ZoneInfo("Europe/London")
    day = (utcnow().astimezone(london) + timedelta(days=2)).date()

    await press(emulator, fay, "Team tools", "Send a message", "Next")
    await say(emulator, fay, "Bring a friend on Saturday.")
    await press(emulator, fay, "Preview", "Send later")
    assert "Times are in London." in fay.last_message.text
    await say(emulator, fay, "yesterday at six")
    assert "Sorry, I could not read that." in fay.messages[-2].text
    await say(emulator, fay, f"{day:%Y-%m-%d} 18:00")
    question = fay.last_message.text
    assert f"{day.day} " in question and "18:00 (London) to 2 people" in question
    await press(emulator, fay, "Yes, send it")
    assert "Your message will go out on" in fay.last_message.text

    await engine.run_until_idle()
    assert not got(gus, "Bring a friend on Saturday.")
    due = datetime.combine(day, datetime.min.time().replace(hour=18), tzinfo=london)
    engine.clock = lambda: due + timedelta(minutes=1)
    await engine.run_until_idle()
    assert len(got(gus, "Bring a friend on Saturday.")) == 1


async def test_the_audience_can_be_one_language_in_a_chosen_team(emulator, start_bot):
    running = await start_bot()
    await running.app.delivery.start()
    other_id, _ = await make_team(running.app, "Young carers")
    project_id, fay, people = await team_with_people(
        emulator, running.app, {5041: "English", 5042: "Polski"}, facilitator=FAY
    )
    await make_staff(running.app, FAY, project_id, other_id)
    hal, iga = people.values()

    await press(emulator, fay, "Team tools", "Send a message")
    assert {TEAM, "Young carers"} <= set(fay.buttons)
    await press(emulator, fay, TEAM)
    assert "Polski: 1" in fay.buttons
    await press(emulator, fay, "Polski: 1")
    assert f"1 person in {TEAM} will get it." in fay.last_message.text
    assert "✓ Polski: 1" in fay.buttons
    await press(emulator, fay, "Next")
    await say(emulator, fay, "Spotkanie we wtorek.")
    assert "Polski: 1 person will get the English original." in fay.last_message.text
    await press(emulator, fay, "Preview", "Send now", "Yes, send it")

    await iga.wait_for_message(lambda m: m.text == "Spotkanie we wtorek.")
    await fay.wait_for_message(lambda m: "Delivery report" in m.body, timeout=10)
    assert not got(hal, "Spotkanie we wtorek.")


async def test_a_participant_who_forges_the_broadcast_button_is_told_no(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app)
    pat = await join(emulator, 5051, code=code)
    menu = pat.last_message
    forged = menu.data_for("Help").rsplit("help", 1)[0] + f"staff_broadcast_project:{project_id}"
    update = await pat.press_data(forged, message_id=menu.message_id)
    await settle(emulator, update)
    answer = emulator.callback_answer(update["callback_query"]["id"])
    assert answer is not None and "not available to you" in answer["text"]
    assert pat.last_message.text == menu.text
    assert await _outbox_count(running.app) == 0
    async with running.app.sessions() as session:
        denied = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "access.denied"))
        ).scalars()
        assert [entry.detail for entry in denied] == ["staff_broadcast_project"]


async def test_a_message_that_cannot_be_sent_is_refused_kindly(emulator, start_bot):
    running = await start_bot()
    _, fay, _people = await team_with_people(emulator, running.app, {}, facilitator=FAY)
    await press(emulator, fay, "Team tools", "Send a message", "Next")

    await say(emulator, fay, "x" * 4097)
    assert "Sorry, that is too long. It can have up to 4096 characters." in fay.messages[-2].text
    await settle(emulator, await fay.send_photo(caption="y" * 1025))
    assert "up to 1024 characters. Yours has 1025." in fay.messages[-2].text
    await settle(emulator, await fay.send_sticker())
    assert "I cannot send this kind of message" in fay.messages[-2].text
    await settle(emulator, await fay.send_photo())
    assert "Please add some words." in fay.messages[-2].text
    assert "Write your message in English." in fay.last_message.text  # still here, buttons too

    await say(emulator, fay, "x" * 4096)  # exactly the limit is fine
    assert "This is the original." in fay.last_message.text
    await press(emulator, fay, "Back", "Back", "Back")  # versions, compose, audience -> team tools
    assert "Your teams." in fay.last_message.text
    assert await _outbox_count(running.app) == 0
    refused = [(r.method, r.error_code) for r in emulator.requests if not r.ok]
    assert refused == []


def test_every_broadcast_state_has_a_window():
    windows = states_with_a_window()
    assert set(states.Broadcast.__states__) <= windows
    assert states.Broadcast in states.STAFF_STATE_GROUPS


def test_typed_times_are_read_in_the_projects_zone():
    now = datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("UTC"))
    summer = broadcasts.parse_local_time("2026-07-01 18:00", "Europe/London", now)
    assert summer.hour == 17  # British Summer Time
    warsaw = broadcasts.parse_local_time(" 2026-12-01   18:00 ", "Europe/Warsaw", now)
    assert warsaw.hour == 17
    with pytest.raises(broadcasts.TimeHasPassed):
        broadcasts.parse_local_time("2026-05-01 18:00", "Europe/London", now)
    with pytest.raises(broadcasts.InvalidTime):
        broadcasts.parse_local_time("next Tuesday", "Europe/London", now)
    tomorrow = broadcasts.tomorrow_at(now, "Europe/London")
    assert (tomorrow.day, tomorrow.hour) == (2, 8)


async def test_a_message_can_go_only_to_who_answered_a_poll_or_asked_for_an_offer(
    emulator, start_bot
):
    from storage.models import (
        AnswerChoice,
        AvailabilityPoll,
        ClaimState,
        OfferKind,
        PollAnswer,
        PollSlot,
        ReciprocityClaim,
        ReciprocityOffer,
        ReciprocityOfferText,
    )

    running = await start_bot()
    await running.app.delivery.start()
    project_id, fay, people = await team_with_people(
        emulator, running.app, {5101: "English", 5102: "English", 5103: "English"}, facilitator=FAY
    )
    amy, ben, cat = people.values()
    async with running.app.sessions() as session:
        ids = {
            p.telegram_id: p.id
            for p in [await participants.get_by_telegram_id(session, t) for t in people]
        }
        poll = AvailabilityPoll(
            project_id=project_id, title="Spring meeting", deadline=utcnow() + timedelta(days=3)
        )
        offer = ReciprocityOffer(project_id=project_id, kind=OfferKind.TRAINING, source_locale="en")
        session.add_all([poll, offer])
        await session.flush()
        slot = PollSlot(poll_id=poll.id, starts_at=utcnow() + timedelta(days=7))
        session.add_all(
            [slot, ReciprocityOfferText(offer_id=offer.id, locale="en", title="First aid")]
        )
        await session.flush()
        session.add(
            PollAnswer(
                poll_id=poll.id, slot_id=slot.id, participant_id=ids[5101], choice=AnswerChoice.NO
            )
        )
        session.add_all(
            ReciprocityClaim(offer_id=offer.id, participant_id=ids[t], state=state)
            for t, state in ((5102, ClaimState.REQUESTED), (5103, ClaimState.DECLINED))
        )
        await session.commit()

    await press(
        emulator, fay, "Team tools", "Send a message", "Who answered a poll", "Spring meeting"
    )
    assert f"1 person in {TEAM} will get it." in fay.last_message.text
    assert "Only people who answered the poll: Spring meeting" in fay.last_message.text
    await press(emulator, fay, "Who asked for an offer", "First aid")
    # A declined claim holds no place: only Ben, who is still waiting, gets it.
    assert f"1 person in {TEAM} will get it." in fay.last_message.text
    await press(emulator, fay, "Next")
    await say(emulator, fay, "The training is on Friday at 10.")
    await press(emulator, fay, "Preview", "Send now", "Yes, send it")
    await running.app.delivery.run_until_idle()
    assert got(ben, "The training is on Friday at 10.")
    assert not got(amy, "The training is on Friday at 10.")
    assert not got(cat, "The training is on Friday at 10.")

    await press(emulator, fay, "Done", "Send a message", "Who answered a poll", "Spring meeting")
    await press(emulator, fay, "Everyone in the team")
    assert f"4 people in {TEAM} will get it." in fay.last_message.text
