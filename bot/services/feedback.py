"""Feedback and pulse check-ins: who may give, see, change or review an answer, and what staff
may see of it. Plain rules over the database (no aiogram): the dialogs ask these.

An anonymous answer keeps its author's id only so that they can change or withdraw it and hear
what changed. Staff never get it: `ReviewItem` carries a name only when the author chose to be
named AND agreed (`may_use_name is True`); it says when words must not be quoted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import people
from storage import audit, participants, projects
from storage import feedback as store
from storage.models import Feedback, Participant, Project, PulseAnswer, PulseResponse
from storage.types import utcnow

# Kind limits: long enough for a real story, short enough to read on a phone.
TEXT_LIMIT = 2000
COMMENT_LIMIT = 1000
THEME_LIMIT = 200
RATINGS = (1, 2, 3, 4, 5)
OTHER_TOPIC = ""  # "Something else"


class NotAllowed(PermissionError):
    """Not their answer, not their project, or not staff in that project."""


class TooLong(ValueError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"{length} > {limit}")
        self.length, self.limit = length, limit


class Empty(ValueError):
    pass


def check_words(text: str | None, limit: int) -> str:
    """Typed words, trimmed; refused kindly when empty or too long."""
    words = (text or "").strip()
    if not words:
        raise Empty()
    if len(words) > limit:
        raise TooLong(len(words), limit)
    return words


def topics_of(project: Project | None) -> list[str]:
    """The project's topics (one per line), each once, in order."""
    if project is None:
        return []
    lines = (line.strip() for line in project.feedback_topics.splitlines())
    return list(dict.fromkeys(line[:200] for line in lines if line))


def may_be_named(participant: Participant | None) -> bool:
    return participant is not None and participant.may_use_name is True


async def projects_of(session: AsyncSession, participant: Participant | None) -> list[Project]:
    """Every project they belong to, whatever their role (everyone's voice counts the same)."""
    if participant is None or participant.id is None:
        return []
    ids = [m.project_id for m in await projects.memberships_of(session, participant.id)]
    return [project for project, _new in await store.projects_with_new_answers(session, ids)]


async def is_member(
    session: AsyncSession, participant: Participant | None, project_id: int
) -> bool:
    if participant is None or participant.id is None:
        return False
    return await projects.role_in(session, project_id, participant.id) is not None


async def _require_member(session: AsyncSession, participant: Participant, project_id: int):
    if not await is_member(session, participant, project_id):
        raise NotAllowed()


# -- giving, changing, withdrawing ----------------------------------------------------------------


async def give(
    session: AsyncSession,
    participant: Participant,
    *,
    project_id: int,
    topic: str,
    rating: int,
    text: str | None = None,
    voice_file_id: str | None = None,
    voice_duration: int | None = None,
    named: bool = False,
) -> Feedback:
    """Store an answer. It is named only if they asked AND agreed to their name being used."""
    await _require_member(session, participant, project_id)
    if rating not in RATINGS:
        raise ValueError("rating is 1-5")
    if topic != OTHER_TOPIC and topic not in topics_of(
        await projects.get_project(session, project_id)
    ):
        topic = OTHER_TOPIC  # a topic renamed while they answered: keep the answer anyway
    if text is not None:
        text = check_words(text, TEXT_LIMIT)
    return await store.add_feedback(
        session,
        Feedback(
            project_id=project_id,
            participant_id=participant.id,
            topic=topic,
            rating=rating,
            text=text,
            voice_file_id=voice_file_id,
            voice_duration=voice_duration,
            anonymous=not (named and may_be_named(participant)),
        ),
    )


async def own_answer(
    session: AsyncSession, participant: Participant | None, feedback_id: int
) -> Feedback | None:
    """Their own answer, not withdrawn; None for anyone else's (or a forged id)."""
    found = await store.get_feedback(session, feedback_id)
    if found is None or participant is None or found.participant_id != participant.id:
        return None
    return None if found.withdrawn_at is not None else found


async def own_answers(session: AsyncSession, participant: Participant | None) -> list[Feedback]:
    if participant is None or participant.id is None:
        return []
    return await store.feedback_of(session, participant.id)


async def change(
    session: AsyncSession,
    participant: Participant,
    feedback_id: int,
    *,
    rating: int | None = None,
    text: str | None = None,
    voice_file_id: str | None = None,
    voice_duration: int | None = None,
    named: bool | None = None,
) -> Feedback:
    """Change their own answer. New words or a new voice note replace the old ones."""
    found = await own_answer(session, participant, feedback_id)
    if found is None:
        raise NotAllowed()
    if rating is not None:
        if rating not in RATINGS:
            raise ValueError("rating is 1-5")
        found.rating = rating
    if text is not None:
        found.text, found.voice_file_id, found.voice_duration = (
            check_words(text, TEXT_LIMIT),
            None,
            None,
        )
    if voice_file_id is not None:
        found.text, found.voice_file_id, found.voice_duration = None, voice_file_id, voice_duration
    if named is not None:
        found.anonymous = not (named and may_be_named(participant))
    found.updated_at = utcnow()
    session.add(found)
    await session.flush()
    return found


async def withdraw(session: AsyncSession, participant: Participant, feedback_id: int) -> None:
    """Withdrawn answers leave review, exports and updates; the words and voice note go."""
    found = await own_answer(session, participant, feedback_id)
    if found is None:
        raise NotAllowed()
    found.withdrawn_at = utcnow()
    found.text = None
    found.voice_file_id = None
    found.voice_duration = None
    session.add(found)
    await session.flush()


# -- pulse check-ins ----------------------------------------------------------------------------


async def answer_pulse(
    session: AsyncSession,
    participant: Participant,
    *,
    project_id: int,
    checkin_message_id: int | None,
    answer: str,
) -> PulseResponse:
    """Stored once per person per check-in: another tap changes the answer."""
    await _require_member(session, participant, project_id)
    return await store.save_pulse(
        session,
        project_id=project_id,
        participant_id=participant.id,
        checkin_message_id=checkin_message_id,
        answer=PulseAnswer(answer),
    )


async def comment_on_pulse(
    session: AsyncSession, participant: Participant, pulse_id: int, text: str | None
) -> None:
    response = await store.get_pulse(session, pulse_id)
    if response is None or response.participant_id != participant.id:
        raise NotAllowed()
    response.comment = check_words(text, COMMENT_LIMIT)
    response.updated_at = utcnow()
    session.add(response)
    await session.flush()


# -- staff review ---------------------------------------------------------------------------------


async def require_staff(session: AsyncSession, staff: Participant | None, project_id: int) -> None:
    if not await people.is_staff_in(session, staff, project_id):
        raise NotAllowed()


async def projects_to_review(session: AsyncSession, staff: Participant | None) -> list[Project]:
    return [project for project, _new in await review_overview(session, staff)]


async def review_overview(
    session: AsyncSession, staff: Participant | None
) -> list[tuple[Project, int]]:
    """The projects this person is staff in, each with how many answers wait for review."""
    return await store.projects_with_new_answers(
        session, await people.staff_projects(session, staff)
    )


@dataclass(frozen=True)
class ReviewItem:
    """One answer as staff may see it. `author` is None unless the person chose to be named."""

    id: int
    topic: str
    rating: int
    text: str | None
    voice_duration: int | None
    has_voice: bool
    author: str | None
    named: bool
    quotable: bool
    reviewed: bool
    theme: str | None
    created_at: datetime


async def _item(session: AsyncSession, found: Feedback) -> ReviewItem:
    author_row = await participants.get(session, found.participant_id)
    named = not found.anonymous and may_be_named(author_row)
    theme = await store.get_theme(session, found.theme_id) if found.theme_id else None
    return ReviewItem(
        id=found.id,
        topic=found.topic,
        rating=found.rating,
        text=found.text,
        voice_duration=found.voice_duration,
        has_voice=bool(found.voice_file_id),
        author=(author_row.display_name or None) if named and author_row else None,
        named=named,
        quotable=bool(author_row and author_row.may_quote is True),
        reviewed=found.reviewed_at is not None,
        theme=theme.name if theme else None,
        created_at=found.created_at,
    )


@dataclass(frozen=True)
class ReviewPage:
    item: ReviewItem | None
    index: int
    total: int


async def review_page(
    session: AsyncSession,
    staff: Participant,
    project_id: int,
    *,
    topic: str | None = None,
    unreviewed_only: bool = False,
    index: int = 0,
) -> ReviewPage:
    """One answer at a time (oldest first), so each can be acted on with a tap."""
    await require_staff(session, staff, project_id)
    total = await store.review_count(
        session, project_id, topic=topic, unreviewed_only=unreviewed_only
    )
    index = max(0, min(index, total - 1)) if total else 0
    rows = await store.review_page(
        session, project_id, topic=topic, unreviewed_only=unreviewed_only, offset=index, limit=1
    )
    item = await _item(session, rows[0]) if rows else None
    return ReviewPage(item=item, index=index, total=total)


async def _staff_answer(session: AsyncSession, staff: Participant, feedback_id: int) -> Feedback:
    found = await store.get_feedback(session, feedback_id)
    if found is None or found.withdrawn_at is not None:
        raise NotAllowed()
    await require_staff(session, staff, found.project_id)
    return found


async def mark_reviewed(session: AsyncSession, staff: Participant, feedback_id: int) -> None:
    found = await _staff_answer(session, staff, feedback_id)
    if found.reviewed_at is None:
        found.reviewed_at = utcnow()
        session.add(found)
        await audit.record(
            session,
            "feedback.reviewed",
            actor_id=staff.id,
            project_id=found.project_id,
            detail=f"feedback={found.id}",
        )
        await session.flush()


async def voice_for_staff(session: AsyncSession, staff: Participant, feedback_id: int) -> str:
    """The voice note's Telegram file id, for staff of its project to play."""
    found = await _staff_answer(session, staff, feedback_id)
    if not found.voice_file_id:
        raise NotAllowed()
    return found.voice_file_id


async def themes(session: AsyncSession, staff: Participant, project_id: int):
    await require_staff(session, staff, project_id)
    return await store.themes_of(session, project_id)


async def put_in_theme(
    session: AsyncSession,
    staff: Participant,
    feedback_id: int,
    *,
    theme_id: int | None = None,
    new_theme: str | None = None,
) -> None:
    """Group an answer with others under a theme (an existing one, or a new name)."""
    found = await _staff_answer(session, staff, feedback_id)
    if new_theme is not None:
        name = check_words(new_theme, THEME_LIMIT)
        theme = await store.add_theme(session, found.project_id, name, staff.id)
    else:
        theme = await store.get_theme(session, theme_id) if theme_id else None
        if theme is None or theme.project_id != found.project_id:
            raise NotAllowed()
    found.theme_id = theme.id
    session.add(found)
    await session.flush()
