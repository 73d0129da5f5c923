"""Queries about availability polls, meetings, who was told, reminders and attendance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AccessNeed,
    AccessNeedKind,
    AnswerChoice,
    AvailabilityPoll,
    Meeting,
    MeetingAttendance,
    MeetingNotice,
    MeetingReminder,
    MeetingStatus,
    Participant,
    PollAnswer,
    PollInvitee,
    PollSlot,
    Project,
)
from storage.types import utcnow
from storage.upsert import insert_for

# -- what other parts of the service read (exports, contributions) --------------------------------


async def attended_meetings(
    session: AsyncSession, participant_id: int
) -> list[tuple[Meeting, int]]:
    """Meetings they were marked as having attended, with the minutes of each; cancelled ones
    are left out. Earliest first."""
    rows = await session.execute(
        select(Meeting)
        .join(MeetingAttendance, MeetingAttendance.meeting_id == Meeting.id)
        .where(
            MeetingAttendance.participant_id == participant_id,
            MeetingAttendance.attended.is_(True),
            Meeting.status != MeetingStatus.CANCELLED,
        )
        .order_by(Meeting.starts_at)
    )
    return [(meeting, meeting.duration_minutes) for meeting in rows.scalars()]


async def participants_who_answered_poll(session: AsyncSession, poll_id: int) -> list[int]:
    rows = await session.execute(
        select(PollAnswer.participant_id)
        .where(PollAnswer.poll_id == poll_id)
        .distinct()
        .order_by(PollAnswer.participant_id)
    )
    return list(rows.scalars())


async def polls_of_project(
    session: AsyncSession, project_id: int, limit: int | None = None
) -> list[AvailabilityPoll]:
    """Newest first."""
    rows = await session.execute(
        select(AvailabilityPoll)
        .limit(limit)
        .where(AvailabilityPoll.project_id == project_id)
        .order_by(AvailabilityPoll.created_at.desc(), AvailabilityPoll.id.desc())
    )
    return list(rows.scalars())


async def polls_of_projects(
    session: AsyncSession, project_ids: list[int], *, offset: int, limit: int
) -> list[tuple[AvailabilityPoll, Project]]:
    """One page of these projects' polls with their project, newest first."""
    if not project_ids:
        return []
    rows = await session.execute(
        select(AvailabilityPoll, Project)
        .join(Project, Project.id == AvailabilityPoll.project_id)
        .where(AvailabilityPoll.project_id.in_(project_ids))
        .order_by(AvailabilityPoll.created_at.desc(), AvailabilityPoll.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [(poll, project) for poll, project in rows.all()]


# -- polls -----------------------------------------------------------------------------------------


async def create_poll(
    session: AsyncSession,
    *,
    project_id: int,
    title: str,
    place: str,
    duration_minutes: int,
    deadline: datetime,
    audience: str,
    created_by: int | None,
    slots: list[datetime],
    invitees: list[int],
    reminder_due_at: datetime | None,
    source_locale: str | None = None,
    versions: str = "{}",
) -> AvailabilityPoll:
    poll = AvailabilityPoll(
        project_id=project_id,
        title=title,
        place=place,
        source_locale=source_locale,
        versions=versions,
        duration_minutes=duration_minutes,
        deadline=deadline,
        audience=audience,
        created_by=created_by,
        reminder_due_at=reminder_due_at,
    )
    session.add(poll)
    await session.flush()
    session.add_all(PollSlot(poll_id=poll.id, starts_at=moment) for moment in sorted(set(slots)))
    session.add_all(PollInvitee(poll_id=poll.id, participant_id=pid) for pid in set(invitees))
    await session.flush()
    return poll


async def get_poll(session: AsyncSession, poll_id: int) -> AvailabilityPoll | None:
    return await session.get(AvailabilityPoll, poll_id)


async def slots_of(session: AsyncSession, poll_id: int) -> list[PollSlot]:
    rows = await session.execute(
        select(PollSlot).where(PollSlot.poll_id == poll_id).order_by(PollSlot.starts_at)
    )
    return list(rows.scalars())


async def get_slot(session: AsyncSession, slot_id: int) -> PollSlot | None:
    return await session.get(PollSlot, slot_id)


async def invitee_ids(session: AsyncSession, poll_id: int) -> list[int]:
    rows = await session.execute(
        select(PollInvitee.participant_id)
        .where(PollInvitee.poll_id == poll_id)
        .order_by(PollInvitee.participant_id)
    )
    return list(rows.scalars())


async def is_invitee(session: AsyncSession, poll_id: int, participant_id: int) -> bool:
    found = await session.execute(
        select(PollInvitee.id).where(
            PollInvitee.poll_id == poll_id, PollInvitee.participant_id == participant_id
        )
    )
    return found.first() is not None


async def open_polls_for(
    session: AsyncSession, participant_id: int, now: datetime
) -> list[AvailabilityPoll]:
    """Polls this person was asked to answer that still take answers, soonest deadline first."""
    rows = await session.execute(
        select(AvailabilityPoll)
        .join(PollInvitee, PollInvitee.poll_id == AvailabilityPoll.id)
        .where(
            PollInvitee.participant_id == participant_id,
            AvailabilityPoll.closed_at.is_(None),
            AvailabilityPoll.deadline > now,
        )
        .order_by(AvailabilityPoll.deadline)
    )
    return list(rows.scalars())


async def set_answer(
    session: AsyncSession,
    *,
    poll_id: int,
    slot_id: int,
    participant_id: int,
    choice: AnswerChoice,
    now: datetime,
) -> None:
    """One row per slot and person, whatever the number of taps (an upsert)."""
    table = PollAnswer.__table__
    statement = insert_for(session.bind.dialect.name, table).values(
        poll_id=poll_id,
        slot_id=slot_id,
        participant_id=participant_id,
        choice=str(choice),
        answered_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["slot_id", "participant_id"],
        set_={"choice": str(choice), "answered_at": now},
    )
    await session.execute(statement)


async def answers_of(
    session: AsyncSession, poll_id: int, participant_id: int
) -> dict[int, AnswerChoice]:
    """{slot id: choice} for one person."""
    rows = await session.execute(
        select(PollAnswer.slot_id, PollAnswer.choice).where(
            PollAnswer.poll_id == poll_id, PollAnswer.participant_id == participant_id
        )
    )
    return {slot_id: AnswerChoice(choice) for slot_id, choice in rows.all()}


async def tally(session: AsyncSession, poll_id: int) -> dict[int, dict[AnswerChoice, int]]:
    """{slot id: {choice: count}}."""
    rows = await session.execute(
        select(PollAnswer.slot_id, PollAnswer.choice, func.count())
        .where(PollAnswer.poll_id == poll_id)
        .group_by(PollAnswer.slot_id, PollAnswer.choice)
    )
    counts: dict[int, dict[AnswerChoice, int]] = {}
    for slot_id, choice, count in rows.all():
        counts.setdefault(slot_id, {})[AnswerChoice(choice)] = count
    return counts


async def available_for_slot(session: AsyncSession, slot_id: int) -> list[int]:
    """People who answered Yes or If need be for this slot."""
    rows = await session.execute(
        select(PollAnswer.participant_id)
        .where(
            PollAnswer.slot_id == slot_id,
            PollAnswer.choice.in_([AnswerChoice.YES, AnswerChoice.IF_NEED_BE]),
        )
        .order_by(PollAnswer.participant_id)
    )
    return list(rows.scalars())


async def non_responders(session: AsyncSession, poll_id: int) -> list[Participant]:
    answered = select(PollAnswer.participant_id).where(PollAnswer.poll_id == poll_id)
    rows = await session.execute(
        select(Participant)
        .join(PollInvitee, PollInvitee.participant_id == Participant.id)
        .where(PollInvitee.poll_id == poll_id, Participant.id.not_in(answered))
        .order_by(Participant.id)
    )
    return list(rows.scalars())


async def close_poll(session: AsyncSession, poll: AvailabilityPoll, now: datetime) -> None:
    if poll.closed_at is None:
        poll.closed_at = now
        session.add(poll)


async def polls_due_a_reminder(session: AsyncSession, now: datetime) -> list[AvailabilityPoll]:
    rows = await session.execute(
        select(AvailabilityPoll)
        .where(
            AvailabilityPoll.closed_at.is_(None),
            AvailabilityPoll.reminder_sent_at.is_(None),
            AvailabilityPoll.reminder_due_at <= now,
        )
        .order_by(AvailabilityPoll.id)
        .with_for_update(skip_locked=True)
    )
    return list(rows.scalars())


async def polls_past_deadline(session: AsyncSession, now: datetime) -> list[AvailabilityPoll]:
    rows = await session.execute(
        select(AvailabilityPoll)
        .where(AvailabilityPoll.closed_at.is_(None), AvailabilityPoll.deadline <= now)
        .order_by(AvailabilityPoll.id)
        .with_for_update(skip_locked=True)
    )
    return list(rows.scalars())


# -- access needs ----------------------------------------------------------------------------------


async def access_needs_of(
    session: AsyncSession, poll_id: int, participant_id: int
) -> dict[AccessNeedKind, str | None]:
    rows = await session.execute(
        select(AccessNeed.kind, AccessNeed.note).where(
            AccessNeed.poll_id == poll_id, AccessNeed.participant_id == participant_id
        )
    )
    return {AccessNeedKind(kind): note for kind, note in rows.all()}


async def set_access_need(
    session: AsyncSession,
    *,
    poll_id: int,
    participant_id: int,
    kind: AccessNeedKind,
    wanted: bool,
    note: str | None = None,
) -> None:
    await session.execute(
        delete(AccessNeed).where(
            AccessNeed.poll_id == poll_id,
            AccessNeed.participant_id == participant_id,
            AccessNeed.kind == kind,
        )
    )
    if wanted:
        session.add(
            AccessNeed(poll_id=poll_id, participant_id=participant_id, kind=kind, note=note)
        )
    await session.flush()


async def access_needs_for_poll(
    session: AsyncSession, poll_id: int
) -> list[tuple[AccessNeed, Participant]]:
    rows = await session.execute(
        select(AccessNeed, Participant)
        .join(Participant, Participant.id == AccessNeed.participant_id)
        .where(AccessNeed.poll_id == poll_id)
        .order_by(AccessNeed.kind, Participant.id)
    )
    return [(need, person) for need, person in rows.all()]


# -- meetings --------------------------------------------------------------------------------------


async def meeting_of_poll(session: AsyncSession, poll_id: int) -> Meeting | None:
    return (
        await session.execute(select(Meeting).where(Meeting.poll_id == poll_id))
    ).scalar_one_or_none()


async def get_meeting(session: AsyncSession, meeting_id: int) -> Meeting | None:
    return await session.get(Meeting, meeting_id)


async def add_meeting(session: AsyncSession, meeting: Meeting) -> Meeting:
    session.add(meeting)
    await session.flush()
    return meeting


async def meetings_of_projects(
    session: AsyncSession,
    project_ids: list[int],
    *,
    since: datetime,
    until: datetime | None = None,
    newest_first: bool = False,
    limit: int,
) -> list[Meeting]:
    """Up to `limit` meetings of these projects starting from `since` (and before `until`),
    cancelled ones too; soonest first, or newest first."""
    if not project_ids:
        return []
    conditions = [Meeting.project_id.in_(project_ids), Meeting.starts_at >= since]
    if until is not None:
        conditions.append(Meeting.starts_at < until)
    order = (
        (Meeting.starts_at.desc(), Meeting.id.desc())
        if newest_first
        else (Meeting.starts_at, Meeting.id)
    )
    rows = await session.execute(select(Meeting).where(*conditions).order_by(*order).limit(limit))
    return list(rows.scalars())


async def upcoming_meetings_for(
    session: AsyncSession, participant_id: int, now: datetime
) -> list[tuple[Meeting, MeetingNotice]]:
    """Scheduled meetings this person was told about that have not started yet."""
    rows = await session.execute(
        select(Meeting, MeetingNotice)
        .join(MeetingNotice, MeetingNotice.meeting_id == Meeting.id)
        .where(
            MeetingNotice.participant_id == participant_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at > now,
        )
        .order_by(Meeting.starts_at)
    )
    return [(meeting, notice) for meeting, notice in rows.all()]


async def record_told(
    session: AsyncSession, meeting_id: int, participant_ids: list[int], now: datetime
) -> None:
    """Remember who was told the time (once each, however often it is called)."""
    if not participant_ids:
        return
    table = MeetingNotice.__table__
    statement = insert_for(session.bind.dialect.name, table).values(
        [
            {"meeting_id": meeting_id, "participant_id": pid, "told_at": now}
            for pid in sorted(set(participant_ids))
        ]
    )
    await session.execute(
        statement.on_conflict_do_nothing(index_elements=["meeting_id", "participant_id"])
    )


async def notices_of(session: AsyncSession, meeting_id: int) -> list[MeetingNotice]:
    rows = await session.execute(
        select(MeetingNotice)
        .where(MeetingNotice.meeting_id == meeting_id)
        .order_by(MeetingNotice.participant_id)
    )
    return list(rows.scalars())


async def notice_of(
    session: AsyncSession, meeting_id: int, participant_id: int
) -> MeetingNotice | None:
    return (
        await session.execute(
            select(MeetingNotice).where(
                MeetingNotice.meeting_id == meeting_id,
                MeetingNotice.participant_id == participant_id,
            )
        )
    ).scalar_one_or_none()


async def replace_reminders(
    session: AsyncSession, meeting_id: int, due: dict[int, datetime]
) -> None:
    """The meeting's reminders from now on: {minutes before: due at}; old unsent ones go."""
    await session.execute(delete(MeetingReminder).where(MeetingReminder.meeting_id == meeting_id))
    session.add_all(
        MeetingReminder(meeting_id=meeting_id, minutes_before=minutes, due_at=at)
        for minutes, at in sorted(due.items())
    )
    await session.flush()


async def reminders_of(session: AsyncSession, meeting_id: int) -> list[MeetingReminder]:
    rows = await session.execute(
        select(MeetingReminder)
        .where(MeetingReminder.meeting_id == meeting_id)
        .order_by(MeetingReminder.due_at)
    )
    return list(rows.scalars())


async def due_reminders(
    session: AsyncSession, now: datetime
) -> list[tuple[MeetingReminder, Meeting]]:
    rows = await session.execute(
        select(MeetingReminder, Meeting)
        .join(Meeting, Meeting.id == MeetingReminder.meeting_id)
        .where(MeetingReminder.sent_at.is_(None), MeetingReminder.due_at <= now)
        .order_by(MeetingReminder.meeting_id, MeetingReminder.due_at)
        .with_for_update(of=MeetingReminder, skip_locked=True)
    )
    return [(reminder, meeting) for reminder, meeting in rows.all()]


# -- attendance ------------------------------------------------------------------------------------


async def attendance_of(session: AsyncSession, meeting_id: int) -> dict[int, bool]:
    rows = await session.execute(
        select(MeetingAttendance.participant_id, MeetingAttendance.attended).where(
            MeetingAttendance.meeting_id == meeting_id
        )
    )
    return dict(rows.all())


async def set_attendance(
    session: AsyncSession,
    *,
    meeting_id: int,
    participant_id: int,
    attended: bool,
    marked_by: int | None,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    table = MeetingAttendance.__table__
    statement = insert_for(session.bind.dialect.name, table).values(
        meeting_id=meeting_id,
        participant_id=participant_id,
        attended=attended,
        marked_by=marked_by,
        marked_at=now,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["meeting_id", "participant_id"],
            set_={"attended": attended, "marked_by": marked_by, "marked_at": now},
        )
    )


async def people(session: AsyncSession, participant_ids: list[int]) -> list[Participant]:
    if not participant_ids:
        return []
    rows = await session.execute(
        select(Participant).where(Participant.id.in_(participant_ids)).order_by(Participant.id)
    )
    return list(rows.scalars())


# -- what /mydata shows ----------------------------------------------------------------------------


async def personal_records(session: AsyncSession, participant_id: int) -> dict[str, list]:
    """This person's own answers, access needs, meetings they were told of and attendance."""
    answers = await session.execute(
        select(
            AvailabilityPoll.title, PollSlot.starts_at, PollAnswer.choice, PollAnswer.answered_at
        )
        .join(PollSlot, PollSlot.id == PollAnswer.slot_id)
        .join(AvailabilityPoll, AvailabilityPoll.id == PollAnswer.poll_id)
        .where(PollAnswer.participant_id == participant_id)
        .order_by(PollSlot.starts_at)
    )
    needs = await session.execute(
        select(AvailabilityPoll.title, AccessNeed.kind, AccessNeed.note)
        .join(AvailabilityPoll, AvailabilityPoll.id == AccessNeed.poll_id)
        .where(AccessNeed.participant_id == participant_id)
    )
    told = await session.execute(
        select(Meeting.title, Meeting.starts_at, Meeting.status, MeetingNotice.cant_come_at)
        .join(Meeting, Meeting.id == MeetingNotice.meeting_id)
        .where(MeetingNotice.participant_id == participant_id)
        .order_by(Meeting.starts_at)
    )
    came = await session.execute(
        select(Meeting.title, Meeting.starts_at, MeetingAttendance.attended)
        .join(Meeting, Meeting.id == MeetingAttendance.meeting_id)
        .where(MeetingAttendance.participant_id == participant_id)
        .order_by(Meeting.starts_at)
    )
    return {
        "answers": list(answers.all()),
        "access_needs": list(needs.all()),
        "meetings": list(told.all()),
        "attendance": list(came.all()),
    }
