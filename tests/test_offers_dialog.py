"""Thank-you offers through the real bot and the Telegram emulator: a facilitator posts one and
tells the team, people ask for it in their own language, places run out, requests are approved,
declined with a reason and given, and each change reaches the person once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from dialogs import states
from storage import participants, projects
from storage import reciprocity as store
from storage.models import (
    ClaimState,
    Meeting,
    MeetingAttendance,
    OfferKind,
    ReciprocityClaim,
    ReciprocityOffer,
    ReciprocityOfferText,
)
from tests.conftest import (
    TEAM,
    add_offer,
    got,
    make_team,
    press,
    say,
    settle,
    states_with_a_window,
    team_with_people,
    tr,
)

FAY = 7000


def _first_request(person) -> str:
    """The first request on the newest "Requests waiting" screen (a name and a state)."""
    screen = next(m for m in reversed(person.messages) if m.body.startswith("Requests waiting"))
    return screen.labels[0]


async def test_an_offer_is_posted_told_to_the_team_and_its_last_place_goes_once(
    emulator, start_bot, caplog
):
    caplog.set_level(logging.ERROR)
    running = await start_bot()
    engine = running.app.delivery
    _, fay, people = await team_with_people(
        emulator, running.app, {7001: "English", 7002: "Cymraeg"}, facilitator=FAY
    )
    amy, bryn = people.values()

    await press(emulator, fay, "Team tools", "Thank-you offers")
    assert f"{TEAM} has no thank-you offers yet." in fay.last_message.text  # one team: no choice
    await press(emulator, fay, "Post a new offer", "Training")
    await say(emulator, fay, "x" * 121)
    assert "up to 120 characters. Yours has 121." in fay.messages[-2].text
    await settle(emulator, await fay.send_sticker())
    assert "Please type a short title in words." in fay.messages[-2].text
    await say(emulator, fay, "First aid course")
    await say(emulator, fay, "A free day course in Cardiff, with lunch.")
    await say(emulator, fay, "none")
    assert "Please type a whole number" in fay.messages[-2].text
    await press(emulator, fay, "1", "No closing day", "Everyone in the team")
    assert "Cymraeg: people see the original" in fay.last_message.text
    await press(emulator, fay, "Write the Cymraeg version")
    await say(emulator, fay, "Cwrs cymorth cyntaf")
    await press(emulator, fay, "Skip")
    assert "Cymraeg: its own version" in fay.last_message.text
    await press(emulator, fay, "Next")
    summary = fay.last_message.text
    assert "Post this offer?" in summary and "First aid course" in summary and "1 place." in summary
    await press(emulator, fay, "Post it and tell the team")
    assert "First aid course" in fay.last_message.text and "1 place left." in fay.last_message.text

    await engine.run_until_idle()
    told = amy.last_message
    assert "A new thank-you offer for the team: “First aid course”." in told.text
    assert told.buttons == [["See the offer"]]
    assert "“Cwrs cymorth cyntaf”" in bryn.last_message.text  # their own version's title

    await press(emulator, bryn, tr("See the offer", "cy"))  # Bryn reads it first...
    assert "Cwrs cymorth cyntaf" in bryn.last_message.text
    assert tr("Ask for this", "cy") in bryn.buttons
    await press(emulator, amy, "See the offer", "Ask for this")
    assert "Ask the team for “First aid course”?" in amy.last_message.text
    await press(emulator, amy, "Yes, ask")
    assert "Your request is with the team." in amy.messages[-2].text
    assert "Your request: Asked, waiting for the team" in amy.last_message.text

    # ...but Amy asked first: the last place is gone, and Bryn is told kindly.
    update = await bryn.press(tr("Ask for this", "cy"))
    await settle(emulator, update)
    answer = emulator.callback_answer(update["callback_query"]["id"])
    sorry = "Sorry, all the places are taken now. Thank you for asking."
    assert tr(sorry, "cy") in answer["text"]
    await say(emulator, bryn, "/offers")
    await press(emulator, bryn, tr("Training", "cy") + ": Cwrs cymorth cyntaf")
    assert tr("All places are taken.", "cy") in bryn.last_message.text
    assert tr("Ask for this", "cy") not in bryn.buttons

    # The facilitator approves; a second tap on the same button sends nothing more.
    await press(emulator, fay, "Back")
    await press(emulator, fay, "First aid course • 1 to review", "Requests to review: 1")
    await press(emulator, fay, _first_request(fay))
    assert "Now: Asked, waiting for the team" in fay.last_message.text
    screen = fay.last_message
    approve = screen.data_for("Yes, approve")
    await press(emulator, fay, "Yes, approve")
    again = await fay.press_data(approve, message_id=screen.message_id)
    await settle(emulator, again)
    assert emulator.callback_answer(again["callback_query"]["id"])["text"] == (
        "This request was already answered."
    )
    await press(emulator, fay, "Mark as given")
    await engine.run_until_idle()
    assert len(got(amy, "Good news: the team said yes", starting=True)) == 1
    assert len(got(amy, "“First aid course” has been given to you.", starting=True)) == 1
    assert got(bryn, "Good news", starting=True) == []
    asked = got(fay, "Someone asked for “First aid course”.", starting=True)
    assert len(asked) == 1  # Amy's; not Bryn's
    async with running.app.sessions() as session:
        claim = (await session.execute(select(ReciprocityClaim))).scalar_one()
    assert claim.state == claim.told_state == ClaimState.FULFILLED
    assert "error while handling" not in caplog.text


async def test_travel_expenses_take_an_amount_and_a_receipt_and_a_decline_gives_a_reason(
    emulator, start_bot
):
    running = await start_bot()
    engine = running.app.delivery
    project_id, fay, people = await team_with_people(
        emulator, running.app, {7011: "English"}, facilitator=FAY, name="Cai"
    )
    cai = people[7011]
    await add_offer(running.app, project_id, "Bus fares to meetings", kind=OfferKind.TRAVEL)

    await say(emulator, cai, "/offers")
    await press(emulator, cai, "Travel expenses: Bus fares to meetings")
    assert "Money or vouchers can affect some benefits." in cai.last_message.text
    assert "Citizens Advice" in cai.last_message.text
    await press(emulator, cai, "Ask for this")
    assert "Type the amount, like £12.50." in cai.last_message.text
    for odd in ("twelve pounds", "-3", "4.805"):
        await say(emulator, cai, odd)
        assert "Sorry, I could not read that amount." in cai.messages[-2].text
    await say(emulator, cai, "99999")  # a slip of the finger: said plainly, not "unreadable"
    assert "That is more than £1,000.00. Please check the amount." in cai.messages[-2].text
    await say(emulator, cai, "£4.80")
    await settle(emulator, await cai.send_sticker())
    assert "Please send a photo or a PDF of the receipt, or tap Skip." in cai.messages[-2].text
    await settle(emulator, await cai.send_photo())
    assert "Ask the team for £4.80 travel expenses?" in cai.last_message.text
    assert "With your receipt." in cai.last_message.text
    await press(emulator, cai, "Yes, ask")

    # Fay is told someone asked (no name on her lock screen), with a button to the requests.
    await engine.run_until_idle()
    asked = got(fay, "Someone asked for “Bus fares to meetings”.", starting=True)
    assert len(asked) == 1 and "Cai" not in asked[0].text
    assert asked[0].buttons == [["See the requests"]]
    await press(emulator, fay, "See the requests")
    assert "Requests waiting for you." in fay.last_message.text
    assert _first_request(fay) == "Cai: Asked, waiting for the team (£4.80)"
    await press(emulator, fay, _first_request(fay), "See the receipt")
    assert fay.messages[-2].photo is not None
    await press(emulator, fay, "Decline")
    await say(emulator, fay, "   ")
    assert "Please type a short reason." in fay.messages[-2].text
    await say(emulator, fay, "Please bring the ticket to the next meeting.")
    assert "Declined." in fay.messages[-2].text
    await engine.run_until_idle()
    declined = got(cai, "The team could not say yes to your request for “Bus fares", starting=True)
    assert len(declined) == 1
    assert "They said: Please bring the ticket to the next meeting." in declined[0].text
    await press(emulator, cai, "See the offer")
    assert "The team said: Please bring the ticket" in cai.last_message.text

    # "Not this time" is not "never": Cai asks again, with the e-ticket as a PDF file.
    await press(emulator, cai, "Ask for this")
    await say(emulator, cai, "4.80")
    await settle(emulator, await cai.send_document("notes.txt", b"hello", "text/plain"))
    assert "Please send a photo or a PDF of the receipt" in cai.messages[-2].text
    await settle(emulator, await cai.send_document("e-ticket.pdf"))
    await press(emulator, cai, "Yes, ask")
    assert "Your request: Asked, waiting for the team" in cai.last_message.text
    await engine.run_until_idle()
    # Within the hour Fay is not told again; the list shows the request.
    assert len(got(fay, "Someone asked for", starting=True)) == 1
    await press(emulator, fay, "Back")
    await press(emulator, fay, _first_request(fay), "See the receipt")
    assert fay.messages[-2].document["file_name"] == "e-ticket.pdf"
    async with running.app.sessions() as session:
        claim = (await session.execute(select(ReciprocityClaim))).scalar_one()
    assert (claim.state, claim.reason, claim.amount_pence) == (ClaimState.REQUESTED, None, 480)


async def test_an_offer_for_people_who_came_to_meetings_is_not_open_to_others(emulator, start_bot):
    running = await start_bot()
    project_id, _fay, people = await team_with_people(
        emulator, running.app, {7021: "English", 7022: "English"}, facilitator=FAY
    )
    dee, eve = people.values()
    await add_offer(
        running.app, project_id, "Reference letter", kind=OfferKind.REFERENCE, min_meetings=1
    )
    async with running.app.sessions() as session:
        meeting = Meeting(
            project_id=project_id, title="March", starts_at=datetime(2026, 3, 1, tzinfo=UTC)
        )
        session.add(meeting)
        await session.flush()
        person = await participants.get_by_telegram_id(session, 7022)
        session.add(
            MeetingAttendance(meeting_id=meeting.id, participant_id=person.id, attended=True)
        )
        await session.commit()

    await say(emulator, dee, "/offers")
    await press(emulator, dee, "Reference: Reference letter")
    assert "For people who came to at least 1 meeting." in dee.last_message.text
    assert "for people who came to more meetings" in dee.last_message.text
    assert "Ask for this" not in dee.buttons
    await say(emulator, eve, "/offers")
    await press(emulator, eve, "Reference: Reference letter", "Ask for this", "Yes, ask")
    assert "Your request is with the team." in eve.messages[-2].text


async def test_a_forged_offer_button_gets_a_kind_answer(emulator, start_bot):
    running = await start_bot()
    other_id, _ = await make_team(running.app, "Youth panel")
    _, _fay, people = await team_with_people(
        emulator, running.app, {7031: "English"}, facilitator=FAY
    )
    gus = people[7031]
    elsewhere = await add_offer(running.app, other_id, "Not for you")
    for data in (f"rw_offer:{elsewhere}", "rw_offer:99999", "rw_offer:abc"):
        update = await gus.press_data(data, message_id=gus.last_message.message_id)
        await settle(emulator, update)
        answer = emulator.callback_answer(update["callback_query"]["id"])
        assert "this button no longer works" in answer["text"]
    # A participant (or staff of another team) cannot open an offer's requests.
    for data in (f"rw_review:{elsewhere}", "rw_review:99999", "rw_review:x"):
        update = await gus.press_data(data, message_id=gus.last_message.message_id)
        await settle(emulator, update)
        answer = emulator.callback_answer(update["callback_query"]["id"])
        assert "not available to you" in answer["text"]
    assert "Not for you" not in gus.last_message.text
    assert "Requests waiting" not in gus.last_message.text
    menu = gus.last_message
    forged = menu.data_for("Help").rsplit("help", 1)[0] + f"staff_offers_project:{other_id}"
    update = await gus.press_data(forged, message_id=menu.message_id)
    await settle(emulator, update)
    assert (
        "not available to you" in emulator.callback_answer(update["callback_query"]["id"])["text"]
    )


def test_every_offer_state_has_a_window_and_staff_dialogs_are_guarded():
    windows = states_with_a_window()
    for group in (states.Offers, states.Rewards, states.MyContribution, states.LogActivity):
        assert set(group.__states__) <= windows
    assert states.Offers in states.STAFF_STATE_GROUPS
    assert states.LogActivity in states.STAFF_STATE_GROUPS
    assert states.Rewards not in states.STAFF_STATE_GROUPS


async def test_offer_texts_fall_back_to_the_original(sessions):
    from bot.services import reciprocity

    async with sessions() as session:
        project = await projects.create_project(session, TEAM)
        offer = ReciprocityOffer(project_id=project.id, kind=OfferKind.VOUCHER, source_locale="cy")
        await store.add_offer(session, offer, {"cy": ("Taleb", ""), "pl": ("Bon", "")})
        texts = await store.texts_of(session, offer.id)
    assert isinstance(texts["cy"], ReciprocityOfferText)
    assert reciprocity.title_in(texts, "pl", "cy") == "Bon"
    assert reciprocity.title_in(texts, "ar", "cy") == "Taleb"
