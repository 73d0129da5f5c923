"""What each person gave, through the real bot: /mycontribution in plain words, a certificate
to show an employer (named only if they chose to be), time a facilitator logs, and the periodic
thank-you that waits for a pause to end. Also: every reciprocity window renders in each language."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import scheduler
from storage import participants
from storage.models import (
    Feedback,
    LoggedActivity,
    Meeting,
    MeetingAttendance,
    OfferKind,
    ThankYouSent,
    WeDidStatus,
    YouSaidWeDid,
    YouSaidWeDidFeedback,
)
from storage.types import utcnow
from tests.conftest import (
    TEAM,
    add_offer,
    join,
    make_staff,
    make_team,
    no_quiet_hours,
    press,
    say,
    settle,
)

FAY = 7000


async def _gave(app, telegram_id: int, project_id: int, *, meetings: int, changes: int) -> None:
    """Meetings of 90 minutes they came to, and published changes their feedback led to."""
    async with app.sessions() as session:
        person = await participants.get_by_telegram_id(session, telegram_id)
        for number in range(meetings):
            meeting = Meeting(
                project_id=project_id,
                title="Meeting",
                starts_at=datetime(2026, 2, 1 + number, 18, tzinfo=UTC),
                duration_minutes=90,
            )
            session.add(meeting)
            await session.flush()
            session.add(
                MeetingAttendance(meeting_id=meeting.id, participant_id=person.id, attended=True)
            )
        for _ in range(changes):
            said = Feedback(project_id=project_id, participant_id=person.id, rating=3)
            change = YouSaidWeDid(
                project_id=project_id,
                you_said="Too hard to find",
                we_did="New signs",
                status=WeDidStatus.DONE,
                published_at=utcnow(),
            )
            session.add_all([said, change])
            await session.flush()
            session.add(YouSaidWeDidFeedback(update_id=change.id, feedback_id=said.id))
        await session.commit()


def _pdf_of(emulator, message) -> bytes:
    return emulator.state.files[message.document["file_id"]].content


async def test_my_contribution_in_plain_words_and_a_certificate_with_my_name(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app)
    ruth = await join(emulator, 7101, code=code, name="Ruth", may_use_name=True)
    sian = await join(emulator, 7102, code=code, name="Sian", may_use_name=False)
    await _gave(running.app, 7101, project_id, meetings=2, changes=1)
    await _gave(running.app, 7102, project_id, meetings=1, changes=0)

    await say(emulator, ruth, "/mycontribution")
    record = ruth.last_message.text
    assert "You gave 3 hours of your time." in record
    assert "You came to 2 meetings." in record
    assert "You shared your views 1 time." in record
    assert "Your ideas helped 1 change." in record
    await press(emulator, ruth, "Get my certificate")
    document = ruth.messages[-2]
    assert document.document["file_name"] == "certificate-of-contribution.pdf"
    assert "show it to an employer" in document.caption
    pdf = _pdf_of(emulator, document)
    assert pdf.startswith(b"%PDF")
    assert "Ruth".encode("utf-16-be") in pdf and TEAM.encode("utf-16-be") in pdf

    await say(emulator, sian, "/mycontribution")
    assert "You gave 1.5 hours of your time." in sian.last_message.text
    await press(emulator, sian, "Get my certificate")
    pdf = _pdf_of(emulator, sian.messages[-2])
    assert "Sian".encode("utf-16-be") not in pdf  # she did not choose to be named
    assert "holder of this certificate".encode("utf-16-be") in pdf


async def test_someone_who_gave_nothing_yet_is_told_kindly(emulator, start_bot):
    running = await start_bot()
    _, code = await make_team(running.app)
    tom = await join(emulator, 7111, code=code)
    await say(emulator, tom, "/mycontribution")
    assert "Nothing is recorded yet." in tom.last_message.text
    assert "Get my certificate" not in tom.buttons
    await say(emulator, tom, "hello?")
    assert "Please use the buttons." in tom.messages[-2].text


async def test_a_facilitator_logs_an_activity_and_it_counts(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app)
    await make_staff(running.app, FAY, project_id)
    fay = await join(emulator, FAY)
    una = await join(emulator, 7121, code=code, name="Una")
    await press(emulator, fay, "Team tools", "Log an activity", "Una")
    await say(emulator, fay, "lots")
    assert "Please type the hours" in fay.messages[-2].text
    await say(emulator, fay, "2.5")
    await say(emulator, fay, "2999-01-01")
    assert "Please type a day in the past year" in fay.messages[-2].text
    await press(emulator, fay, "Yesterday")
    await say(emulator, fay, "Spoke at the staff training day")
    assert "Record 2.5 hours on" in fay.last_message.text and "for Una?" in fay.last_message.text
    await press(emulator, fay, "Yes, save it")
    assert "Your teams." in fay.last_message.text

    await say(emulator, una, "/mycontribution")
    assert "You gave 2.5 hours of your time." in una.last_message.text
    assert "You helped with 1 other activity." in una.last_message.text
    async with running.app.sessions() as session:
        activity = (await session.execute(select(LoggedActivity))).scalar_one()
    assert activity.minutes == 150 and activity.description == "Spoke at the staff training day"
    yesterday = utcnow().astimezone(ZoneInfo("Europe/London")).date() - timedelta(days=1)
    assert activity.day == yesterday


async def test_a_paused_participant_gets_no_thank_you_until_the_pause_ends(emulator, start_bot):
    running = await start_bot()
    app = running.app
    project_id, code = await make_team(app)
    vic = await join(emulator, 7131, code=code)
    wyn = await join(emulator, 7132, code=code)
    await no_quiet_hours(app, 7131, 7132)
    await _gave(app, 7131, project_id, meetings=1, changes=1)
    await _gave(app, 7132, project_id, meetings=1, changes=0)
    await say(emulator, wyn, "/pause")
    await press(emulator, wyn, "Pause until I turn it on")

    scheduler.set_context(scheduler.JobContext(sessions=app.sessions, delivery=app.delivery))
    try:
        assert await scheduler.sweep_thank_yous() == 1
        await app.delivery.run_until_idle()
        thanks = vic.last_message
        assert thanks.text.startswith(f"Thank you for what you give to {TEAM}.")
        assert (
            "You came to 1 meeting." in thanks.text and "Your ideas helped 1 change." in thanks.text
        )
        assert thanks.buttons == [["See what you gave"]]
        assert not [m for m in wyn.messages if m.body.startswith("Thank you for what")]

        assert await scheduler.sweep_thank_yous() == 0  # once a month, even after a restart
        await say(emulator, wyn, "/pause")
        await press(emulator, wyn, "Turn messages on again")
        assert await scheduler.sweep_thank_yous() == 1
        await app.delivery.run_until_idle()
        assert len([m for m in wyn.messages if m.body.startswith("Thank you for what")]) == 1
    finally:
        scheduler.set_context(None)
    await press(emulator, vic, "See what you gave")
    assert "Your contribution." in vic.last_message.text
    async with app.sessions() as session:
        assert len((await session.execute(select(ThankYouSent))).scalars().all()) == 2
    assert any(s.job_id == "thank-you-sweep" for s in scheduler.SWEEPS)


LANGUAGES = [("English", "en"), ("Cymraeg", "cy"), ("Polski", "pl"), ("العربية", "ar")]


@pytest.mark.parametrize(("language", "code"), LANGUAGES, ids=[c for _, c in LANGUAGES])
async def test_every_reciprocity_window_renders_in_each_language(
    emulator, start_bot, caplog, language, code
):
    """Buttons are pressed by their label in the person's language (the catalog's own words),
    so the walk holds whatever the translations say."""
    caplog.set_level(logging.ERROR)
    running = await start_bot()
    app = running.app
    project_id, invite = await make_team(app)
    other_id, _ = await make_team(app, "Youth panel")
    await make_staff(app, FAY, project_id, other_id)
    fay = await join(emulator, FAY, language=language, language_code=code)
    pat = await join(emulator, 7141, language=language, language_code=code, code=invite, name="Pat")
    await _gave(app, 7141, project_id, meetings=1, changes=1)
    await add_offer(app, project_id, "Bus fares", kind=OfferKind.TRAVEL)

    def t(msgid: str, **values) -> str:
        return app.i18n.gettext(msgid, locale=code).format(**values)

    # The participant: offers, one offer, amount, receipt, confirm, my requests, contribution.
    await say(emulator, pat, "/offers")
    await press(emulator, pat, t("{kind}: {title}", kind=t("Travel expenses"), title="Bus fares"))
    await press(emulator, pat, t("Ask for this"))
    await say(emulator, pat, "3.20")
    await press(
        emulator, pat, t("Skip"), t("Yes, ask"), t("Back"), t("My requests"), t("Back"), t("Back")
    )
    await say(emulator, pat, "/mycontribution")
    await press(emulator, pat, t("Get my certificate"))
    assert pat.messages[-2].document is not None

    # The facilitator: every window of posting and reviewing, and logging an activity.
    await say(emulator, fay, "/team")
    to_review = app.i18n.gettext("{count} to review", "{count} to review", 1, locale=code)
    await press(
        emulator, fay, t("Thank-you offers"), TEAM, "Bus fares • " + to_review.format(count=1)
    )
    await press(emulator, fay, t("Requests to review: {to_review}", to_review=1))
    await press(emulator, fay, fay.buttons[0])  # Pat's request
    await press(emulator, fay, t("Decline"))
    await say(emulator, fay, "Not this month, sorry.")
    await press(emulator, fay, t("Back"), t("Back"), t("Close this offer"), t("Back"), t("Back"))
    await press(emulator, fay, t("Post a new offer"), t("Other"))
    await say(emulator, fay, "Tea and cake")
    await say(emulator, fay, "After each meeting.")
    await press(emulator, fay, t("No limit"))
    await press(emulator, fay, fay.buttons[0])  # open for two weeks
    await press(emulator, fay, fay.buttons[1])  # for people who came to at least one meeting
    await press(emulator, fay, fay.buttons[0])  # write the first other language's version
    await say(emulator, fay, "Te")
    await say(emulator, fay, "Ar ôl pob cyfarfod.")
    # The new offer, then back to its team's offers, the team choice and team tools.
    await press(emulator, fay, t("Next"), t("Post it"), t("Back"), t("Back"), t("Back"))
    await press(
        emulator, fay, t("Log an activity"), TEAM, "Pat", t("{count} h", count=1), t("Today")
    )
    await say(emulator, fay, "Read the new leaflet")
    await press(emulator, fay, t("Yes, save it"))

    async with app.sessions() as session:
        assert (await session.execute(select(LoggedActivity))).scalar_one().minutes == 60
    # A second answer to a button a handler already answered is refused, and expected.
    refused = [
        (r.method, r.error_code)
        for r in emulator.requests
        if not r.ok and r.method != "answerCallbackQuery"
    ]
    assert refused == []
    assert "error while handling" not in caplog.text


async def test_someone_in_two_teams_chooses_which_team_their_certificate_shows(emulator, start_bot):
    """An employer sees only the group they chose to show (it may be a recovery group)."""
    from storage import projects
    from storage.models import Role

    running = await start_bot()
    carers_id, code = await make_team(running.app)
    recovery_id, _ = await make_team(running.app, "Recovery group")
    ruth = await join(emulator, 7151, code=code, name="Ruth", may_use_name=True)
    async with running.app.sessions() as session:
        person = await participants.get_by_telegram_id(session, 7151)
        recovery = await projects.get_project(session, recovery_id)
        await projects.set_role(session, recovery, person, Role.PARTICIPANT)
        await session.commit()
    await _gave(running.app, 7151, carers_id, meetings=2, changes=0)
    await _gave(running.app, 7151, recovery_id, meetings=1, changes=1)

    await say(emulator, ruth, "/mycontribution")
    record = ruth.last_message.text
    assert "You came to 3 meetings." in record
    assert f"This counts all your teams: {TEAM}, Recovery group." in record
    await press(emulator, ruth, "Get my certificate")
    assert "Which team is the certificate for?" in ruth.last_message.text
    assert ruth.buttons[:-1] == [TEAM, "Recovery group", "All my teams together", "Back"]
    await press(emulator, ruth, TEAM)
    pdf = _pdf_of(emulator, ruth.messages[-2])
    assert TEAM.encode("utf-16-be") in pdf and "Meetings attended: 2".encode("utf-16-be") in pdf
    assert "Recovery".encode("utf-16-be") not in pdf
    assert "Your contribution." in ruth.last_message.text  # back on the record, buttons in reach

    # A forged team button (a team she is not in) makes no certificate.
    other_id, _ = await make_team(running.app, "Someone else's team")
    await press(emulator, ruth, "Get my certificate")
    screen = ruth.last_message
    forged = screen.data_for(TEAM).rsplit(":", 1)[0] + f":{other_id}"
    update = await ruth.press_data(forged, message_id=screen.message_id)
    await settle(emulator, update)
    assert "not available" in emulator.callback_answer(update["callback_query"]["id"])["text"]
    assert ruth.last_message.document is None


async def test_a_thank_you_keeps_to_how_many_messages_a_week_they_chose(emulator, start_bot):
    from bot.services import delivery
    from storage.models import OutboxKind

    running = await start_bot()
    app = running.app
    project_id, code = await make_team(app)
    xan = await join(emulator, 7161, code=code)
    await no_quiet_hours(app, 7161)
    await _gave(app, 7161, project_id, meetings=1, changes=0)
    async with app.sessions() as session:
        person = await participants.get_by_telegram_id(session, 7161)
        person.messages_per_week = 1  # they chose one message a week, and had it already
        session.add(person)
        await delivery.enqueue_message(
            session,
            kind=OutboxKind.BROADCAST,
            recipients=[person.id],
            now=utcnow(),
            source_locale="en",
            texts={"en": "The meeting room has changed."},
        )
        await session.commit()
    await app.delivery.run_until_idle()
    assert xan.last_message.text == "The meeting room has changed."

    scheduler.set_context(scheduler.JobContext(sessions=app.sessions, delivery=app.delivery))
    try:
        assert await scheduler.sweep_thank_yous() == 1  # queued: it waits for room in the week
    finally:
        scheduler.set_context(None)
    await app.delivery.run_until_idle()
    assert not [m for m in xan.messages if m.body.startswith("Thank you for what")]
