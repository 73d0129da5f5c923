"""Reciprocity: what a team offers back for people's time, the claims on it, activities a
facilitator logs, and the thank-you messages already sent."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class OfferKind(StrEnum):
    TRAINING = "training"
    TRAVEL = "travel"  # travel expenses: the claim carries an amount and maybe a receipt
    VOUCHER = "voucher"
    REFERENCE = "reference"
    CERTIFICATE = "certificate"
    OTHER = "other"


class ClaimState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"
    FULFILLED = "fulfilled"
    WITHDRAWN = "withdrawn"  # the participant changed their mind before a decision


class ReciprocityOffer(SQLModel, table=True):
    """Something a team gives back: training, travel expenses, a voucher, a reference ..."""

    __tablename__ = "reciprocity_offer"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    kind: OfferKind = Field(sa_column=Column(String(16), nullable=False))
    # None means as many as ask.
    places: int | None = None
    # Claims that hold a place (requested, approved or fulfilled). Changed only by a conditional
    # UPDATE, so two people asking for the last place at once cannot both get it.
    places_taken: int = 0
    # The end of the closing day in the project's zone; None: open until withdrawn.
    closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # Eligibility: meetings of this project the person came to (0: everyone may ask).
    min_meetings: int = 0
    # The language it was written in: the fallback for a reader with no version of their own.
    source_locale: str = Field(max_length=8)
    created_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Closed early by staff; claims already made stay.
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReciprocityOfferText(SQLModel, table=True):
    """An offer's title and description in one language."""

    __tablename__ = "reciprocity_offer_text"
    __table_args__ = (UniqueConstraint("offer_id", "locale"),)

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="reciprocity_offer.id", index=True, ondelete="CASCADE")
    locale: str = Field(max_length=8)
    title: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ReciprocityClaim(SQLModel, table=True):
    """One person asking for one offer, and how far it got. One claim per person per offer."""

    __tablename__ = "reciprocity_claim"
    __table_args__ = (UniqueConstraint("offer_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="reciprocity_offer.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    state: ClaimState = Field(sa_column=Column(String(16), nullable=False))
    # Why it was declined, in the words of the staff member; shown to the participant.
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Travel expenses: what they paid, in pence, and the photo of a receipt (a Telegram file id).
    amount_pence: int | None = None
    receipt_file_id: str | None = Field(default=None, max_length=255)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="SET NULL"), nullable=True),
    )
    fulfilled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The last state the participant was told about: each change reaches them once.
    told_state: ClaimState | None = Field(default=None, sa_column=Column(String(16), nullable=True))


class LoggedActivity(SQLModel, table=True):
    """Time someone gave outside meetings (a panel, an interview), logged by staff."""

    __tablename__ = "logged_activity"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    minutes: int
    day: date = Field(sa_column=Column(Date, nullable=False))
    description: str = Field(default="", max_length=200)
    logged_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="SET NULL"), nullable=True),
    )
    logged_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ThankYouSent(SQLModel, table=True):
    """A periodic thank-you queued for one person: once per period, even across restarts.
    The figures are what it said, so the next one goes only when they gave something new."""

    __tablename__ = "thank_you_sent"
    __table_args__ = (UniqueConstraint("participant_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    # The calendar month, "2026-11".
    period: str = Field(max_length=16)
    minutes_given: int = 0
    meetings: int = 0
    activities: int = 0
    feedback: int = 0
    changes: int = 0
    queued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


__all__ = [
    "ClaimState",
    "LoggedActivity",
    "OfferKind",
    "ReciprocityClaim",
    "ReciprocityOffer",
    "ReciprocityOfferText",
    "ThankYouSent",
]
