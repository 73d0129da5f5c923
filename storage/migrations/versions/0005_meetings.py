"""Meeting availability polls, meetings, reminders and attendance.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _id_column(name: str, table: str, ondelete: str = "CASCADE", **kw) -> sa.Column:
    """A link to another table's id; SET NULL links are optional."""
    nullable = ondelete == "SET NULL"
    return sa.Column(
        name, sa.Integer(), sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable, **kw
    )


def upgrade() -> None:
    op.create_table(
        "availability_poll",
        sa.Column("id", sa.Integer(), primary_key=True),
        _id_column("project_id", "project"),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        _id_column("created_by", "participant", "SET NULL"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("reminder_due_at", UTCDateTime(), nullable=True),
        sa.Column("reminder_sent_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_availability_poll_project_id", "availability_poll", ["project_id"])
    op.create_index("ix_availability_poll_deadline", "availability_poll", ["deadline"])
    op.create_table(
        "poll_slot",
        sa.Column("id", sa.Integer(), primary_key=True),
        _id_column("poll_id", "availability_poll"),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("poll_id", "starts_at"),
    )
    op.create_index("ix_poll_slot_poll_id", "poll_slot", ["poll_id"])
    op.create_table(
        "poll_invitee",
        sa.Column("id", sa.Integer(), primary_key=True),
        _id_column("poll_id", "availability_poll"),
        _id_column("participant_id", "participant"),
        sa.Column("invited_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("poll_id", "participant_id"),
    )
    op.create_index("ix_poll_invitee_poll_id", "poll_invitee", ["poll_id"])
    op.create_index("ix_poll_invitee_participant_id", "poll_invitee", ["participant_id"])
    op.create_table(
        "poll_answer",
        sa.Column("id", sa.Integer(), primary_key=True),
        _id_column("poll_id", "availability_poll"),
        _id_column("slot_id", "poll_slot"),
        _id_column("participant_id", "participant"),
        sa.Column("choice", sa.String(length=16), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("slot_id", "participant_id"),
    )
    op.create_index("ix_poll_answer_poll_id", "poll_answer", ["poll_id"])
    op.create_index("ix_poll_answer_participant_id", "poll_answer", ["participant_id"])
    op.create_table(
        "access_need",
        sa.Column("id", sa.Integer(), primary_key=True),
        _id_column("poll_id", "availability_poll"),
        _id_column("participant_id", "participant"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("poll_id", "participant_id", "kind"),
    )
    op.create_index("ix_access_need_poll_id", "access_need", ["poll_id"])
    op.create_index("ix_access_need_participant_id", "access_need", ["participant_id"])
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), primary_key=True),
        _id_column("project_id", "project"),
        _id_column("poll_id", "availability_poll", "SET NULL", unique=True),
        _id_column("slot_id", "poll_slot", "SET NULL"),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        _id_column("created_by", "participant", "SET NULL"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_meeting_project_id", "meeting", ["project_id"])
    op.create_index("ix_meeting_starts_at", "meeting", ["starts_at"])
    op.create_table(
        "meeting_notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        _id_column("meeting_id", "meeting"),
        _id_column("participant_id", "participant"),
        sa.Column("told_at", UTCDateTime(), nullable=False),
        sa.Column("cant_come_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("meeting_id", "participant_id"),
    )
    op.create_index("ix_meeting_notice_meeting_id", "meeting_notice", ["meeting_id"])
    op.create_index("ix_meeting_notice_participant_id", "meeting_notice", ["participant_id"])
    op.create_table(
        "meeting_reminder",
        sa.Column("id", sa.Integer(), primary_key=True),
        _id_column("meeting_id", "meeting"),
        sa.Column("minutes_before", sa.SmallInteger(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("meeting_id", "minutes_before"),
    )
    op.create_index("ix_meeting_reminder_meeting_id", "meeting_reminder", ["meeting_id"])
    op.create_index("ix_meeting_reminder_due", "meeting_reminder", ["sent_at", "due_at"])
    op.create_table(
        "meeting_attendance",
        sa.Column("id", sa.Integer(), primary_key=True),
        _id_column("meeting_id", "meeting"),
        _id_column("participant_id", "participant"),
        sa.Column("attended", sa.Boolean(), nullable=False),
        _id_column("marked_by", "participant", "SET NULL"),
        sa.Column("marked_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("meeting_id", "participant_id"),
    )
    op.create_index("ix_meeting_attendance_meeting_id", "meeting_attendance", ["meeting_id"])
    op.create_index(
        "ix_meeting_attendance_participant_id", "meeting_attendance", ["participant_id"]
    )


def downgrade() -> None:
    for table, columns in (
        ("meeting_attendance", ("participant_id", "meeting_id")),
        ("meeting_reminder", ("due", "meeting_id")),
        ("meeting_notice", ("participant_id", "meeting_id")),
        ("meeting", ("starts_at", "project_id")),
        ("access_need", ("participant_id", "poll_id")),
        ("poll_answer", ("participant_id", "poll_id")),
        ("poll_invitee", ("participant_id", "poll_id")),
        ("poll_slot", ("poll_id",)),
        ("availability_poll", ("deadline", "project_id")),
    ):
        for column in columns:
            op.drop_index(f"ix_{table}_{column}", table)
        op.drop_table(table)
