"""Feedback, pulse check-ins and "you said, we did" updates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _fk(column: str, target: str, ondelete: str, *, nullable: bool) -> sa.Column:
    return sa.Column(
        column, sa.Integer(), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "feedback_theme",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("project_id", "project.id", "CASCADE", nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        _fk("created_by", "participant.id", "SET NULL", nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_feedback_theme_project_id", "feedback_theme", ["project_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("project_id", "project.id", "CASCADE", nullable=False),
        _fk("participant_id", "participant.id", "CASCADE", nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("voice_file_id", sa.String(length=255), nullable=True),
        sa.Column("voice_duration", sa.Integer(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        _fk("theme_id", "feedback_theme.id", "SET NULL", nullable=True),
    )
    op.create_index("ix_feedback_project_id", "feedback", ["project_id"])
    op.create_index("ix_feedback_participant_id", "feedback", ["participant_id"])
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])
    op.create_index("ix_feedback_theme_id", "feedback", ["theme_id"])
    op.create_table(
        "pulse_response",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("project_id", "project.id", "CASCADE", nullable=False),
        _fk("participant_id", "participant.id", "CASCADE", nullable=False),
        _fk("checkin_message_id", "outbox_message.id", "SET NULL", nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("checkin_message_id", "participant_id"),
    )
    op.create_index("ix_pulse_response_project_id", "pulse_response", ["project_id"])
    op.create_index("ix_pulse_response_participant_id", "pulse_response", ["participant_id"])
    op.create_table(
        "you_said_we_did",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("project_id", "project.id", "CASCADE", nullable=False),
        _fk("created_by", "participant.id", "SET NULL", nullable=True),
        _fk("theme_id", "feedback_theme.id", "SET NULL", nullable=True),
        sa.Column("source_locale", sa.String(length=8), nullable=False),
        sa.Column("you_said", sa.Text(), nullable=False),
        sa.Column("we_did", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("to_whole_project", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("reminded_for_due_on", sa.Date(), nullable=True),
    )
    op.create_index("ix_you_said_we_did_project_id", "you_said_we_did", ["project_id"])
    op.create_index("ix_you_said_we_did_published_at", "you_said_we_did", ["published_at"])
    op.create_table(
        "you_said_we_did_text",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("update_id", "you_said_we_did.id", "CASCADE", nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("you_said", sa.Text(), nullable=False),
        sa.Column("we_did", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.UniqueConstraint("update_id", "locale"),
    )
    op.create_index("ix_you_said_we_did_text_update_id", "you_said_we_did_text", ["update_id"])
    op.create_table(
        "you_said_we_did_feedback",
        sa.Column(
            "update_id",
            sa.Integer(),
            sa.ForeignKey("you_said_we_did.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "feedback_id",
            sa.Integer(),
            sa.ForeignKey("feedback.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index(
        "ix_you_said_we_did_feedback_feedback_id", "you_said_we_did_feedback", ["feedback_id"]
    )
    op.create_table(
        "you_said_we_did_reply",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("update_id", "you_said_we_did.id", "CASCADE", nullable=False),
        _fk("participant_id", "participant.id", "CASCADE", nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("update_id", "participant_id"),
    )
    op.create_index("ix_you_said_we_did_reply_update_id", "you_said_we_did_reply", ["update_id"])
    op.create_index(
        "ix_you_said_we_did_reply_participant_id", "you_said_we_did_reply", ["participant_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_you_said_we_did_reply_participant_id", "you_said_we_did_reply")
    op.drop_index("ix_you_said_we_did_reply_update_id", "you_said_we_did_reply")
    op.drop_table("you_said_we_did_reply")
    op.drop_index("ix_you_said_we_did_feedback_feedback_id", "you_said_we_did_feedback")
    op.drop_table("you_said_we_did_feedback")
    op.drop_index("ix_you_said_we_did_text_update_id", "you_said_we_did_text")
    op.drop_table("you_said_we_did_text")
    op.drop_index("ix_you_said_we_did_published_at", "you_said_we_did")
    op.drop_index("ix_you_said_we_did_project_id", "you_said_we_did")
    op.drop_table("you_said_we_did")
    op.drop_index("ix_pulse_response_participant_id", "pulse_response")
    op.drop_index("ix_pulse_response_project_id", "pulse_response")
    op.drop_table("pulse_response")
    op.drop_index("ix_feedback_theme_id", "feedback")
    op.drop_index("ix_feedback_created_at", "feedback")
    op.drop_index("ix_feedback_participant_id", "feedback")
    op.drop_index("ix_feedback_project_id", "feedback")
    op.drop_table("feedback")
    op.drop_index("ix_feedback_theme_project_id", "feedback_theme")
    op.drop_table("feedback_theme")
