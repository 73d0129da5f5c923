"""Finding a meeting time, as the rules see it: time zones and clock changes, the deadline, the
one reminder, the calendar file, reminders before the meeting across a restart, and telling
exactly the people who were told. Time is a fake clock; messages go through the real engine
to the Telegram emulator."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from bot import scheduler as jobs
from bot.services import calendar, meetings
from bot.services.meetings import PollDraft
from storage import meetings as store
from storage import projects
from storage.models import (
    AccessNeedKind,
    AnswerChoice,
    MeetingReminder,
    MeetingStatus,
    OutboxMessage,
    Participant,
    Role,
)
from tests.conftest import untranslated
from tests.test_delivery import Clock, Harness

NOW = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)  # a Monday; London leaves summer time on 25 Oct
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
async def harness(sessions, emulator):
    h = Harness(sessions, emulator, Clock(NOW))
    yield h
    await h.close()
    jobs.set_context(None)


class Team:
    def __init__(self, harness: Harness, project_id: int, staff: Participant, members) -> None:
        self.harness = harness
        self.project_id = project_id
        self.staff = staff
        self.members = members


async def _team(harness: Harness, zones: list[str | None], **fields) -> Team:
    """A facilitator and members who joined (consented), in the time zones given."""
    joined = {"consent_version": "1", "onboarded_at": NOW, **fields}
    (fay,) = await harness.people(1, **joined)
    members = []
    for zone in zones:
        members += await harness.people(1, timezone=zone, **joined)
    async with harness.sessions() as session:
        project = await projects.create_project(session, "Carers' voice", timezone="Europe/London")
        await projects.set_role(session, project, fay, Role.FACILITATOR)
        for person in members:
            await projects.set_role(session, project, person, Role.PARTICIPANT)
        await session.commit()
        return Team(harness, project.id, fay, members)


def _slot(day: date, hour: int, minute: int = 0) -> datetime:
    return meetings.local_moment(day, hour * 60 + minute, "Europe/London")


async def _publish(team: Team, slots: list[datetime], deadline: datetime, **fields) -> int:
    draft = PollDraft(project_id=team.project_id, title="Planning day", place="Room 4", **fields)
    for moment in slots:
        assert meetings.add_slot(draft, moment, team.harness.clock()) is None
    draft.deadline = deadline.isoformat()
    async with team.harness.sessions() as session:
        fay = await session.get(Participant, team.staff.id)
        poll = await meetings.publish(
            session, fay, draft, now=team.harness.clock(), translate=untranslated
        )
        await session.commit()
        return poll.id


async def _answer(team: Team, person, poll_id: int, choices: list[AnswerChoice]) -> None:
    async with team.harness.sessions() as session:
        slots = await store.slots_of(session, poll_id)
        me = await session.get(Participant, person.id)
        for slot, choice in zip(slots, choices, strict=True):
            await meetings.answer(session, me, poll_id, slot.id, choice, team.harness.clock())
        await session.commit()


def _sweeper(harness: Harness):
    engine = harness.engine()
    jobs.set_context(jobs.JobContext(harness.sessions, engine, harness.clock))
    return engine


def test_two_people_in_different_zones_see_the_same_slot_at_their_own_local_times():
    slot = _slot(date(2026, 11, 3), 18)  # 18:00 in London is 19:00 in Warsaw, 13:00 in New York
    assert slot == datetime(2026, 11, 3, 18, 0, tzinfo=UTC)
    london = meetings.when_text(slot, LONDON, "en", 90)
    warsaw = meetings.when_text(slot, ZoneInfo("Europe/Warsaw"), "pl")
    new_york = meetings.when_text(slot, ZoneInfo("America/New_York"), "en")
    assert "18:00–19:30" in london and "Tue 3 Nov" in london
    assert "19:00" in warsaw and "3 lis" in warsaw
    assert "13:00" in new_york and "3 Nov" in new_york


def test_a_slot_across_the_clock_change_keeps_its_local_time():
    # London leaves summer time on 25 October 2026; New York a week later, on 1 November.
    before = _slot(date(2026, 10, 23), 18)
    after = _slot(date(2026, 10, 26), 18)
    assert before == datetime(2026, 10, 23, 17, 0, tzinfo=UTC)
    assert after == datetime(2026, 10, 26, 18, 0, tzinfo=UTC)
    for slot in (before, after):
        assert "18:00" in meetings.when_text(slot, LONDON, "en")
    new_york = ZoneInfo("America/New_York")
    assert "13:00" in meetings.when_text(before, new_york, "en")
    assert "14:00" in meetings.when_text(after, new_york, "en")  # London moved, New York not yet
    # The hour that happens twice on 25 October: 01:30 is the first (summer time) one.
    assert _slot(date(2026, 10, 25), 1, 30) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_draft_takes_two_to_ten_future_times_and_a_deadline_before_the_first():
    draft = PollDraft(project_id=1, title="Planning day")
    day = date(2026, 10, 20)
    assert meetings.add_slot(draft, NOW - timedelta(minutes=1), NOW) == "passed"
    for hour in range(8, 18):
        assert meetings.add_slot(draft, _slot(day, hour), NOW) is None
    assert meetings.add_slot(draft, _slot(day, 8), NOW) == "duplicate"
    assert meetings.add_slot(draft, _slot(day, 19), NOW) == "too_many"
    choices = meetings.deadline_choices(draft, "Europe/London", NOW)
    assert choices and all(NOW < moment <= _slot(day, 8) for moment in choices)
    assert _slot(date(2026, 10, 19), 18) in choices  # the day before, at 18:00
    draft.deadline = (_slot(day, 9)).isoformat()  # after the first time: refused
    assert meetings.draft_problem(draft, NOW) == "deadline"
    draft.deadline = choices[0].isoformat()
    assert meetings.draft_problem(draft, NOW) is None
    draft.slots = draft.slots[:1]
    assert meetings.draft_problem(draft, NOW) == "slots"


async def test_publishing_invites_each_person_in_their_zone_with_a_button(harness):
    team = await _team(harness, ["Europe/London", "Europe/Warsaw"])
    ann, ola = team.members
    deadline = _slot(date(2026, 10, 16), 18)
    await _publish(team, [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)], deadline)
    engine = harness.engine(markup_for=lambda action, _locale: None)
    await engine.run_until_idle()
    (to_ann,), (to_ola,) = harness.received(ann), harness.received(ola)
    assert "Answers close on Fri 16 Oct, 18:00." in to_ann
    assert "19:00" in to_ola  # the same deadline in Warsaw
    async with harness.sessions() as session:
        actions = (await session.execute(select(OutboxMessage.action))).scalars().all()
    assert set(actions) == {"poll:1"}


async def test_answers_change_until_the_deadline_and_are_refused_after_it(harness):
    team = await _team(harness, [None])
    (ann,) = team.members
    deadline = _slot(date(2026, 10, 16), 18)
    poll_id = await _publish(
        team, [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)], deadline
    )
    async with harness.sessions() as session:
        me = await session.get(Participant, ann.id)
        first, second = (slot.id for slot in await store.slots_of(session, poll_id))
        assert await meetings.cycle_answer(session, me, poll_id, first, NOW) == "yes"
        assert await meetings.cycle_answer(session, me, poll_id, first, NOW) == "if_need_be"
        await meetings.finish_answers(session, me, poll_id, NOW)  # untouched: No
        await session.commit()
        assert await store.answers_of(session, poll_id, ann.id) == {
            first: AnswerChoice.IF_NEED_BE,
            second: AnswerChoice.NO,
        }
        just_before = deadline - timedelta(seconds=1)
        await meetings.answer(session, me, poll_id, second, AnswerChoice.YES, just_before)
        assert await meetings.toggle_access_need(
            session, me, poll_id, AccessNeedKind.STEP_FREE, just_before
        )
        await session.commit()
        with pytest.raises(meetings.PollClosed):
            await meetings.answer(session, me, poll_id, second, AnswerChoice.NO, deadline)
        with pytest.raises(meetings.PollClosed):
            await meetings.toggle_access_need(session, me, poll_id, AccessNeedKind.TRAVEL, deadline)
        await session.rollback()
        assert (await store.answers_of(session, poll_id, ann.id))[second] == AnswerChoice.YES
        assert await store.access_needs_of(session, poll_id, ann.id) == {
            AccessNeedKind.STEP_FREE: None
        }


async def test_someone_not_asked_cannot_answer(harness):
    team = await _team(harness, [None])
    (outsider,) = await harness.people(1, consent_version="1", onboarded_at=NOW)
    poll_id = await _publish(
        team,
        [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)],
        _slot(date(2026, 10, 16), 18),
    )
    async with harness.sessions() as session:
        me = await session.get(Participant, outsider.id)
        (slot, _) = await store.slots_of(session, poll_id)
        with pytest.raises(meetings.NotAsked):
            await meetings.answer(session, me, poll_id, slot.id, AnswerChoice.YES, NOW)
        with pytest.raises(meetings.NotAllowed):  # nor see the tally
            await meetings.summary(session, me, poll_id)


async def test_the_one_reminder_goes_only_to_people_who_have_not_answered(harness):
    team = await _team(harness, [None, None, None])
    ann, bob, cat = team.members
    deadline = _slot(date(2026, 10, 16), 18)
    poll_id = await _publish(
        team, [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)], deadline
    )
    engine = _sweeper(harness)
    await engine.run_until_idle()  # the invitations
    await _answer(team, ann, poll_id, [AnswerChoice.YES, AnswerChoice.NO])
    assert await jobs.sweep_meetings() == 0  # not due yet
    harness.clock.now = deadline - timedelta(hours=23)
    assert await jobs.sweep_meetings() == 2
    assert await jobs.sweep_meetings() == 0  # one reminder, however often the sweep runs
    await engine.run_until_idle()
    reminder = "A reminder from Carers' voice: please say which times suit you for Planning day."
    assert not [m for m in harness.received(ann) if reminder in m]
    for person in (bob, cat):
        assert len([m for m in harness.received(person) if reminder in m]) == 1
    async with harness.sessions() as session:
        summary = await meetings.summary(
            session, await session.get(Participant, team.staff.id), poll_id
        )
    assert (summary.asked, summary.answered, summary.waiting_unnamed) == (3, 1, 2)


async def test_the_poll_closes_at_its_deadline_and_its_maker_is_asked_to_choose(harness):
    team = await _team(harness, [None])
    deadline = _slot(date(2026, 10, 16), 18)
    poll_id = await _publish(
        team, [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)], deadline
    )
    engine = _sweeper(harness)
    harness.clock.now = deadline + timedelta(minutes=1)
    await jobs.sweep_meetings()
    await jobs.sweep_meetings()
    await engine.run_until_idle()
    asked = [m for m in harness.received(team.staff) if "Please choose a time" in m]
    assert asked == ["Answers for Planning day are in. Please choose a time for the meeting."]
    async with harness.sessions() as session:
        assert (await store.get_poll(session, poll_id)).closed_at is not None


async def test_the_tally_puts_the_best_time_first(harness):
    team = await _team(harness, [None, None, None], may_use_name=True, display_name="Sam")
    ann, bob, _cat = team.members
    slots = [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)]
    slots.append(_slot(date(2026, 10, 22), 18))
    poll_id = await _publish(team, slots, _slot(date(2026, 10, 16), 18))
    yes, maybe, no = AnswerChoice.YES, AnswerChoice.IF_NEED_BE, AnswerChoice.NO
    await _answer(team, ann, poll_id, [yes, yes, no])
    await _answer(team, bob, poll_id, [maybe, yes, yes])
    async with harness.sessions() as session:
        summary = await meetings.summary(
            session, await session.get(Participant, team.staff.id), poll_id
        )
    assert [(s.starts_at, s.yes, s.if_need_be) for s in summary.slots] == [
        (slots[1], 2, 0),
        (slots[0], 1, 1),
        (slots[2], 1, 0),
    ]
    assert summary.waiting_names == ["Sam"] and summary.waiting_unnamed == 0


async def _decided(harness: Harness, team: Team, poll_id: int, slot_index: int):
    async with harness.sessions() as session:
        fay = await session.get(Participant, team.staff.id)
        slot = (await store.slots_of(session, poll_id))[slot_index]
        decided = await meetings.decide(session, fay, poll_id, slot.id, harness.clock())
        await meetings.announce(
            session,
            decided,
            meetings.News.CONFIRMED,
            document_file_id=None,
            translate=untranslated,
            now=harness.clock(),
        )
        await session.commit()
        return decided


async def test_the_calendar_file_parses_and_starts_at_the_chosen_instant(harness):
    team = await _team(harness, [None])
    slots = [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 27), 18, 30)]  # across the change
    poll_id = await _publish(team, slots, _slot(date(2026, 10, 16), 18))
    decided = await _decided(harness, team, poll_id, 1)

    parsed = Calendar.from_ical(
        calendar.meeting_ics(decided.meeting, team="Carers' voice", now=NOW)
    )
    # An "add to your calendar" file (people answer in the bot, not by a calendar's RSVP).
    assert str(parsed["METHOD"]) == "PUBLISH" and str(parsed["VERSION"]) == "2.0"
    assert parsed["PRODID"]
    (event,) = parsed.walk("VEVENT")
    assert event.decoded("DTSTART") == slots[1] == datetime(2026, 10, 27, 18, 30, tzinfo=UTC)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=60)
    assert event.decoded("DTSTAMP") == NOW
    assert str(event["UID"]) == f"meeting-{decided.meeting.id}@coproduce.bot"
    assert str(event["LOCATION"]) == "Room 4" and int(event["SEQUENCE"]) == 0
    assert event["ORGANIZER"].params["CN"] == "Carers' voice"  # iTIP wants an organiser
    assert str(event["ORGANIZER"]).endswith(".invalid")  # ... at an address that takes no mail

    async with harness.sessions() as session:
        fay = await session.get(Participant, team.staff.id)
        cancelled = await meetings.cancel(session, fay, decided.meeting.id, NOW)
        await session.commit()
    again = Calendar.from_ical(calendar.meeting_ics(cancelled.meeting, team="", now=NOW))
    (event,) = again.walk("VEVENT")
    assert str(again["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"meeting-{decided.meeting.id}@coproduce.bot"
    assert int(event["SEQUENCE"]) == 1 and "ORGANIZER" in event


async def test_a_moved_meeting_keeps_its_calendar_uid_with_a_higher_sequence(harness):
    team = await _team(harness, [None])
    slots = [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)]
    poll_id = await _publish(team, slots, _slot(date(2026, 10, 16), 18))
    decided = await _decided(harness, team, poll_id, 0)
    first = Calendar.from_ical(calendar.meeting_ics(decided.meeting, team="", now=NOW))
    async with harness.sessions() as session:
        fay = await session.get(Participant, team.staff.id)
        moved = await meetings.move(session, fay, decided.meeting.id, slots[1], NOW)
        await session.commit()
    later = NOW + timedelta(hours=1)
    second = Calendar.from_ical(calendar.meeting_ics(moved.meeting, team="", now=later))
    (old,), (new,) = first.walk("VEVENT"), second.walk("VEVENT")
    assert old["UID"] == new["UID"]  # the phone updates the event it has
    assert (int(old["SEQUENCE"]), int(new["SEQUENCE"])) == (0, 1)
    assert new.decoded("DTSTART") == slots[1] and new.decoded("DTSTAMP") == later


async def test_everyone_who_said_yes_or_if_need_be_is_told_in_their_own_zone(harness):
    team = await _team(harness, ["Europe/London", "America/New_York", None])
    ann, ned, cat = team.members
    slots = [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)]
    poll_id = await _publish(team, slots, _slot(date(2026, 10, 16), 18))
    await _answer(team, ann, poll_id, [AnswerChoice.YES, AnswerChoice.NO])
    await _answer(team, ned, poll_id, [AnswerChoice.IF_NEED_BE, AnswerChoice.YES])
    await _answer(team, cat, poll_id, [AnswerChoice.NO, AnswerChoice.YES])
    engine = harness.engine()
    await engine.run_until_idle()  # the invitations
    decided = await _decided(harness, team, poll_id, 0)
    assert sorted(decided.told) == sorted([ann.id, ned.id])
    await engine.run_until_idle()
    assert "Planning day is on Tue 20 Oct, 18:00–19:00." in harness.received(ann)[-1]
    assert "Where: Room 4" in harness.received(ann)[-1]
    assert "13:00–14:00" in harness.received(ned)[-1]  # 18:00 London is 13:00 in New York
    assert not [m for m in harness.received(cat) if "Planning day is on" in m]


async def test_reminders_due_while_the_bot_was_stopped_are_sent_once_after_restart(harness):
    team = await _team(harness, [None, None])
    ann, bob = team.members
    slots = [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)]
    poll_id = await _publish(team, slots, _slot(date(2026, 10, 16), 18))
    await _answer(team, ann, poll_id, [AnswerChoice.YES, AnswerChoice.NO])
    await _answer(team, bob, poll_id, [AnswerChoice.YES, AnswerChoice.NO])
    harness.clock.now = _slot(date(2026, 10, 17), 10)
    await _decided(harness, team, poll_id, 0)
    async with harness.sessions() as session:
        due = [(r.minutes_before, r.due_at) for r in await store.reminders_of(session, 1)]
    assert due == [(24 * 60, slots[0] - timedelta(days=1)), (120, slots[0] - timedelta(hours=2))]
    async with harness.sessions() as session:  # Bob cannot come now: no reminders for him
        await meetings.set_coming(session, await session.get(Participant, bob.id), 1, False, NOW)
        await session.commit()

    before = _sweeper(harness)
    await before.run_until_idle()
    assert await jobs.sweep_meetings() == 0  # the bot stops here, for a day and a bit
    jobs.set_context(None)

    harness.clock.now = slots[0] - timedelta(hours=3)  # started again: the 24-hour one is due
    after = _sweeper(harness)
    await after.recover()
    assert await jobs.sweep_meetings() == 1
    assert await jobs.sweep_meetings() == 0
    await after.run_until_idle()
    harness.clock.now = slots[0] - timedelta(hours=2)
    assert await jobs.sweep_meetings() == 1
    await after.run_until_idle()
    harness.clock.now = slots[0] + timedelta(hours=1)
    assert await jobs.sweep_meetings() == 0
    await after.run_until_idle()
    reminders = [m for m in harness.received(ann) if m.startswith("A reminder:")]
    assert reminders == [
        "A reminder: Planning day is on Tue 20 Oct, 18:00–19:00.\nWhere: Room 4",
        "A reminder: Planning day starts soon, Tue 20 Oct, 18:00–19:00.\nWhere: Room 4",
    ]
    assert not [m for m in harness.received(bob) if m.startswith("A reminder:")]


async def test_after_a_long_stop_only_the_latest_reminder_goes(harness):
    team = await _team(harness, [None])
    (ann,) = team.members
    slots = [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)]
    poll_id = await _publish(team, slots, _slot(date(2026, 10, 16), 18))
    await _answer(team, ann, poll_id, [AnswerChoice.YES, AnswerChoice.NO])
    await _decided(harness, team, poll_id, 0)
    harness.clock.now = slots[0] - timedelta(hours=1)  # down through both reminder times
    engine = _sweeper(harness)
    assert await jobs.sweep_meetings() == 1
    await engine.run_until_idle()
    reminders = [m for m in harness.received(ann) if m.startswith("A reminder:")]
    assert len(reminders) == 1 and "starts soon" in reminders[0]
    async with harness.sessions() as session:
        unsent = await session.execute(
            select(func.count()).where(MeetingReminder.sent_at.is_(None))
        )
        assert unsent.scalar() == 0


async def test_cancelling_tells_exactly_the_people_who_were_told_the_time(harness):
    team = await _team(harness, [None, None, None, None])
    ann, bob, cat, dan = team.members
    slots = [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)]
    poll_id = await _publish(team, slots, _slot(date(2026, 10, 16), 18))
    await _answer(team, ann, poll_id, [AnswerChoice.YES, AnswerChoice.NO])
    await _answer(team, bob, poll_id, [AnswerChoice.IF_NEED_BE, AnswerChoice.NO])
    await _answer(team, cat, poll_id, [AnswerChoice.NO, AnswerChoice.YES])  # not for this time
    decided = await _decided(harness, team, poll_id, 0)
    # Cat changes her mind after the decision: she was not told the time, so no news of it.
    async with harness.sessions() as session:
        slot = (await store.slots_of(session, poll_id))[0]
        await store.set_answer(
            session,
            poll_id=poll_id,
            slot_id=slot.id,
            participant_id=cat.id,
            choice=AnswerChoice.YES,
            now=NOW,
        )
        await session.commit()
    engine = harness.engine()
    await engine.run_until_idle()

    async with harness.sessions() as session:
        fay = await session.get(Participant, team.staff.id)
        cancelled = await meetings.cancel(session, fay, decided.meeting.id, harness.clock())
        await meetings.announce(
            session,
            cancelled,
            meetings.News.CANCELLED,
            document_file_id=None,
            translate=untranslated,
            now=harness.clock(),
        )
        await session.commit()
        assert (await store.get_meeting(session, decided.meeting.id)).status == "cancelled"
        assert await store.reminders_of(session, decided.meeting.id) == []
    await engine.run_until_idle()
    news = "Planning day on Tue 20 Oct, 18:00–19:00 is cancelled. Sorry for the change."
    for person in (ann, bob):
        assert harness.received(person).count(news) == 1
    for person in (cat, dan):
        assert news not in harness.received(person)
    async with harness.sessions() as session:
        with pytest.raises(meetings.MeetingNotFound):  # cancelled twice: nobody told twice
            await meetings.cancel(
                session, await session.get(Participant, team.staff.id), decided.meeting.id, NOW
            )


async def test_moving_the_meeting_tells_the_same_people_and_moves_the_reminders(harness):
    team = await _team(harness, [None, None])
    ann, bob = team.members
    slots = [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)]
    poll_id = await _publish(team, slots, _slot(date(2026, 10, 16), 18))
    await _answer(team, ann, poll_id, [AnswerChoice.YES, AnswerChoice.NO])
    await _answer(team, bob, poll_id, [AnswerChoice.NO, AnswerChoice.YES])
    decided = await _decided(harness, team, poll_id, 0)
    new_time = _slot(date(2026, 10, 29), 17)
    async with harness.sessions() as session:
        fay = await session.get(Participant, team.staff.id)
        moved = await meetings.move(session, fay, decided.meeting.id, new_time, NOW)
        await session.commit()
        reminders = await store.reminders_of(session, decided.meeting.id)
    assert moved.told == [ann.id] and moved.meeting.sequence == 1
    assert [r.due_at for r in reminders] == [
        new_time - timedelta(days=1),
        new_time - timedelta(hours=2),
    ]


async def test_attendance_is_marked_after_the_meeting_and_feeds_contributions(harness):
    team = await _team(harness, [None, None])
    ann, bob = team.members
    slots = [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)]
    poll_id = await _publish(team, slots, _slot(date(2026, 10, 16), 18))
    await _answer(team, ann, poll_id, [AnswerChoice.YES, AnswerChoice.NO])
    decided = await _decided(harness, team, poll_id, 0)
    meeting_id = decided.meeting.id
    async with harness.sessions() as session:
        fay = await session.get(Participant, team.staff.id)
        with pytest.raises(meetings.MeetingOver):  # not before it happened
            await meetings.toggle_attendance(session, fay, meeting_id, ann.id, NOW)
        after = slots[0] + timedelta(hours=2)
        listed = await meetings.meeting_people(session, fay, meeting_id)
        assert {p.participant_id for p in listed} == {ann.id, bob.id}  # told, and asked
        assert await meetings.toggle_attendance(session, fay, meeting_id, ann.id, after)
        assert await meetings.toggle_attendance(session, fay, meeting_id, bob.id, after)
        assert not await meetings.toggle_attendance(session, fay, meeting_id, bob.id, after)
        await session.commit()
        attended = await store.attended_meetings(session, ann.id)
        assert [(m.id, minutes) for m, minutes in attended] == [(meeting_id, 60)]
        assert await store.attended_meetings(session, bob.id) == []
        assert await store.participants_who_answered_poll(session, poll_id) == [ann.id]
        assert [p.id for p in await store.polls_of_project(session, team.project_id)] == [poll_id]
        with pytest.raises(meetings.MeetingOver):  # it happened: who came stays on record
            await meetings.cancel(session, fay, meeting_id, after)
        assert (await store.get_meeting(session, meeting_id)).status == MeetingStatus.SCHEDULED
        assert len(await store.attended_meetings(session, ann.id)) == 1


async def test_mydata_shows_a_persons_meeting_answers_and_forget_removes_them(harness):
    from bot.services import privacy

    team = await _team(harness, [None])
    (ann,) = team.members
    slots = [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)]
    poll_id = await _publish(team, slots, _slot(date(2026, 10, 16), 18))
    await _answer(team, ann, poll_id, [AnswerChoice.YES, AnswerChoice.NO])
    async with harness.sessions() as session:
        me = await session.get(Participant, ann.id)
        await meetings.add_other_need(session, me, poll_id, "A quiet room", NOW)
        await session.commit()
    await _decided(harness, team, poll_id, 0)
    async with harness.sessions() as session:
        me = await session.get(Participant, ann.id)
        document = (await privacy.collect(session, me)).document
        assert [a["answer"] for a in document["meeting_times_you_answered"]] == ["yes", "no"]
        assert document["what_would_help_you_come"][0]["your_words"] == "A quiet room"
        assert document["meetings_we_told_you_about"][0]["meeting"] == "Planning day"
        await privacy.erase(session, me)
        await session.commit()
        assert await store.participants_who_answered_poll(session, poll_id) == []
        assert await store.access_needs_for_poll(session, poll_id) == []
        assert await store.notices_of(session, 1) == []


async def test_someone_who_cannot_come_tells_the_facilitator_once_and_can_undo_it(harness):
    team = await _team(harness, [None, None])
    ann, bob = team.members  # neither said we may use their name
    slots = [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)]
    poll_id = await _publish(team, slots, _slot(date(2026, 10, 16), 18))
    await _answer(team, ann, poll_id, [AnswerChoice.YES, AnswerChoice.NO])
    await _answer(team, bob, poll_id, [AnswerChoice.YES, AnswerChoice.NO])
    decided = await _decided(harness, team, poll_id, 0)
    engine = _sweeper(harness)
    await engine.run_until_idle()

    async def say(person, coming: bool) -> bool:
        async with harness.sessions() as session:
            me = await session.get(Participant, person.id)
            meeting, changed = await meetings.set_coming(
                session, me, decided.meeting.id, coming, harness.clock()
            )
            if changed:
                await meetings.tell_staff_coming(
                    session, me, meeting, coming, translate=untranslated, now=harness.clock()
                )
            await session.commit()
        await engine.run_until_idle()
        return changed

    assert await say(ann, False)
    assert not await say(ann, False)  # a second tap: stored once, nobody told twice
    code = meetings.person_code(ann.id)
    assert len(code) == 4 and code == meetings.person_code(ann.id) != meetings.person_code(bob.id)
    news = [m for m in harness.received(team.staff) if "come to Planning day" in m]
    assert news == [f"Person {code} cannot come to Planning day on Tue 20 Oct, 18:00–19:00."]

    assert await say(ann, True)  # "I can come after all"
    news = [m for m in harness.received(team.staff) if "come to Planning day" in m]
    assert (
        news[-1] == f"Person {code} can come to Planning day on Tue 20 Oct, 18:00–19:00 after all."
    )
    async with harness.sessions() as session:
        fay = await session.get(Participant, team.staff.id)
        listed = await meetings.meeting_people(session, fay, decided.meeting.id)
    assert not any(p.cant_come for p in listed)
    harness.clock.now = slots[0] - timedelta(hours=23)  # she gets her reminder again
    assert await jobs.sweep_meetings() == 2
    await engine.run_until_idle()
    assert [m for m in harness.received(ann) if m.startswith("A reminder: Planning day is on")]

    harness.clock.now = slots[0] + timedelta(minutes=5)
    async with harness.sessions() as session:
        with pytest.raises(meetings.MeetingOver):  # too late to change it now
            await meetings.set_coming(
                session, await session.get(Participant, ann.id), 1, False, harness.clock()
            )


async def test_the_day_before_reminder_names_the_day_when_quiet_hours_hold_it(harness):
    # Quiet from 22:00 to 08:00: the reminder due at 23:00 the day before arrives that morning,
    # so it must not say "tomorrow".
    team = await _team(harness, ["Europe/London"], quiet_start=22 * 60, quiet_end=8 * 60)
    (ann,) = team.members
    slots = [_slot(date(2026, 10, 20), 23), _slot(date(2026, 10, 21), 18)]
    poll_id = await _publish(team, slots, _slot(date(2026, 10, 16), 18))
    await _answer(team, ann, poll_id, [AnswerChoice.YES, AnswerChoice.NO])
    await _decided(harness, team, poll_id, 0)
    engine = _sweeper(harness)
    harness.clock.now = slots[0] - timedelta(hours=24)
    assert await jobs.sweep_meetings() == 1
    await engine.run_until_idle()
    assert not [m for m in harness.received(ann) if m.startswith("A reminder")]  # quiet hours
    harness.clock.now = _slot(date(2026, 10, 20), 8, 5)
    await engine.run_until_idle()
    (reminder,) = [m for m in harness.received(ann) if m.startswith("A reminder")]
    assert reminder.startswith("A reminder: Planning day is on Tue 20 Oct, 23:00")
    assert "tomorrow" not in reminder


def test_a_start_time_can_be_typed_the_way_people_write_it():
    for typed in ("18:30", "18.30", "18h30", "1830", "6:30pm", "6.30 PM", " 18 : 30 "):
        assert meetings.parse_clock(typed) == 18 * 60 + 30, typed
    assert meetings.parse_clock("18") == meetings.parse_clock("6pm") == 18 * 60
    assert meetings.parse_clock("12am") == 0 and meetings.parse_clock("12pm") == 12 * 60
    for typed in ("25:00", "18:75", "13pm", "half six", "", None, "18:3", "🙂"):
        assert meetings.parse_clock(typed) is None, typed


async def test_staff_see_their_teams_polls_a_page_at_a_time(harness):
    team = await _team(harness, [None])
    slots = [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)]
    made = [await _publish(team, slots, _slot(date(2026, 10, 16), 18)) for _ in range(10)]
    other = await _team(harness, [None])
    await _publish(other, slots, _slot(date(2026, 10, 16), 18))
    async with harness.sessions() as session:
        fay = await session.get(Participant, team.staff.id)
        first = await meetings.polls_for_staff(session, fay)
        second = await meetings.polls_for_staff(session, fay, 1)
    per_page = meetings.POLLS_PER_PAGE
    assert [poll.id for poll, _ in first.polls] == made[::-1][:per_page] and first.has_older
    assert [poll.id for poll, _ in second.polls] == made[::-1][per_page:]
    assert not second.has_older  # and never the other team's poll
