"""Joining and privacy: invites, consent records, the audit log, and each person's choices.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PARTICIPANT_COLUMNS = [
    sa.Column("display_name", sa.String(length=64), nullable=True),
    sa.Column("timezone", sa.String(length=64), nullable=True),
    sa.Column("consent_version", sa.String(length=32), nullable=True),
    sa.Column("consented_at", UTCDateTime(), nullable=True),
    sa.Column("may_quote", sa.Boolean(), nullable=True),
    sa.Column("may_use_name", sa.Boolean(), nullable=True),
    sa.Column("onboarded_at", UTCDateTime(), nullable=True),
    sa.Column("messages_per_week", sa.Integer(), nullable=False, server_default="3"),
    sa.Column("quiet_start", sa.SmallInteger(), nullable=True),
    sa.Column("quiet_end", sa.SmallInteger(), nullable=True),
    sa.Column("paused_at", UTCDateTime(), nullable=True),
    sa.Column("paused_until", UTCDateTime(), nullable=True),
    sa.Column("unreachable_since", UTCDateTime(), nullable=True),
]


def upgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        for column in PARTICIPANT_COLUMNS:
            batch.add_column(column)
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("ground_rules", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("feedback_topics", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "invite",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(length=64), nullable=False, unique=True),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("project.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column(
            "created_by",
            sa.Integer(),
            sa.ForeignKey("participant.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_invite_project_id", "invite", ["project_id"])
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "participant_id",
            sa.Integer(),
            sa.ForeignKey("participant.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("project.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_consent_record_participant_id", "consent_record", ["participant_id"])
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column(
            "actor_id",
            sa.Integer(),
            sa.ForeignKey("participant.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("project.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "subject_id",
            sa.Integer(),
            sa.ForeignKey("participant.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=255), nullable=False),
    )
    op.create_index("ix_audit_entry_at", "audit_entry", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_entry_at", "audit_entry")
    op.drop_table("audit_entry")
    op.drop_index("ix_consent_record_participant_id", "consent_record")
    op.drop_table("consent_record")
    op.drop_index("ix_invite_project_id", "invite")
    op.drop_table("invite")
    with op.batch_alter_table("project") as batch:
        batch.drop_column("feedback_topics")
        batch.drop_column("ground_rules")
    with op.batch_alter_table("participant") as batch:
        for column in reversed(PARTICIPANT_COLUMNS):
            batch.drop_column(column.name)
