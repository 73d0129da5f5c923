"""People give feedback in a few taps, change or withdraw it, and answer a pulse check-in;
facilitators review it without ever seeing a name the person did not give. Driven through the
emulator as people would."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.services import delivery
from bot.services import feedback as rules
from storage import participants, projects
from storage.models import Feedback, PulseResponse, Role
from storage.types import utcnow
from tests.conftest import (
    FEEDBACK_TOPICS,
    give_feedback,
    join,
    make_staff,
    make_team,
    no_quiet_hours,
    press,
    say,
    settle,
)

DONE = "Thank you. Your answer is with the team."


async def answers(app) -> list[Feedback]:
    async with app.sessions() as session:
        return list((await session.execute(select(Feedback).order_by(Feedback.id))).scalars())


async def test_quick_feedback_takes_four_taps_from_the_menu(emulator, start_bot):
    running = await start_bot()
    _project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    amy = await join(emulator, 6001, code=code)
    await say(emulator, amy, "/menu")

    taps = ["Give feedback", "Transport", "🙂 Good", "Send without my name"]
    await press(emulator, amy, *taps)

    assert len(taps) <= 4
    assert DONE in amy.last_message.text
    assert "It does not have your name on it." in amy.last_message.text
    [answer] = await answers(running.app)
    assert (answer.topic, answer.rating, answer.text, answer.anonymous) == (
        "Transport",
        4,
        None,
        True,
    )


async def test_someone_in_two_teams_chooses_the_team_first(emulator, start_bot):
    running = await start_bot()
    _first, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    second, other_code = await make_team(running.app, "Youth panel")
    amy = await join(emulator, 6002, code=code)
    await say(emulator, amy, f"/start {other_code}")
    await say(emulator, amy, "/feedback")
    assert "Which team is your feedback for?" in amy.last_message.text
    # The second team has no topics: its answers go straight to the faces.
    await press(emulator, amy, "Youth panel", "😄 Very good", "Send without my name")
    [answer] = await answers(running.app)
    assert (answer.project_id, answer.topic, answer.rating) == (second, "", 5)


async def test_words_and_a_name_only_where_they_agreed_to_it(emulator, start_bot):
    running = await start_bot()
    _project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    named = await join(emulator, 6003, code=code, name="Amira")
    shy = await join(emulator, 6004, code=code, name="Bo", may_use_name=False)

    await give_feedback(emulator, named, "Waiting times", "🙁 Bad", "Two hours again.", named=True)
    assert "It has your name on it." in named.last_message.text
    await say(emulator, shy, "/feedback")
    await press(emulator, shy, "Transport", "😐 Okay")
    assert "Send with my name" not in shy.buttons  # never offered without their agreement
    await say(emulator, shy, "x" * (rules.TEXT_LIMIT + 1))
    assert f"under {rules.TEXT_LIMIT} characters" in shy.messages[-2].text
    await settle(emulator, await shy.send_sticker())
    assert "Please type your words or send a voice note." in shy.messages[-2].text
    await say(emulator, shy, "The bus is fine.")
    assert "The bus is fine." in shy.last_message.text
    await press(emulator, shy, "Send without my name")

    first, second = await answers(running.app)
    assert (first.text, first.anonymous, first.rating) == ("Two hours again.", False, 2)
    assert (second.text, second.anonymous, second.rating) == ("The bus is fine.", True, 3)


async def test_they_can_see_change_and_withdraw_their_answer(emulator, start_bot):
    running = await start_bot()
    _project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    amy = await join(emulator, 6005, code=code)
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", "The bus is late.")
    await press(emulator, amy, "My feedback")
    [label] = [b for b in amy.buttons if "Transport" in b]
    await press(emulator, amy, label)
    assert "The bus is late." in amy.last_message.text

    await press(emulator, amy, "Change my rating", "🙂 Good")
    await press(emulator, amy, "Change my words")
    await say(emulator, amy, "The bus is on time now.")
    assert "The bus is on time now." in amy.last_message.text
    [answer] = await answers(running.app)
    assert (answer.rating, answer.text) == (4, "The bus is on time now.")

    await press(emulator, amy, "Withdraw it", "Yes, withdraw it")
    assert "You have not given any feedback yet." in amy.last_message.text
    [answer] = await answers(running.app)
    assert answer.withdrawn_at is not None and answer.text is None
    async with running.app.sessions() as session:
        assert (
            await rules.own_answers(session, await participants.get_by_telegram_id(session, 6005))
            == []
        )


async def test_anonymous_feedback_never_shows_a_name_to_staff(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 6100, project_id)
    fay = await join(emulator, 6100)
    amira = await join(emulator, 6006, code=code, name="Amira")
    bo = await join(emulator, 6007, code=code, name="Bo", may_quote=False)
    await give_feedback(emulator, amira, "Transport", "😞 Very bad", "Nobody listens.")
    await give_feedback(emulator, bo, "Waiting times", "🙂 Good", "Quicker now.", named=True)

    await say(emulator, fay, "/team")
    await press(emulator, fay, "Review feedback")
    first = fay.last_message.text
    assert "Nobody listens." in first and "From: anonymous" in first
    await press(emulator, fay, "Next")
    second = fay.last_message.text
    assert "Quicker now." in second and "From: Bo" in second
    assert "Not to be quoted" in second  # Bo did not agree to quotes: staff see it, marked
    await press(emulator, fay, "Previous", "Mark as reviewed")
    # Only new answers are shown: Bo's is next, and the reviewed one has gone.
    assert "Quicker now." in fay.last_message.text and "Answer 1 of 1" in fay.last_message.text
    await press(emulator, fay, "Filter", "All answers", "Show them")
    assert "Answer 1 of 2" in fay.last_message.text

    seen = "\n".join(m.body for m in fay.messages)
    assert "Amira" not in seen and str(amira.id) not in seen


async def test_a_voice_note_is_stored_and_staff_can_play_it(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 6101, project_id)
    fay = await join(emulator, 6101)
    amy = await join(emulator, 6008, code=code)
    await say(emulator, amy, "/feedback")
    await press(emulator, amy, "Transport", "🙁 Bad")
    await settle(emulator, await amy.send_voice(duration=7))
    assert "Your voice note (7 seconds)." in amy.last_message.text
    await press(emulator, amy, "Send without my name")
    [answer] = await answers(running.app)
    assert answer.voice_file_id and answer.voice_duration == 7 and answer.text is None

    await say(emulator, fay, "/team")
    await press(emulator, fay, "Review feedback")
    assert "A voice note (7 seconds)." in fay.last_message.text
    await press(emulator, fay, "Play the voice note")
    assert any(m.voice for m in fay.messages)
    played = [r for r in emulator.requests if r.method == "sendVoice"]
    assert played and all(r.ok for r in played)


async def test_staff_group_answers_into_a_theme(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 6102, project_id)
    fay = await join(emulator, 6102)
    amy = await join(emulator, 6009, code=code)
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", "Buses are late.")
    await say(emulator, fay, "/team")
    await press(emulator, fay, "Review feedback", "Add to a theme")
    await say(emulator, fay, "Late buses")
    assert "Theme: Late buses" in fay.last_message.text
    [answer] = await answers(running.app)
    assert answer.theme_id is not None


async def test_a_facilitator_of_another_team_sees_none_of_its_feedback(sessions):
    async with sessions() as session:
        ours = await projects.create_project(session, "Ours")
        theirs = await projects.create_project(session, "Theirs")
        amy = await participants.get_or_create(session, 6010)
        fay = await participants.get_or_create(session, 6011)
        await projects.set_role(session, ours, amy, Role.PARTICIPANT)
        await projects.set_role(session, theirs, fay, Role.FACILITATOR)
        answer = await rules.give(session, amy, project_id=ours.id, topic="", rating=3)
        for attempt in (
            rules.review_page(session, fay, ours.id),
            rules.mark_reviewed(session, fay, answer.id),
            rules.put_in_theme(session, fay, answer.id, new_theme="x"),
        ):
            try:
                await attempt
            except rules.NotAllowed:
                continue
            raise AssertionError("a facilitator of another team reached this answer")
        # Not a member: cannot give feedback to a team either.
        try:
            await rules.give(session, fay, project_id=ours.id, topic="", rating=3)
        except rules.NotAllowed:
            pass
        else:
            raise AssertionError("a non-member gave feedback")


async def pulse_checkin(running, person, project_id: int):
    """The team's weekly "How are things going?" check-in, due now and delivered."""
    async with running.app.sessions() as session:
        now = utcnow()
        await delivery.add_checkin_schedule(
            session,
            project_id=project_id,
            timezone="Europe/London",
            start="pulse",
            every_weeks=1,
            weekday=now.weekday(),
            minute_of_day=0,
            first_on=now.date() - timedelta(days=7),
            now=now - timedelta(days=1),
        )
        await delivery.run_due_checkins(session, now)
        await session.commit()
    await running.app.delivery.run_until_idle()
    return await person.wait_for_message(lambda m: "How are things going" in m.body)


async def test_a_pulse_check_in_is_answered_in_one_tap_with_an_optional_comment(
    emulator, start_bot
):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    amy = await join(emulator, 6012, code=code)
    await no_quiet_hours(running.app, 6012)
    checkin = await pulse_checkin(running, amy, project_id)
    assert checkin.labels == ["😊 Going well", "😐 Okay", "😟 Hard"]

    okay = checkin.data_for("😐 Okay")
    await press(emulator, amy, "😟 Hard")
    # A second tap on the same check-in (a double tap, or a change of mind) replaces the first.
    await settle(emulator, await amy.press_data(okay, message_id=checkin.message_id))
    # The buttons go when the comment window opens: the check-in still says what they chose.
    [shown] = [m for m in amy.messages if m.message_id == checkin.message_id]
    assert "How are things going" in shown.body
    assert shown.body.count("You answered:") == 1
    assert shown.body.endswith("You answered: 😐 Okay. Thank you.")
    await say(emulator, amy, "Tired this week.")
    assert "Thank you. The team will read it." in amy.last_message.text
    async with running.app.sessions() as session:
        [pulse] = list((await session.execute(select(PulseResponse))).scalars())
    assert (pulse.answer, pulse.comment, pulse.project_id) == (
        "okay",
        "Tired this week.",
        project_id,
    )
    assert pulse.checkin_message_id is not None

    forged = f"fb_ck:p:{project_id + 7}:good"
    await settle(emulator, await amy.press_data(forged, message_id=checkin.message_id))
    answered = list(emulator.state.callback_answers.values())[-1]
    assert answered and "no longer works" in (answered.get("text") or "")
    # A check-in button pressed on a message that was never a check-in stores nothing.
    await settle(emulator, await amy.press_data(okay, message_id=amy.last_message.message_id))
    answered = list(emulator.state.callback_answers.values())[-1]
    assert answered and "no longer works" in (answered.get("text") or "")
    async with running.app.sessions() as session:
        assert len(list((await session.execute(select(PulseResponse))).scalars())) == 1


async def test_a_feedback_check_in_opens_the_feedback_dialog(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    amy = await join(emulator, 6013, code=code)
    await no_quiet_hours(running.app, 6013)
    async with running.app.sessions() as session:
        members = await projects.member_ids(session, project_id)
        await delivery.enqueue_message(
            session,
            kind=delivery.OutboxKind.CHECKIN,
            recipients=members,
            now=utcnow(),
            source_locale="en",
            text_key="checkin_feedback",
            project_id=project_id,
            action="checkin:feedback",
        )
        await session.commit()
    await running.app.delivery.run_until_idle()
    await amy.wait_for_message(lambda m: "Give feedback" in m.labels)
    await press(emulator, amy, "Give feedback")
    assert "What is it about?" in amy.last_message.text
    # Not now after all: Back leads to the main menu, not to a message with no buttons.
    await press(emulator, amy, "Back")
    assert {"Give feedback", "My feedback"} <= set(amy.last_message.labels)
    await press(emulator, amy, "Give feedback")
    await press(emulator, amy, "Waiting times", "😄 Very good", "Send without my name")
    assert DONE in amy.last_message.text


async def test_back_from_the_first_step_of_a_command_opens_the_menu(emulator, start_bot):
    running = await start_bot()
    _project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    amy = await join(emulator, 6014, code=code)
    for command in ("/feedback", "/updates"):
        await say(emulator, amy, command)
        await press(emulator, amy, "Back")
        assert {"Give feedback", "My feedback"} <= set(amy.last_message.labels), command


async def test_a_double_tap_on_send_stores_one_answer(emulator, start_bot):
    running = await start_bot()
    _project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    amy = await join(emulator, 6015, code=code)
    await say(emulator, amy, "/feedback")
    await press(emulator, amy, "Transport", "🙂 Good")
    send = amy.last_message.data_for("Send without my name")
    first = await amy.press_data(send, amy.last_message.message_id)
    second = await amy.press_data(send, amy.last_message.message_id)
    await settle(emulator, first)
    await settle(emulator, second)
    assert len(await answers(running.app)) == 1
    assert all(answer is not None for answer in emulator.state.callback_answers.values())


async def test_they_can_take_their_name_off_an_answer(emulator, start_bot):
    running = await start_bot()
    _project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    amy = await join(emulator, 6016, code=code, name="Amira")
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", "The bus is late.", named=True)
    await press(emulator, amy, "My feedback")
    [label] = [b for b in amy.buttons if "Transport" in b]
    await press(emulator, amy, label)
    assert "Sent with your name." in amy.last_message.text
    await press(emulator, amy, "Take my name off it")
    assert "Sent without your name." in amy.last_message.text
    [answer] = await answers(running.app)
    assert answer.anonymous is True
    await press(emulator, amy, "Put my name on it")
    [answer] = await answers(running.app)
    assert answer.anonymous is False


async def test_a_long_list_of_answers_comes_a_page_at_a_time(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    amy = await join(emulator, 6017, code=code)
    async with running.app.sessions() as session:
        person = await participants.get_by_telegram_id(session, 6017)
        for rating in [1, 2, 3, 4, 5] * 3:
            await rules.give(session, person, project_id=project_id, topic="", rating=rating)
        await session.commit()
    await say(emulator, amy, "/menu")
    await press(emulator, amy, "My feedback")
    shown = [b for b in amy.buttons if "Something else" in b]
    assert len(shown) == 8  # fits a phone's screen; the rest on the next page
    assert "Give feedback" in amy.buttons
