"""Queries for feedback, pulse answers, themes and "you said, we did" updates.

These read and write within the caller's transaction; bot/services/feedback.py holds the rules
(who may see what). Anonymous answers keep their author's id here so the author can see, change
or withdraw them and hear what changed; nothing here decides whether a name may be shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Feedback,
    FeedbackTheme,
    Membership,
    OutboxDelivery,
    OutboxMessage,
    Project,
    PulseAnswer,
    PulseResponse,
    WeDidAnswer,
    WeDidStatus,
    YouSaidWeDid,
    YouSaidWeDidFeedback,
    YouSaidWeDidReply,
    YouSaidWeDidText,
)
from storage.types import utcnow

# A list people scroll on a phone: the newest this many (a person or a team with more is rare,
# and older ones stay in /mydata and the exports).
LIST_LIMIT = 100

# -- for other parts of the service --------------------------------------------------------------


async def feedback_count(session: AsyncSession, participant_id: int) -> int:
    """How many feedback answers this person has given and not withdrawn, in every project.
    Pulse check-in answers are NOT counted (they are a mood, not feedback)."""
    return (
        await session.execute(
            select(func.count())
            .select_from(Feedback)
            .where(Feedback.participant_id == participant_id, Feedback.withdrawn_at.is_(None))
        )
    ).scalar_one()


async def changes_from_feedback_of(
    session: AsyncSession, participant_id: int
) -> list[YouSaidWeDid]:
    """The published updates linked to this person's feedback (withdrawn answers excluded), each
    once, newest first: what changed because of what they said."""
    linked = (
        select(YouSaidWeDidFeedback.update_id)
        .join(Feedback, Feedback.id == YouSaidWeDidFeedback.feedback_id)
        .where(Feedback.participant_id == participant_id, Feedback.withdrawn_at.is_(None))
    )
    return list(
        (
            await session.execute(
                select(YouSaidWeDid)
                .where(YouSaidWeDid.id.in_(linked), YouSaidWeDid.published_at.is_not(None))
                .order_by(YouSaidWeDid.published_at.desc(), YouSaidWeDid.id.desc())
            )
        ).scalars()
    )


# -- feedback -------------------------------------------------------------------------------------


async def add_feedback(session: AsyncSession, feedback: Feedback) -> Feedback:
    session.add(feedback)
    await session.flush()
    return feedback


async def get_feedback(session: AsyncSession, feedback_id: int) -> Feedback | None:
    return await session.get(Feedback, feedback_id)


async def feedback_of(
    session: AsyncSession, participant_id: int, limit: int = LIST_LIMIT
) -> list[Feedback]:
    """Their own answers, not withdrawn, newest first."""
    return list(
        (
            await session.execute(
                select(Feedback)
                .where(Feedback.participant_id == participant_id, Feedback.withdrawn_at.is_(None))
                .order_by(Feedback.created_at.desc(), Feedback.id.desc())
                .limit(limit)
            )
        ).scalars()
    )


async def all_feedback_of(session: AsyncSession, participant_id: int) -> list[Feedback]:
    """Every answer they gave, withdrawn ones included (for /mydata)."""
    return list(
        (
            await session.execute(
                select(Feedback)
                .where(Feedback.participant_id == participant_id)
                .order_by(Feedback.id)
            )
        ).scalars()
    )


def _review_filter(project_id: int, topic: str | None, unreviewed_only: bool, theme_id=None):
    conditions = [Feedback.project_id == project_id, Feedback.withdrawn_at.is_(None)]
    if topic is not None:
        conditions.append(Feedback.topic == topic)
    if unreviewed_only:
        conditions.append(Feedback.reviewed_at.is_(None))
    if theme_id is not None:
        conditions.append(Feedback.theme_id == theme_id)
    return conditions


async def review_page(
    session: AsyncSession,
    project_id: int,
    *,
    topic: str | None,
    unreviewed_only: bool,
    offset: int,
    limit: int,
) -> list[Feedback]:
    """One page of a project's answers for staff, oldest unreviewed first."""
    return list(
        (
            await session.execute(
                select(Feedback)
                .where(*_review_filter(project_id, topic, unreviewed_only))
                .order_by(Feedback.created_at, Feedback.id)
                .offset(offset)
                .limit(limit)
            )
        ).scalars()
    )


async def review_count(
    session: AsyncSession, project_id: int, *, topic: str | None, unreviewed_only: bool
) -> int:
    return (
        await session.execute(
            select(func.count())
            .select_from(Feedback)
            .where(*_review_filter(project_id, topic, unreviewed_only))
        )
    ).scalar_one()


async def topics_in_use(session: AsyncSession, project_id: int) -> list[str]:
    return list(
        (
            await session.execute(
                select(Feedback.topic)
                .where(Feedback.project_id == project_id, Feedback.withdrawn_at.is_(None))
                .distinct()
                .order_by(Feedback.topic)
            )
        ).scalars()
    )


async def unreviewed_count(session: AsyncSession, project_id: int) -> int:
    return await review_count(session, project_id, topic=None, unreviewed_only=True)


async def projects_with_new_answers(
    session: AsyncSession, project_ids: Iterable[int]
) -> list[tuple[Project, int]]:
    """These projects, by name, each with how many answers wait for review: one query."""
    new = (
        select(Feedback.project_id, func.count().label("new"))
        .where(Feedback.reviewed_at.is_(None), Feedback.withdrawn_at.is_(None))
        .group_by(Feedback.project_id)
        .subquery()
    )
    rows = await session.execute(
        select(Project, func.coalesce(new.c.new, 0))
        .outerjoin(new, new.c.project_id == Project.id)
        .where(Project.id.in_(list(project_ids)))
        .order_by(Project.name, Project.id)
    )
    return [(project, count) for project, count in rows.all()]


async def feedback_in_theme(session: AsyncSession, theme_id: int) -> list[Feedback]:
    return list(
        (
            await session.execute(
                select(Feedback)
                .where(Feedback.theme_id == theme_id, Feedback.withdrawn_at.is_(None))
                .order_by(Feedback.id)
            )
        ).scalars()
    )


# -- themes ---------------------------------------------------------------------------------------


async def add_theme(
    session: AsyncSession, project_id: int, name: str, created_by: int | None
) -> FeedbackTheme:
    theme = FeedbackTheme(project_id=project_id, name=name, created_by=created_by)
    session.add(theme)
    await session.flush()
    return theme


async def get_theme(session: AsyncSession, theme_id: int) -> FeedbackTheme | None:
    return await session.get(FeedbackTheme, theme_id)


async def themes_of(
    session: AsyncSession, project_id: int, limit: int = LIST_LIMIT
) -> list[tuple[FeedbackTheme, int]]:
    """A project's newest themes with how many answers (not withdrawn) each holds."""
    counted = func.count(Feedback.id)
    rows = await session.execute(
        select(FeedbackTheme, counted)
        .outerjoin(
            Feedback,
            (Feedback.theme_id == FeedbackTheme.id) & Feedback.withdrawn_at.is_(None),
        )
        .where(FeedbackTheme.project_id == project_id)
        .group_by(FeedbackTheme.id)
        .order_by(FeedbackTheme.id.desc())
        .limit(limit)
    )
    return [(theme, count) for theme, count in rows.all()]


# -- pulse ----------------------------------------------------------------------------------------


async def checkin_delivered_as(
    session: AsyncSession, participant_id: int, telegram_message_id: int
) -> OutboxMessage | None:
    """The check-in this person got as that Telegram message, if it was one."""
    return (
        await session.execute(
            select(OutboxMessage)
            .join(OutboxDelivery, OutboxDelivery.message_id == OutboxMessage.id)
            .where(
                OutboxDelivery.participant_id == participant_id,
                OutboxDelivery.telegram_message_id == telegram_message_id,
            )
            .limit(1)
        )
    ).scalar_one_or_none()


async def pulse_for(
    session: AsyncSession, participant_id: int, checkin_message_id: int
) -> PulseResponse | None:
    return (
        await session.execute(
            select(PulseResponse).where(
                PulseResponse.participant_id == participant_id,
                PulseResponse.checkin_message_id == checkin_message_id,
            )
        )
    ).scalar_one_or_none()


async def save_pulse(
    session: AsyncSession,
    *,
    project_id: int,
    participant_id: int,
    checkin_message_id: int | None,
    answer: PulseAnswer,
) -> PulseResponse:
    """One answer per person per check-in: a second tap changes it."""
    response = None
    if checkin_message_id is not None:
        response = await pulse_for(session, participant_id, checkin_message_id)
    if response is None:
        response = PulseResponse(
            project_id=project_id,
            participant_id=participant_id,
            checkin_message_id=checkin_message_id,
            answer=answer,
        )
    else:
        response.answer = answer
        response.updated_at = utcnow()
    session.add(response)
    await session.flush()
    return response


async def get_pulse(session: AsyncSession, pulse_id: int) -> PulseResponse | None:
    return await session.get(PulseResponse, pulse_id)


async def pulses_of(session: AsyncSession, participant_id: int) -> list[PulseResponse]:
    return list(
        (
            await session.execute(
                select(PulseResponse)
                .where(PulseResponse.participant_id == participant_id)
                .order_by(PulseResponse.id)
            )
        ).scalars()
    )


async def pulse_summary(session: AsyncSession, project_id: int, since: datetime) -> dict[str, int]:
    rows = await session.execute(
        select(PulseResponse.answer, func.count())
        .where(PulseResponse.project_id == project_id, PulseResponse.created_at >= since)
        .group_by(PulseResponse.answer)
    )
    return {str(answer): count for answer, count in rows.all()}


# -- "you said, we did" ---------------------------------------------------------------------------


async def add_update(session: AsyncSession, update: YouSaidWeDid) -> YouSaidWeDid:
    session.add(update)
    await session.flush()
    return update


async def get_update(session: AsyncSession, update_id: int) -> YouSaidWeDid | None:
    return await session.get(YouSaidWeDid, update_id)


async def updates_of_project(
    session: AsyncSession, project_id: int, limit: int = LIST_LIMIT
) -> list[YouSaidWeDid]:
    """A project's newest updates, drafts included (for staff)."""
    return list(
        (
            await session.execute(
                select(YouSaidWeDid)
                .where(YouSaidWeDid.project_id == project_id)
                .order_by(YouSaidWeDid.id.desc())
                .limit(limit)
            )
        ).scalars()
    )


async def published_updates_for(
    session: AsyncSession, participant_id: int, limit: int = LIST_LIMIT
) -> list[YouSaidWeDid]:
    """The newest published updates of every project this person is in."""
    projects = select(Membership.project_id).where(Membership.participant_id == participant_id)
    return list(
        (
            await session.execute(
                select(YouSaidWeDid)
                .where(
                    YouSaidWeDid.project_id.in_(projects), YouSaidWeDid.published_at.is_not(None)
                )
                .order_by(YouSaidWeDid.published_at.desc(), YouSaidWeDid.id.desc())
                .limit(limit)
            )
        ).scalars()
    )


async def texts_of(session: AsyncSession, update_id: int) -> dict[str, YouSaidWeDidText]:
    rows = await session.execute(
        select(YouSaidWeDidText).where(YouSaidWeDidText.update_id == update_id)
    )
    return {text.locale: text for text in rows.scalars()}


async def set_text(
    session: AsyncSession,
    update_id: int,
    locale: str,
    *,
    you_said: str,
    we_did: str,
    reason: str | None,
) -> YouSaidWeDidText:
    text = (await texts_of(session, update_id)).get(locale)
    if text is None:
        text = YouSaidWeDidText(update_id=update_id, locale=locale, you_said="", we_did="")
    text.you_said, text.we_did, text.reason = you_said, we_did, reason
    session.add(text)
    await session.flush()
    return text


async def forget_version_reasons(session: AsyncSession, update_id: int) -> None:
    """The reason changed: versions of the old one would say something no longer true."""
    await session.execute(
        sql_update(YouSaidWeDidText)
        .where(YouSaidWeDidText.update_id == update_id)
        .values(reason=None)
    )


async def told_about(session: AsyncSession, update_id: int) -> set[int]:
    """Everyone the update was ever queued for (first sending, changes, whole team)."""
    return set(
        (
            await session.execute(
                select(OutboxDelivery.participant_id)
                .join(OutboxMessage, OutboxMessage.id == OutboxDelivery.message_id)
                .where(OutboxMessage.action == f"wedid:{update_id}")
                .distinct()
            )
        ).scalars()
    )


async def link_feedback(session: AsyncSession, update_id: int, feedback_ids: Iterable[int]) -> int:
    """Link answers to an update; a link already there is kept once. Returns how many are new."""
    have = set(await linked_feedback_ids(session, update_id))
    new = [fid for fid in dict.fromkeys(feedback_ids) if fid not in have]
    for feedback_id in new:
        session.add(YouSaidWeDidFeedback(update_id=update_id, feedback_id=feedback_id))
    await session.flush()
    return len(new)


async def unlink_feedback(session: AsyncSession, update_id: int, feedback_id: int) -> None:
    await session.execute(
        delete(YouSaidWeDidFeedback).where(
            YouSaidWeDidFeedback.update_id == update_id,
            YouSaidWeDidFeedback.feedback_id == feedback_id,
        )
    )


async def linked_feedback_ids(session: AsyncSession, update_id: int) -> list[int]:
    return list(
        (
            await session.execute(
                select(YouSaidWeDidFeedback.feedback_id).where(
                    YouSaidWeDidFeedback.update_id == update_id
                )
            )
        ).scalars()
    )


async def linked_authors(session: AsyncSession, update_id: int) -> list[int]:
    """Each person whose (not withdrawn) feedback the update answers, once."""
    return list(
        (
            await session.execute(
                select(Feedback.participant_id)
                .join(YouSaidWeDidFeedback, YouSaidWeDidFeedback.feedback_id == Feedback.id)
                .where(YouSaidWeDidFeedback.update_id == update_id, Feedback.withdrawn_at.is_(None))
                .distinct()
                .order_by(Feedback.participant_id)
            )
        ).scalars()
    )


async def save_reply(
    session: AsyncSession, update_id: int, participant_id: int, answer: WeDidAnswer
) -> YouSaidWeDidReply:
    """One reply per person per update: a new answer replaces the old one."""
    reply = await reply_of(session, update_id, participant_id)
    if reply is None:
        reply = YouSaidWeDidReply(update_id=update_id, participant_id=participant_id, answer=answer)
    else:
        reply.answer = answer
        reply.updated_at = utcnow()
    session.add(reply)
    await session.flush()
    return reply


async def reply_of(
    session: AsyncSession, update_id: int, participant_id: int
) -> YouSaidWeDidReply | None:
    return (
        await session.execute(
            select(YouSaidWeDidReply).where(
                YouSaidWeDidReply.update_id == update_id,
                YouSaidWeDidReply.participant_id == participant_id,
            )
        )
    ).scalar_one_or_none()


async def reply_counts(session: AsyncSession, update_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(YouSaidWeDidReply.answer, func.count())
        .where(YouSaidWeDidReply.update_id == update_id)
        .group_by(YouSaidWeDidReply.answer)
    )
    return {str(answer): count for answer, count in rows.all()}


async def latest_reply_comments(session: AsyncSession, update_id: int, limit: int) -> list[str]:
    """The newest comments on an update, oldest of them first; never who wrote them."""
    newest = (
        await session.execute(
            select(YouSaidWeDidReply.comment)
            .where(YouSaidWeDidReply.update_id == update_id, YouSaidWeDidReply.comment.is_not(None))
            .order_by(YouSaidWeDidReply.updated_at.desc(), YouSaidWeDidReply.id.desc())
            .limit(limit)
        )
    ).scalars()
    return list(reversed(list(newest)))


async def replies_of(session: AsyncSession, participant_id: int) -> list[YouSaidWeDidReply]:
    return list(
        (
            await session.execute(
                select(YouSaidWeDidReply)
                .where(YouSaidWeDidReply.participant_id == participant_id)
                .order_by(YouSaidWeDidReply.id)
            )
        ).scalars()
    )


async def members_with_roles(
    session: AsyncSession, project_id: int, roles: Iterable[str]
) -> list[int]:
    """The project's members who hold one of these roles (one query)."""
    return list(
        (
            await session.execute(
                select(Membership.participant_id)
                .where(Membership.project_id == project_id, Membership.role.in_(list(roles)))
                .order_by(Membership.participant_id)
            )
        ).scalars()
    )


async def overdue_updates(session: AsyncSession, today: date) -> list[YouSaidWeDid]:
    """Published updates due before today, not done and not given up, not yet reminded about
    for this due date."""
    return list(
        (
            await session.execute(
                select(YouSaidWeDid)
                .where(
                    YouSaidWeDid.published_at.is_not(None),
                    YouSaidWeDid.due_on.is_not(None),
                    YouSaidWeDid.due_on < today,
                    YouSaidWeDid.status.in_([WeDidStatus.PLANNED, WeDidStatus.IN_PROGRESS]),
                    (YouSaidWeDid.reminded_for_due_on.is_(None))
                    | (YouSaidWeDid.reminded_for_due_on != YouSaidWeDid.due_on),
                )
                .order_by(YouSaidWeDid.id)
            )
        ).scalars()
    )
