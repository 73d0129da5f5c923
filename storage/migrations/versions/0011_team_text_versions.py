"""Team texts in every language the team uses: ground rules and topics per language
(project_text), and versions of poll and meeting titles and places, with the language of the
original. Existing texts stay the original: everyone reads them as before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_text",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("project.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("ground_rules", sa.Text(), nullable=False, server_default=""),
        sa.Column("feedback_topics", sa.Text(), nullable=False, server_default="{}"),
        sa.UniqueConstraint("project_id", "locale"),
    )
    op.create_index("ix_project_text_project_id", "project_text", ["project_id"])
    for table in ("availability_poll", "meeting"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("source_locale", sa.String(length=8), nullable=True))
            batch.add_column(sa.Column("versions", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    for table in ("meeting", "availability_poll"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("versions")
            batch.drop_column("source_locale")
    op.drop_index("ix_project_text_project_id", table_name="project_text")
    op.drop_table("project_text")
