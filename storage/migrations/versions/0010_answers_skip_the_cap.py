"""Messages that answer someone are never held by the weekly cap: news of a request they made
becomes its own kind ("answer"), and what the cap was holding back of those kinds goes now.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime, utcnow

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # News of someone's request for an offer was queued as a "thanks" with an "offer:<id>" button.
    op.execute(
        sa.text(
            "UPDATE outbox_message SET kind = 'answer' "
            "WHERE kind = 'thanks' AND action LIKE 'offer:%'"
        )
    )
    # Held back by the cap until a week from now: due at once; quiet hours and pauses still hold.
    op.execute(
        sa.text(
            "UPDATE outbox_delivery SET due_at = :now "
            "WHERE state = 'deferred' AND reason = 'over_cap' AND message_id IN "
            "(SELECT id FROM outbox_message WHERE kind IN ('reminder', 'we_did', 'answer'))"
        ).bindparams(sa.bindparam("now", value=utcnow(), type_=UTCDateTime()))
    )


def downgrade() -> None:
    op.execute(sa.text("UPDATE outbox_message SET kind = 'thanks' WHERE kind = 'answer'"))
