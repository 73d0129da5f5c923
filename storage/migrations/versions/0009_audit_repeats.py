"""A refusal someone can repeat at will is one audit row an hour, counting the repeats.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("repeats", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_at", UTCDateTime(), nullable=True))
        batch.create_index("ix_audit_entry_actor_id", ["actor_id"])


def downgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_index("ix_audit_entry_actor_id")
        batch.drop_column("last_at")
        batch.drop_column("repeats")
