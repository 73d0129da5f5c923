"""The core tables: people, projects, roles, consent, audit, dialog state and the outbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class Role(StrEnum):
    """What someone may do in a project. It never weighs whose answers count more."""

    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"
    COORDINATOR = "coordinator"


class Participant(SQLModel, table=True):
    """A person who talks to the bot. We keep only what we need to talk with them."""

    __tablename__ = "participant"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    locale: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # What they want to be called; never their Telegram name unless they type it.
    display_name: str | None = Field(default=None, max_length=64)
    # IANA zone; None means the project's (or the bot's) zone.
    timezone: str | None = Field(default=None, max_length=64)
    # The consent text version they agreed to; None means not (yet) agreed.
    consent_version: str | None = Field(default=None, max_length=32)
    consented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Optional choices: None means they skipped the question, which counts as "no".
    may_quote: bool | None = None
    may_use_name: bool | None = None
    onboarded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Unprompted messages a week they agreed to (reminders for meetings they accepted included).
    messages_per_week: int = Field(default=3)
    # Quiet hours in their own zone, minutes after midnight; both None means no quiet hours.
    quiet_start: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    quiet_end: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    # Paused: no unprompted messages. paused_at set with paused_until None means "until I resume".
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Telegram said 403 (they blocked the bot); cleared when they next write to us.
    unreachable_since: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Project(SQLModel, table=True):
    """One co-production team."""

    __tablename__ = "project"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    timezone: str = Field(default="Europe/London", max_length=64)
    default_locale: str = Field(default="en", max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The team's shared ground rules, one per line, agreed by everyone who joins.
    ground_rules: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Feedback topics, one per line, in the project's default language.
    feedback_topics: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ProjectText(SQLModel, table=True):
    """The team's ground rules and topics in one more language. Whoever reads a language with
    no version gets the original (the project's default language), as with broadcasts."""

    __tablename__ = "project_text"
    __table_args__ = (UniqueConstraint("project_id", "locale"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    locale: str = Field(max_length=8)
    # The rules, one per line; "" means none in this language (the original is shown).
    ground_rules: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # JSON object {original topic: this language's words}. Answers keep the original, so staff
    # and exports group them by topic whatever language the person saw.
    feedback_topics: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class Membership(SQLModel, table=True):
    """A person's role in one project; one person may hold different roles in different projects."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("project_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    role: Role = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled, so a re-delivered update is handled once."""

    __tablename__ = "processed_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class FsmRecord(SQLModel, table=True):
    """aiogram FSM state and data, aiogram-dialog stacks included: dialogs survive restarts."""

    __tablename__ = "fsm_record"

    key: str = Field(sa_column=Column(String(255), primary_key=True))
    state: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    """A deep-link code that lets someone join a project with a role."""

    __tablename__ = "invite"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    role: Role = Field(sa_column=Column(String(16), nullable=False))
    created_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    max_uses: int | None = None
    uses: int = 0
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConsentDecision(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class ConsentRecord(SQLModel, table=True):
    """Each consent decision. A refusal or an erasure keeps no link to the person."""

    __tablename__ = "consent_record"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("participant.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    project_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="SET NULL"), nullable=True),
    )
    version: str = Field(max_length=32)
    decision: ConsentDecision = Field(sa_column=Column(String(16), nullable=False))
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """Who did what, when, in which project: every privileged action. Holds no free text."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("participant.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    project_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="SET NULL"), nullable=True),
    )
    # A refusal someone can repeat at will (a forged button, pressed again and again) is one
    # row an hour: how many more times it came, and when the last did (storage/audit.py).
    repeats: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    last_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    # Whom the action was about (a role given to ...); unlinked when they are erased.
    subject_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="SET NULL"), nullable=True),
    )
    action: str = Field(max_length=64)
    detail: str = Field(default="", max_length=255)


# -- Delivery: everything the bot sends unprompted, and the recurring check-ins -------------------
# (imports kept here so this section stands alone; see bot/delivery and bot/services/delivery.py)

from datetime import date  # noqa: E402

from sqlalchemy import Boolean, Date, Index  # noqa: E402


class OutboxKind(StrEnum):
    """What an unprompted message is; its priority under the weekly cap is in services.delivery."""

    REMINDER = "reminder"  # for a meeting they said yes to
    WE_DID = "we_did"  # "you said, we did" about their own feedback
    ANSWER = "answer"  # news of what they asked for (their request for an offer ...)
    THANKS = "thanks"
    BROADCAST = "broadcast"
    NUDGE = "nudge"
    CHECKIN = "checkin"


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # the request may be in flight: after a crash it is sent again
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    DEFERRED = "deferred"  # waiting: quiet hours, pause, the weekly cap, or a retry


class OutboxMessage(SQLModel, table=True):
    """One unprompted message (a broadcast, a reminder, a check-in ...), a version per language."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    kind: OutboxKind = Field(sa_column=Column(String(16), nullable=False))
    project_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="SET NULL"), nullable=True),
    )
    created_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    send_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The language it was written in: the fallback for a recipient with no version of their own.
    source_locale: str = Field(max_length=8)
    # JSON object {locale: text}. Empty when text_key is set.
    texts: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    # A catalog message rendered in each recipient's language at send time (check-ins).
    text_key: str | None = Field(default=None, max_length=64)
    photo_file_id: str | None = Field(default=None, max_length=255)
    document_file_id: str | None = Field(default=None, max_length=255)
    # After this it is no use (a reminder for a meeting that has begun, an invitation to a poll
    # that has closed): whoever has not got it by then never will; the report counts it as expired.
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What a button on it would start (e.g. "checkin:pulse:3"), see dialogs/actions.py.
    action: str | None = Field(default=None, max_length=64)


class OutboxDelivery(SQLModel, table=True):
    """One recipient of one outbox message, and how far it got."""

    __tablename__ = "outbox_delivery"
    __table_args__ = (
        UniqueConstraint("message_id", "participant_id"),
        Index("ix_outbox_delivery_due", "state", "due_at"),
        Index("ix_outbox_delivery_sent", "participant_id", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbox_message.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE")
    priority: int = Field(sa_column=Column(SmallInteger, nullable=False))
    state: DeliveryState = Field(sa_column=Column(String(16), nullable=False))
    # Why it is deferred, failed or blocked: "quiet_hours", "paused", "over_cap", "retry", ...
    reason: str | None = Field(default=None, max_length=32)
    due_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
    # An engine holds the row until then; a crashed engine's rows come back after it.
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    telegram_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )


class CheckinSchedule(SQLModel, table=True):
    """A project's recurring check-in: every N weeks on a weekday at a local time."""

    __tablename__ = "checkin_schedule"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    # What the check-in starts: "pulse" or "feedback".
    start: str = Field(max_length=16)
    every_weeks: int = 1
    weekday: int = Field(sa_column=Column(SmallInteger, nullable=False))  # 0 = Monday
    minute_of_day: int = Field(sa_column=Column(SmallInteger, nullable=False))  # project's zone
    # The first day it ran (or will run): "every second week" counts from here.
    first_on: date = Field(sa_column=Column(Date, nullable=False))
    next_run_at: datetime = Field(sa_type=UTCDateTime, index=True)
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, default=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


__all__ = [
    "AuditEntry",
    "CheckinSchedule",
    "ConsentDecision",
    "ConsentRecord",
    "DeliveryState",
    "FsmRecord",
    "Invite",
    "Membership",
    "OutboxDelivery",
    "OutboxKind",
    "OutboxMessage",
    "Participant",
    "ProcessedUpdate",
    "Project",
    "ProjectText",
    "Role",
]
