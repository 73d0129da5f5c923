"""Delivery: the outbox (a message, and one row per recipient), check-in schedules, and the
scheduler's job store table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("project.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "created_by",
            sa.Integer(),
            sa.ForeignKey("participant.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("send_at", UTCDateTime(), nullable=False),
        sa.Column("source_locale", sa.String(length=8), nullable=False),
        sa.Column("texts", sa.Text(), nullable=False),
        sa.Column("text_key", sa.String(length=64), nullable=True),
        sa.Column("photo_file_id", sa.String(length=255), nullable=True),
        sa.Column("document_file_id", sa.String(length=255), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=True),
    )
    op.create_table(
        "outbox_delivery",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "message_id",
            sa.Integer(),
            sa.ForeignKey("outbox_message.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "participant_id",
            sa.Integer(),
            sa.ForeignKey("participant.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("message_id", "participant_id"),
    )
    op.create_index("ix_outbox_delivery_message_id", "outbox_delivery", ["message_id"])
    op.create_index("ix_outbox_delivery_due", "outbox_delivery", ["state", "due_at"])
    op.create_index("ix_outbox_delivery_sent", "outbox_delivery", ["participant_id", "sent_at"])
    op.create_table(
        "checkin_schedule",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("project.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("start", sa.String(length=16), nullable=False),
        sa.Column("every_weeks", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("minute_of_day", sa.SmallInteger(), nullable=False),
        sa.Column("first_on", sa.Date(), nullable=False),
        sa.Column("next_run_at", UTCDateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_checkin_schedule_project_id", "checkin_schedule", ["project_id"])
    op.create_index("ix_checkin_schedule_next_run_at", "checkin_schedule", ["next_run_at"])
    # APScheduler's SQLAlchemyJobStore table, in its own layout (it finds it and creates nothing).
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), primary_key=True),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs")
    op.drop_table("apscheduler_jobs")
    op.drop_index("ix_checkin_schedule_next_run_at", "checkin_schedule")
    op.drop_index("ix_checkin_schedule_project_id", "checkin_schedule")
    op.drop_table("checkin_schedule")
    op.drop_index("ix_outbox_delivery_sent", "outbox_delivery")
    op.drop_index("ix_outbox_delivery_due", "outbox_delivery")
    op.drop_index("ix_outbox_delivery_message_id", "outbox_delivery")
    op.drop_table("outbox_delivery")
    op.drop_table("outbox_message")
