"""Facilitators keep the team's ground rules and feedback topics in Team tools, in every
language the team uses: each reader gets their language's version or else the original (the
broadcasts' rule). Renaming a topic keeps earlier answers together; only staff of the team may
change anything, and every change is audited without its words. And a poll's audience numbers
are the same on every screen."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from aiogram_dialog.utils import CB_SEP
from aiogram_dialog.widgets.kbd.calendar_kbd import raw_from_date
from sqlalchemy import select

from bot.services import feedback, team_texts
from storage import feedback as feedback_store
from storage import participants, projects
from storage.models import AuditEntry, ProjectText
from storage.types import utcnow
from tests.conftest import (
    give_feedback,
    join,
    make_staff,
    make_team,
    ntr,
    say,
    settle,
    tap,
    team_with_people,
    tr,
)

RULES_EN = "Listen when others speak.\nEvery voice counts the same."
RULES_CY = "Gwrandewch pan fydd eraill yn siarad.\nMae pob llais yn cyfrif yr un fath."
OWN = (
    "{language}: {count} person will get their own version.",
    "{language}: {count} people will get their own version.",
)
GETS_ORIGINAL = (
    "{language}: {count} person will get the {original} original.",
    "{language}: {count} people will get the {original} original.",
)


async def _team(app, topics: str = "Waiting times\nTransport") -> tuple[int, str]:
    project_id, invite = await make_team(app, feedback_topics=topics)
    async with app.sessions() as session:
        project = await projects.get_project(session, project_id)
        project.ground_rules = RULES_EN
        session.add(project)
        await session.commit()
    return project_id, invite


async def _open_texts(emulator, fay, project_id: int) -> None:
    await say(emulator, fay, "/team")
    await tap(emulator, fay, "staff_team_texts")
    await tap(emulator, fay, "staff_texts_project", str(project_id))


async def _team_text_audits(app) -> list[str]:
    async with app.sessions() as session:
        rows = await session.execute(
            select(AuditEntry.action, AuditEntry.detail)
            .where(AuditEntry.action.like("team_texts.%"))
            .order_by(AuditEntry.id)
        )
        return [f"{action} {detail}" for action, detail in rows.all()]


async def test_a_welsh_facilitator_writes_welsh_rules_and_a_topic_and_a_welsh_joiner_reads_them(
    emulator, start_bot
):
    running = await start_bot()
    app = running.app
    project_id, invite = await _team(app)
    await make_staff(app, 7201, project_id)
    fay = await join(emulator, 7201, language="Cymraeg", language_code="cy", rules=True)

    await _open_texts(emulator, fay, project_id)
    screen = fay.last_message.body
    assert tr("Ground rules:", "cy") in screen and "• Listen when others speak." in screen
    assert tr("Feedback topics:", "cy") in screen and "• Waiting times\n• Transport" in screen
    # Fay reads Welsh, and the team has no Welsh rules yet: she gets the English original.
    assert ntr(*GETS_ORIGINAL, 1, "cy", language="Cymraeg", original="English") in screen

    await tap(emulator, fay, "staff_texts_rules")
    await tap(emulator, fay, "staff_texts_rules_language", "cy")
    assert (
        tr("Type the ground rules in {language}. Put each rule on its own line.", "cy").format(
            language="Cymraeg"
        )
        in fay.last_message.body
    )
    await say(emulator, fay, RULES_CY)
    assert ntr(*OWN, 1, "cy", language="Cymraeg") in fay.last_message.body
    assert tr("Change the {language} version", "cy").format(language="Cymraeg") in fay.buttons

    await tap(emulator, fay, "rules_back")
    await tap(emulator, fay, "staff_texts_topic", "0")
    await tap(emulator, fay, "staff_texts_topic_language", "cy")
    await say(emulator, fay, "Amseroedd aros")
    topic_screen = fay.last_message.body
    assert tr("Topic: {topic}", "cy").format(topic="Waiting times") in topic_screen
    assert "• Cymraeg: Amseroedd aros" in topic_screen
    assert ntr(*OWN, 1, "cy", language="Cymraeg") in topic_screen

    # A Welsh joiner reads the Welsh rules, and chooses the Welsh topic.
    cai = emulator.user(7202, first_name="Cai", language_code="cy")
    await say(emulator, cai, f"/start {invite}")
    await settle(emulator, await cai.press("Cymraeg"))
    for _step in range(4):  # welcome, consent, quoting, using their name
        await settle(emulator, await cai.press(cai.buttons[0]))
    assert "• Gwrandewch pan fydd eraill yn siarad." in cai.last_message.body
    assert "Listen when others speak." not in cai.last_message.body
    for _step in range(5):  # rules, name, how often, quiet hours, time zone
        await settle(emulator, await cai.press(cai.buttons[0]))
    await say(emulator, cai, "/feedback")
    assert cai.buttons[:2] == ["Amseroedd aros", "Transport"]

    # Each change is audited, by what and which language, never by its words.
    assert await _team_text_audits(app) == [
        "team_texts.rules_changed locale=cy",
        "team_texts.topic_version_changed topic=1 locale=cy",
    ]
    async with app.sessions() as session:
        details = " ".join((await session.execute(select(AuditEntry.detail))).scalars())
    assert "Gwrandewch" not in details and "Amseroedd" not in details


async def test_an_arabic_participant_who_forges_a_button_of_the_screen_is_refused(
    emulator, start_bot
):
    running = await start_bot()
    app = running.app
    project_id, invite = await _team(app)
    aziz = await join(
        emulator, 7211, language="العربية", language_code="ar", code=invite, rules=True
    )
    menu = aziz.last_message
    own = next(data for row in menu.callback_data for data in row if data and CB_SEP in data)
    intent = own.split(CB_SEP, 1)[0]
    forged = (
        "staff_team_texts",
        f"staff_texts_project:{project_id}",
        "staff_texts_rules_language:ar",
        "staff_texts_topic:0",
        "staff_texts_remove_topic_yes",
        "staff_texts_rename",
    )
    for widget in forged:
        update = await aziz.press_data(f"{intent}{CB_SEP}{widget}", message_id=menu.message_id)
        await settle(emulator, update)
        answer = emulator.callback_answer(update["callback_query"]["id"])
        assert answer is not None and answer.get("show_alert")
        assert tr("Sorry, this is not available to you.", "ar") in answer["text"]
    await say(emulator, aziz, "أريد تغيير القواعد")  # typing on: nothing is saved as a rule

    async with app.sessions() as session:
        project = await projects.get_project(session, project_id)
        assert project.ground_rules == RULES_EN
        assert project.feedback_topics == "Waiting times\nTransport"
        assert (await session.execute(select(ProjectText))).first() is None
        denied = (
            await session.execute(
                select(AuditEntry.detail).where(AuditEntry.action == "access.denied")
            )
        ).scalars()
        assert "staff_texts_remove_topic_yes" in list(denied)
    assert await _team_text_audits(app) == []


async def test_a_renamed_topic_keeps_earlier_answers_together_in_the_staff_review(
    emulator, start_bot
):
    running = await start_bot()
    app = running.app
    project_id, invite = await _team(app)
    async with app.sessions() as session:
        project = await projects.get_project(session, project_id)
        await team_texts.set_topic(session, project, "cy", "Waiting times", "Amseroedd aros")
        await session.commit()
    await make_staff(app, 7221, project_id)
    fay = await join(emulator, 7221, rules=True)
    ann = await join(emulator, 7222, code=invite, rules=True)
    await give_feedback(emulator, ann, "Waiting times", "🙂 Good", "Quicker now")
    await give_feedback(emulator, ann, "Transport", "🙁 Bad", "The bus is late")

    await _open_texts(emulator, fay, project_id)
    await tap(emulator, fay, "staff_texts_topic", "0")
    await tap(emulator, fay, "staff_texts_rename")
    await say(emulator, fay, "Transport")  # another topic's words: refused kindly
    assert tr("The team has a topic with these words already.") in fay.messages[-2].body
    await say(emulator, fay, "Waiting for appointments")
    screen = fay.last_message.body
    assert "Topic: Waiting for appointments" in screen
    assert "• Cymraeg: Amseroedd aros" in screen  # the Welsh version followed it

    # Remove Transport: people no longer choose it; its answer stays under its words.
    await tap(emulator, fay, "topic_back")
    await tap(emulator, fay, "staff_texts_topic", "1")
    await tap(emulator, fay, "staff_texts_remove_topic")
    await tap(emulator, fay, "staff_texts_remove_topic_yes")
    assert "• Waiting for appointments" in fay.last_message.body
    assert "• Transport" not in fay.last_message.body

    await give_feedback(emulator, ann, "Waiting for appointments", "🙂 Good", "Better")
    await say(emulator, ann, "/feedback")
    assert "Transport" not in ann.buttons
    async with app.sessions() as session:
        staff = await participants.get_by_telegram_id(session, 7221)
        page = await feedback.review_page(
            session, staff, project_id, topic="Waiting for appointments"
        )
        assert page.total == 2  # the earlier answer and the new one, together
        assert await feedback_store.topics_in_use(session, project_id) == [
            "Transport",
            "Waiting for appointments",
        ]
        project = await projects.get_project(session, project_id)
        texts = await projects.texts_of(session, project_id)
        assert team_texts.topics_for(project, texts, "cy") == [
            ("Waiting for appointments", "Amseroedd aros")
        ]
    # The review's topic filter offers the new words, not the old ones.
    await say(emulator, fay, "/team")
    await tap(emulator, fay, "staff_review")
    if "Whose feedback" in fay.last_message.body:
        await tap(emulator, fay, "staff_review_project", str(project_id))
    await tap(emulator, fay, "filter")
    labels = " ".join(fay.buttons)
    assert "Waiting for appointments" in labels and "Transport" in labels
    assert "Waiting times" not in labels
    assert await _team_text_audits(app) == [
        "team_texts.topic_renamed topic=1 answers=1",
        "team_texts.topic_removed topic=2",
    ]


async def test_the_poll_audience_button_and_the_next_screen_count_the_same_people(
    emulator, start_bot
):
    running = await start_bot()
    app = running.app
    members = {7231: "English", 7232: "Cymraeg", 7233: "Polski", 7234: "العربية"}
    _project_id, fay, _people = await team_with_people(emulator, app, members, facilitator=7230)
    await say(emulator, fay, "/language")
    await settle(emulator, await fay.press("Cymraeg"))

    await say(emulator, fay, "/team")
    await tap(emulator, fay, "staff_meetings")
    await tap(emulator, fay, "staff_new_poll")
    await say(emulator, fay, "Diwrnod cynllunio")
    await say(emulator, fay, "Ystafell 4")
    day = utcnow().astimezone(ZoneInfo("Europe/London")).date() + timedelta(days=3)
    for minutes in ("1080", "1140"):
        await tap(emulator, fay, "poll_day", str(raw_from_date(day)))
        await tap(emulator, fay, "poll_time", minutes)
        if minutes == "1080":
            await tap(emulator, fay, "add_slot")
    await tap(emulator, fay, "slots_next")
    await tap(emulator, fay, "poll_duration", "60")
    await tap(emulator, fay, "poll_deadline")

    everyone = tr("Everyone in the team", "cy")
    # Five people are in the team; Fay makes the poll, so four are asked.
    assert tr("{who}: {count}", "cy").format(who=everyone, count=4) in fay.buttons
    assert tr("{who}: {count}", "cy").format(who=tr("Participants", "cy"), count=4) in fay.buttons
    assert not any(label.startswith(tr("Facilitators", "cy")) for label in fay.buttons)
    await tap(emulator, fay, "poll_audience", "project")
    preview = fay.last_message.body
    asked = tr("We will ask {who}: {count}. Send it now?", "cy")
    assert asked.format(who=everyone, count=4) in preview
    # The language lines add up to the same four: Fay's own Welsh is not counted.
    original = (
        "{language}: {count} person. This is the original.",
        "{language}: {count} people. This is the original.",
    )
    assert ntr(*original, 1, "cy", language="Cymraeg") in preview  # Cai, not Fay too
    assert preview.count("• ") == 4
    await tap(emulator, fay, "publish")
    sent = ntr("Sent. We asked {count} person.", "Sent. We asked {count} people.", 4, "cy")
    assert sent in fay.last_message.body


async def test_a_rename_moves_the_answers_and_versions_in_one_go_and_a_stranger_changes_nothing(
    sessions,
):
    """On SQLite and PostgreSQL: the answers and the versions take the new words together, and
    someone who is not staff of the team is refused before anything changes."""
    from storage.models import Feedback, Role

    async with sessions() as session:
        project = await projects.create_project(session, "Carers' voice")
        project.feedback_topics = "Waiting times\nTransport"
        staff = await participants.get_or_create(session, 7251)
        other = await participants.get_or_create(session, 7252)
        await projects.set_role(session, project, staff, Role.FACILITATOR)
        await projects.set_role(session, project, other, Role.PARTICIPANT)
        await team_texts.set_topic(session, project, "pl", "Waiting times", "Czas oczekiwania")
        for topic in ("Waiting times", "Waiting times", "Transport"):
            session.add(
                Feedback(project_id=project.id, participant_id=other.id, topic=topic, rating=3)
            )
        await session.commit()
        project_id, staff_id, other_id = project.id, staff.id, other.id

    async with sessions() as session:
        stranger = await participants.get(session, other_id)
        try:
            await team_texts.rename_topic(session, stranger, project_id, "Waiting times", "Queues")
        except feedback.NotAllowed:
            pass
        else:
            raise AssertionError("a participant renamed a topic")
        staff = await participants.get(session, staff_id)
        new = await team_texts.rename_topic(session, staff, project_id, "Waiting times", " Queues ")
        await session.commit()
    assert new == "Queues"

    async with sessions() as session:
        topics = (await session.execute(select(Feedback.topic).order_by(Feedback.id))).scalars()
        assert list(topics) == ["Queues", "Queues", "Transport"]
        project = await projects.get_project(session, project_id)
        texts = await projects.texts_of(session, project_id)
        assert team_texts.topics_for(project, texts, "pl") == [
            ("Queues", "Czas oczekiwania"),
            ("Transport", "Transport"),
        ]
