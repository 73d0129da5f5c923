"""Meeting availability: a poll of time slots, people's answers and access needs, the meeting
that was decided, who was told its time, its reminders, and who came.

Every time is stored in UTC; it is shown in each person's own zone and language.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class AnswerChoice(StrEnum):
    """A person's answer to one time slot."""

    YES = "yes"
    IF_NEED_BE = "if_need_be"
    NO = "no"


class AccessNeedKind(StrEnum):
    """What would help someone take part. Seen by the project's facilitators only."""

    TRAVEL = "travel"  # help with travel costs or getting there
    STEP_FREE = "step_free"
    CARING = "caring"  # caring duties: timing, cover or costs
    INTERPRETER = "interpreter"  # an interpreter or language support
    ONLINE = "online"  # would rather join online
    OTHER = "other"  # something else, with an optional note


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class AvailabilityPoll(SQLModel, table=True):
    """A facilitator asks a group of people which times suit them for one meeting."""

    __tablename__ = "availability_poll"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    # A room and address, or an online link; shown as typed.
    place: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # The language the title and place were written in (None: written before versions were).
    source_locale: str | None = Field(default=None, max_length=8)
    # JSON object {locale: {"title": ..., "place": ...}}: versions in other languages; a reader
    # with none (or a version without a place) gets the original.
    versions: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    duration_minutes: int = 60
    # Answers are taken until then; the poll closes at the deadline (a sweep) or when decided.
    deadline: datetime = Field(sa_type=UTCDateTime, index=True)
    # Who was asked, as the facilitator chose: "project" (everyone) or a role name.
    audience: str = Field(default="project", max_length=16)
    created_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The one reminder to people who have not answered: when it is due, and when it was queued.
    reminder_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminder_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PollSlot(SQLModel, table=True):
    """One time the meeting could start."""

    __tablename__ = "poll_slot"
    __table_args__ = (UniqueConstraint("poll_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="availability_poll.id", index=True, ondelete="CASCADE")
    starts_at: datetime = Field(sa_type=UTCDateTime)


class PollInvitee(SQLModel, table=True):
    """A person asked to answer a poll: the reminder and "who has not answered" count from here."""

    __tablename__ = "poll_invitee"
    __table_args__ = (UniqueConstraint("poll_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="availability_poll.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    invited_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PollAnswer(SQLModel, table=True):
    """A person's answer to one slot; changed in place until the deadline."""

    __tablename__ = "poll_answer"
    __table_args__ = (UniqueConstraint("slot_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="availability_poll.id", index=True, ondelete="CASCADE")
    slot_id: int = Field(foreign_key="poll_slot.id", ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    choice: AnswerChoice = Field(sa_column=Column(String(16), nullable=False))
    answered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AccessNeed(SQLModel, table=True):
    """Something that would help a person come to this poll's meeting."""

    __tablename__ = "access_need"
    __table_args__ = (UniqueConstraint("poll_id", "participant_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="availability_poll.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    kind: AccessNeedKind = Field(sa_column=Column(String(16), nullable=False))
    # Only for "something else", and only if they want to say more.
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Meeting(SQLModel, table=True):
    """A meeting that was decided: usually from a poll's chosen slot."""

    __tablename__ = "meeting"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    # One meeting per poll; the poll may be gone while the meeting (and who came) stays.
    poll_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("availability_poll.id", ondelete="SET NULL"),
            nullable=True,
            unique=True,
        ),
    )
    slot_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("poll_slot.id", ondelete="SET NULL"), nullable=True),
    )
    title: str = Field(max_length=200)
    place: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # As the poll's: the original's language and the versions in others (copied from the poll).
    source_locale: str | None = Field(default=None, max_length=8)
    versions: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    duration_minutes: int = 60
    status: MeetingStatus = Field(
        default=MeetingStatus.SCHEDULED, sa_column=Column(String(16), nullable=False)
    )
    # The calendar file's SEQUENCE: goes up each time the time changes or it is cancelled.
    sequence: int = 0
    created_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MeetingNotice(SQLModel, table=True):
    """A person who was told the meeting's time: a change or a cancellation tells exactly them."""

    __tablename__ = "meeting_notice"
    __table_args__ = (UniqueConstraint("meeting_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    told_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # They said "I can't come now": no more reminders; the facilitator sees it.
    cant_come_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MeetingReminder(SQLModel, table=True):
    """A reminder due before a meeting (24 hours, 2 hours); a sweep queues it and marks it sent."""

    __tablename__ = "meeting_reminder"
    __table_args__ = (
        UniqueConstraint("meeting_id", "minutes_before"),
        Index("ix_meeting_reminder_due", "sent_at", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    minutes_before: int = Field(sa_column=Column(SmallInteger, nullable=False))
    due_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MeetingAttendance(SQLModel, table=True):
    """Whether a person came to a meeting, as the facilitator marked it afterwards."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    attended: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, default=False))
    marked_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="SET NULL"), nullable=True),
    )
    marked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


__all__ = [
    "AccessNeed",
    "AccessNeedKind",
    "AnswerChoice",
    "AvailabilityPoll",
    "Meeting",
    "MeetingAttendance",
    "MeetingNotice",
    "MeetingReminder",
    "MeetingStatus",
    "PollAnswer",
    "PollInvitee",
    "PollSlot",
]
