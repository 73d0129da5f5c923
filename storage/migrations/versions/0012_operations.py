"""Several processes on one database: sweep runs and period marks (sweeps computed from data,
never twice for one period), the shared pace on PostgreSQL, and the secrets every worker reads
alike. APScheduler's own job table goes: what is due now lives in sweep_run.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep_run",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("last_started_at", UTCDateTime(), nullable=True),
        sa.Column("last_finished_at", UTCDateTime(), nullable=True),
        sa.Column("last_duration_ms", sa.Integer(), nullable=True),
        sa.Column("last_ok", sa.Boolean(), nullable=True),
    )
    op.create_table(
        "sweep_mark",
        sa.Column("key", sa.String(length=128), primary_key=True),
        sa.Column("made_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "pace_send",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("at", sa.Float(precision=53), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("unprompted", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_pace_send_at", "pace_send", ["at"])
    op.create_table(
        "pace_mark",
        sa.Column("name", sa.String(length=16), primary_key=True),
        sa.Column("until", sa.Float(precision=53), nullable=False),
    )
    op.create_table(
        "app_secret",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.drop_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs")
    op.drop_table("apscheduler_jobs")


def downgrade() -> None:
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), primary_key=True),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])
    op.drop_table("app_secret")
    op.drop_table("pace_mark")
    op.drop_index("ix_pace_send_at", "pace_send")
    op.drop_table("pace_send")
    op.drop_table("sweep_mark")
    op.drop_table("sweep_run")
