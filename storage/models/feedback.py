"""Feedback, pulse check-ins and "you said, we did" updates.

Feedback keeps its author's id even when shared anonymously, so that they can see, change or
withdraw it and so that an update reaches them; staff screens and exports never show it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class FeedbackTheme(SQLModel, table=True):
    """A group of answers a facilitator saw belong together ("you said ...")."""

    __tablename__ = "feedback_theme"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    created_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Feedback(SQLModel, table=True):
    """One answer: a topic, a rating from 1 (very bad) to 5 (very good), words or a voice note."""

    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    # One of the project's topics as it read when they chose it, or "" for "something else".
    topic: str = Field(default="", max_length=200)
    rating: int = Field(sa_column=Column(SmallInteger, nullable=False))
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # A Telegram voice note: staff play it by sending the file id back.
    voice_file_id: str | None = Field(default=None, max_length=255)
    voice_duration: int | None = None
    # Never show a name or Telegram id for an anonymous answer, to anyone.
    anonymous: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, default=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    theme_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("feedback_theme.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )


class PulseAnswer(StrEnum):
    GOOD = "good"
    OKAY = "okay"
    HARD = "hard"


class PulseResponse(SQLModel, table=True):
    """An answer to a pulse check-in ("How are things going?"), once per person per check-in."""

    __tablename__ = "pulse_response"
    __table_args__ = (UniqueConstraint("checkin_message_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    # The check-in it answers (an outbox message); None if that message is gone.
    checkin_message_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("outbox_message.id", ondelete="SET NULL"), nullable=True
        ),
    )
    answer: PulseAnswer = Field(sa_column=Column(String(16), nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WeDidStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_POSSIBLE = "not_possible"


class YouSaidWeDid(SQLModel, table=True):
    """What people said and what the team did or will do about it: the loop closed."""

    __tablename__ = "you_said_we_did"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    created_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="SET NULL"), nullable=True),
    )
    theme_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("feedback_theme.id", ondelete="SET NULL"), nullable=True
        ),
    )
    # The language the texts below are written in; other languages in YouSaidWeDidText.
    source_locale: str = Field(default="en", max_length=8)
    you_said: str = Field(sa_column=Column(Text, nullable=False))
    we_did: str = Field(sa_column=Column(Text, nullable=False))
    status: WeDidStatus = Field(sa_column=Column(String(16), nullable=False))
    # Why it is not possible (status NOT_POSSIBLE).
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Who is doing it: a role or a team in words, not a person's id.
    owner: str = Field(default="", max_length=100)
    due_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    # Also sent to everyone in the project, not only those whose feedback is linked.
    to_whole_project: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, default=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # The due date staff were last reminded about: one reminder per overdue due date.
    reminded_for_due_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class YouSaidWeDidText(SQLModel, table=True):
    """An update in another language."""

    __tablename__ = "you_said_we_did_text"
    __table_args__ = (UniqueConstraint("update_id", "locale"),)

    id: int | None = Field(default=None, primary_key=True)
    update_id: int = Field(foreign_key="you_said_we_did.id", index=True, ondelete="CASCADE")
    locale: str = Field(max_length=8)
    you_said: str = Field(sa_column=Column(Text, nullable=False))
    we_did: str = Field(sa_column=Column(Text, nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class YouSaidWeDidFeedback(SQLModel, table=True):
    """Which feedback an update answers."""

    __tablename__ = "you_said_we_did_feedback"

    update_id: int = Field(foreign_key="you_said_we_did.id", primary_key=True, ondelete="CASCADE")
    feedback_id: int = Field(
        foreign_key="feedback.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class WeDidAnswer(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class YouSaidWeDidReply(SQLModel, table=True):
    """ "Does this answer what you said?": once per person per update; a new tap replaces it."""

    __tablename__ = "you_said_we_did_reply"
    __table_args__ = (UniqueConstraint("update_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    update_id: int = Field(foreign_key="you_said_we_did.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    answer: WeDidAnswer = Field(sa_column=Column(String(16), nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


__all__ = [
    "Feedback",
    "FeedbackTheme",
    "PulseAnswer",
    "PulseResponse",
    "WeDidAnswer",
    "WeDidStatus",
    "YouSaidWeDid",
    "YouSaidWeDidFeedback",
    "YouSaidWeDidReply",
    "YouSaidWeDidText",
]
