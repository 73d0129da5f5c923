"""Reciprocity: what a team gives back for people's time, and the rules of asking for it.

An offer (training, travel expenses, a voucher, a reference ...) is posted by a facilitator or
coordinator of one project, with a version per language, a number of places (or none), a
closing day and who may ask (for example: came to at least one meeting). A participant asks;
staff of that project approve or decline (with a reason), then mark it given. The participant
is told of each change once, through the delivery engine, in their own language.

Plain rules, no aiogram: the words people read are made by the dialogs and passed in as
`Notice` functions, so the rules stay in one place and the words stay in the catalog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import contributions, delivery, people
from bot.services.broadcasts import telegram_length
from bot.services.typed_input import normalise, read_decimal, read_whole_number
from storage import audit, participants, projects
from storage import reciprocity as store
from storage.models import (
    ClaimState,
    OfferKind,
    OutboxKind,
    Participant,
    Project,
    ReciprocityClaim,
    ReciprocityOffer,
    ReciprocityOfferText,
    Role,
)

log = logging.getLogger(__name__)

TITLE_LIMIT = 120
DESCRIPTION_LIMIT = 1000
REASON_LIMIT = 500
PLACES_LIMIT = 10_000
MIN_MEETINGS_LIMIT = 100
# A claim for travel expenses above this is surely a typing slip (£1,000).
AMOUNT_LIMIT_PENCE = 100_000
LATEST_CLOSING = timedelta(days=366)
# Buttons on one staff screen (offers, requests): Telegram allows 100 a message.
STAFF_LIST_LIMIT = 30
# Offers that pay money or its worth: they come with a note about benefits.
MONEY_KINDS = frozenset({OfferKind.TRAVEL, OfferKind.VOUCHER})
# What a button on an unprompted message opens: the offer, with their claim if they made one.
OFFER_ACTION = "offer"
# What the button on staff's "someone asked" message opens: the requests waiting on an offer.
REVIEW_ACTION = "offer_review"
# Staff hear of new requests on one offer at most this often; the rest wait in the list.
STAFF_NUDGE_GAP = timedelta(hours=1)
# A "someone asked" message that could not reach staff in a day is old news: the list has it.
STAFF_NUDGE_LIFETIME = timedelta(days=1)


class NotAllowed(PermissionError):
    """The person is not staff in the offer's project (or not a member, for a participant)."""


class Refusal(StrEnum):
    """Why someone cannot ask for an offer (each has a kind sentence in the dialog)."""

    CLOSED = "closed"
    FULL = "full"
    NOT_ELIGIBLE = "not_eligible"
    ALREADY = "already"
    NOT_MEMBER = "not_member"
    NEEDS_AMOUNT = "needs_amount"


class Refused(Exception):
    def __init__(self, refusal: Refusal, needed: int = 0) -> None:
        super().__init__(refusal)
        self.refusal = refusal
        self.needed = needed


class Decision(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    FULFIL = "fulfil"


# A request they cancelled, or one the team said no to (say, "please bring the ticket"), may be
# made again while the offer is open and has room.
ASK_AGAIN_STATES = (ClaimState.WITHDRAWN, ClaimState.DECLINED)

# Which states each decision moves a claim from, and to.
_MOVES: dict[Decision, tuple[tuple[ClaimState, ...], ClaimState]] = {
    Decision.APPROVE: ((ClaimState.REQUESTED,), ClaimState.APPROVED),
    Decision.DECLINE: ((ClaimState.REQUESTED, ClaimState.APPROVED), ClaimState.DECLINED),
    Decision.FULFIL: ((ClaimState.APPROVED,), ClaimState.FULFILLED),
}

# (new state, offer title, reason or None, locale) -> the words the participant reads.
Notice = Callable[[ClaimState, str, str | None, str], str]
# (offer title, locale) -> the words staff read when someone asks for their offer.
StaffNotice = Callable[[str, str], str]


# -- receipts ----------------------------------------------------------------------------------
# A receipt is a photo, or a file: an e-ticket is often a PDF, and some phones send a picture
# "as a file". Files are kept with this prefix so staff are shown them the right way.
RECEIPT_DOCUMENT_PREFIX = "document:"


def is_receipt_file(mime_type: str | None) -> bool:
    """A file that can be a receipt: a picture or a PDF."""
    kind = (mime_type or "").lower()
    return kind.startswith("image/") or kind == "application/pdf"


def receipt_value(file_id: str, *, document: bool) -> str:
    return RECEIPT_DOCUMENT_PREFIX + file_id if document else file_id


def receipt_file(stored: str) -> tuple[str, bool]:
    """(Telegram file id, whether it is a file rather than a photo)."""
    if stored.startswith(RECEIPT_DOCUMENT_PREFIX):
        return stored.removeprefix(RECEIPT_DOCUMENT_PREFIX), True
    return stored, False


# -- typed values --------------------------------------------------------------------------------


class InvalidValue(ValueError):
    pass


class TooMuch(InvalidValue):
    """An amount that reads well but is more than a claim may be (likely a slip)."""


def parse_amount(typed: str) -> int:
    """ "12.50", "£12.50", "12,5", "١٢٫٥" or "12" as pence; anything else (or 0, or too much,
    or parts of a penny) refused."""
    text = normalise(typed).replace(" ", "").removeprefix("£").removesuffix("£")
    pounds = read_decimal(text)
    if pounds is None or pounds != pounds.quantize(Decimal("0.01")) or pounds >= 10**9:
        raise InvalidValue(typed)
    pence = int(pounds * 100)
    if pence <= 0:
        raise InvalidValue(typed)
    if pence > AMOUNT_LIMIT_PENCE:
        raise TooMuch(typed)
    return pence


def parse_whole_number(typed: str, *, low: int, high: int) -> int:
    value = read_whole_number(typed)
    if value is None or not low <= value <= high:
        raise InvalidValue(typed)
    return value


def parse_day(typed: str) -> date:
    try:
        return contributions.parse_day(typed)
    except contributions.InvalidActivity as error:
        raise InvalidValue(typed) from error


def closing_moment(day: date, timezone: str) -> datetime:
    """The end of the closing day in the project's zone, as UTC: "open until 30 November"
    means all of 30 November where the team is."""
    tz = delivery.zone(timezone, "Europe/London")
    return delivery.local_time_to_utc(day + timedelta(days=1), 0, tz)


def check_closing_day(day: date, today: date) -> date:
    if day < today or day > today + LATEST_CLOSING:
        raise InvalidValue(day.isoformat())
    return day


def check_text(text: str | None, limit: int) -> str:
    """Typed words, trimmed; InvalidValue if empty, TooLong if over the limit."""
    words = (text or "").strip()
    if not words:
        raise InvalidValue("")
    if telegram_length(words) > limit:
        raise TooLong(limit, telegram_length(words))
    return words


class TooLong(InvalidValue):
    def __init__(self, limit: int, length: int) -> None:
        super().__init__(f"{length} > {limit}")
        self.limit = limit
        self.length = length


# -- drafts and posting -------------------------------------------------------------------------


@dataclass
class OfferDraft:
    """An offer being written, kept in the dialog's data as plain JSON values."""

    project_id: int
    source_locale: str
    kind: str = OfferKind.OTHER.value
    # {locale: [title, description]}
    texts: dict[str, list[str]] = field(default_factory=dict)
    places: int | None = None
    closes_on: str | None = None  # ISO date in the project's zone
    min_meetings: int = 0

    def to_data(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "source_locale": self.source_locale,
            "kind": self.kind,
            "texts": {locale: list(pair) for locale, pair in self.texts.items()},
            "places": self.places,
            "closes_on": self.closes_on,
            "min_meetings": self.min_meetings,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> OfferDraft | None:
        if not data:
            return None
        return cls(
            project_id=data["project_id"],
            source_locale=data["source_locale"],
            kind=data.get("kind") or OfferKind.OTHER.value,
            texts={locale: list(pair) for locale, pair in (data.get("texts") or {}).items()},
            places=data.get("places"),
            closes_on=data.get("closes_on"),
            min_meetings=data.get("min_meetings") or 0,
        )

    @property
    def title(self) -> str:
        return (self.texts.get(self.source_locale) or ["", ""])[0]


async def staff_project(
    session: AsyncSession, staff: Participant | None, project_id: int
) -> Project:
    """The project, if this person is a facilitator or coordinator in it."""
    if not await people.is_staff_in(session, staff, project_id):
        raise NotAllowed(project_id)
    project = await projects.get_project(session, project_id)
    if project is None:
        raise NotAllowed(project_id)
    return project


async def post_offer(
    session: AsyncSession, staff: Participant, draft: OfferDraft, *, now: datetime
) -> ReciprocityOffer:
    """Save the offer (staff of its project only) and note it in the audit log."""
    project = await staff_project(session, staff, draft.project_id)
    if not draft.title:
        raise InvalidValue("an offer needs a title in its source language")
    closes_at = None
    if draft.closes_on:
        closes_at = closing_moment(date.fromisoformat(draft.closes_on), project.timezone)
    offer = ReciprocityOffer(
        project_id=project.id,
        kind=OfferKind(draft.kind),
        places=draft.places,
        closes_at=closes_at,
        min_meetings=max(0, draft.min_meetings),
        source_locale=draft.source_locale,
        created_by=staff.id,
        created_at=now,
    )
    texts = {locale: (pair[0], pair[1]) for locale, pair in draft.texts.items() if pair and pair[0]}
    await store.add_offer(session, offer, texts)
    await audit.record(
        session,
        "offer.create",
        actor_id=staff.id,
        project_id=project.id,
        detail=f"offer={offer.id} kind={offer.kind} places={offer.places or 'any'}",
    )
    log.info("offer %s posted in project %s", offer.id, project.id)
    return offer


async def announce_offer(
    session: AsyncSession,
    staff: Participant,
    offer: ReciprocityOffer,
    announcement: Callable[[str, str], str],
    *,
    now: datetime,
) -> int | None:
    """Tell the project's participants about a new offer, each in their language, with a
    button to see it. `announcement(title, locale)` makes the words. The outbox message id."""
    await staff_project(session, staff, offer.project_id)
    project = await projects.get_project(session, offer.project_id)
    recipients = [
        person.id
        for person in await store.members_with_role(session, offer.project_id, Role.PARTICIPANT)
        if person.consent_version is not None
    ]
    if not recipients:
        return None
    texts = await store.texts_of(session, offer.id)
    locales = {*texts, offer.source_locale, project.default_locale}
    words = {
        locale: announcement(title_in(texts, locale, offer.source_locale), locale)
        for locale in sorted(locales)
    }
    return await delivery.enqueue_message(
        session,
        kind=OutboxKind.BROADCAST,
        recipients=recipients,
        now=now,
        source_locale=project.default_locale,
        texts=words,
        project_id=offer.project_id,
        created_by=staff.id,
        action=f"{OFFER_ACTION}:{offer.id}",
    )


async def withdraw_offer(
    session: AsyncSession, staff: Participant, offer_id: int, *, now: datetime
) -> bool:
    offer = await store.get_offer(session, offer_id)
    if offer is None:
        raise NotAllowed(offer_id)
    await staff_project(session, staff, offer.project_id)
    closed = await store.withdraw_offer(session, offer_id, now)
    if closed:
        await audit.record(
            session,
            "offer.close",
            actor_id=staff.id,
            project_id=offer.project_id,
            detail=f"offer={offer_id}",
        )
    return closed


# -- reading offers --------------------------------------------------------------------------------


def text_in(
    texts: dict[str, ReciprocityOfferText], locale: str, source_locale: str
) -> ReciprocityOfferText | None:
    """Their language's version, or else the original it was written in."""
    return texts.get(locale) or texts.get(source_locale) or next(iter(texts.values()), None)


def title_in(texts: dict[str, ReciprocityOfferText], locale: str, source_locale: str) -> str:
    found = text_in(texts, locale, source_locale)
    return found.title if found else ""


def is_open(offer: ReciprocityOffer, now: datetime) -> bool:
    return offer.withdrawn_at is None and (offer.closes_at is None or offer.closes_at > now)


def places_left(offer: ReciprocityOffer) -> int | None:
    """None means no limit."""
    return None if offer.places is None else max(0, offer.places - offer.places_taken)


def pays_money(offer: ReciprocityOffer) -> bool:
    return offer.kind in MONEY_KINDS


@dataclass(frozen=True)
class OfferView:
    """An offer as one person sees it: in their language, with their claim if they made one."""

    offer: ReciprocityOffer
    title: str
    description: str
    project_name: str
    project_timezone: str
    claim: ReciprocityClaim | None
    meetings_attended: int

    @property
    def places_left(self) -> int | None:
        return places_left(self.offer)

    @property
    def eligible(self) -> bool:
        return self.meetings_attended >= self.offer.min_meetings


async def member_projects(session: AsyncSession, participant: Participant) -> list[int]:
    return [m.project_id for m in await projects.memberships_of(session, participant.id)]


async def open_offers_for(
    session: AsyncSession, participant: Participant, locale: str, *, now: datetime
) -> list[OfferView]:
    """Open offers of the person's projects, in their language."""
    offers = await store.open_offers(session, await member_projects(session, participant), now)
    return [await _view(session, offer, participant, locale) for offer in offers]


async def offer_for(
    session: AsyncSession, participant: Participant, offer_id: int, locale: str
) -> OfferView | None:
    """One offer, if it belongs to one of the person's projects (a forged id finds nothing)."""
    offer = await store.get_offer(session, offer_id)
    if offer is None or offer.project_id not in await member_projects(session, participant):
        return None
    return await _view(session, offer, participant, locale)


async def _view(
    session: AsyncSession, offer: ReciprocityOffer, participant: Participant, locale: str
) -> OfferView:
    texts = await store.texts_of(session, offer.id)
    text = text_in(texts, locale, offer.source_locale)
    project = await projects.get_project(session, offer.project_id)
    return OfferView(
        offer=offer,
        title=text.title if text else "",
        description=text.description if text else "",
        project_name=project.name if project else "",
        project_timezone=project.timezone if project else "Europe/London",
        claim=await store.claim_of(session, offer.id, participant.id),
        meetings_attended=await contributions.meetings_attended(
            session, participant.id, project_id=offer.project_id
        )
        if offer.min_meetings
        else 0,
    )


# -- claiming --------------------------------------------------------------------------------------


async def check_claim(
    session: AsyncSession, participant: Participant, offer: ReciprocityOffer, *, now: datetime
) -> None:
    """Refused(...) if this person cannot ask for this offer now."""
    if offer.project_id not in await member_projects(session, participant):
        raise Refused(Refusal.NOT_MEMBER)
    if not is_open(offer, now):
        raise Refused(Refusal.CLOSED)
    existing = await store.claim_of(session, offer.id, participant.id)
    if existing is not None and existing.state not in ASK_AGAIN_STATES:
        raise Refused(Refusal.ALREADY)
    if offer.min_meetings:
        came = await contributions.meetings_attended(
            session, participant.id, project_id=offer.project_id
        )
        if came < offer.min_meetings:
            raise Refused(Refusal.NOT_ELIGIBLE, needed=offer.min_meetings)
    if places_left(offer) == 0:
        raise Refused(Refusal.FULL)


async def claim(
    session: AsyncSession,
    participant: Participant,
    offer_id: int,
    *,
    now: datetime,
    amount_pence: int | None = None,
    receipt_file_id: str | None = None,
    staff_notice: StaffNotice | None = None,
) -> ReciprocityClaim:
    """Ask for an offer: one claim per person per offer, and never more claims than places,
    however many ask at once. Refused(...) says why not. With `staff_notice`, staff of the
    offer's team are told someone asked (see `tell_staff_of_request`)."""
    offer = await store.get_offer(session, offer_id)
    if offer is None:
        raise Refused(Refusal.NOT_MEMBER)
    await check_claim(session, participant, offer, now=now)
    if offer.kind == OfferKind.TRAVEL and amount_pence is None:
        raise Refused(Refusal.NEEDS_AMOUNT)
    if offer.kind != OfferKind.TRAVEL:
        amount_pence = receipt_file_id = None
    if not await store.take_place(session, offer.id, now):
        # Someone took the last place (or it closed) since the check above.
        await session.refresh(offer)
        raise Refused(Refusal.FULL if is_open(offer, now) else Refusal.CLOSED)
    values = {
        "amount_pence": amount_pence,
        "receipt_file_id": receipt_file_id,
        "requested_at": now,
        "reason": None,
        "decided_at": None,
        "decided_by": None,
        "fulfilled_at": None,
    }
    # No savepoints (SQLite's driver mishandles them): a claim that cannot be written gives
    # its place back in the same transaction.
    made_id = await store.insert_claim(session, offer.id, participant.id, **values)
    if made_id is None:  # a claim exists: asking again (after cancelling, or a "not this
        # time"), or two taps at once
        earlier = await store.claim_of(session, offer.id, participant.id)
        moved = earlier is not None and await store.move_claim(
            session,
            earlier.id,
            from_states=ASK_AGAIN_STATES,
            to=ClaimState.REQUESTED,
            **values,
        )
        if not moved:
            await store.give_back_place(session, offer.id)
            raise Refused(Refusal.ALREADY)
        made_id = earlier.id
    made = await store.get_claim(session, made_id)
    await session.refresh(made)
    log.info("claim %s on offer %s by participant %s", made_id, offer.id, participant.id)
    if staff_notice is not None:
        await tell_staff_of_request(session, offer, staff_notice, now=now)
    return made


async def tell_staff_of_request(
    session: AsyncSession, offer: ReciprocityOffer, words: StaffNotice, *, now: datetime
) -> int | None:
    """A short message to the offer's author (or, if they are no longer staff of its team, to
    the team's facilitators and coordinators) with a button to the waiting requests. At most one
    per offer an hour: a busy offer does not flood their phone. No name in it (phones show
    messages on the lock screen). The outbox message id, or None if none was due."""
    action = f"{REVIEW_ACTION}:{offer.id}"
    if await store.queued_since(session, action, now - STAFF_NUDGE_GAP):
        return None
    author = await participants.get(session, offer.created_by) if offer.created_by else None
    if author is not None and await people.is_staff_in(session, author, offer.project_id):
        recipients = [author]
    else:
        recipients = await store.staff_of_project(session, offer.project_id)
    if not recipients:
        return None
    project = await projects.get_project(session, offer.project_id)
    default = project.default_locale if project else "en"
    texts = await store.texts_of(session, offer.id)
    return await delivery.enqueue_message(
        session,
        kind=OutboxKind.NUDGE,
        recipients=[person.id for person in recipients],
        now=now,
        source_locale=default,
        texts=delivery.every_language(
            lambda code: words(title_in(texts, code, offer.source_locale), code)
        ),
        project_id=offer.project_id,
        action=action,
        expires_at=now + STAFF_NUDGE_LIFETIME,
    )


async def withdraw_claim(
    session: AsyncSession, participant: Participant, claim_id: int, *, now: datetime
) -> bool:
    """The participant changes their mind before a decision; the place is free again."""
    found = await store.get_claim(session, claim_id)
    if found is None or found.participant_id != participant.id:
        return False
    moved = await store.move_claim(
        session,
        claim_id,
        from_states=(ClaimState.REQUESTED,),
        to=ClaimState.WITHDRAWN,
        decided_at=now,
    )
    if moved:
        await store.give_back_place(session, found.offer_id)
    return moved


# -- staff review ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimForStaff:
    claim: ReciprocityClaim
    offer: ReciprocityOffer
    person: Participant


async def claim_for_staff(
    session: AsyncSession, staff: Participant, claim_id: int
) -> ClaimForStaff:
    """A claim, for staff of its offer's project only."""
    found = await store.get_claim(session, claim_id)
    if found is None:
        raise NotAllowed(claim_id)
    offer = await store.get_offer(session, found.offer_id)
    if offer is None:
        raise NotAllowed(claim_id)
    await staff_project(session, staff, offer.project_id)
    person = await participants.get(session, found.participant_id)
    return ClaimForStaff(claim=found, offer=offer, person=person)


async def offer_for_staff(
    session: AsyncSession, staff: Participant, offer_id: int
) -> ReciprocityOffer:
    offer = await store.get_offer(session, offer_id)
    if offer is None:
        raise NotAllowed(offer_id)
    await staff_project(session, staff, offer.project_id)
    return offer


async def review(
    session: AsyncSession,
    staff: Participant,
    claim_id: int,
    decision: Decision,
    notice: Notice,
    *,
    now: datetime,
    reason: str | None = None,
) -> bool:
    """Approve, decline (with a reason) or mark given; the participant is told once, through
    the delivery engine, in the same transaction. False if the claim had already moved (a
    second tap, or another staff member was quicker): nothing changes, nobody is told again."""
    found = await claim_for_staff(session, staff, claim_id)
    from_states, to = _MOVES[decision]
    values: dict[str, Any] = {}
    if decision == Decision.FULFIL:
        values["fulfilled_at"] = now
    else:
        values.update(decided_at=now, decided_by=staff.id)
    if decision == Decision.DECLINE:
        values["reason"] = check_text(reason, REASON_LIMIT)
    if not await store.move_claim(session, claim_id, from_states=from_states, to=to, **values):
        return False
    if to == ClaimState.DECLINED:
        await store.give_back_place(session, found.offer.id)
    await _tell(session, found, to, values.get("reason"), notice, now=now)
    await audit.record(
        session,
        f"claim.{to.value}",
        actor_id=staff.id,
        project_id=found.offer.project_id,
        subject_id=found.person.id if found.person else None,
        detail=f"claim={claim_id} offer={found.offer.id}",
    )
    return True


async def _tell(
    session: AsyncSession,
    found: ClaimForStaff,
    state: ClaimState,
    reason: str | None,
    notice: Notice,
    *,
    now: datetime,
) -> None:
    person = found.person
    if person is None:
        return
    project = await projects.get_project(session, found.offer.project_id)
    locale = person.locale or (project.default_locale if project else "en")
    texts = await store.texts_of(session, found.offer.id)
    source = found.offer.source_locale
    await delivery.enqueue_message(
        session,
        kind=OutboxKind.ANSWER,  # news of their own request: the weekly cap never holds it
        recipients=[person.id],
        now=now,
        source_locale=locale,
        texts=delivery.every_language(
            lambda code: notice(state, title_in(texts, code, source), reason, code)
        ),
        project_id=found.offer.project_id,
        action=f"{OFFER_ACTION}:{found.offer.id}",
    )


@dataclass(frozen=True)
class OfferSummary:
    offer: ReciprocityOffer
    title: str
    counts: dict[ClaimState, int]

    @property
    def waiting(self) -> int:
        return self.counts.get(ClaimState.REQUESTED, 0)

    @property
    def to_give(self) -> int:
        return self.counts.get(ClaimState.APPROVED, 0)


async def offers_for_staff(
    session: AsyncSession, staff: Participant, project_id: int, locale: str, *, now: datetime
) -> list[OfferSummary]:
    """The team's offers, the open ones first, then the newest (at most STAFF_LIST_LIMIT)."""
    await staff_project(session, staff, project_id)
    offers = await store.offers_of_project(session, project_id, now=now, limit=STAFF_LIST_LIMIT)
    texts = await store.texts_of_many(session, [o.id for o in offers])
    counts = await store.claim_counts(session, [o.id for o in offers])
    return [
        OfferSummary(
            offer=offer,
            title=title_in(texts[offer.id], locale, offer.source_locale),
            counts=counts[offer.id],
        )
        for offer in offers
    ]


async def claims_to_review(
    session: AsyncSession, staff: Participant, offer_id: int
) -> list[tuple[ReciprocityClaim, Participant]]:
    """Claims that wait for staff: asked (to decide) and approved (to give), the oldest first;
    at most STAFF_LIST_LIMIT (a screen of buttons), the rest show as these are answered."""
    await offer_for_staff(session, staff, offer_id)
    return await store.claims_of_offer(
        session, offer_id, (ClaimState.REQUESTED, ClaimState.APPROVED), limit=STAFF_LIST_LIMIT
    )
