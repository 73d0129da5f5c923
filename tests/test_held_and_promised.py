"""What answers someone is not held back as if it were a broadcast, staff are told honestly who
gets a message later and why, a scheduled message can be seen and cancelled, and promises on
screen are kept (the chosen time, who sees access needs). Driven through the emulator."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.services import meetings
from bot.services.delivery import enqueue_message, resume_deliveries
from storage import audit, participants
from storage import meetings as store
from storage.models import (
    AnswerChoice,
    DeliveryState,
    OutboxDelivery,
    OutboxKind,
    OutboxMessage,
    Participant,
)
from storage.types import utcnow
from tests.conftest import (
    FEEDBACK_TOPICS,
    give_feedback,
    join,
    make_staff,
    make_team,
    no_quiet_hours,
    ntr,
    press,
    say,
    tr,
    update_person,
)
from tests.test_meetings import _answer, _publish, _slot, _team
from tests.test_meetings import harness as harness  # the fixture, for the last story
from tests.test_we_did import HEARD, _publish_through_the_dialog, _theme_of_everything

FAY, AMY, BRYN = 7400, 7401, 7402


def last_pop_up(emulator) -> str:
    """The text of the newest answer to a button (a pop-up or a toast)."""
    answered = list(emulator.state.callback_answers.values())[-1]
    return (answered or {}).get("text") or ""


async def _person_id(app, telegram_id: int) -> int:
    async with app.sessions() as session:
        return (await participants.get_by_telegram_id(session, telegram_id)).id


async def test_a_we_did_update_answering_feedback_is_not_held_by_the_weekly_cap(
    emulator, start_bot
):
    running = await start_bot()
    engine = running.app.delivery  # not started: the test turns the crank
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, FAY, project_id)
    fay = await join(emulator, FAY)
    amy = await join(emulator, AMY, code=code)
    bryn = await join(emulator, BRYN, code=code, language="Cymraeg", language_code="cy")
    await no_quiet_hours(running.app, FAY, AMY, BRYN)
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", "Buses are late.")
    await give_feedback(emulator, bryn, "Transport", "🙁 Bad", None, locale="cy")
    await _theme_of_everything(running.app, project_id, FAY)

    # Amy asked for one message a week and has had it; Bryn paused his messages.
    await update_person(running.app, AMY, messages_per_week=1)
    async with running.app.sessions() as session:
        await enqueue_message(
            session,
            kind=OutboxKind.BROADCAST,
            recipients=[await _person_id(running.app, AMY)],
            now=utcnow(),
            source_locale="en",
            texts={"en": "Our summer news."},
            project_id=project_id,
        )
        await session.commit()
    await engine.run_until_idle()
    await amy.wait_for_message(lambda m: m.body == "Our summer news.")
    await update_person(running.app, BRYN, paused_at=utcnow())

    await _publish_through_the_dialog(emulator, fay, "Late buses (2 answers)")
    assert last_pop_up(emulator) == (
        "Published. It goes to 2 people. 1 is paused and gets it when they come back."
    )
    await engine.run_until_idle()
    # It answers her own feedback: the weekly cap does not hold it back for a week.
    got = await amy.wait_for_message(lambda m: HEARD in m.body)
    assert "We asked for an earlier bus." in got.body
    heard_in_welsh = tr("You said: {text}", "cy", text="Buses are late.")
    assert not [m for m in bryn.messages if heard_in_welsh in m.body]  # pause means pause

    bryn_id = await _person_id(running.app, BRYN)
    await update_person(running.app, BRYN, paused_at=None)
    async with running.app.sessions() as session:
        await resume_deliveries(session, bryn_id, utcnow())
        await session.commit()
    await engine.run_until_idle()
    await bryn.wait_for_message(lambda m: heard_in_welsh in m.body)

    # A broadcast is still held by the cap: what they did not ask for waits its turn.
    async with running.app.sessions() as session:
        rows = (
            await session.execute(
                select(OutboxMessage.kind, OutboxDelivery.state, OutboxDelivery.reason).join(
                    OutboxMessage, OutboxMessage.id == OutboxDelivery.message_id
                )
            )
        ).all()
    assert (OutboxKind.WE_DID, DeliveryState.SENT, None) in rows
    assert not [row for row in rows if row[2] == "over_cap"]


async def test_a_welsh_facilitator_sees_who_gets_it_later_and_cancels_a_scheduled_message(
    emulator, start_bot
):
    running = await start_bot()
    engine = running.app.delivery
    project_id, code = await make_team(running.app)
    await make_staff(running.app, 7410, project_id)
    fay = await join(emulator, 7410, language="Cymraeg", language_code="cy")
    await join(emulator, 7411, code=code)
    dee = await join(emulator, 7412, code=code)
    await no_quiet_hours(running.app, 7410, 7411, 7412)
    await say(emulator, dee, "/pause")
    await press(emulator, dee, "Pause until I turn it on")

    cy = {label: tr(label, "cy") for label in ("Team tools", "Send a message", "Next", "Preview")}
    await press(emulator, fay, cy["Team tools"], cy["Send a message"], cy["Next"])
    await say(emulator, fay, "Diolch am ddydd Llun.")
    await press(emulator, fay, cy["Preview"], tr("Send now", "cy"), tr("Yes, send it", "cy"))
    paused = ntr(
        "{count} is paused and gets it when they come back.",
        "{count} are paused and get it when they come back.",
        1,
        "cy",
    )
    assert last_pop_up(emulator) == f"{tr('Sending now.', 'cy')} {paused}"
    await press(emulator, fay, tr("Done", "cy"))

    # A message for later, then seen and cancelled before its time ("Done" is back in the tools).
    await press(emulator, fay, cy["Send a message"], cy["Next"])
    await say(emulator, fay, "Dewch â ffrind ddydd Sadwrn.")
    await press(emulator, fay, cy["Preview"], tr("Send later", "cy"), tr("In 1 hour", "cy"))
    await press(emulator, fay, tr("Yes, send it", "cy"), tr("Done", "cy"))
    await press(emulator, fay, cy["Send a message"])
    await press(emulator, fay, tr("Messages waiting for their time", "cy"))
    listed = [label for label in fay.buttons if "Dewch â ffrind" in label]
    assert len(listed) == 1 and "Diolch" not in " ".join(fay.buttons)  # the sent one is not
    await press(emulator, fay, listed[0])
    about = fay.last_message.text
    assert "Dewch â ffrind ddydd Sadwrn." in about
    assert tr("Cancel it? Then nobody gets it.", "cy") in about
    await press(emulator, fay, tr("Cancel it", "cy"))
    assert last_pop_up(emulator) == ntr(
        "Cancelled. {count} person will not get it.",
        "Cancelled. {count} people will not get it.",
        3,  # the two members and the facilitator herself
        "cy",
    )
    assert tr("No messages are waiting for their time.", "cy") in fay.last_message.text

    async with running.app.sessions() as session:
        message_id = (
            (await session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())))
            .scalars()
            .first()
        )
        states = (
            await session.execute(
                select(OutboxDelivery.state, OutboxDelivery.reason).where(
                    OutboxDelivery.message_id == message_id
                )
            )
        ).all()
        entries = [e for e in await audit.entries(session) if e.action == "broadcast.cancel"]
    assert states == [(DeliveryState.FAILED, "cancelled")] * 3
    assert len(entries) == 1 and entries[0].detail == f"message={message_id} people=3"
    assert "Dewch" not in entries[0].detail
    later = utcnow() + timedelta(hours=2)  # past the time it was set for
    engine.clock = lambda: later
    await engine.run_until_idle()
    assert not [m for m in dee.messages if "Dewch" in m.body]


async def test_someone_for_whom_no_time_suits_is_told_the_chosen_time_in_their_language(harness):
    team = await _team(harness, ["Europe/London", "America/New_York", None])
    ann, bob, cat = team.members
    async with harness.sessions() as session:  # Welsh, and no unasked messages at all
        person = await session.get(Participant, bob.id)
        person.locale, person.messages_per_week = "cy", 0
        session.add(person)
        await session.commit()
    slots = [_slot(date(2026, 10, 20), 18), _slot(date(2026, 10, 21), 18)]
    poll_id = await _publish(team, slots, _slot(date(2026, 10, 16), 18))
    await _answer(team, ann, poll_id, [AnswerChoice.YES, AnswerChoice.NO])
    async with harness.sessions() as session:
        me = await session.get(Participant, bob.id)
        await meetings.finish_answers(session, me, poll_id, harness.clock(), none_suit=True)
        await session.commit()
    engine = harness.engine()
    await engine.run_until_idle()  # the invitations (Bob's waits under his cap: 0 a week)

    def translate(msgid: str, locale: str) -> str:
        return tr(msgid, locale)

    async with harness.sessions() as session:
        fay = await session.get(Participant, team.staff.id)
        slot = (await store.slots_of(session, poll_id))[0]
        decided = await meetings.decide(session, fay, poll_id, slot.id, harness.clock())
        await meetings.announce(
            session,
            decided,
            meetings.News.CONFIRMED,
            document_file_id=None,
            translate=translate,
            now=harness.clock(),
        )
        await session.commit()
    assert decided.told == [ann.id] and decided.declined == [bob.id]
    await engine.run_until_idle()

    chosen = [m for m in harness.received(bob) if "Planning day" in m and "13:00" in m]
    assert len(chosen) == 1  # 18:00 in London is 13:00 in New York
    assert chosen[0].startswith("Mae'r amser ar gyfer Planning day wedi'i ddewis")
    assert "Diolch am ateb." in chosen[0] and "Room 4" in chosen[0]
    assert not [m for m in harness.received(cat) if "chosen" in m or "is on" in m]  # no answer
    confirmed = [m for m in harness.received(ann) if "Planning day is on" in m]
    assert len(confirmed) == 1 and not [m for m in harness.received(ann) if "chosen" in m]


async def test_the_access_needs_screen_names_everyone_who_sees_the_needs(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app)
    await make_staff(running.app, 7420, project_id)
    await join(emulator, 7420)
    nour = await join(emulator, 7421, code=code, language="العربية", language_code="ar")
    await no_quiet_hours(running.app, 7420, 7421)
    now = utcnow()
    draft = meetings.PollDraft(project_id=project_id, title="Planning day")
    for days in (3, 4):
        assert meetings.add_slot(draft, now + timedelta(days=days), now) is None
    draft.deadline = (now + timedelta(days=2)).isoformat()
    async with running.app.sessions() as session:
        fay = await participants.get_by_telegram_id(session, 7420)
        await meetings.publish(session, fay, draft, now=now, translate=tr)
        await session.commit()
    await running.app.delivery.run_until_idle()
    await nour.wait_for_message(lambda m: tr("Choose times", "ar") in m.labels)

    await press(emulator, nour, tr("Choose times", "ar"))
    await press(emulator, nour, tr("Anything that would help you come?", "ar"))
    said = "Only the team's facilitators and coordinators see this."
    shown = nour.last_message.text
    assert tr(said, "ar") in shown and "منسّق" in shown  # coordinators export them too
    assert tr("Only the team's facilitators see this.", "ar") not in shown
    for locale in ("cy", "pl", "ar"):
        assert tr(said, locale) != said
    assert tr(said, "cy") == "Dim ond hwyluswyr a chydlynwyr y tîm sy'n gweld hyn."
    assert "koordynatorzy" in tr(said, "pl")
