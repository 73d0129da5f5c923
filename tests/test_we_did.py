"""'You said, we did': an update reaches the people whose feedback it answers, once each, in
their language; every change of status reaches them again; they say whether it answered them;
staff are reminded of promises past their date. Driven through the emulator as people would."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from bot import scheduler
from bot.services import feedback as rules
from bot.services import people, we_did
from bot.services.delivery import resume_deliveries
from storage import feedback as store
from storage import participants
from storage.models import OutboxDelivery, OutboxKind, OutboxMessage, YouSaidWeDidReply
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
    tr,
    untranslated,
)

HEARD = "You said: Buses are late."


def heard(person, text: str = HEARD) -> list:
    return [m for m in person.messages if text in m.body]


async def _theme_of_everything(app, project_id: int, staff_telegram_id: int, name="Late buses"):
    """Staff group every answer so far into one theme (as the review dialog does)."""
    async with app.sessions() as session:
        fay = await participants.get_by_telegram_id(session, staff_telegram_id)
        page = await rules.review_page(session, fay, project_id, unreviewed_only=False)
        theme_id = None
        for index in range(page.total):
            item = (
                await rules.review_page(
                    session, fay, project_id, unreviewed_only=False, index=index
                )
            ).item
            if theme_id is None:
                await rules.put_in_theme(session, fay, item.id, new_theme=name)
                theme_id = (await store.get_feedback(session, item.id)).theme_id
            else:
                await rules.put_in_theme(session, fay, item.id, theme_id=theme_id)
        await session.commit()
    return theme_id


async def _publish_through_the_dialog(emulator, fay, theme_label: str, *, whole_team=False):
    await say(emulator, fay, "/team")
    await press(emulator, fay, "You said, we did updates", "Write a new update")
    await say(emulator, fay, "Buses are late.")
    await say(emulator, fay, "We asked for an earlier bus.")
    await press(emulator, fay, "In progress", "Skip", "Skip", theme_label)
    await press(
        emulator, fay, "The whole team" if whole_team else "Only people whose feedback it answers"
    )
    await press(emulator, fay, "Preview")
    await press(emulator, fay, "Publish")


async def test_an_update_reaches_exactly_those_whose_feedback_it_answers_once_each(
    emulator, start_bot
):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 7100, project_id)
    fay = await join(emulator, 7100)
    amy = await join(emulator, 7001, code=code)
    bryn = await join(emulator, 7002, code=code, language="Cymraeg", language_code="cy")
    carl = await join(emulator, 7003, code=code)
    await no_quiet_hours(running.app, 7100, 7001, 7002, 7003)
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", "The 8:10 never comes.")
    await give_feedback(emulator, amy, "Transport", "😞 Very bad", None)  # twice: told once
    await give_feedback(emulator, bryn, "Transport", "🙁 Bad", None, locale="cy")
    await give_feedback(emulator, carl, "Waiting times", "🙂 Good", None)
    theme_id = await _theme_of_everything(running.app, project_id, 7100)
    async with running.app.sessions() as session:  # Carl's answer is about something else
        carl_answer = (
            await store.feedback_of(
                session, (await participants.get_by_telegram_id(session, 7003)).id
            )
        )[0]
        carl_answer.theme_id = None
        session.add(carl_answer)
        await session.commit()

    await _publish_through_the_dialog(emulator, fay, "Late buses (3 answers)")
    assert "It answers feedback from 2 people." in fay.last_message.text
    await running.app.delivery.run_until_idle()

    got = await amy.wait_for_message(lambda m: HEARD in m.body)
    assert got.labels == ["Yes", "Partly", "No"]
    assert "We asked for an earlier bus." in got.body and "In progress" in got.body
    heard_in_welsh = tr("You said: {text}", "cy", text="Buses are late.")
    welsh = await bryn.wait_for_message(lambda m: heard_in_welsh in m.body)
    no_version = "(We do not have this in your language yet. This is the original.)"
    assert tr(no_version, "cy") in welsh.body  # no Welsh version: the original, with a note
    assert len(heard(amy)) == 1 and len(heard(bryn, heard_in_welsh)) == 1
    assert heard(carl) == []
    assert not [m for m in heard(fay) if "Yes" in m.labels]  # she sees it in her tools only
    async with running.app.sessions() as session:
        kinds = list((await session.execute(select(OutboxMessage.kind))).scalars())
    assert kinds.count(OutboxKind.WE_DID) == 1 and OutboxKind.BROADCAST not in kinds
    assert theme_id is not None


async def test_a_status_change_reaches_them_again_and_their_reply_is_stored(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 7101, project_id)
    fay = await join(emulator, 7101)
    amy = await join(emulator, 7004, code=code)
    carl = await join(emulator, 7005, code=code)
    await no_quiet_hours(running.app, 7101, 7004, 7005)
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", "Buses are late.")
    await _theme_of_everything(running.app, project_id, 7101)
    await _publish_through_the_dialog(emulator, fay, "Late buses (1 answer)", whole_team=True)
    await running.app.delivery.run_until_idle()
    first = await amy.wait_for_message(lambda m: HEARD in m.body)
    await carl.wait_for_message(lambda m: HEARD in m.body)  # the whole team, as chosen

    await press(emulator, fay, "Change the status", "Done")
    await running.app.delivery.run_until_idle()
    again = await amy.wait_for_message(lambda m: "The status has changed." in m.body)
    assert "Status: Done" in again.body
    # The same people as before: the whole team, as chosen (tests/test_we_did_status.py).
    await carl.wait_for_message(lambda m: "The status has changed." in m.body)

    await settle(emulator, await amy.press_data(first.data_for("Partly"), first.message_id))
    # The buttons go when the comment window opens: the message keeps what she chose.
    [first_now] = [m for m in amy.messages if m.message_id == first.message_id]
    assert first_now.body.endswith("You answered: Partly. Thank you.")
    await settle(emulator, await amy.press_data(again.data_for("Yes"), again.message_id))
    await say(emulator, amy, "Thank you, it is better.")
    async with running.app.sessions() as session:
        [reply] = list((await session.execute(select(YouSaidWeDidReply))).scalars())
    assert (reply.answer, reply.comment) == ("yes", "Thank you, it is better.")

    await say(emulator, fay, "/team")
    await press(emulator, fay, "You said, we did updates")
    [label] = [b for b in fay.buttons if "Buses are late." in b]
    await press(emulator, fay, label)
    shown = fay.last_message.text
    assert "Yes: 1. Partly: 0. No: 0." in shown and "Thank you, it is better." in shown
    assert "Sam" not in shown  # replies are shown without names

    forged = f"fb_wd:{reply.update_id + 40}:yes"
    await settle(emulator, await carl.press_data(forged))
    async with running.app.sessions() as session:
        count = (
            await session.execute(select(func.count()).select_from(YouSaidWeDidReply))
        ).scalar()
    assert count == 1


async def test_people_browse_past_updates_with_the_updates_command(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 7102, project_id)
    await join(emulator, 7102)
    amy = await join(emulator, 7006, code=code)
    await say(emulator, amy, "/updates")
    assert "There are no updates yet." in amy.last_message.text
    async with running.app.sessions() as session:
        fay = await participants.get_by_telegram_id(session, 7102)
        draft = we_did.UpdateDraft(
            project_id=project_id,
            source_locale="en",
            you_said="Buses are late.",
            we_did="A new timetable.",
            to_whole_project=True,
            versions={"cy": {"you_said": "Mae bysiau'n hwyr.", "we_did": "Amserlen newydd."}},
        )
        await we_did.publish(session, fay, draft, now=utcnow(), translate=untranslated)
        await session.commit()
    await say(emulator, amy, "/updates")
    [label] = [b for b in amy.buttons if "Buses are late." in b]
    await press(emulator, amy, label)
    assert HEARD in amy.last_message.text
    await press(emulator, amy, "No")
    await say(emulator, amy, "Still late.")
    async with running.app.sessions() as session:
        [reply] = list((await session.execute(select(YouSaidWeDidReply))).scalars())
        texts = await store.texts_of(session, reply.update_id)
    assert (reply.answer, reply.comment) == ("no", "Still late.")
    assert texts["cy"].you_said == "Mae bysiau'n hwyr."


async def test_a_participant_who_paused_gets_nothing_until_the_pause_ends(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 7103, project_id)
    await join(emulator, 7103)
    amy = await join(emulator, 7007, code=code)
    await no_quiet_hours(running.app, 7007)
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", "Buses are late.")
    theme_id = await _theme_of_everything(running.app, project_id, 7103)
    async with running.app.sessions() as session:
        person = await participants.get_by_telegram_id(session, 7007)
        await people.pause(session, person, 1)
        fay = await participants.get_by_telegram_id(session, 7103)
        draft = we_did.UpdateDraft(
            project_id=project_id,
            source_locale="en",
            you_said="Buses are late.",
            we_did="A new timetable.",
            theme_id=theme_id,
        )
        published = await we_did.publish(session, fay, draft, now=utcnow(), translate=untranslated)
        await we_did.change_status(
            session, fay, published.update.id, "done", now=utcnow(), translate=untranslated
        )
        await session.commit()
    await running.app.delivery.run_until_idle()
    assert heard(amy) == []

    async with running.app.sessions() as session:
        person = await participants.get_by_telegram_id(session, 7007)
        await people.resume(session, person)
        await resume_deliveries(session, person.id, utcnow())
        await session.commit()
    await running.app.delivery.run_until_idle()
    await amy.wait_for_message(lambda m: HEARD in m.body)
    assert len(heard(amy)) == 2  # the update and its change of status, each once


async def test_staff_are_reminded_once_of_a_promise_past_its_date(sessions):
    async with sessions() as session:
        from storage import projects
        from storage.models import Role

        project = await projects.create_project(session, "Ours")
        fay = await participants.get_or_create(session, 7200)
        await projects.set_role(session, project, fay, Role.FACILITATOR)
        amy = await participants.get_or_create(session, 7201)
        await projects.set_role(session, project, amy, Role.PARTICIPANT)
        today = date(2026, 12, 10)
        draft = we_did.UpdateDraft(
            project_id=project.id,
            source_locale="en",
            you_said="Buses are late.",
            we_did="A new timetable.",
            due_on=(today - timedelta(days=2)).isoformat(),
        )
        published = await we_did.publish(session, fay, draft, now=utcnow(), translate=untranslated)
        fay_id = fay.id
        await session.commit()

    now = utcnow().replace(year=2026, month=12, day=10)
    scheduler.set_context(scheduler.JobContext(sessions=sessions, delivery=None, clock=lambda: now))
    try:
        assert await scheduler.sweep_overdue_promises() == 1
        assert await scheduler.sweep_overdue_promises() == 0  # a restart or the next hour
    finally:
        scheduler.set_context(None)
    async with sessions() as session:
        nudges = list(
            (
                await session.execute(
                    select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.NUDGE)
                )
            ).scalars()
        )
        assert len(nudges) == 1 and "Buses are late." in nudges[0].texts
        told = await session.execute(
            select(OutboxDelivery.participant_id).where(OutboxDelivery.message_id == nudges[0].id)
        )
        assert list(told.scalars()) == [fay_id]  # staff, not the participant
        # A new due date that passes is a new promise: reminded again, once.
        update = await store.get_update(session, published.update.id)
        update.due_on = today - timedelta(days=1)
        session.add(update)
        await session.commit()
        done = await we_did.remind_overdue(session, now, untranslated)
        await session.commit()
    assert done == 1


async def test_a_reason_why_not_reaches_each_language_it_was_written_in(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 7104, project_id)
    fay = await join(emulator, 7104)
    bryn = await join(emulator, 7008, code=code, language="Cymraeg", language_code="cy")
    await no_quiet_hours(running.app, 7104, 7008)
    await give_feedback(emulator, bryn, "Transport", "🙁 Bad", None, locale="cy")
    await _theme_of_everything(running.app, project_id, 7104)

    await say(emulator, fay, "/team")
    await press(emulator, fay, "You said, we did updates", "Write a new update")
    await say(emulator, fay, "Buses are late.")
    await say(emulator, fay, "We asked the council.")
    await press(emulator, fay, "Not possible")
    await say(emulator, fay, "The council said no.")
    await press(emulator, fay, "Skip", "Skip", "Late buses (1 answer)")
    await press(emulator, fay, "Only people whose feedback it answers", "Cymraeg")
    await say(emulator, fay, "Mae bysiau'n hwyr.")
    await say(emulator, fay, "Gofynnon ni i'r cyngor.")
    assert "why it is not possible, in Cymraeg" in fay.last_message.text
    await say(emulator, fay, "Dywedodd y cyngor na.")
    await press(emulator, fay, "Preview", "Publish")
    await running.app.delivery.run_until_idle()
    welsh = await bryn.wait_for_message(lambda m: "Mae bysiau'n hwyr." in m.body)
    assert tr("Why not: {text}", "cy", text="Dywedodd y cyngor na.") in welsh.body

    # A new reason later: the Welsh version of the old one is not shown as if still true.
    await press(emulator, fay, "Change the status", "Not possible")
    await say(emulator, fay, "The money ran out.")
    await running.app.delivery.run_until_idle()
    again = await bryn.wait_for_message(lambda m: "The money ran out." in m.body)
    assert "Dywedodd y cyngor na." not in again.body and "Mae bysiau'n hwyr." in again.body


async def test_feedback_linked_after_publishing_reaches_only_those_not_yet_told(
    emulator, start_bot
):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 7105, project_id)
    fay = await join(emulator, 7105)
    amy = await join(emulator, 7009, code=code)
    carl = await join(emulator, 7010, code=code)
    await no_quiet_hours(running.app, 7105, 7009, 7010)
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", "Buses are late.")
    await _theme_of_everything(running.app, project_id, 7105)
    await _publish_through_the_dialog(emulator, fay, "Late buses (1 answer)")
    await running.app.delivery.run_until_idle()
    await amy.wait_for_message(lambda m: HEARD in m.body)

    # Later, Carl says the same; the facilitator links his answer to the published update.
    await give_feedback(emulator, carl, "Transport", "😞 Very bad", "The bus never comes.")
    async with running.app.sessions() as session:
        staff = await participants.get_by_telegram_id(session, 7105)
        carl_id = (await participants.get_by_telegram_id(session, 7010)).id
        [carl_answer] = await store.feedback_of(session, carl_id)
        await rules.put_in_theme(session, staff, carl_answer.id, new_theme="Bus never comes")
        await session.commit()
    await press(emulator, fay, "Link more feedback", "Bus never comes (1 answer)")
    await press(emulator, fay, "Link more feedback", "Late buses (1 answer)")  # nobody new
    assert "It answers feedback from 2 people." in fay.last_message.text
    await running.app.delivery.run_until_idle()
    await carl.wait_for_message(lambda m: HEARD in m.body)
    assert len(heard(carl)) == 1 and len(heard(amy)) == 1  # each once
    async with running.app.sessions() as session:
        update = (await store.updates_of_project(session, project_id))[0]
        assert carl_id in await store.linked_authors(session, update.id)


async def test_staff_correct_an_update_without_sending_it_again(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 7106, project_id)
    fay = await join(emulator, 7106)
    amy = await join(emulator, 7011, code=code)
    await no_quiet_hours(running.app, 7106, 7011)
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", "Buses are late.")
    await _theme_of_everything(running.app, project_id, 7106)
    await _publish_through_the_dialog(emulator, fay, "Late buses (1 answer)")
    await running.app.delivery.run_until_idle()
    await amy.wait_for_message(lambda m: HEARD in m.body)

    await press(emulator, fay, "Correct what the team does")
    assert "We asked for an earlier bus." in fay.last_message.text
    await say(emulator, fay, "x" * (we_did.WORDS_LIMIT + 1))
    assert f"under {we_did.WORDS_LIMIT} characters" in fay.messages[-2].text
    await say(emulator, fay, "We asked for an earlier bus on the 8 route.")
    assert "on the 8 route" in fay.last_message.text  # the update, with the new words
    await running.app.delivery.run_until_idle()
    assert len(heard(amy)) == 1
    await say(emulator, amy, "/updates")
    [label] = [b for b in amy.buttons if "Buses are late." in b]
    await press(emulator, amy, label)
    assert "on the 8 route" in amy.last_message.text
