"""What each person gave: hours (meetings they came to, plus activities a facilitator logged),
meetings, feedback, and the "we did" changes their feedback led to. Also the staff rule for
logging an activity, and when a periodic thank-you is due.

Plain rules, no aiogram. Figures come from the meetings and feedback parts of the service
(storage.meetings, storage.feedback) and from our own logged activities.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import delivery, people
from bot.services.typed_input import normalise, read_day
from storage import audit, meetings, projects
from storage import reciprocity as store
from storage.models import LoggedActivity, OutboxKind, Participant, Role, ThankYouSent

ACTIVITY_DESCRIPTION_LIMIT = 200
# One logged activity: at most a long day.
ACTIVITY_MINUTES_LIMIT = 12 * 60
# How far back a facilitator may log an activity.
ACTIVITY_OLDEST = timedelta(days=366)


class NotAllowed(PermissionError):
    pass


class InvalidActivity(ValueError):
    pass


@dataclass(frozen=True)
class Contribution:
    """One person's figures, in every project they are part of."""

    minutes_given: int
    meetings: int
    activities: int
    feedback: int
    changes: int
    project_names: tuple[str, ...]
    # The first day they took part (joined a project), and the latest day they gave time.
    since: date | None
    latest: date | None

    @property
    def hours(self) -> float:
        """Hours given, to the nearest half hour."""
        return round(self.minutes_given / 30) / 2

    @property
    def hours_for_plural(self) -> int:
        """The number gettext chooses a plural form by (1.5 hours reads as plural)."""
        return math.ceil(self.hours)

    @property
    def is_empty(self) -> bool:
        return not (self.minutes_given or self.meetings or self.feedback or self.changes)

    def figures(self) -> tuple[int, int, int, int, int]:
        return (self.minutes_given, self.meetings, self.activities, self.feedback, self.changes)


async def meetings_attended(
    session: AsyncSession, participant_id: int, *, project_id: int | None = None
) -> int:
    """Meetings they came to (of one project, when given)."""
    attended = await meetings.attended_meetings(session, participant_id)
    return sum(
        1 for meeting, _ in attended if project_id is None or meeting.project_id == project_id
    )


async def contribution_of(
    session: AsyncSession, participant: Participant, *, project_id: int | None = None
) -> Contribution:
    """What they gave in all their teams, or in one team (a certificate for that team names
    only it: someone may not want an employer to see every group they belong to)."""

    def counts(found_in: int) -> bool:
        return project_id is None or found_in == project_id

    attended = [
        (meeting, minutes)
        for meeting, minutes in await meetings.attended_meetings(session, participant.id)
        if counts(meeting.project_id)
    ]
    activities = [
        a for a in await store.activities_of(session, participant.id) if counts(a.project_id)
    ]
    memberships = [
        m for m in await projects.memberships_of(session, participant.id) if counts(m.project_id)
    ]
    feedback_given = await store.feedback_by_project(session, participant.id)
    changes = await store.changes_by_project(session, participant.id)
    names = []
    for membership in memberships:
        project = await projects.get_project(session, membership.project_id)
        if project is not None:
            names.append(project.name)
    days = [meeting.starts_at.date() for meeting, _ in attended] + [a.day for a in activities]
    joined = [m.created_at.date() for m in memberships]
    return Contribution(
        minutes_given=sum(minutes for _, minutes in attended) + sum(a.minutes for a in activities),
        meetings=len(attended),
        activities=len(activities),
        feedback=sum(n for team, n in feedback_given.items() if counts(team)),
        changes=sum(n for team, n in changes.items() if counts(team)),
        project_names=tuple(names),
        since=min(joined + days) if joined or days else None,
        latest=max(days) if days else None,
    )


async def teams_of(session: AsyncSession, participant: Participant) -> list[tuple[int, str]]:
    """(project id, name) of each team they belong to, for choosing a certificate's team."""
    found = []
    for membership in await projects.memberships_of(session, participant.id):
        project = await projects.get_project(session, membership.project_id)
        if project is not None:
            found.append((project.id, project.name))
    return found


# -- logging an activity (staff) -----------------------------------------------------------------


def parse_duration(typed: str) -> int:
    """ "2", "1.5", "1,5" (hours), "1:30" or "90m" as minutes; InvalidActivity otherwise."""
    text = normalise(typed).lower().replace(" ", "")
    try:
        if text.endswith("m") and text[:-1].isdigit():
            minutes = int(text[:-1])
        elif ":" in text:
            hours, _, mins = text.partition(":")
            if not (hours.isdigit() and mins.isdigit() and len(mins) == 2 and int(mins) < 60):
                raise InvalidActivity(typed)
            minutes = int(hours) * 60 + int(mins)
        else:
            text = text.removesuffix("h").replace(",", ".")
            minutes = round(float(text) * 60)
    except ValueError as error:
        raise InvalidActivity(typed) from error
    if not 0 < minutes <= ACTIVITY_MINUTES_LIMIT:
        raise InvalidActivity(typed)
    return minutes


def parse_day(typed: str) -> date:
    """A typed day: 2026-03-14, 14/03/2026, 14.03.2026 or 14-03-2026, in any digits."""
    day = read_day(typed)
    if day is None:
        raise InvalidActivity(typed)
    return day


def check_activity_day(day: date, today: date) -> date:
    if day > today or day < today - ACTIVITY_OLDEST:
        raise InvalidActivity(day.isoformat())
    return day


async def people_to_log_for(
    session: AsyncSession, staff: Participant, project_id: int
) -> list[Participant]:
    if not await people.is_staff_in(session, staff, project_id):
        raise NotAllowed(project_id)
    return await store.members_with_role(session, project_id, Role.PARTICIPANT)


async def log_activity(
    session: AsyncSession,
    staff: Participant,
    *,
    project_id: int,
    participant_id: int,
    minutes: int,
    day: date,
    description: str,
    today: date,
) -> LoggedActivity:
    """Staff of the project log time a participant of the same project gave."""
    members = {p.id for p in await people_to_log_for(session, staff, project_id)}
    if participant_id not in members:
        raise NotAllowed(participant_id)
    if not 0 < minutes <= ACTIVITY_MINUTES_LIMIT:
        raise InvalidActivity(str(minutes))
    check_activity_day(day, today)
    words = description.strip()
    if not words or len(words) > ACTIVITY_DESCRIPTION_LIMIT:
        raise InvalidActivity(description)
    activity = await store.add_activity(
        session,
        LoggedActivity(
            project_id=project_id,
            participant_id=participant_id,
            minutes=minutes,
            day=day,
            description=words,
            logged_by=staff.id,
        ),
    )
    await audit.record(
        session,
        "activity.log",
        actor_id=staff.id,
        project_id=project_id,
        subject_id=participant_id,
        detail=f"activity={activity.id} minutes={minutes}",
    )
    return activity


# -- periodic thank-yous -------------------------------------------------------------------------


def period_of(now: datetime) -> str:
    """The calendar month (UTC) a thank-you belongs to: one a month at most."""
    return f"{now.year:04d}-{now.month:02d}"


# (their figures, their language) -> the words of their thank-you.
ThankYouWords = Callable[[Contribution, str], str]
# What the button on a thank-you opens: their contribution record.
CONTRIBUTION_ACTION = "contribution"
# People whose figures are read in one go by the thank-you sweep (bounded query parameters).
THANK_YOU_BATCH = 500
# A thank-you held back (a pause that began after it was queued, the weekly cap) this long is
# dropped: next month's brings the news.
THANK_YOU_LIFETIME = timedelta(days=14)


async def queue_thank_yous(session: AsyncSession, now: datetime, words: ThankYouWords) -> int:
    """Queue a personal thank-you for each participant who gave something new since their last
    one, at most one a calendar month, and record it in the same transaction: a restart neither
    loses nor doubles one. Paused people are left for a later sweep, after their pause ends (so
    a long pause does not pile up a thank-you a month). The engine also holds back quiet hours
    and keeps to their weekly cap; a thank-you it could not deliver in two weeks is dropped
    rather than arriving with old news. Figures are read for many people at once; the full
    record (team names for the words) only for those thanked. How many were queued."""
    period = period_of(now)
    already = await store.thanked_in_period(session, period)
    candidates = [
        person
        for person in await store.people_to_thank(session)
        if person.id not in already and not people.is_paused(person, now)
    ]
    queued = 0
    for start in range(0, len(candidates), THANK_YOU_BATCH):
        batch = candidates[start : start + THANK_YOU_BATCH]
        ids = [person.id for person in batch]
        figures = await store.figures_of_many(session, ids)
        last = await store.last_thanks_of_many(session, ids)
        for person in batch:
            before = last.get(person.id)
            last_figures = (
                (
                    before.minutes_given,
                    before.meetings,
                    before.activities,
                    before.feedback,
                    before.changes,
                )
                if before
                else None
            )
            if not _gave_more(figures.get(person.id), last_figures):
                continue
            await _thank(session, person, period, now, words)
            queued += 1
    await session.flush()
    return queued


def _gave_more(current: tuple | None, last_figures: tuple | None) -> bool:
    if not current or not any(current):
        return False
    return last_figures is None or any(
        now > before for now, before in zip(current, last_figures, strict=True)
    )


async def _thank(
    session: AsyncSession, person: Participant, period: str, now: datetime, words: ThankYouWords
) -> None:
    contribution = await contribution_of(session, person)
    locale = person.locale or await _project_locale(session, person)
    await delivery.enqueue_message(
        session,
        kind=OutboxKind.THANKS,
        recipients=[person.id],
        now=now,
        source_locale=locale,
        texts=delivery.every_language(lambda code: words(contribution, code)),
        action=f"{CONTRIBUTION_ACTION}:me",
        expires_at=now + THANK_YOU_LIFETIME,
    )
    minutes, meetings_count, activities, feedback_count, changes = contribution.figures()
    session.add(
        ThankYouSent(
            participant_id=person.id,
            period=period,
            minutes_given=minutes,
            meetings=meetings_count,
            activities=activities,
            feedback=feedback_count,
            changes=changes,
            queued_at=now,
        )
    )


async def _project_locale(session: AsyncSession, person: Participant) -> str:
    for membership in await projects.memberships_of(session, person.id):
        project = await projects.get_project(session, membership.project_id)
        if project is not None:
            return project.default_locale
    return "en"
