"""The rules of thank-you offers, contribution records and thank-yous, straight through the
services: places that run out (also when two people ask for the last one at once), who may ask,
one message per change of a request, what a contribution counts, whose name a certificate
carries, and thank-yous that wait for a pause to end."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.services import certificates, contributions, reciprocity
from bot.services.reciprocity import Decision, OfferDraft, Refusal, Refused
from storage import projects
from storage import reciprocity as store
from storage.models import (
    ClaimState,
    Feedback,
    Meeting,
    MeetingAttendance,
    OfferKind,
    OutboxDelivery,
    OutboxMessage,
    Participant,
    Role,
    ThankYouSent,
    WeDidStatus,
    YouSaidWeDid,
    YouSaidWeDidFeedback,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def notice(state: ClaimState, title: str, reason: str | None, locale: str) -> str:
    return f"[{locale}] {state.value}: {title} {reason or ''}".strip()


async def _team(session, name: str = "Carers' voice"):
    return await projects.create_project(session, name)


async def _person(session, project, role: Role = Role.PARTICIPANT, **fields) -> Participant:
    person = Participant(
        telegram_id=900_000 + (await session.execute(select(func.count(Participant.id)))).scalar(),
        consent_version="1",
        consented_at=NOW,
        onboarded_at=NOW,
        **fields,
    )
    session.add(person)
    await session.flush()
    await projects.set_role(session, project, person, role)
    return person


async def _offer(session, staff, project, **draft_values) -> int:
    values = {"kind": OfferKind.TRAINING.value, "texts": {"en": ["First aid course", "A day"]}}
    values.update(draft_values)
    draft = OfferDraft(project_id=project.id, source_locale="en", **values)
    offer = await reciprocity.post_offer(session, staff, draft, now=NOW)
    return offer.id


async def _attended(session, project, person, *, minutes: int = 90, day: int = 1) -> None:
    meeting = Meeting(
        project_id=project.id,
        title="Monthly meeting",
        starts_at=datetime(2026, 2, day, 18, 0, tzinfo=UTC),
        duration_minutes=minutes,
    )
    session.add(meeting)
    await session.flush()
    session.add(MeetingAttendance(meeting_id=meeting.id, participant_id=person.id, attended=True))
    await session.flush()


async def _outbox_texts(session, participant_id: int) -> list[str]:
    rows = await session.execute(
        select(OutboxMessage.texts)
        .join(OutboxDelivery, OutboxDelivery.message_id == OutboxMessage.id)
        .where(OutboxDelivery.participant_id == participant_id)
        .order_by(OutboxMessage.id)
    )
    return list(rows.scalars())


async def test_the_last_place_goes_to_one_person_and_the_next_is_refused_kindly(sessions):
    async with sessions() as session:
        team = await _team(session)
        fay = await _person(session, team, Role.FACILITATOR)
        amy, ben, cat = [await _person(session, team) for _ in range(3)]
        offer_id = await _offer(session, fay, team, places=2)
        await session.commit()

    async with sessions() as session:
        await reciprocity.claim(session, amy, offer_id, now=NOW)
        await session.commit()

    async def ask(person):
        async with sessions() as session:
            try:
                await reciprocity.claim(session, person, offer_id, now=NOW)
            except Refused as refused:
                return refused.refusal
            await session.commit()
            return "got it"

    # Ben and Cat ask for the last place at the same moment: one gets it, one is told it is gone.
    outcomes = await asyncio.gather(ask(ben), ask(cat))
    assert sorted(outcomes, key=str) == sorted(["got it", Refusal.FULL], key=str)
    async with sessions() as session:
        offer = await store.get_offer(session, offer_id)
        assert offer.places_taken == 2
        assert len(await store.participants_who_claimed_offer(session, offer_id)) == 2
        assert reciprocity.places_left(offer) == 0


async def test_a_declined_or_cancelled_request_frees_its_place(sessions):
    async with sessions() as session:
        team = await _team(session)
        fay = await _person(session, team, Role.FACILITATOR)
        amy, ben, cat = [await _person(session, team) for _ in range(3)]
        offer_id = await _offer(session, fay, team, places=1)
        first = await reciprocity.claim(session, amy, offer_id, now=NOW)
        with pytest.raises(Refused) as full:
            await reciprocity.claim(session, ben, offer_id, now=NOW)
        assert full.value.refusal == Refusal.FULL
        assert await reciprocity.review(
            session, fay, first.id, Decision.DECLINE, notice, now=NOW, reason="Fully booked"
        )
        second = await reciprocity.claim(session, ben, offer_id, now=NOW)
        assert await reciprocity.withdraw_claim(session, ben, second.id, now=NOW)
        third = await reciprocity.claim(session, cat, offer_id, now=NOW)
        assert third.state == ClaimState.REQUESTED
        with pytest.raises(Refused) as again:  # one request per person per offer
            await reciprocity.claim(session, amy, offer_id, now=NOW)
        assert again.value.refusal in (Refusal.ALREADY, Refusal.FULL)
        await session.commit()


async def test_an_offer_for_people_who_came_to_meetings_is_only_for_them(sessions):
    async with sessions() as session:
        team = await _team(session)
        other = await _team(session, "Youth panel")
        fay = await _person(session, team, Role.FACILITATOR)
        amy = await _person(session, team)
        offer_id = await _offer(session, fay, team, min_meetings=1)
        await _attended(session, other, amy)  # a meeting of another team does not count
        with pytest.raises(Refused) as refused:
            await reciprocity.claim(session, amy, offer_id, now=NOW)
        assert refused.value.refusal == Refusal.NOT_ELIGIBLE and refused.value.needed == 1
        await _attended(session, team, amy)
        made = await reciprocity.claim(session, amy, offer_id, now=NOW)
        assert made.state == ClaimState.REQUESTED
        outsider = await _person(session, other)
        with pytest.raises(Refused) as not_member:
            await reciprocity.claim(session, outsider, offer_id, now=NOW)
        assert not_member.value.refusal == Refusal.NOT_MEMBER


async def test_a_closed_offer_takes_no_requests(sessions):
    async with sessions() as session:
        team = await _team(session)
        fay = await _person(session, team, Role.FACILITATOR)
        amy, ben = await _person(session, team), await _person(session, team)
        offer_id = await _offer(session, fay, team, closes_on="2026-03-10")
        later = datetime(2026, 3, 11, 0, 30, tzinfo=UTC)  # 00:30 in London: the day after
        with pytest.raises(Refused) as closed:
            await reciprocity.claim(session, amy, offer_id, now=later)
        assert closed.value.refusal == Refusal.CLOSED
        await reciprocity.claim(session, amy, offer_id, now=NOW)
        assert await reciprocity.withdraw_offer(session, fay, offer_id, now=NOW)
        with pytest.raises(Refused):
            await reciprocity.claim(session, ben, offer_id, now=NOW)
        assert await reciprocity.open_offers_for(session, ben, "en", now=NOW) == []


async def test_each_change_of_a_request_is_told_once_and_only_by_staff_of_its_team(sessions):
    async with sessions() as session:
        team = await _team(session)
        other = await _team(session, "Youth panel")
        fay = await _person(session, team, Role.FACILITATOR)
        stranger = await _person(session, other, Role.COORDINATOR)
        amy = await _person(session, team, locale="cy")
        offer_id = await _offer(
            session, fay, team, kind=OfferKind.TRAVEL.value, texts={"en": ["Bus fares", ""]}
        )
        with pytest.raises(Refused):  # travel expenses need an amount
            await reciprocity.claim(session, amy, offer_id, now=NOW)
        claim = await reciprocity.claim(session, amy, offer_id, now=NOW, amount_pence=1250)
        with pytest.raises(reciprocity.NotAllowed):
            await reciprocity.review(session, stranger, claim.id, Decision.APPROVE, notice, now=NOW)
        assert await reciprocity.review(session, fay, claim.id, Decision.APPROVE, notice, now=NOW)
        assert not await reciprocity.review(
            session, fay, claim.id, Decision.APPROVE, notice, now=NOW
        )  # a second tap
        assert await reciprocity.review(session, fay, claim.id, Decision.FULFIL, notice, now=NOW)
        assert not await reciprocity.review(
            session, fay, claim.id, Decision.FULFIL, notice, now=NOW
        )
        with pytest.raises(reciprocity.InvalidValue):  # declining needs a reason
            await reciprocity.review(session, fay, claim.id, Decision.DECLINE, notice, now=NOW)
        texts = await _outbox_texts(session, amy.id)
        stored = await store.get_claim(session, claim.id)
        await session.refresh(stored)
    # Bus fares has no Welsh version: the English title, in a Welsh notice (every language's
    # notice is kept, so the one sent is in the language Amy has when it goes).
    welsh = [json.loads(stored_texts)["cy"] for stored_texts in texts]
    assert welsh == ["[cy] approved: Bus fares", "[cy] fulfilled: Bus fares"]
    assert stored.state == stored.told_state == ClaimState.FULFILLED
    assert stored.amount_pence == 1250


def test_money_is_read_kindly_and_odd_amounts_are_refused():
    assert reciprocity.parse_amount("12.50") == 1250
    assert reciprocity.parse_amount(" £7 ") == 700
    assert reciprocity.parse_amount("3,5") == 350
    for odd in ("twelve", "-5", "0", "12.505", "1e3", "", "£", "5000"):
        with pytest.raises(reciprocity.InvalidValue):
            reciprocity.parse_amount(odd)
    assert contributions.parse_duration("1.5") == 90
    assert contributions.parse_duration("1:30") == 90
    assert contributions.parse_duration("45m") == 45
    for odd in ("0", "13", "1:75", "lots"):
        with pytest.raises(contributions.InvalidActivity):
            contributions.parse_duration(odd)


async def _linked_change(session, team, person, *, published: bool = True) -> None:
    said = Feedback(project_id=team.id, participant_id=person.id, rating=2, text="Buses")
    session.add(said)
    await session.flush()
    change = YouSaidWeDid(
        project_id=team.id,
        you_said="Buses are late",
        we_did="We moved the meeting",
        status=WeDidStatus.DONE,
        published_at=NOW if published else None,
    )
    session.add(change)
    await session.flush()
    session.add(YouSaidWeDidFeedback(update_id=change.id, feedback_id=said.id))
    await session.flush()


async def test_the_contribution_record_counts_attendance_activities_and_linked_changes(sessions):
    async with sessions() as session:
        team = await _team(session)
        fay = await _person(session, team, Role.FACILITATOR)
        amy = await _person(session, team)
        ben = await _person(session, team)
        await _attended(session, team, amy, minutes=90, day=1)
        await _attended(session, team, amy, minutes=120, day=8)
        session.add(
            MeetingAttendance(
                meeting_id=(await session.execute(select(Meeting.id).limit(1))).scalar(),
                participant_id=ben.id,
                attended=False,  # invited, did not come
            )
        )
        await contributions.log_activity(
            session,
            fay,
            project_id=team.id,
            participant_id=amy.id,
            minutes=30,
            day=date(2026, 2, 20),
            description="Interview panel",
            today=NOW.date(),
        )
        with pytest.raises(contributions.NotAllowed):  # a participant cannot log time
            await contributions.log_activity(
                session,
                ben,
                project_id=team.id,
                participant_id=amy.id,
                minutes=30,
                day=date(2026, 2, 20),
                description="x",
                today=NOW.date(),
            )
        await _linked_change(session, team, amy)
        await _linked_change(session, team, amy, published=False)  # not yet shared: not counted
        amy_record = await contributions.contribution_of(session, amy)
        ben_record = await contributions.contribution_of(session, ben)
    assert amy_record.meetings == 2
    assert amy_record.minutes_given == 90 + 120 + 30 and amy_record.hours == 4
    assert amy_record.activities == 1
    assert amy_record.feedback == 2 and amy_record.changes == 1
    assert amy_record.project_names == ("Carers' voice",)
    assert (ben_record.meetings, ben_record.minutes_given, ben_record.changes) == (0, 0, 0)
    assert ben_record.is_empty


async def test_the_certificate_names_someone_only_if_they_chose_to_be_named(sessions):
    from bot.i18n import create_i18n
    from dialogs.contribution.words import certificate
    from dialogs.offers.words import in_language

    words = in_language(create_i18n(), certificate)
    async with sessions() as session:
        team = await _team(session)
        named = await _person(session, team, display_name="Ruth", may_use_name=True)
        shy = await _person(session, team, display_name="Sian", may_use_name=False)
        skipped = await _person(session, team, display_name="Tom", may_use_name=None)
        for person in (named, shy, skipped):
            await _attended(session, team, person)
        pages = {
            person.display_name: words(
                await contributions.contribution_of(session, person),
                certificates.name_to_print(person),
                NOW.date(),
                "en",
            )
            for person in (named, shy, skipped)
        }
    assert "Ruth" in pages["Ruth"].text()
    assert "Sian" not in pages["Sian"].text() and "Tom" not in pages["Tom"].text()
    assert "the holder of this certificate" in pages["Sian"].text()
    for page in pages.values():
        assert "Carers' voice" in page.text() and "Meetings attended: 1" in page.text()
    ruth_pdf = certificates.render_pdf(pages["Ruth"])
    sian_pdf = certificates.render_pdf(pages["Sian"])
    assert ruth_pdf.startswith(b"%PDF") and "Ruth".encode("utf-16-be") in ruth_pdf
    assert "Sian".encode("utf-16-be") not in sian_pdf


async def test_a_paused_participant_is_thanked_only_after_the_pause_and_once_a_month(sessions):
    def words(contribution, locale: str) -> str:
        return f"Thank you: {contribution.meetings} meetings ({locale})"

    async with sessions() as session:
        team = await _team(session)
        await _person(session, team, Role.FACILITATOR)
        amy = await _person(session, team)
        ben = await _person(session, team, paused_at=NOW, paused_until=NOW + timedelta(days=7))
        quiet = await _person(session, team)  # gave nothing yet: no thank-you
        await _attended(session, team, amy)
        await _attended(session, team, ben)
        assert await contributions.queue_thank_yous(session, NOW, words) == 1
        await session.commit()
    async with sessions() as session:
        assert await contributions.queue_thank_yous(session, NOW + timedelta(hours=6), words) == 0
        after_pause = NOW + timedelta(days=8)
        assert await contributions.queue_thank_yous(session, after_pause, words) == 1
        assert await contributions.queue_thank_yous(session, after_pause, words) == 0
        # Next month: Amy gave nothing new, so nothing; then she comes to another meeting.
        next_month = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)
        assert await contributions.queue_thank_yous(session, next_month, words) == 0
        await _attended(session, team, amy, day=20)
        assert await contributions.queue_thank_yous(session, next_month, words) == 1
        await session.commit()
        rows = (await session.execute(select(ThankYouSent))).scalars().all()
        assert sorted((r.participant_id, r.period) for r in rows) == sorted(
            [(amy.id, "2026-03"), (ben.id, "2026-03"), (amy.id, "2026-04")]
        )
        assert await _outbox_texts(session, quiet.id) == []
        thanks = [json.loads(texts)["en"] for texts in await _outbox_texts(session, amy.id)]
        assert thanks == ["Thank you: 1 meetings (en)", "Thank you: 2 meetings (en)"]


async def test_someone_who_leaves_frees_the_place_they_held(sessions):
    from bot.services import privacy

    async with sessions() as session:
        team = await _team(session)
        fay = await _person(session, team, Role.FACILITATOR)
        amy, ben = await _person(session, team), await _person(session, team)
        offer_id = await _offer(session, fay, team, places=1)
        await reciprocity.claim(session, amy, offer_id, now=NOW)
        await privacy.erase(session, amy)
        made = await reciprocity.claim(session, ben, offer_id, now=NOW)
        assert made.state == ClaimState.REQUESTED
        assert await store.participants_who_claimed_offer(session, offer_id) == [ben.id]
        await session.commit()


def staff_words(title: str, locale: str) -> str:
    return f"[{locale}] asked: {title}"


async def test_staff_hear_someone_asked_at_most_once_an_hour_per_offer(sessions):
    async with sessions() as session:
        team = await _team(session)
        fay = await _person(session, team, Role.FACILITATOR)
        cora = await _person(session, team, Role.COORDINATOR, locale="pl")
        amy, ben, cat = [await _person(session, team) for _ in range(3)]
        offer_id = await _offer(session, fay, team)
        await reciprocity.claim(session, amy, offer_id, now=NOW, staff_notice=staff_words)
        await reciprocity.claim(
            session, ben, offer_id, now=NOW + timedelta(minutes=20), staff_notice=staff_words
        )
        # Only the author hears (not the whole team), once in the first hour.
        [told] = await _outbox_texts(session, fay.id)  # in every language: theirs when it goes
        assert json.loads(told)["en"] == "[en] asked: First aid course"
        assert await _outbox_texts(session, cora.id) == []
        assert await _outbox_texts(session, amy.id) == []
        # Fay is no longer staff of the team: an hour later, the team's staff hear instead.
        await projects.set_role(session, team, fay, Role.PARTICIPANT)
        await reciprocity.claim(
            session, cat, offer_id, now=NOW + timedelta(minutes=90), staff_notice=staff_words
        )
        assert len(await _outbox_texts(session, fay.id)) == 1
        [told] = await _outbox_texts(session, cora.id)
        assert json.loads(told)["pl"] == "[pl] asked: First aid course"
        message = (
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc())))
            .scalars()
            .first()
        )
    assert message.action == f"offer_review:{offer_id}" and message.expires_at is not None


async def test_after_a_not_this_time_someone_may_ask_again(sessions):
    async with sessions() as session:
        team = await _team(session)
        fay = await _person(session, team, Role.FACILITATOR)
        amy = await _person(session, team)
        offer_id = await _offer(
            session, fay, team, kind=OfferKind.TRAVEL.value, texts={"en": ["Bus fares", ""]}
        )
        first = await reciprocity.claim(session, amy, offer_id, now=NOW, amount_pence=480)
        await reciprocity.review(
            session, fay, first.id, Decision.DECLINE, notice, now=NOW, reason="Send the ticket"
        )
        again = await reciprocity.claim(
            session,
            amy,
            offer_id,
            now=NOW,
            amount_pence=480,
            receipt_file_id=reciprocity.receipt_value("ticket-file", document=True),
        )
        assert again.id == first.id and again.state == ClaimState.REQUESTED
        assert again.reason is None and again.decided_at is None
        assert reciprocity.receipt_file(again.receipt_file_id) == ("ticket-file", True)
        with pytest.raises(Refused) as twice:
            await reciprocity.claim(session, amy, offer_id, now=NOW, amount_pence=480)
        assert twice.value.refusal == Refusal.ALREADY
        offer = await store.get_offer(session, offer_id)
        assert offer.places_taken == 1


def test_big_amounts_are_told_apart_from_unreadable_ones():
    assert reciprocity.parse_amount("1000") == 100_000
    with pytest.raises(reciprocity.TooMuch):
        reciprocity.parse_amount("1000.01")
    with pytest.raises(reciprocity.TooMuch):
        reciprocity.parse_amount("99999999")
    assert reciprocity.is_receipt_file("image/jpeg") and reciprocity.is_receipt_file(
        "application/pdf"
    )
    assert not reciprocity.is_receipt_file("text/plain") and not reciprocity.is_receipt_file(None)


async def test_a_record_for_one_team_counts_only_that_team(sessions):
    async with sessions() as session:
        team = await _team(session)
        other = await _team(session, "Recovery group")
        amy = await _person(session, team)
        await projects.set_role(session, other, amy, Role.PARTICIPANT)
        await _attended(session, team, amy, minutes=60, day=1)
        await _attended(session, other, amy, minutes=120, day=2)
        await _linked_change(session, other, amy)
        everything = await contributions.contribution_of(session, amy)
        carers = await contributions.contribution_of(session, amy, project_id=team.id)
        recovery = await contributions.contribution_of(session, amy, project_id=other.id)
        batch = await store.figures_of_many(session, [amy.id])
    assert everything.figures() == (180, 2, 0, 1, 1)
    assert set(everything.project_names) == {"Carers' voice", "Recovery group"}
    assert carers.figures() == (60, 1, 0, 0, 0) and carers.project_names == ("Carers' voice",)
    assert recovery.figures() == (120, 1, 0, 1, 1)
    # The thank-you sweep reads the same figures for many people at once.
    assert batch == {amy.id: everything.figures()}


@pytest.mark.parametrize("letters", ["ŵŷ", "łżć", "شكرا"], ids=["cy", "pl", "ar"])
def test_the_certificate_font_has_the_letters_of_each_language(letters):
    """No empty boxes ("tofu") on someone's certificate: each letter has a glyph of its own."""
    from PIL import Image, ImageDraw

    def drawn(font, letter: str) -> bytes:
        page = Image.new("L", (80, 80))
        ImageDraw.Draw(page).text((10, 10), letter, font=font, fill=255)
        return page.tobytes()

    for bold in (False, True):
        font = certificates._font(bold, 34)
        missing = drawn(font, "\ue000")  # a private-use letter no font draws
        for letter in letters:
            assert drawn(font, letter) != missing, letter


async def test_a_team_with_many_offers_sees_its_open_ones_first_on_one_screen(sessions):
    async with sessions() as session:
        team = await _team(session)
        fay = await _person(session, team, Role.FACILITATOR)
        still_open = await _offer(session, fay, team, texts={"en": ["Still open", ""]})
        for number in range(reciprocity.STAFF_LIST_LIMIT + 5):
            closed = await _offer(session, fay, team, texts={"en": [f"Old {number}", ""]})
            await reciprocity.withdraw_offer(session, fay, closed, now=NOW)
        shown = await reciprocity.offers_for_staff(session, fay, team.id, "en", now=NOW)
    assert len(shown) == reciprocity.STAFF_LIST_LIMIT  # Telegram allows 100 buttons a message
    assert shown[0].offer.id == still_open and shown[1].title == "Old 34"
