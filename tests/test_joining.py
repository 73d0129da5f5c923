"""Joining a team and staying in control: invites, consent, pause, my data, forgetting."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import SQLModel

from bot.services import consent, invites, people
from storage import participants, projects
from storage.models import ConsentDecision, ConsentRecord, Membership, Role
from storage.types import utcnow
from tests.conftest import got, join, no_quiet_hours, settle, tr


async def _project_with_invite(app, role=Role.PARTICIPANT, *, rules="", **invite_options):
    async with app.sessions() as session:
        project = await projects.create_project(session, "Carers' voice", timezone="Europe/Warsaw")
        project.ground_rules = rules
        invite = await invites.create_invite(session, project, role, **invite_options)
        await session.commit()
        return project.id, invite.code


async def _membership(app, telegram_id: int):
    async with app.sessions() as session:
        person = await participants.get_by_telegram_id(session, telegram_id)
        if person is None:
            return None
        rows = await projects.memberships_of(session, person.id)
        return rows[0] if rows else None


async def test_joining_with_a_valid_invite_agrees_to_the_team_rules(emulator, start_bot):
    running = await start_bot()
    project_id, code = await _project_with_invite(
        running.app, rules="Listen first.\nEvery voice counts."
    )
    amy = emulator.user(6001, first_name="Amy", language_code="en")
    await settle(emulator, await amy.send_text(f"/start {code}"))
    for label in ("English", "Next", "I agree", "Yes", "Yes"):
        await settle(emulator, await amy.press(label))
    assert "Every voice counts." in amy.last_message.text
    await settle(emulator, await amy.press("I agree"))  # the ground rules
    assert "What should we call you?" in amy.last_message.text
    await settle(emulator, await amy.press("Skip"))
    await settle(emulator, await amy.press(amy.buttons[1]))
    await settle(emulator, await amy.press(amy.buttons[0]))
    assert "Warsaw" in amy.last_message.text  # the time zone is suggested from the project
    await settle(emulator, await amy.press(amy.buttons[0]))
    membership = await _membership(running.app, 6001)
    assert membership.project_id == project_id and membership.role == Role.PARTICIPANT


async def test_an_expired_invite_is_explained_and_joins_nobody(emulator, start_bot):
    running = await start_bot()
    _, code = await _project_with_invite(
        running.app, expires_in=timedelta(days=1), now=utcnow() - timedelta(days=2)
    )
    await join(emulator, 6002, code=code)
    texts = [m.text for m in emulator.user(6002).messages]
    assert any("expired" in (text or "") for text in texts)
    assert await _membership(running.app, 6002) is None


async def test_a_revoked_invite_is_explained(emulator, start_bot):
    running = await start_bot()
    _, code = await _project_with_invite(running.app)
    async with running.app.sessions() as session:
        assert await invites.revoke(session, code)
        await session.commit()
    bob = emulator.user(6003, first_name="Bob", language_code="en")
    await settle(emulator, await bob.send_text(f"/start {code}"))
    assert any("turned off" in (m.text or "") for m in bob.messages)
    assert "English" in bob.buttons  # joining carries on, without the team


async def test_an_invite_runs_out_of_places_kindly(emulator, start_bot):
    running = await start_bot()
    project_id, code = await _project_with_invite(running.app, max_uses=1)
    await join(emulator, 6004, code=code)
    assert (await _membership(running.app, 6004)).project_id == project_id
    cy = emulator.user(6005, first_name="Cy", language_code="en")
    await settle(emulator, await cy.send_text(f"/start {code}"))
    assert any("used too many times" in (m.text or "") for m in cy.messages)


async def test_a_facilitator_invite_gives_team_tools_and_staff_commands(emulator, start_bot):
    running = await start_bot()
    _, code = await _project_with_invite(running.app, Role.FACILITATOR)
    fay = await join(emulator, 6006, code=code)
    assert "Team tools" in fay.buttons
    chat_commands = emulator.commands({"type": "chat", "chat_id": 6006})
    assert "team" in [c["command"] for c in chat_commands]
    assert "team" not in [c["command"] for c in emulator.commands({"type": "all_private_chats"})]
    await settle(emulator, await fay.press("Team tools"))
    await settle(emulator, await fay.press("Invite people"))
    await settle(emulator, await fay.press("Carers' voice"))
    photo = fay.messages[-1]
    assert photo.photo and "https://t.me/coproduce_bot?start=" in photo.caption


async def test_declining_consent_keeps_nothing_but_the_refusal(emulator, start_bot):
    running = await start_bot()
    project_id, code = await _project_with_invite(running.app)
    dan = emulator.user(6007, first_name="Dan", language_code="en")
    await settle(emulator, await dan.send_text(f"/start {code}"))
    for label in ("English", "Next", "No, thanks"):
        await settle(emulator, await dan.press(label))
    assert "not kept anything" in dan.messages[-1].text
    async with running.app.sessions() as session:
        assert await participants.get_by_telegram_id(session, 6007) is None
        records = (await session.execute(select(ConsentRecord))).scalars().all()
    assert [(r.decision, r.participant_id, r.project_id) for r in records] == [
        (ConsentDecision.REFUSED, None, project_id)
    ]
    assert await _rows_mentioning(running.app, "6007") == []


async def test_a_changed_consent_text_is_agreed_again_at_the_next_contact(
    emulator, start_bot, monkeypatch
):
    running = await start_bot()
    eve = await join(emulator, 6008)
    monkeypatch.setattr(consent, "CONSENT_VERSION", "2099-01-01")
    await settle(emulator, await eve.press("Help"))
    assert "We have changed what we ask you to agree to." in eve.last_message.text
    await settle(emulator, await eve.press("I agree"))
    assert "Main menu" in eve.last_message.text
    async with running.app.sessions() as session:
        person = await participants.get_by_telegram_id(session, 6008)
    assert person.consent_version == "2099-01-01"


async def test_pause_for_two_weeks_and_resume(emulator, start_bot):
    running = await start_bot()
    fin = await join(emulator, 6009)
    await settle(emulator, await fin.send_text("/pause"))
    await settle(emulator, await fin.press("Pause for 2 weeks"))
    async with running.app.sessions() as session:
        person = await participants.get_by_telegram_id(session, 6009)
    assert people.is_paused(person)
    assert timedelta(days=13) < person.paused_until - person.paused_at <= timedelta(days=14)
    assert "paused until" in fin.last_message.text
    await settle(emulator, await fin.press("Turn messages on again"))
    async with running.app.sessions() as session:
        assert not people.is_paused(await participants.get_by_telegram_id(session, 6009))


async def test_settings_change_quiet_hours_and_name(emulator, start_bot):
    running = await start_bot()
    gil = await join(emulator, 6010, name="Gil")
    await settle(emulator, await gil.send_text("/settings"))
    assert "Gil" in gil.last_message.text
    await settle(emulator, await gil.press("Quiet hours"))
    await settle(emulator, await gil.press("No quiet hours"))
    await settle(emulator, await gil.press("Change my name"))
    await settle(emulator, await gil.send_text("Gilly"))
    assert "Gilly" in gil.last_message.text and "No quiet hours" in gil.last_message.text
    async with running.app.sessions() as session:
        person = await participants.get_by_telegram_id(session, 6010)
    assert (person.quiet_start, person.quiet_end, person.display_name) == (None, None, "Gilly")


async def test_my_data_holds_mine_and_nothing_of_anyone_else(emulator, start_bot):
    running = await start_bot()
    _, code = await _project_with_invite(running.app)
    await join(emulator, 6011, name="Hana Other", code=code)
    ivy = await join(emulator, 6012, name="Ivy Mine", code=code)
    await settle(emulator, await ivy.send_text("/mydata"))
    summary, document = ivy.messages[-2], ivy.messages[-1]
    assert "Ivy Mine" in summary.text and "Carers' voice" in summary.text
    content = emulator.state.files[document.document["file_id"]].content.decode("utf-8")
    held = json.loads(content)
    assert held["you"]["telegram_id"] == 6012
    assert held["you"]["name_to_call_you"] == "Ivy Mine"
    assert held["projects"][0]["project"] == "Carers' voice"
    assert "Hana" not in content and "6011" not in content


async def _rows_mentioning(app, *needles: str) -> list[tuple[str, str]]:
    """Every row of every table, as text, that contains one of the needles."""
    found = []
    async with app.sessions() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                text = " ".join(str(value) for value in row)
                found.extend((table.name, text) for needle in needles if needle in text)
    return found


async def test_after_forget_no_table_holds_their_id_or_words(emulator, start_bot):
    running = await start_bot()
    _, code = await _project_with_invite(running.app)
    zed = await join(emulator, 7_777_123, name="Zed Quillfeather", code=code)
    assert await _rows_mentioning(running.app, "7777123", "Quillfeather")
    await settle(emulator, await zed.send_text("/forget"))
    await settle(emulator, await zed.press("Yes, delete my data"))
    await settle(emulator, await zed.press("Delete now"))
    assert "Your data is deleted" in zed.messages[-1].text
    assert await _rows_mentioning(running.app, "7777123", "Quillfeather") == []
    async with running.app.sessions() as session:
        assert (await session.execute(select(Membership))).all() == []
        decisions = (await session.execute(select(ConsentRecord.decision))).scalars().all()
    assert sorted(decisions) == sorted([ConsentDecision.GIVEN, ConsentDecision.WITHDRAWN])


async def test_forget_can_be_cancelled_at_either_step(emulator, start_bot):
    running = await start_bot()
    kai = await join(emulator, 6013)
    await settle(emulator, await kai.send_text("/forget"))
    await settle(emulator, await kai.press("No, keep it"))
    await settle(emulator, await kai.send_text("/forget"))
    await settle(emulator, await kai.press("Yes, delete my data"))
    await settle(emulator, await kai.press("No, keep it"))
    async with running.app.sessions() as session:
        assert await participants.get_by_telegram_id(session, 6013) is not None


async def test_a_participant_who_paused_gets_no_broadcast_until_they_turn_messages_on(
    emulator, start_bot
):
    from bot.services.delivery import enqueue_message
    from storage.models import OutboxKind
    from storage.types import utcnow

    running = await start_bot()
    await running.app.delivery.start()
    lia = await join(emulator, 6020, language="Cymraeg")
    mo = await join(emulator, 6021)
    await no_quiet_hours(running.app, 6020, 6021)  # the story must not depend on the hour
    await settle(emulator, await lia.send_text("/pause"))
    await settle(emulator, await lia.press(lia.buttons[-3]))  # "pause until I turn it on"
    async with running.app.sessions() as session:
        ids = [
            (await participants.get_by_telegram_id(session, telegram_id)).id
            for telegram_id in (6020, 6021)
        ]
        await enqueue_message(
            session,
            kind=OutboxKind.BROADCAST,
            recipients=ids,
            now=utcnow(),
            source_locale="en",
            texts={"en": "The new timetable starts on Monday.", "cy": "Mae'r amserlen newydd."},
        )
        await session.commit()
    running.app.delivery.wake()
    await mo.wait_for_message(lambda m: m.text == "The new timetable starts on Monday.")
    assert not any("amserlen" in (m.text or "") for m in lia.messages)

    await settle(emulator, await lia.press(lia.buttons[0]))  # turn messages on again
    await lia.wait_for_message(lambda m: m.text == "Mae'r amserlen newydd.", timeout=10)


def test_invite_codes_are_long_random_and_safe_to_type():
    codes = {invites.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(invites.CODE_PATTERN.match(code) and code[0].isalnum() for code in codes)
    assert all(16 <= len(code) <= 64 for code in codes)


CONSENT = (
    "Before we start, here is what we keep. "
    "We keep your answers and the choices you make here. "
    "We use them to make the service better, with you. "
    "Only the team that runs your project can see them. "
    "We keep them while you take part. "
    "You can see them with /mydata and delete them with /forget."
)


async def test_no_thanks_to_consent_keeps_the_invite_in_one_tap_to_change_her_mind(
    emulator, start_bot
):
    """Non says "No, thanks" in Welsh: nothing about her is kept, yet one tap on the answer's
    button brings her back to the consent screen, in Welsh, with the same team's invite."""
    running = await start_bot()
    project_id, code = await _project_with_invite(running.app)
    non = emulator.user(6030, first_name="Non", language_code="cy")
    await settle(emulator, await non.send_text(f"/start {code}"))
    await settle(emulator, await non.press("Cymraeg"))
    await settle(emulator, await non.press(tr("Next", "cy")))
    await settle(emulator, await non.press(tr("No, thanks", "cy")))
    answer = non.last_message
    assert answer.text == tr(
        "That is fine. We have not kept anything about you. "
        "If you change your mind, tap the button below.",
        "cy",
    )
    assert answer.labels == [tr("I changed my mind", "cy")]
    assert await _rows_mentioning(running.app, "6030") == []
    assert {table for table, _row in await _rows_mentioning(running.app, code)} == {"invite"}

    await settle(emulator, await non.press(tr("I changed my mind", "cy")))
    assert non.last_message.text == tr(CONSENT, "cy")
    await settle(emulator, await non.press(tr("I agree", "cy")))
    for _step in range(2):  # quoting, name: yes
        await settle(emulator, await non.press(non.buttons[0]))
    await settle(emulator, await non.press(non.buttons[0]))  # name: skip
    await settle(emulator, await non.press(non.buttons[1]))
    await settle(emulator, await non.press(non.buttons[0]))
    await settle(emulator, await non.press(non.buttons[0]))
    membership = await _membership(running.app, 6030)
    assert membership is not None and membership.project_id == project_id
    async with running.app.sessions() as session:
        person = await participants.get_by_telegram_id(session, 6030)
    assert person.locale == "cy" and consent.has_consented(person)


async def test_a_forged_changed_my_mind_button_joins_no_team(emulator, start_bot):
    running = await start_bot()
    await _project_with_invite(running.app)
    ola = emulator.user(6031, first_name="Ola", language_code="pl")
    await settle(emulator, await ola.press_data("rejoin:xx:not-a-code"))
    unknown = "Sorry, I do not know this invite link. Please check it, or ask for a new one."
    assert got(ola, tr(unknown, "pl"))
    assert ola.last_message.text == tr(CONSENT, "pl")
    assert await _membership(running.app, 6031) is None
    # A code too long for a button's 64 bytes is left out, never cut into another code.
    assert consent.changed_my_mind_data("ar", "x" * 70) == "rejoin:ar:"
    assert consent.read_changed_my_mind("rejoin:pl:" + "x" * 70) == (None, None)
