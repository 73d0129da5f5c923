"""Queries for reciprocity: offers and their texts, claims, logged activities, thank-yous sent.

Places are counted in `ReciprocityOffer.places_taken` and only ever changed by one conditional
UPDATE, so two people asking for the last place at once cannot both get it: on PostgreSQL the
second UPDATE waits for the first's row lock and then sees the new count; on SQLite the first
write holds the database's single write lock until it commits. Claim state changes are
conditional UPDATEs too ("from this state to that"): a repeated tap changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ClaimState,
    Feedback,
    LoggedActivity,
    Meeting,
    MeetingAttendance,
    MeetingStatus,
    Membership,
    OutboxMessage,
    Participant,
    ReciprocityClaim,
    ReciprocityOffer,
    ReciprocityOfferText,
    Role,
    ThankYouSent,
    YouSaidWeDid,
    YouSaidWeDidFeedback,
)
from storage.upsert import insert_for

# Claims that hold one of the offer's places.
HOLDING_STATES = (ClaimState.REQUESTED, ClaimState.APPROVED, ClaimState.FULFILLED)


# -- offers ------------------------------------------------------------------------------------


async def add_offer(
    session: AsyncSession, offer: ReciprocityOffer, texts: dict[str, tuple[str, str]]
) -> ReciprocityOffer:
    """The offer and its {locale: (title, description)} versions."""
    session.add(offer)
    await session.flush()
    for locale, (title, description) in texts.items():
        session.add(
            ReciprocityOfferText(
                offer_id=offer.id, locale=locale, title=title, description=description
            )
        )
    await session.flush()
    return offer


async def get_offer(session: AsyncSession, offer_id: int) -> ReciprocityOffer | None:
    # Fresh from the database: counters and states change by UPDATE statements.
    return await session.get(ReciprocityOffer, offer_id, populate_existing=True)


async def texts_of(session: AsyncSession, offer_id: int) -> dict[str, ReciprocityOfferText]:
    rows = await session.execute(
        select(ReciprocityOfferText).where(ReciprocityOfferText.offer_id == offer_id)
    )
    return {text.locale: text for text in rows.scalars()}


async def texts_of_many(
    session: AsyncSession, offer_ids: Iterable[int]
) -> dict[int, dict[str, ReciprocityOfferText]]:
    ids = list(offer_ids)
    found: dict[int, dict[str, ReciprocityOfferText]] = {offer_id: {} for offer_id in ids}
    if not ids:
        return found
    rows = await session.execute(
        select(ReciprocityOfferText).where(ReciprocityOfferText.offer_id.in_(ids))
    )
    for text in rows.scalars():
        found[text.offer_id][text.locale] = text
    return found


def _open_at(now: datetime):
    return and_(
        ReciprocityOffer.withdrawn_at.is_(None),
        or_(ReciprocityOffer.closes_at.is_(None), ReciprocityOffer.closes_at > now),
    )


async def open_offers(
    session: AsyncSession, project_ids: Iterable[int], now: datetime
) -> list[ReciprocityOffer]:
    """Offers of these projects still open at `now`, the soonest closing first."""
    ids = list(project_ids)
    if not ids:
        return []
    rows = await session.execute(
        select(ReciprocityOffer)
        .where(ReciprocityOffer.project_id.in_(ids), _open_at(now))
        .execution_options(populate_existing=True)
        .order_by(
            ReciprocityOffer.closes_at.is_(None), ReciprocityOffer.closes_at, ReciprocityOffer.id
        )
    )
    return list(rows.scalars())


async def offers_of_project(
    session: AsyncSession,
    project_id: int,
    *,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[ReciprocityOffer]:
    """A project's offers, the newest first (for staff); given `now`, those still open first."""
    query = select(ReciprocityOffer).where(ReciprocityOffer.project_id == project_id)
    if now is not None:
        query = query.order_by(case((_open_at(now), 0), else_=1))
    query = query.order_by(ReciprocityOffer.id.desc()).execution_options(populate_existing=True)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars())


async def take_place(session: AsyncSession, offer_id: int, now: datetime) -> bool:
    """Take one place if the offer is open and has one left; False if not. Race-safe."""
    result = await session.execute(
        update(ReciprocityOffer)
        .where(
            ReciprocityOffer.id == offer_id,
            _open_at(now),
            or_(
                ReciprocityOffer.places.is_(None),
                ReciprocityOffer.places_taken < ReciprocityOffer.places,
            ),
        )
        .values(places_taken=ReciprocityOffer.places_taken + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def give_back_place(session: AsyncSession, offer_id: int) -> None:
    await session.execute(
        update(ReciprocityOffer)
        .where(ReciprocityOffer.id == offer_id, ReciprocityOffer.places_taken > 0)
        .values(places_taken=ReciprocityOffer.places_taken - 1)
        .execution_options(synchronize_session=False)
    )


async def release_places_of(session: AsyncSession, participant_id: int) -> None:
    """Before someone is erased: the places their undecided or approved requests held are free
    again (a place already given stays counted)."""
    rows = await session.execute(
        select(ReciprocityClaim.offer_id).where(
            ReciprocityClaim.participant_id == participant_id,
            ReciprocityClaim.state.in_((ClaimState.REQUESTED, ClaimState.APPROVED)),
        )
    )
    for offer_id in rows.scalars().all():
        await give_back_place(session, offer_id)


async def withdraw_offer(session: AsyncSession, offer_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(ReciprocityOffer)
        .where(ReciprocityOffer.id == offer_id, ReciprocityOffer.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# -- claims ------------------------------------------------------------------------------------


async def get_claim(session: AsyncSession, claim_id: int) -> ReciprocityClaim | None:
    return await session.get(ReciprocityClaim, claim_id, populate_existing=True)


async def claim_of(
    session: AsyncSession, offer_id: int, participant_id: int
) -> ReciprocityClaim | None:
    return (
        await session.execute(
            select(ReciprocityClaim)
            .where(
                ReciprocityClaim.offer_id == offer_id,
                ReciprocityClaim.participant_id == participant_id,
            )
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def insert_claim(
    session: AsyncSession, offer_id: int, participant_id: int, **values
) -> int | None:
    """A new claim in state "requested"; None if this person already has one on this offer."""
    statement = (
        insert_for(session.bind.dialect.name, ReciprocityClaim.__table__)
        .values(
            offer_id=offer_id,
            participant_id=participant_id,
            state=ClaimState.REQUESTED,
            told_state=ClaimState.REQUESTED,  # they are told in the reply to their tap
            **values,
        )
        .on_conflict_do_nothing(index_elements=["offer_id", "participant_id"])
        .returning(ReciprocityClaim.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def move_claim(
    session: AsyncSession,
    claim_id: int,
    *,
    from_states: Iterable[ClaimState],
    to: ClaimState,
    **values,
) -> bool:
    """Move a claim on only if it is still in one of `from_states`; True if it moved.
    The participant is told of the new state in the same transaction (`told_state`)."""
    result = await session.execute(
        update(ReciprocityClaim)
        .where(ReciprocityClaim.id == claim_id, ReciprocityClaim.state.in_(list(from_states)))
        .values(state=to, told_state=to, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def claims_of_participant(
    session: AsyncSession, participant_id: int
) -> list[tuple[ReciprocityClaim, ReciprocityOffer]]:
    rows = await session.execute(
        select(ReciprocityClaim, ReciprocityOffer)
        .join(ReciprocityOffer, ReciprocityOffer.id == ReciprocityClaim.offer_id)
        .where(ReciprocityClaim.participant_id == participant_id)
        .order_by(ReciprocityClaim.requested_at.desc())
        .execution_options(populate_existing=True)
    )
    return [(claim, offer) for claim, offer in rows.all()]


async def claims_of_offer(
    session: AsyncSession,
    offer_id: int,
    states: Iterable[ClaimState] | None = None,
    *,
    limit: int | None = None,
) -> list[tuple[ReciprocityClaim, Participant]]:
    """Claims on an offer with who made them, the oldest first."""
    query = (
        select(ReciprocityClaim, Participant)
        .join(Participant, Participant.id == ReciprocityClaim.participant_id)
        .where(ReciprocityClaim.offer_id == offer_id)
        .order_by(ReciprocityClaim.requested_at)
        .execution_options(populate_existing=True)
    )
    if states is not None:
        query = query.where(ReciprocityClaim.state.in_(list(states)))
    if limit is not None:
        query = query.limit(limit)
    return [(claim, person) for claim, person in (await session.execute(query)).all()]


async def claim_counts(
    session: AsyncSession, offer_ids: Iterable[int]
) -> dict[int, dict[ClaimState, int]]:
    ids = list(offer_ids)
    found: dict[int, dict[ClaimState, int]] = {offer_id: {} for offer_id in ids}
    if not ids:
        return found
    rows = await session.execute(
        select(ReciprocityClaim.offer_id, ReciprocityClaim.state, func.count())
        .where(ReciprocityClaim.offer_id.in_(ids))
        .group_by(ReciprocityClaim.offer_id, ReciprocityClaim.state)
    )
    for offer_id, state, count in rows.all():
        found[offer_id][ClaimState(state)] = count
    return found


async def participants_who_claimed_offer(session: AsyncSession, offer_id: int) -> list[int]:
    """People whose claim on this offer holds a place (asked, approved or given): a broadcast
    audience ("everyone who asked for the training")."""
    rows = await session.execute(
        select(ReciprocityClaim.participant_id)
        .where(
            ReciprocityClaim.offer_id == offer_id,
            ReciprocityClaim.state.in_(HOLDING_STATES),
        )
        .order_by(ReciprocityClaim.participant_id)
    )
    return list(rows.scalars())


# -- logged activities -------------------------------------------------------------------------


async def add_activity(session: AsyncSession, activity: LoggedActivity) -> LoggedActivity:
    session.add(activity)
    await session.flush()
    return activity


async def activities_of(session: AsyncSession, participant_id: int) -> list[LoggedActivity]:
    rows = await session.execute(
        select(LoggedActivity)
        .where(LoggedActivity.participant_id == participant_id)
        .order_by(LoggedActivity.day, LoggedActivity.id)
    )
    return list(rows.scalars())


async def feedback_by_project(session: AsyncSession, participant_id: int) -> dict[int, int]:
    """{project id: feedback answers they gave there and did not withdraw}."""
    rows = await session.execute(
        select(Feedback.project_id, func.count())
        .where(Feedback.participant_id == participant_id, Feedback.withdrawn_at.is_(None))
        .group_by(Feedback.project_id)
    )
    return {project_id: count for project_id, count in rows.all()}


async def changes_by_project(session: AsyncSession, participant_id: int) -> dict[int, int]:
    """{project id: published "we did" updates linked to their (not withdrawn) feedback}, each
    update once."""
    rows = await session.execute(
        select(YouSaidWeDid.project_id, func.count(func.distinct(YouSaidWeDid.id)))
        .join(YouSaidWeDidFeedback, YouSaidWeDidFeedback.update_id == YouSaidWeDid.id)
        .join(Feedback, Feedback.id == YouSaidWeDidFeedback.feedback_id)
        .where(
            Feedback.participant_id == participant_id,
            Feedback.withdrawn_at.is_(None),
            YouSaidWeDid.published_at.is_not(None),
        )
        .group_by(YouSaidWeDid.project_id)
    )
    return {project_id: count for project_id, count in rows.all()}


async def members_with_role(
    session: AsyncSession, project_id: int, role: Role
) -> list[Participant]:
    """Members of a project in one role who finished joining, by name then id."""
    rows = await session.execute(
        select(Participant)
        .join(Membership, Membership.participant_id == Participant.id)
        .where(
            Membership.project_id == project_id,
            Membership.role == role,
            Participant.onboarded_at.is_not(None),
        )
        .order_by(Participant.display_name.is_(None), Participant.display_name, Participant.id)
    )
    return list(rows.scalars())


async def staff_of_project(session: AsyncSession, project_id: int) -> list[Participant]:
    """The project's facilitators and coordinators who finished joining."""
    rows = await session.execute(
        select(Participant)
        .join(Membership, Membership.participant_id == Participant.id)
        .where(
            Membership.project_id == project_id,
            Membership.role.in_((Role.FACILITATOR, Role.COORDINATOR)),
            Participant.onboarded_at.is_not(None),
        )
        .order_by(Participant.id)
    )
    return list(rows.scalars())


async def queued_since(session: AsyncSession, action: str, since: datetime) -> bool:
    """Whether an unprompted message with this button was queued to go out after `since`."""
    found = await session.execute(
        select(OutboxMessage.id)
        .where(OutboxMessage.action == action, OutboxMessage.send_at > since)
        .limit(1)
    )
    return found.scalar_one_or_none() is not None


# -- thank-yous --------------------------------------------------------------------------------


async def thanked_in_period(session: AsyncSession, period: str) -> set[int]:
    rows = await session.execute(
        select(ThankYouSent.participant_id).where(ThankYouSent.period == period)
    )
    return set(rows.scalars())


async def people_to_thank(session: AsyncSession) -> list[Participant]:
    """Everyone who finished joining and is a participant somewhere (staff thank, not are
    thanked by the bot for their job)."""
    rows = await session.execute(
        select(Participant)
        .where(
            Participant.onboarded_at.is_not(None),
            Participant.consent_version.is_not(None),
            Participant.id.in_(
                select(Membership.participant_id).where(Membership.role == Role.PARTICIPANT)
            ),
        )
        .order_by(Participant.id)
    )
    return list(rows.scalars())


async def figures_of_many(
    session: AsyncSession, participant_ids: Iterable[int]
) -> dict[int, tuple[int, int, int, int, int]]:
    """{participant id: (minutes given, meetings, activities, feedback, changes)} in all teams,
    for many people in five queries (the thank-you sweep reads everyone). The same figures as
    bot.services.contributions.contribution_of; people with none are left out."""
    ids = list(participant_ids)
    if not ids:
        return {}
    found: dict[int, list[int]] = {}

    def add(person_id: int, position: int, value: int | None) -> None:
        found.setdefault(person_id, [0, 0, 0, 0, 0])[position] += value or 0

    meetings = await session.execute(
        select(MeetingAttendance.participant_id, func.sum(Meeting.duration_minutes), func.count())
        .join(Meeting, Meeting.id == MeetingAttendance.meeting_id)
        .where(
            MeetingAttendance.participant_id.in_(ids),
            MeetingAttendance.attended.is_(True),
            Meeting.status != MeetingStatus.CANCELLED,
        )
        .group_by(MeetingAttendance.participant_id)
    )
    for person_id, minutes, count in meetings.all():
        add(person_id, 0, minutes)
        add(person_id, 1, count)
    activities = await session.execute(
        select(LoggedActivity.participant_id, func.sum(LoggedActivity.minutes), func.count())
        .where(LoggedActivity.participant_id.in_(ids))
        .group_by(LoggedActivity.participant_id)
    )
    for person_id, minutes, count in activities.all():
        add(person_id, 0, minutes)
        add(person_id, 2, count)
    feedback = await session.execute(
        select(Feedback.participant_id, func.count())
        .where(Feedback.participant_id.in_(ids), Feedback.withdrawn_at.is_(None))
        .group_by(Feedback.participant_id)
    )
    for person_id, count in feedback.all():
        add(person_id, 3, count)
    changes = await session.execute(
        select(Feedback.participant_id, func.count(func.distinct(YouSaidWeDid.id)))
        .join(YouSaidWeDidFeedback, YouSaidWeDidFeedback.feedback_id == Feedback.id)
        .join(YouSaidWeDid, YouSaidWeDid.id == YouSaidWeDidFeedback.update_id)
        .where(
            Feedback.participant_id.in_(ids),
            Feedback.withdrawn_at.is_(None),
            YouSaidWeDid.published_at.is_not(None),
        )
        .group_by(Feedback.participant_id)
    )
    for person_id, count in changes.all():
        add(person_id, 4, count)
    return {person_id: tuple(values) for person_id, values in found.items()}


async def last_thanks_of_many(
    session: AsyncSession, participant_ids: Iterable[int]
) -> dict[int, ThankYouSent]:
    """Each person's latest thank-you, if any."""
    ids = list(participant_ids)
    if not ids:
        return {}
    latest = (
        select(ThankYouSent.participant_id, func.max(ThankYouSent.id).label("last_id"))
        .where(ThankYouSent.participant_id.in_(ids))
        .group_by(ThankYouSent.participant_id)
        .subquery()
    )
    rows = await session.execute(
        select(ThankYouSent).join(latest, ThankYouSent.id == latest.c.last_id)
    )
    return {thanks.participant_id: thanks for thanks in rows.scalars()}


async def thanks_of(session: AsyncSession, participant_id: int) -> list[ThankYouSent]:
    rows = await session.execute(
        select(ThankYouSent)
        .where(ThankYouSent.participant_id == participant_id)
        .order_by(ThankYouSent.queued_at)
    )
    return list(rows.scalars())
