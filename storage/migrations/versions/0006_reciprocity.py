"""Reciprocity offers, claims and contribution records.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _participant(name: str, ondelete: str, nullable: bool) -> sa.Column:
    return sa.Column(
        name, sa.Integer(), sa.ForeignKey("participant.id", ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "reciprocity_offer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("project.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("places", sa.Integer(), nullable=True),
        sa.Column("places_taken", sa.Integer(), nullable=False),
        sa.Column("closes_at", UTCDateTime(), nullable=True),
        sa.Column("min_meetings", sa.Integer(), nullable=False),
        sa.Column("source_locale", sa.String(length=8), nullable=False),
        _participant("created_by", "SET NULL", True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_reciprocity_offer_project_id", "reciprocity_offer", ["project_id"])
    op.create_index("ix_reciprocity_offer_closes_at", "reciprocity_offer", ["closes_at"])
    op.create_table(
        "reciprocity_offer_text",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "offer_id",
            sa.Integer(),
            sa.ForeignKey("reciprocity_offer.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.UniqueConstraint("offer_id", "locale"),
    )
    op.create_index("ix_reciprocity_offer_text_offer_id", "reciprocity_offer_text", ["offer_id"])
    op.create_table(
        "reciprocity_claim",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "offer_id",
            sa.Integer(),
            sa.ForeignKey("reciprocity_offer.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _participant("participant_id", "CASCADE", False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("amount_pence", sa.Integer(), nullable=True),
        sa.Column("receipt_file_id", sa.String(length=255), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        _participant("decided_by", "SET NULL", True),
        sa.Column("fulfilled_at", UTCDateTime(), nullable=True),
        sa.Column("told_state", sa.String(length=16), nullable=True),
        sa.UniqueConstraint("offer_id", "participant_id"),
    )
    op.create_index("ix_reciprocity_claim_offer_id", "reciprocity_claim", ["offer_id"])
    op.create_index("ix_reciprocity_claim_participant_id", "reciprocity_claim", ["participant_id"])
    op.create_table(
        "logged_activity",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("project.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _participant("participant_id", "CASCADE", False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        _participant("logged_by", "SET NULL", True),
        sa.Column("logged_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_logged_activity_project_id", "logged_activity", ["project_id"])
    op.create_index("ix_logged_activity_participant_id", "logged_activity", ["participant_id"])
    op.create_table(
        "thank_you_sent",
        sa.Column("id", sa.Integer(), primary_key=True),
        _participant("participant_id", "CASCADE", False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("minutes_given", sa.Integer(), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("activities", sa.Integer(), nullable=False),
        sa.Column("feedback", sa.Integer(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("participant_id", "period"),
    )
    op.create_index("ix_thank_you_sent_participant_id", "thank_you_sent", ["participant_id"])


def downgrade() -> None:
    op.drop_index("ix_thank_you_sent_participant_id", "thank_you_sent")
    op.drop_table("thank_you_sent")
    op.drop_index("ix_logged_activity_participant_id", "logged_activity")
    op.drop_index("ix_logged_activity_project_id", "logged_activity")
    op.drop_table("logged_activity")
    op.drop_index("ix_reciprocity_claim_participant_id", "reciprocity_claim")
    op.drop_index("ix_reciprocity_claim_offer_id", "reciprocity_claim")
    op.drop_table("reciprocity_claim")
    op.drop_index("ix_reciprocity_offer_text_offer_id", "reciprocity_offer_text")
    op.drop_table("reciprocity_offer_text")
    op.drop_index("ix_reciprocity_offer_closes_at", "reciprocity_offer")
    op.drop_index("ix_reciprocity_offer_project_id", "reciprocity_offer")
    op.drop_table("reciprocity_offer")
