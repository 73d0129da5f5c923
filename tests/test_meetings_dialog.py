"""Finding a meeting time in the real bot, through the Telegram emulator: a facilitator makes a
poll, people answer from the invitation's button in their own zone, the facilitator chooses the
time, people get the calendar file, one says they cannot come, and after it, who came."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from dialogs import states
from storage import participants, projects
from storage.models import AvailabilityPoll, Meeting, MeetingAttendance, PollAnswer
from storage.types import utcnow
from tests.conftest import (
    TEAM,
    button_data,
    join,
    make_staff,
    make_team,
    no_quiet_hours,
    press,
    say,
    settle,
    states_with_a_window,
    tap,
    tr,
    update_person,
)

LONDON = ZoneInfo("Europe/London")


def _label_containing(person, part: str) -> str:
    return next(label for label in person.buttons if part in label)


async def _choose_day(emulator, fay, day) -> None:
    """On the calendar: go to the day's month if needed, then tap the day."""
    today = utcnow().astimezone(LONDON).date()
    if (day.year, day.month) != (today.year, today.month):
        await press(emulator, fay, next(label for label in fay.buttons if label.endswith(">>")))
    await press(emulator, fay, str(day.day))


@pytest.fixture
async def story(emulator, start_bot):
    running = await start_bot()
    app = running.app
    project_id, code = await make_team(app)
    await make_staff(app, 6000, project_id)
    fay = await join(emulator, 6000)
    ann = await join(emulator, 6001, code=code)
    ola = await join(emulator, 6002, code=code, language="Polski", may_use_name=False)
    await no_quiet_hours(app, 6000, 6001, 6002)
    await update_person(app, 6001, display_name="Ann")
    await update_person(app, 6002, timezone="Europe/Warsaw")
    return app, fay, ann, ola


async def _make_poll(emulator, fay) -> tuple:
    day = utcnow().astimezone(LONDON).date() + timedelta(days=3)
    await press(emulator, fay, "Team tools", "Meetings", "Find a meeting time")
    assert "What is the meeting about?" in fay.last_message.text  # one team: no choice
    await say(emulator, fay, "x" * 201)
    assert "up to 200 characters" in fay.messages[-2].text
    await say(emulator, fay, "Planning day")
    await say(emulator, fay, "Room 4, Town Hall")
    assert "Times are in London." in fay.last_message.text  # the zone as Babel names it
    await _choose_day(emulator, fay, day)
    await say(emulator, fay, "25:00")
    assert "Please type a time like 18:30" in fay.messages[-2].text
    await press(emulator, fay, "18:00")
    assert "Please offer at least 2 times." in fay.last_message.text
    await press(emulator, fay, "Add another time")
    await _choose_day(emulator, fay, day)
    await say(emulator, fay, "7.30pm")  # typed the way people write it
    slots = fay.last_message.text
    assert "1. " in slots and "2. " in slots and "18:00–19:00" in slots
    await press(emulator, fay, "Next", "1 hour")
    await press(emulator, fay, fay.buttons[0])  # the first deadline offered
    await press(emulator, fay, "Everyone in the team: 2")  # Fay makes it: she is not asked
    invitation = fay.messages[-2].text
    assert f"{TEAM} wants to find a time to meet: Planning day." in invitation
    assert "We will ask Everyone in the team: 2. Send it now?" in fay.last_message.text
    await press(emulator, fay, "Send")
    assert "Sent. We asked 2 people." in fay.last_message.text
    return day


async def test_a_poll_is_made_answered_in_each_zone_and_decided(emulator, story):
    app, fay, ann, ola = story
    await _make_poll(emulator, fay)
    await app.delivery.run_until_idle()
    assert "Answers close on" in ann.last_message.text and ann.buttons == ["Choose times"]

    # The same time, each in their own zone: 18:00 in London is 19:00 in Warsaw.
    await press(emulator, ann, "Choose times")
    await press(emulator, ola, tr("Choose times", "pl"))
    assert "Times are in your time zone, London." in ann.last_message.text
    assert "Warszawa" in ola.last_message.text  # Europe/Warsaw, in Polish
    ann_slot = _label_containing(ann, "18:00–19:00")
    ola_slot = _label_containing(ola, "19:00–20:00")
    assert ann_slot.startswith("▫️") and ola_slot.startswith("▫️")

    await press(emulator, ann, ann_slot)
    assert _label_containing(ann, "18:00–19:00").startswith("✅")
    await settle(emulator, await ann.send_sticker())
    assert "Please use the buttons" in ann.messages[-2].text
    await press(emulator, ann, "Anything that would help you come?", "Step-free access")
    assert "✓ Step-free access" in ann.buttons
    await press(emulator, ann, "Something else")
    await say(emulator, ann, "A quiet room please")
    await press(emulator, ann, "Done", "Done")
    assert "Thank you. We have your answers." in ann.last_message.text
    await press(emulator, ola, tr("None of these times suit me", "pl"))

    await press(emulator, fay, "Done")  # back in Meetings, where the new poll is listed
    await press(emulator, fay, _label_containing(fay, "Planning day ("))
    tally = fay.last_message.text
    assert "Answered: 2 of 2." in tally
    assert "✅ 1   🤔 0   ❌ 1" in tally and "✅ 0   🤔 0   ❌ 2" in tally
    assert "Step-free access: 1 (Ann)" in tally and "“A quiet room please”" in tally
    await press(emulator, fay, "Choose 1")
    assert "We will tell 1 person who said yes or if need be." in fay.last_message.text
    await press(emulator, fay, "Yes, choose it")
    copy = next(m for m in fay.messages if m.document)
    assert copy.document["file_name"] == "meeting.ics"

    await app.delivery.run_until_idle()
    told = ann.last_message
    assert told.document and told.document["file_id"] == copy.document["file_id"]
    assert "Planning day is on" in told.caption and "Where: Room 4, Town Hall" in told.caption
    assert not [m for m in ola.messages if m.document]  # she said no: not told

    update_ = await ann.press("I can't come now")
    await settle(emulator, update_)
    answer = emulator.callback_answer(update_["callback_query"]["id"])
    assert "The facilitator will see it" in answer["text"]
    assert ann.buttons == ["I can come after all"]  # the way back, on the same message
    await app.delivery.run_until_idle()
    assert "Ann cannot come to Planning day on" in fay.last_message.text  # told at once
    await say(emulator, fay, "/team")
    await press(emulator, fay, "Meetings")
    await press(emulator, fay, _label_containing(fay, "Planning day:"))
    assert "Cannot come now: Ann" in fay.last_message.text
    assert "1 person was told the time." in fay.last_message.text

    await press(emulator, ann, "I can come after all")
    assert ann.buttons == ["I can't come now"]
    await app.delivery.run_until_idle()
    assert "Ann can come to Planning day on" in fay.last_message.text
    assert "after all" in fay.last_message.text
    await say(emulator, fay, "/team")
    await press(emulator, fay, "Meetings")
    await press(emulator, fay, _label_containing(fay, "Planning day:"))
    assert "Cannot come now" not in fay.last_message.text


async def test_a_stale_poll_button_after_the_deadline_is_refused_kindly(emulator, story):
    app, fay, ann, _ola = story
    await _make_poll(emulator, fay)
    await app.delivery.run_until_idle()
    invitation = ann.last_message
    await press(emulator, ann, "Choose times")
    slot = _label_containing(ann, "18:00–19:00")
    async with app.sessions() as session:  # the deadline passes while the window is open
        await session.execute(
            update(AvailabilityPoll).values(deadline=utcnow() - timedelta(minutes=1))
        )
        await session.commit()
    await press(emulator, ann, slot)
    assert "Answers for Planning day closed on" in ann.last_message.text
    pressed = await ann.press_data(invitation.data_for("Choose times"), invitation.message_id)
    await settle(emulator, pressed)
    assert (
        "answers for this meeting have closed"
        in emulator.callback_answer(pressed["callback_query"]["id"])["text"]
    )
    async with app.sessions() as session:
        assert (await session.execute(select(PollAnswer))).first() is None


async def test_forged_meeting_buttons_change_nothing(emulator, story):
    app, fay, _ann, ola = story
    await _make_poll(emulator, fay)
    await app.delivery.run_until_idle()
    for data in ("mt_poll:999", "mt_cant:1", "mt_can:1", "mt_decide:1", "mt_poll:x"):
        pressed = await ola.press_data(data)
        await settle(emulator, pressed)
        answer = emulator.callback_answer(pressed["callback_query"]["id"])
        assert answer is not None and answer.get("show_alert")
    async with app.sessions() as session:
        assert (await session.execute(select(MeetingAttendance))).first() is None
        assert (await session.execute(select(PollAnswer))).first() is None


def test_every_meeting_state_has_a_window_and_staff_dialogs_are_guarded():
    windows = states_with_a_window()
    for group in (states.PollCreate, states.Availability, states.MyMeetings, states.MeetingsStaff):
        assert set(group.__states__) <= windows
    assert {states.PollCreate, states.MeetingsStaff} <= set(states.STAFF_STATE_GROUPS)
    assert states.Availability not in states.STAFF_STATE_GROUPS


async def test_someone_who_keeps_their_name_private_has_one_code_staff_and_they_can_see(
    emulator, story
):
    from bot.services.meetings import person_code

    app, fay, _ann, ola = story  # Ola did not say we may use her name
    await _make_poll(emulator, fay)
    await app.delivery.run_until_idle()
    await press(emulator, ola, tr("Choose times", "pl"))
    await press(emulator, ola, _label_containing(ola, "19:00–20:00"))
    await press(emulator, ola, tr("Done", "pl"))
    await press(emulator, fay, "Done")
    await press(emulator, fay, _label_containing(fay, "Planning day ("))
    await press(emulator, fay, "Choose 1", "Yes, choose it")
    await app.delivery.run_until_idle()
    async with app.sessions() as session:
        code = person_code((await participants.get_by_telegram_id(session, 6002)).id)

    await say(emulator, ola, "/menu")
    await tap(emulator, ola, "my_meetings")
    assert (
        tr("You chose not to share your name. Staff see you as Person {code}.", "pl", code=code)
        in ola.last_message.text
    )
    cant, message_id = button_data(ola, "my_meeting_coming")  # "I can't come to Planning day"
    for _twice in range(2):  # a repeated tap on the same button changes nothing more
        await settle(emulator, await ola.press_data(cant, message_id))
    assert tr("I can come to {title} after all", "pl", title="Planning day") in ola.buttons
    await app.delivery.run_until_idle()
    told = [m.text for m in fay.messages if m.text and "cannot come to Planning day" in m.text]
    assert len(told) == 1 and told[0].startswith(f"Person {code} cannot come")  # told once

    async with app.sessions() as session:  # the meeting took place
        await session.execute(update(Meeting).values(starts_at=utcnow() - timedelta(hours=2)))
        await session.commit()
    await say(emulator, fay, "/team")
    await press(emulator, fay, "Meetings")
    await press(emulator, fay, _label_containing(fay, "Planning day:"))
    assert f"Cannot come now: Person {code}" in fay.last_message.text
    await press(emulator, fay, "Who came")
    assert "▫️ Ann" in fay.buttons and f"▫️ Person {code}" in fay.buttons
    await press(emulator, fay, f"▫️ Person {code}")
    assert f"✅ Person {code}" in fay.buttons


async def test_staff_page_through_older_polls(emulator, story):
    from datetime import UTC, datetime

    from bot.services.meetings import POLLS_PER_PAGE

    app, fay, _ann, _ola = story
    async with app.sessions() as session:
        (project,) = await projects.all_projects(session)
        project_id = project.id
        soon = utcnow() + timedelta(days=5)
        for number in range(POLLS_PER_PAGE + 1):
            session.add(
                AvailabilityPoll(
                    project_id=project_id,
                    title=f"Poll {number}",
                    deadline=soon,
                    created_at=datetime(2026, 1, 1 + number, tzinfo=UTC),
                )
            )
        await session.commit()
    await say(emulator, fay, "/team")
    await press(emulator, fay, "Meetings")
    assert "Poll 8 (" in " ".join(fay.buttons) and "Poll 0 (" not in " ".join(fay.buttons)
    await press(emulator, fay, "Older")
    assert "Poll 0 (" in " ".join(fay.buttons) and "Older" not in fay.buttons
    await press(emulator, fay, "Newer")
    assert "Poll 8 (" in " ".join(fay.buttons)
