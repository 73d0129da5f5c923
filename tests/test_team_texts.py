"""Team-written texts in every language the team uses: ground rules, feedback topics, poll and
meeting titles and places, each reader getting their language's version or else the original
(the broadcasts' rule); time zones named by Babel in the reader's language."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from aiogram_dialog.widgets.kbd.calendar_kbd import raw_from_date
from sqlalchemy import select

from bot import admin
from bot.services import feedback, meetings, team_texts
from storage import participants, projects
from storage.db import create_engine, create_session_factory
from storage.models import AvailabilityPoll, Feedback, Meeting
from storage.types import utcnow
from tests.conftest import (
    bot_settings,
    give_feedback,
    join,
    make_staff,
    make_team,
    no_quiet_hours,
    press,
    say,
    settle,
    tap,
    tr,
)

RULES_EN = "Listen when others speak.\nEvery voice counts the same."
RULES_CY = "Gwrandewch pan fydd eraill yn siarad.\nMae pob llais yn cyfrif yr un fath."


async def _welsh_team(app) -> tuple[int, str]:
    project_id, code = await make_team(app, feedback_topics="Waiting times\nTransport")
    async with app.sessions() as session:
        project = await projects.get_project(session, project_id)
        project.ground_rules = RULES_EN
        await team_texts.set_rules(session, project, "cy", RULES_CY)
        await team_texts.set_topic(session, project, "cy", "Waiting times", "Amseroedd aros")
        await session.commit()
    return project_id, code


async def _up_to_the_rules(emulator, user_id: int, language: str, code: str, invite: str):
    """A newcomer taps through joining until the team's ground rules are on screen."""
    person = emulator.user(user_id, first_name="Sam", language_code=code)
    await say(emulator, person, f"/start {invite}")
    await settle(emulator, await person.press(language))
    for _step in range(4):  # welcome, consent, quoting, using their name
        await settle(emulator, await person.press(person.buttons[0]))
    return person


async def test_a_welsh_joiner_reads_welsh_rules_and_topics_an_arabic_one_the_original(
    emulator, start_bot
):
    running = await start_bot()
    _project_id, invite = await _welsh_team(running.app)

    cai = await _up_to_the_rules(emulator, 7101, "Cymraeg", "cy", invite)
    shown = cai.last_message.body
    assert "• Gwrandewch pan fydd eraill yn siarad." in shown
    assert "Listen when others speak." not in shown
    aziz = await _up_to_the_rules(emulator, 7102, "العربية", "ar", invite)
    assert "Listen when others speak." in aziz.last_message.body
    assert "Every voice counts the same." in aziz.last_message.body

    for person in (cai, aziz):
        for _step in range(5):  # rules, name, how often, quiet hours, time zone
            await settle(emulator, await person.press(person.buttons[0]))
    await say(emulator, cai, "/feedback")
    assert cai.buttons[:2] == ["Amseroedd aros", "Transport"]  # no Welsh for Transport yet
    assert cai.buttons[2] == tr("Something else", "cy")
    await say(emulator, aziz, "/feedback")
    assert aziz.buttons[:2] == ["Waiting times", "Transport"]


async def test_the_staff_review_groups_a_welsh_topic_answer_with_the_english_one(
    emulator, start_bot
):
    running = await start_bot()
    app = running.app
    project_id, invite = await _welsh_team(app)
    await make_staff(app, 7110, project_id)
    await join(emulator, 7110, rules=True)
    ann = await join(emulator, 7111, code=invite, rules=True)
    cai = await join(
        emulator, 7112, language="Cymraeg", language_code="cy", code=invite, rules=True
    )

    await give_feedback(emulator, ann, "Waiting times", "🙂 Good", "Quicker now")
    await say(emulator, cai, "/feedback")
    await press(emulator, cai, "Amseroedd aros")
    assert "Amseroedd aros" in cai.last_message.body  # the rating screen names it in Welsh
    await press(emulator, cai, f"🙁 {tr('Bad', 'cy')}")
    await say(emulator, cai, "Rhy hir")
    await press(emulator, cai, tr("Send without my name", "cy"))

    async with app.sessions() as session:
        topics = (await session.execute(select(Feedback.topic).order_by(Feedback.id))).scalars()
        assert list(topics) == ["Waiting times", "Waiting times"]
        staff = await participants.get_by_telegram_id(session, 7110)
        page = await feedback.review_page(session, staff, project_id, topic="Waiting times")
        assert page.total == 2
    # Cai's own list shows the topic in Welsh.
    await say(emulator, cai, "/menu")
    await tap(emulator, cai, "my_feedback")
    assert any("Amseroedd aros" in label for label in cai.buttons)


async def test_a_polish_reader_is_invited_with_the_polish_title(emulator, start_bot):
    running = await start_bot()
    app = running.app
    project_id, invite = await make_team(app)
    await make_staff(app, 7120, project_id)
    fay = await join(emulator, 7120)
    ann = await join(emulator, 7121, code=invite)
    piotr = await join(emulator, 7122, language="Polski", language_code="pl", code=invite)
    await no_quiet_hours(app, 7120, 7121, 7122)

    await say(emulator, fay, "/team")
    await tap(emulator, fay, "staff_meetings")
    await tap(emulator, fay, "staff_new_poll")
    await say(emulator, fay, "Planning day")
    await say(emulator, fay, "Room 4, Town Hall")
    day = utcnow().astimezone(ZoneInfo("Europe/London")).date() + timedelta(days=3)
    for minutes in ("1080", "1140"):
        await tap(emulator, fay, "poll_day", str(raw_from_date(day)))
        await tap(emulator, fay, "poll_time", minutes)
        if minutes == "1080":
            await tap(emulator, fay, "add_slot")
    await tap(emulator, fay, "slots_next")
    await tap(emulator, fay, "poll_duration", "60")
    await tap(emulator, fay, "poll_deadline")
    await tap(emulator, fay, "poll_audience", "project")
    # The preview says who gets which version, and offers to write the Polish one.
    lines = fay.last_message.body
    assert "Polski: 1 person will get the English original." in lines
    await tap(emulator, fay, "poll_version", "pl")
    await say(emulator, fay, "Dzień planowania")
    await press(emulator, fay, "Same place")
    assert "Polski: 1 person will get their own version." in fay.last_message.body
    await tap(emulator, fay, "publish")
    await app.delivery.run_until_idle()

    polish = [m.body for m in piotr.messages if "Dzień planowania" in m.body]
    assert polish and "Planning day" not in polish[-1]
    assert any("Planning day" in m.body for m in ann.messages)
    assert not any("Dzień planowania" in m.body for m in ann.messages)

    # The meeting keeps the versions: its confirmation reaches Piotr in Polish.
    async with app.sessions() as session:
        poll_id = (await session.execute(select(AvailabilityPoll.id))).scalar_one()
        staff = await participants.get_by_telegram_id(session, 7120)
        summary = await meetings.summary(session, staff, poll_id)
        assert team_texts.title_for(summary.poll, "pl") == "Dzień planowania"
        assert team_texts.place_for(summary.poll, "pl") == "Room 4, Town Hall"
        decided = await meetings.decide(session, staff, poll_id, summary.slots[0].slot_id, utcnow())
        meeting: Meeting = decided.meeting
        assert team_texts.title_for(meeting, "pl") == "Dzień planowania"
        assert team_texts.title_for(meeting, "cy") == "Planning day"


async def test_a_welsh_joiner_picks_llundain_not_europe_london(emulator, start_bot):
    running = await start_bot()
    _project_id, invite = await make_team(running.app)
    cai = await _up_to_the_rules(emulator, 7130, "Cymraeg", "cy", invite)
    for _step in range(3):  # no rules in this team: a name, how often, quiet hours
        await settle(emulator, await cai.press(cai.buttons[0]))
    # Babel's Welsh name for Europe/London, in the question and on the button.
    assert "Llundain (" in cai.last_message.body
    assert cai.buttons[0].startswith("Llundain (")
    assert "Dulyn (" in " ".join(cai.buttons)  # Europe/Dublin
    assert "Europe/London" not in " ".join(cai.buttons)
    await settle(emulator, await cai.press(cai.buttons[0]))
    await say(emulator, cai, "/settings")
    assert "Llundain (" in cai.last_message.body


async def test_project_create_takes_welsh_rules_and_topics(tmp_path, emulator):
    (tmp_path / "rules.txt").write_text(RULES_EN + "\n")
    (tmp_path / "rules.cy.txt").write_text(RULES_CY + "\n")
    settings = bot_settings(emulator, tmp_path)
    said = await admin.create_project(
        settings,
        name="Carers' voice",
        description="",
        timezone="Europe/London",
        locale="en",
        rules=admin.read_rules_files(
            [str(tmp_path / "rules.txt"), f"cy={tmp_path / 'rules.cy.txt'}"]
        ),
        topics=["Waiting times", "cy:Amseroedd aros", "Transport"],
    )
    assert "also in cy" in said
    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_session_factory(engine)() as session:
            project = (await projects.all_projects(session))[0]
            texts = await projects.texts_of(session, project.id)
            assert team_texts.rules_for(project, texts, "cy") == RULES_CY.splitlines()
            assert team_texts.rules_for(project, texts, "pl") == RULES_EN.splitlines()
            assert team_texts.topics_for(project, texts, "cy") == [
                ("Waiting times", "Amseroedd aros"),
                ("Transport", "Transport"),
            ]
    finally:
        await engine.dispose()
