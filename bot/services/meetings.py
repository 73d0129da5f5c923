"""Finding a meeting time that works for people, confirming it, reminding them, and who came.

The rules live here: who may see or change a poll (staff of *its* project only), when answers
are taken (until the deadline), who is told a meeting's time (everyone who said Yes or If need
be), who hears of a change (exactly those who were told), when reminders are due (24 hours and
2 hours before, as rows a sweep sends once), and what each unprompted message says.

Texts sent unprompted are rendered per person (language and time zone) through a `Translate`
function `(msgid, locale) -> text`, so this module needs no aiogram. Dates and times are always
formatted with Babel in the reader's language and zone.

The weekly cap: an invitation to answer a poll is a BROADCAST and its one reminder a NUDGE, so
both wait under a person's weekly cap like any other message they did not ask for. The cap is
their own wish, and we keep it even for a question they are asked. Both expire at the deadline,
so nobody gets a question after it closed; the poll also waits in their "My meetings" list, and
the facilitator sees them as "not answered yet". News of a meeting they said yes to (the time,
a change, a cancellation, the reminders before it) is a REMINDER: they asked for it, so the cap
never holds it back, and it expires when the meeting starts. So does the note that tells the
facilitator someone cannot come (or can after all): it is about a meeting they run. Whoever
said the chosen time (or every time) does not suit them is told the time once, as the poll
promised them: an ANSWER, not capped either.

Staff see a name only when the person said we may use it; otherwise a stable code
("Person K7Q2"), the same on every screen, which the person also sees on their own meetings
screen so they can tell the facilitator at the meeting. It is not the export's pseudonym, so
knowing a face at a meeting does not unlock an export.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time, get_datetime_format
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import babel_locale
from bot.services import delivery, people, team_texts
from bot.services.team_texts import place_for, title_for
from bot.services.typed_input import read_clock
from storage import audience, audit, participants, projects
from storage import meetings as store
from storage.models import (
    AccessNeedKind,
    AnswerChoice,
    AvailabilityPoll,
    Meeting,
    MeetingStatus,
    OutboxKind,
    Participant,
    Project,
    Role,
)

Translate = Callable[[str, str], str]


def __(message: str) -> str:
    """Marks a message for the catalog; it is translated per reader when rendered."""
    return message


MIN_SLOTS = 2
MAX_SLOTS = 10
TITLE_MAX_LENGTH = 200
PLACE_MAX_LENGTH = 300
NOTE_MAX_LENGTH = 300
DURATION_CHOICES = (30, 60, 90, 120, 180)
# Reminders before a meeting, in minutes: a day ahead, and shortly before.
MEETING_REMINDERS = (24 * 60, 2 * 60)
# The one reminder to people who have not answered: this long before the deadline (or half-way,
# if the poll is shorter), and none at all for a poll shorter than this.
POLL_REMINDER_BEFORE = timedelta(hours=24)
POLL_REMINDER_MINIMUM = timedelta(hours=2)
# A deadline needs at least this much time for people to answer.
SHORTEST_DEADLINE = timedelta(hours=1)
DEADLINE_HOUR = 18  # the deadlines offered as buttons fall at 18:00 in the team's zone
EVERYONE = "project"


class MeetingError(Exception):
    """A rule said no; the dialog turns each kind into a kind sentence."""


class NotAllowed(MeetingError):
    pass


class PollNotFound(MeetingError):
    pass


class PollClosed(MeetingError):
    pass


class NotAsked(MeetingError):
    pass


class InvalidDraft(MeetingError):
    pass


class MeetingNotFound(MeetingError):
    pass


class MeetingOver(MeetingError):
    pass


class AlreadyDecided(MeetingError):
    def __init__(self, meeting: Meeting) -> None:
        super().__init__(meeting.id)
        self.meeting = meeting


# -- dates and times, the reader's way ---------------------------------------------------------


def zone_of(person: Participant | None, project: Project | None) -> ZoneInfo:
    """A person's own zone, else their team's."""
    fallback = project.timezone if project else "Europe/London"
    return delivery.zone(person.timezone if person else None, fallback)


def when_text(moment: datetime, tz: ZoneInfo, locale: str, duration_minutes: int = 0) -> str:
    """ "Tue 1 Dec, 18:00–19:30" in the reader's language and zone."""
    babel = babel_locale(locale)
    day = format_skeleton("MMMEd", moment, tzinfo=tz, locale=babel)
    start = format_time(moment, "short", tzinfo=tz, locale=babel)
    if duration_minutes:
        end = format_time(
            moment + timedelta(minutes=duration_minutes), "short", tzinfo=tz, locale=babel
        )
        start = f"{start}–{end}"
    return get_datetime_format("medium", locale=babel).format(start, day)


def local_moment(day: date, minute_of_day: int, timezone: str) -> datetime:
    """A wall-clock time in the team's zone, as UTC (DST-aware)."""
    return delivery.local_time_to_utc(day, minute_of_day, delivery.zone(timezone, "Europe/London"))


def parse_clock(typed: str | None) -> int | None:
    """A typed start time as minutes after midnight, or None: "18:30", "6pm", "6:00 م", "١٨:٣٠"
    (the shared reader, bot/services/typed_input.py)."""
    return read_clock(typed)


# -- a poll being written ------------------------------------------------------------------------


@dataclass
class PollDraft:
    """What the facilitator has chosen so far; kept in the dialog's data as plain values."""

    project_id: int
    title: str = ""
    place: str = ""
    slots: list[str] = field(default_factory=list)  # UTC ISO times, sorted
    duration_minutes: int = 60
    deadline: str | None = None
    audience: str = EVERYONE  # EVERYONE or a Role value
    # The language the title and place are typed in, and versions in others:
    # {locale: {"title": ..., "place": ...}} (a version without a place shows the original's).
    source_locale: str | None = None
    versions: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_data(self) -> dict:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict | None) -> PollDraft | None:
        return cls(**data) if data else None

    @property
    def slot_times(self) -> list[datetime]:
        return [datetime.fromisoformat(value) for value in self.slots]

    @property
    def deadline_time(self) -> datetime | None:
        return datetime.fromisoformat(self.deadline) if self.deadline else None


def clean_text(text: str | None, limit: int) -> str:
    """Trimmed, printable text; InvalidDraft if empty or longer than `limit`."""
    cleaned = "".join(ch for ch in (text or "") if ch.isprintable() or ch == "\n").strip()
    if not cleaned or len(cleaned) > limit:
        raise InvalidDraft(limit)
    return cleaned


class SlotProblem(StrEnum):
    PASSED = "passed"
    DUPLICATE = "duplicate"
    TOO_MANY = "too_many"


def add_slot(draft: PollDraft, moment: datetime, now: datetime) -> SlotProblem | None:
    """Add a time to the draft; the problem if it cannot be added."""
    if moment <= now:
        return SlotProblem.PASSED
    if moment in draft.slot_times:
        return SlotProblem.DUPLICATE
    if len(draft.slots) >= MAX_SLOTS:
        return SlotProblem.TOO_MANY
    draft.slots = [value.isoformat() for value in sorted([*draft.slot_times, moment])]
    if draft.deadline_time and draft.deadline_time > min(draft.slot_times):
        draft.deadline = None  # a new earlier time: the deadline must be chosen again
    return None


def remove_slot(draft: PollDraft, index: int) -> None:
    if 0 <= index < len(draft.slots):
        del draft.slots[index]


def deadline_choices(draft: PollDraft, timezone: str, now: datetime) -> list[datetime]:
    """Deadlines offered as buttons: in 2 days, in 5 days, and the day before the first time,
    each at 18:00 in the team's zone, if there is time for people to answer before it."""
    if not draft.slots:
        return []
    tz = delivery.zone(timezone, "Europe/London")
    first = min(draft.slot_times)
    today = now.astimezone(tz).date()
    candidates = [
        delivery.local_time_to_utc(today + timedelta(days=days), DEADLINE_HOUR * 60, tz)
        for days in (2, 5)
    ]
    candidates.append(
        delivery.local_time_to_utc(
            first.astimezone(tz).date() - timedelta(days=1), DEADLINE_HOUR * 60, tz
        )
    )
    valid = {moment for moment in candidates if deadline_problem(moment, first, now) is None}
    return sorted(valid)


def deadline_problem(deadline: datetime, first_slot: datetime, now: datetime) -> str | None:
    if deadline < now + SHORTEST_DEADLINE:
        return "too_soon"
    if deadline > first_slot:
        return "after_first_time"
    return None


def poll_reminder_due(deadline: datetime, now: datetime) -> datetime | None:
    """When the one reminder to non-responders is due: a day before the deadline, or half-way
    for a shorter poll; none when the poll is very short."""
    if deadline - now < POLL_REMINDER_MINIMUM:
        return None
    return max(deadline - POLL_REMINDER_BEFORE, now + (deadline - now) / 2)


def draft_problem(draft: PollDraft, now: datetime) -> str | None:
    if not draft.title:
        return "title"
    if not MIN_SLOTS <= len(draft.slots) <= MAX_SLOTS:
        return "slots"
    if any(moment <= now for moment in draft.slot_times):
        return "slot_passed"
    if draft.duration_minutes not in DURATION_CHOICES:
        return "duration"
    deadline = draft.deadline_time
    if deadline is None or deadline_problem(deadline, min(draft.slot_times), now):
        return "deadline"
    return None


def audience_query(draft: PollDraft) -> audience.AudienceQuery:
    role = None if draft.audience == EVERYONE else Role(draft.audience)
    return audience.AudienceQuery(project_id=draft.project_id, role=role)


async def staff_projects(session: AsyncSession, person: Participant | None) -> list[Project]:
    found = []
    for project_id in await people.staff_projects(session, person):
        project = await projects.get_project(session, project_id)
        if project is not None:
            found.append(project)
    return found


async def _require_staff(session: AsyncSession, person: Participant | None, project_id: int):
    if not await people.is_staff_in(session, person, project_id):
        raise NotAllowed(project_id)


async def publish(
    session: AsyncSession,
    actor: Participant,
    draft: PollDraft,
    *,
    now: datetime,
    translate: Translate,
) -> AvailabilityPoll:
    """Save the poll and invite each person asked, in their language and zone."""
    await _require_staff(session, actor, draft.project_id)
    problem = draft_problem(draft, now)
    if problem:
        raise InvalidDraft(problem)
    # Whoever makes the poll chooses the time, so they are not asked.
    asked = [
        pid for pid in await audience.member_ids(session, audience_query(draft)) if pid != actor.id
    ]
    if not asked:
        raise InvalidDraft("nobody")
    deadline = draft.deadline_time
    assert deadline is not None
    poll = await store.create_poll(
        session,
        project_id=draft.project_id,
        title=draft.title,
        place=draft.place,
        source_locale=draft.source_locale,
        versions=team_texts.dump_versions(draft.versions),
        duration_minutes=draft.duration_minutes,
        deadline=deadline,
        audience=draft.audience,
        created_by=actor.id,
        slots=draft.slot_times,
        invitees=asked,
        reminder_due_at=poll_reminder_due(deadline, now),
    )
    project = await projects.get_project(session, draft.project_id)
    await delivery.enqueue_per_person(
        session,
        kind=OutboxKind.BROADCAST,
        recipients=asked,
        now=now,
        project_id=draft.project_id,
        render=lambda locale, tz: invitation_text(poll, project, translate, locale, tz),
        created_by=actor.id,
        action=f"poll:{poll.id}",
        expires_at=deadline,
    )
    await audit.record(
        session,
        "poll.create",
        actor_id=actor.id,
        project_id=draft.project_id,
        detail=f"poll={poll.id} slots={len(draft.slots)} people={len(asked)}",
    )
    return poll


# -- unprompted texts ------------------------------------------------------------------------------


INVITATION = __(
    "{team} wants to find a time to meet: {title}.\n"
    "Please tap the button and say which times suit you.\n"
    "Answers close on {deadline}."
)
POLL_REMINDER = __(
    "A reminder from {team}: please say which times suit you for {title}.\n"
    "Answers close on {deadline}."
)
POLL_CLOSED = __("Answers for {title} are in. Please choose a time for the meeting.")
CONFIRMED = __("{title} is on {when}.\nThe calendar file adds it to your phone.")
MOVED = __("{title} has moved. It is now on {when}.\nThe calendar file updates your phone.")
CANCELLED = __("{title} on {when} is cancelled. Sorry for the change.")
# To whoever said the chosen time (or every time) does not suit them: the promise kept.
TIME_CHOSEN = __(
    "The time for {title} is chosen: {when}.\n"
    "You said this time does not suit you. Thank you for answering."
)
# Not "tomorrow": quiet hours or a pause can hold a reminder until the day itself.
REMINDER_DAY = __("A reminder: {title} is on {when}.")
REMINDER_SOON = __("A reminder: {title} starts soon, {when}.")
WHERE = __("Where: {place}")
CANT_COME_NEWS = __("{who} cannot come to {title} on {when}.")
CAN_COME_NEWS = __("{who} can come to {title} on {when} after all.")
# Someone who did not say we may use their name, as staff see them.
PERSON_CODE = __("Person {code}")


def _fill(translate: Translate, msgid: str, locale: str, **values: str) -> str:
    return translate(msgid, locale).format(**values)


def invitation_text(
    poll: AvailabilityPoll, project: Project | None, translate: Translate, locale: str, tz: ZoneInfo
) -> str:
    return _fill(
        translate,
        INVITATION,
        locale,
        team=project.name if project else "",
        title=title_for(poll, locale),
        deadline=when_text(poll.deadline, tz, locale),
    )


def poll_reminder_text(
    poll: AvailabilityPoll, project: Project | None, translate: Translate, locale: str, tz: ZoneInfo
) -> str:
    return _fill(
        translate,
        POLL_REMINDER,
        locale,
        team=project.name if project else "",
        title=title_for(poll, locale),
        deadline=when_text(poll.deadline, tz, locale),
    )


def meeting_text(
    msgid: str, meeting: Meeting, translate: Translate, locale: str, tz: ZoneInfo
) -> str:
    """A confirmation, change, cancellation or reminder: the time, and where."""
    text = _fill(
        translate,
        msgid,
        locale,
        title=title_for(meeting, locale),
        when=when_text(meeting.starts_at, tz, locale, meeting.duration_minutes),
    )
    if meeting.place and meeting.status != MeetingStatus.CANCELLED:
        text += "\n" + _fill(translate, WHERE, locale, place=place_for(meeting, locale))
    return text


# -- answering ----------------------------------------------------------------------------------


def is_open(poll: AvailabilityPoll, now: datetime) -> bool:
    return poll.closed_at is None and now < poll.deadline


NEXT_CHOICE = {
    None: AnswerChoice.YES,
    AnswerChoice.YES: AnswerChoice.IF_NEED_BE,
    AnswerChoice.IF_NEED_BE: AnswerChoice.NO,
    AnswerChoice.NO: AnswerChoice.YES,
}


async def poll_for_answering(
    session: AsyncSession, person: Participant | None, poll_id: int
) -> AvailabilityPoll:
    """The poll, if this person was asked to answer it (a forged id gets PollNotFound)."""
    poll = await store.get_poll(session, poll_id)
    if poll is None or person is None or person.id is None:
        raise PollNotFound(poll_id)
    if not await store.is_invitee(session, poll_id, person.id):
        raise NotAsked(poll_id)
    return poll


async def _open_poll(
    session: AsyncSession, person: Participant | None, poll_id: int, now: datetime
) -> AvailabilityPoll:
    poll = await poll_for_answering(session, person, poll_id)
    if not is_open(poll, now):
        raise PollClosed(poll_id)
    return poll


async def answer(
    session: AsyncSession,
    person: Participant,
    poll_id: int,
    slot_id: int,
    choice: AnswerChoice,
    now: datetime,
) -> None:
    await _open_poll(session, person, poll_id, now)
    slot = await store.get_slot(session, slot_id)
    if slot is None or slot.poll_id != poll_id:
        raise PollNotFound(poll_id)
    await store.set_answer(
        session, poll_id=poll_id, slot_id=slot_id, participant_id=person.id, choice=choice, now=now
    )


async def cycle_answer(
    session: AsyncSession, person: Participant, poll_id: int, slot_id: int, now: datetime
) -> AnswerChoice:
    """One tap on a time: no answer -> Yes -> If need be -> No -> Yes."""
    current = (await store.answers_of(session, poll_id, person.id)).get(slot_id)
    choice = NEXT_CHOICE[current]
    await answer(session, person, poll_id, slot_id, choice, now)
    return choice


async def finish_answers(
    session: AsyncSession, person: Participant, poll_id: int, now: datetime, *, none_suit=False
) -> None:
    """Done: times left untouched count as No (or every time, when none suit)."""
    await _open_poll(session, person, poll_id, now)
    answers = await store.answers_of(session, poll_id, person.id)
    for slot in await store.slots_of(session, poll_id):
        if none_suit or slot.id not in answers:
            await store.set_answer(
                session,
                poll_id=poll_id,
                slot_id=slot.id,
                participant_id=person.id,
                choice=AnswerChoice.NO,
                now=now,
            )


async def ensure_open(
    session: AsyncSession, person: Participant | None, poll_id: int, now: datetime
) -> AvailabilityPoll:
    """The poll, if this person may still answer it; otherwise the reason why not."""
    return await _open_poll(session, person, poll_id, now)


async def has_access_need(
    session: AsyncSession, person: Participant, poll_id: int, kind: AccessNeedKind
) -> bool:
    return kind in await store.access_needs_of(session, poll_id, person.id)


async def toggle_access_need(
    session: AsyncSession, person: Participant, poll_id: int, kind: AccessNeedKind, now: datetime
) -> bool:
    """Tap once to add, again to remove; whether it is now on."""
    await _open_poll(session, person, poll_id, now)
    present = kind in await store.access_needs_of(session, poll_id, person.id)
    await store.set_access_need(
        session, poll_id=poll_id, participant_id=person.id, kind=kind, wanted=not present
    )
    return not present


async def add_other_need(
    session: AsyncSession, person: Participant, poll_id: int, note: str | None, now: datetime
) -> None:
    """ "Something else", with what they typed (optional, up to NOTE_MAX_LENGTH)."""
    await _open_poll(session, person, poll_id, now)
    text = clean_text(note, NOTE_MAX_LENGTH) if note else None
    await store.set_access_need(
        session,
        poll_id=poll_id,
        participant_id=person.id,
        kind=AccessNeedKind.OTHER,
        wanted=True,
        note=text,
    )


# -- running the poll (staff) ----------------------------------------------------------------------


def shown_name(person: Participant) -> str | None:
    """A name staff may see: only when they said we may use it."""
    return person.display_name if person.may_use_name and person.display_name else None


def person_code(participant_id: int) -> str:
    """A short code for someone staff may not name: the same on every screen and every day,
    so a facilitator can mark the right person; letters and digits nobody mixes up."""
    digest = hashlib.sha256(b"coproduce-person:%d" % participant_id).digest()
    return base64.b32encode(digest[:5]).decode()[:4]


def staff_label(person: Participant, translate: Callable[[str], str]) -> str:
    """How staff see a person: their name if they said we may use it, else "Person K7Q2"."""
    return shown_name(person) or translate(PERSON_CODE).format(code=person_code(person.id))


@dataclass(frozen=True)
class SlotTally:
    slot_id: int
    starts_at: datetime
    yes: int
    if_need_be: int
    no: int


@dataclass(frozen=True)
class PollSummary:
    poll: AvailabilityPoll
    slots: list[SlotTally]  # best first: most Yes, then most If need be, then earliest
    asked: int
    answered: int
    waiting_names: list[str]  # people who have not answered and may be named
    waiting_unnamed: int
    needs: dict[AccessNeedKind, list[str]]  # kind -> names (or "") of people who need it
    notes: list[str]  # what people wrote under "something else"
    meeting: Meeting | None


async def poll_for_staff(
    session: AsyncSession, person: Participant | None, poll_id: int
) -> AvailabilityPoll:
    poll = await store.get_poll(session, poll_id)
    if poll is None:
        raise PollNotFound(poll_id)
    await _require_staff(session, person, poll.project_id)
    return poll


def best_first(slots: list[SlotTally]) -> list[SlotTally]:
    return sorted(slots, key=lambda s: (-s.yes, -s.if_need_be, s.starts_at, s.slot_id))


async def summary(session: AsyncSession, person: Participant | None, poll_id: int) -> PollSummary:
    poll = await poll_for_staff(session, person, poll_id)
    counts = await store.tally(session, poll_id)
    rows = [
        SlotTally(
            slot.id,
            slot.starts_at,
            counts.get(slot.id, {}).get(AnswerChoice.YES, 0),
            counts.get(slot.id, {}).get(AnswerChoice.IF_NEED_BE, 0),
            counts.get(slot.id, {}).get(AnswerChoice.NO, 0),
        )
        for slot in await store.slots_of(session, poll_id)
    ]
    waiting = await store.non_responders(session, poll_id)
    names = [name for name in map(shown_name, waiting) if name]
    needs: dict[AccessNeedKind, list[str]] = {}
    notes = []
    for need, who in await store.access_needs_for_poll(session, poll_id):
        needs.setdefault(AccessNeedKind(need.kind), []).append(shown_name(who) or "")
        if need.note:
            notes.append(need.note)
    return PollSummary(
        poll=poll,
        slots=best_first(rows),
        asked=len(await store.invitee_ids(session, poll_id)),
        answered=len(await store.participants_who_answered_poll(session, poll_id)),
        waiting_names=names,
        waiting_unnamed=len(waiting) - len(names),
        needs=needs,
        notes=notes,
        meeting=await store.meeting_of_poll(session, poll_id),
    )


async def close_early(
    session: AsyncSession, person: Participant, poll_id: int, now: datetime
) -> None:
    poll = await poll_for_staff(session, person, poll_id)
    await store.close_poll(session, poll, now)


POLLS_PER_PAGE = 8
MEETINGS_SHOWN = 20
PAST_MEETINGS_SHOWN = 8


@dataclass(frozen=True)
class PollPage:
    polls: list[tuple[AvailabilityPoll, Project]]
    page: int
    has_older: bool


async def polls_for_staff(
    session: AsyncSession, person: Participant | None, page: int = 0
) -> PollPage:
    """One page of the polls of the projects where they are staff, newest first."""
    page = max(0, page)
    project_ids = await people.staff_projects(session, person)
    found = await store.polls_of_projects(
        session, project_ids, offset=page * POLLS_PER_PAGE, limit=POLLS_PER_PAGE + 1
    )
    return PollPage(found[:POLLS_PER_PAGE], page, len(found) > POLLS_PER_PAGE)


# -- deciding, changing, cancelling ---------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    meeting: Meeting
    told: list[int]  # who gets the news (participant ids)
    # Who answered the poll but said the chosen time does not suit them (or none did): we
    # promised to tell them when the time is chosen, so they hear it once, without the file.
    declined: list[int] = field(default_factory=list)


def _reminder_times(starts_at: datetime, now: datetime) -> dict[int, datetime]:
    due = {minutes: starts_at - timedelta(minutes=minutes) for minutes in MEETING_REMINDERS}
    return {minutes: at for minutes, at in due.items() if at > now}


async def decide(
    session: AsyncSession, actor: Participant, poll_id: int, slot_id: int, now: datetime
) -> Decided:
    """The chosen time becomes the meeting; those who said Yes or If need be will be told."""
    poll = await poll_for_staff(session, actor, poll_id)
    existing = await store.meeting_of_poll(session, poll_id)
    if existing is not None:
        raise AlreadyDecided(existing)
    slot = await store.get_slot(session, slot_id)
    if slot is None or slot.poll_id != poll_id:
        raise PollNotFound(poll_id)
    if slot.starts_at <= now:
        raise MeetingOver(slot_id)
    meeting = await store.add_meeting(
        session,
        Meeting(
            project_id=poll.project_id,
            poll_id=poll.id,
            slot_id=slot.id,
            title=poll.title,
            place=poll.place,
            source_locale=poll.source_locale,
            versions=poll.versions,
            starts_at=slot.starts_at,
            duration_minutes=poll.duration_minutes,
            created_by=actor.id,
            created_at=now,
            updated_at=now,
        ),
    )
    await store.close_poll(session, poll, now)
    told = await store.available_for_slot(session, slot_id)
    await store.record_told(session, meeting.id, told, now)
    waiting = {person.id for person in await store.non_responders(session, poll.id)}
    members = set(await projects.member_ids(session, poll.project_id))
    declined = [
        pid
        for pid in await store.invitee_ids(session, poll.id)
        if pid not in waiting and pid not in told and pid in members
    ]
    await store.replace_reminders(session, meeting.id, _reminder_times(meeting.starts_at, now))
    await audit.record(
        session,
        "meeting.decide",
        actor_id=actor.id,
        project_id=poll.project_id,
        detail=f"meeting={meeting.id} poll={poll.id} people={len(told)}",
    )
    return Decided(meeting, told, declined)


async def meeting_for_staff(
    session: AsyncSession, person: Participant | None, meeting_id: int
) -> Meeting:
    meeting = await store.get_meeting(session, meeting_id)
    if meeting is None:
        raise MeetingNotFound(meeting_id)
    await _require_staff(session, person, meeting.project_id)
    return meeting


async def _told(session: AsyncSession, meeting_id: int) -> list[int]:
    return [notice.participant_id for notice in await store.notices_of(session, meeting_id)]


async def move(
    session: AsyncSession, actor: Participant, meeting_id: int, starts_at: datetime, now: datetime
) -> Decided:
    """A new time: the same people who were told are told again; reminders follow the time."""
    meeting = await meeting_for_staff(session, actor, meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingNotFound(meeting_id)
    if starts_at <= now:
        raise MeetingOver(meeting_id)
    meeting.starts_at = starts_at
    meeting.slot_id = None
    meeting.sequence += 1
    meeting.updated_at = now
    session.add(meeting)
    for notice in await store.notices_of(session, meeting_id):
        notice.cant_come_at = None  # a new time: their "can't come" was for the old one
        session.add(notice)
    await store.replace_reminders(session, meeting.id, _reminder_times(starts_at, now))
    await audit.record(
        session,
        "meeting.move",
        actor_id=actor.id,
        project_id=meeting.project_id,
        detail=f"meeting={meeting.id}",
    )
    return Decided(meeting, await _told(session, meeting_id))


async def cancel(
    session: AsyncSession, actor: Participant, meeting_id: int, now: datetime
) -> Decided:
    meeting = await meeting_for_staff(session, actor, meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingNotFound(meeting_id)
    if meeting.starts_at <= now:
        # It happened (or is happening): who came is marked instead, and kept.
        raise MeetingOver(meeting_id)
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = now
    meeting.sequence += 1
    meeting.updated_at = now
    session.add(meeting)
    await store.replace_reminders(session, meeting.id, {})
    await audit.record(
        session,
        "meeting.cancel",
        actor_id=actor.id,
        project_id=meeting.project_id,
        detail=f"meeting={meeting.id}",
    )
    return Decided(meeting, await _told(session, meeting_id))


class News(StrEnum):
    CONFIRMED = "confirmed"
    MOVED = "moved"
    CANCELLED = "cancelled"


_NEWS_TEXT = {News.CONFIRMED: CONFIRMED, News.MOVED: MOVED, News.CANCELLED: CANCELLED}


async def announce(
    session: AsyncSession,
    decided: Decided,
    news: News,
    *,
    document_file_id: str | None,
    translate: Translate,
    now: datetime,
    actor_id: int | None = None,
) -> list[int]:
    """Tell the people in `decided.told`, each in their language and zone, with the calendar
    file. A meeting they said yes to: REMINDER kind, which the weekly cap never holds back."""
    meeting = decided.meeting
    if news == News.CONFIRMED and decided.declined:
        await delivery.enqueue_per_person(
            session,
            kind=OutboxKind.ANSWER,  # the promise "we will tell you when the time is chosen"
            recipients=decided.declined,
            now=now,
            project_id=meeting.project_id,
            render=lambda locale, tz: meeting_text(TIME_CHOSEN, meeting, translate, locale, tz),
            created_by=actor_id,
            expires_at=meeting.starts_at,
        )
    if not decided.told:
        return []
    return await delivery.enqueue_per_person(
        session,
        kind=OutboxKind.REMINDER,
        recipients=decided.told,
        now=now,
        project_id=meeting.project_id,
        render=lambda locale, tz: meeting_text(_NEWS_TEXT[news], meeting, translate, locale, tz),
        created_by=actor_id,
        document_file_id=document_file_id,
        action=None if news == News.CANCELLED else f"meeting:{meeting.id}",
        # A new time or a cancellation that can only arrive after the start is no use.
        expires_at=meeting.starts_at,
    )


async def set_coming(
    session: AsyncSession, person: Participant | None, meeting_id: int, coming: bool, now: datetime
) -> tuple[Meeting, bool]:
    """ "I can't come now" (coming=False) or "I can come after all" (True), by someone who was
    told the time, before the meeting starts. Returns the meeting and whether anything changed
    (a second tap changes nothing, and nobody is told twice)."""
    meeting = await store.get_meeting(session, meeting_id)
    if meeting is None or person is None or person.id is None:
        raise MeetingNotFound(meeting_id)
    notice = await store.notice_of(session, meeting_id, person.id)
    if notice is None:
        raise NotAsked(meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingNotFound(meeting_id)
    if meeting.starts_at <= now:
        raise MeetingOver(meeting_id)
    if (notice.cant_come_at is None) == coming:
        return meeting, False
    notice.cant_come_at = None if coming else now
    session.add(notice)
    await session.flush()
    return meeting, True


async def _staff_to_tell(session: AsyncSession, meeting: Meeting) -> list[int]:
    """Whoever chose the time, if still staff of the team; else the team's facilitators."""
    if meeting.created_by is not None:
        maker = await participants.get(session, meeting.created_by)
        if await people.is_staff_in(session, maker, meeting.project_id):
            return [meeting.created_by]
    query = audience.AudienceQuery(project_id=meeting.project_id, role=Role.FACILITATOR)
    return await audience.member_ids(session, query)


async def tell_staff_coming(
    session: AsyncSession,
    person: Participant,
    meeting: Meeting,
    coming: bool,
    *,
    translate: Translate,
    now: datetime,
) -> list[int]:
    """Tell the facilitator at once that someone cannot come (or can after all), with a name
    only if they said we may use it. No use after the start, so it expires then."""
    staff = [pid for pid in await _staff_to_tell(session, meeting) if pid != person.id]
    if not staff:
        return []
    msgid = CAN_COME_NEWS if coming else CANT_COME_NEWS

    def render(locale: str, tz: ZoneInfo) -> str:
        return _fill(
            translate,
            msgid,
            locale,
            who=staff_label(person, lambda text: translate(text, locale)),
            title=title_for(meeting, locale),
            when=when_text(meeting.starts_at, tz, locale, meeting.duration_minutes),
        )

    return await delivery.enqueue_per_person(
        session,
        kind=OutboxKind.REMINDER,
        recipients=staff,
        now=now,
        project_id=meeting.project_id,
        render=render,
        expires_at=meeting.starts_at,
    )


@dataclass(frozen=True)
class MeetingPerson:
    participant_id: int
    name: str | None  # None: they did not say we may use their name
    told: bool
    cant_come: bool
    attended: bool | None  # None: not marked


async def meeting_people(
    session: AsyncSession, person: Participant | None, meeting_id: int
) -> list[MeetingPerson]:
    """Everyone the meeting concerns: who was told, who was asked, who was marked."""
    meeting = await meeting_for_staff(session, person, meeting_id)
    notices = {n.participant_id: n for n in await store.notices_of(session, meeting_id)}
    marked = await store.attendance_of(session, meeting_id)
    asked = await store.invitee_ids(session, meeting.poll_id) if meeting.poll_id else []
    ids = sorted(set(notices) | set(marked) | set(asked))
    return [
        MeetingPerson(
            participant_id=who.id,
            name=shown_name(who),
            told=who.id in notices,
            cant_come=who.id in notices and notices[who.id].cant_come_at is not None,
            attended=marked.get(who.id),
        )
        for who in await store.people(session, ids)
    ]


async def toggle_attendance(
    session: AsyncSession, actor: Participant, meeting_id: int, participant_id: int, now: datetime
) -> bool:
    """Mark someone as came / did not come; only after the meeting started."""
    meeting = await meeting_for_staff(session, actor, meeting_id)
    if meeting.starts_at > now or meeting.status == MeetingStatus.CANCELLED:
        raise MeetingOver(meeting_id)
    concerned = {p.participant_id for p in await meeting_people(session, actor, meeting_id)}
    if participant_id not in concerned:
        raise NotAsked(participant_id)
    attended = not (await store.attendance_of(session, meeting_id)).get(participant_id, False)
    await store.set_attendance(
        session,
        meeting_id=meeting_id,
        participant_id=participant_id,
        attended=attended,
        marked_by=actor.id,
        now=now,
    )
    return attended


async def meetings_for_staff(
    session: AsyncSession, person: Participant | None, now: datetime
) -> list[Meeting]:
    """Meetings of their teams: the latest of the past month (to mark who came), then the
    next ones, each in time order; a bounded list."""
    project_ids = await people.staff_projects(session, person)
    past = await store.meetings_of_projects(
        session,
        project_ids,
        since=now - timedelta(days=31),
        until=now,
        newest_first=True,
        limit=PAST_MEETINGS_SHOWN,
    )
    coming = await store.meetings_of_projects(
        session, project_ids, since=now, limit=MEETINGS_SHOWN - len(past)
    )
    return [*reversed(past), *coming]


# -- sweeps (the scheduler calls these; each runs in the caller's transaction) ---------------------


async def queue_poll_reminders(session: AsyncSession, now: datetime, translate: Translate) -> int:
    """The one reminder, only to people asked who have not answered yet."""
    queued = 0
    for poll in await store.polls_due_a_reminder(session, now):
        poll.reminder_sent_at = now
        session.add(poll)
        if not is_open(poll, now):
            continue
        waiting = [person.id for person in await store.non_responders(session, poll.id)]
        if not waiting:
            continue
        project = await projects.get_project(session, poll.project_id)
        await delivery.enqueue_per_person(
            session,
            kind=OutboxKind.NUDGE,
            recipients=waiting,
            now=now,
            project_id=poll.project_id,
            render=lambda locale, tz, poll=poll, project=project: poll_reminder_text(
                poll, project, translate, locale, tz
            ),
            action=f"poll:{poll.id}",
            expires_at=poll.deadline,
        )
        queued += len(waiting)
    await session.flush()
    return queued


async def close_polls_past_deadline(
    session: AsyncSession, now: datetime, translate: Translate
) -> int:
    """Close each poll at its deadline and ask whoever made it to choose the time."""
    closed = 0
    for poll in await store.polls_past_deadline(session, now):
        await store.close_poll(session, poll, now)
        closed += 1
        if poll.created_by is None or await store.meeting_of_poll(session, poll.id):
            continue
        await delivery.enqueue_per_person(
            session,
            kind=OutboxKind.NUDGE,
            recipients=[poll.created_by],
            now=now,
            project_id=poll.project_id,
            render=lambda locale, _tz, poll=poll: _fill(
                translate, POLL_CLOSED, locale, title=title_for(poll, locale)
            ),
            action=f"decide:{poll.id}",
        )
    await session.flush()
    return closed


async def queue_meeting_reminders(
    session: AsyncSession, now: datetime, translate: Translate
) -> int:
    """Reminders that fell due are queued once and marked sent in the same transaction. After
    a long stop only the latest one due for a meeting goes, and none for a meeting that began."""
    by_meeting: dict[int, list] = {}
    for reminder, meeting in await store.due_reminders(session, now):
        by_meeting.setdefault(meeting.id, []).append((reminder, meeting))
    queued = 0
    for pairs in by_meeting.values():
        for reminder, _meeting in pairs:
            reminder.sent_at = now
            session.add(reminder)
        reminder, meeting = min(pairs, key=lambda pair: pair[0].minutes_before)
        if meeting.status != MeetingStatus.SCHEDULED or meeting.starts_at <= now:
            continue
        coming = [
            notice.participant_id
            for notice in await store.notices_of(session, meeting.id)
            if notice.cant_come_at is None
        ]
        if not coming:
            continue
        msgid = REMINDER_DAY if reminder.minutes_before >= 12 * 60 else REMINDER_SOON
        await delivery.enqueue_per_person(
            session,
            kind=OutboxKind.REMINDER,
            recipients=coming,
            now=now,
            project_id=meeting.project_id,
            render=lambda locale, tz, meeting=meeting, msgid=msgid: meeting_text(
                msgid, meeting, translate, locale, tz
            ),
            action=f"meeting:{meeting.id}",
            expires_at=meeting.starts_at,
        )
        queued += len(coming)
    await session.flush()
    return queued
