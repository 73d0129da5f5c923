"""The audit log of privileged actions, and of refusals.

A refusal is something a person can cause at will: each press of a forged staff button is one
"access.denied". So a refusal that repeats (the same person, action, project and detail within
an hour of the row that recorded it) is counted in that row (`repeats`, and `last_at` for the
last one) instead of adding another. The first is always written in full; none is lost from
the count. Details come from the button pressed, which a forger chooses freely, so after
`KINDS_AN_HOUR` different ones in an hour the rest of that person's refusals are counted in one
row more (detail `OTHERS`). One person adds at most `KINDS_AN_HOUR` + 1 rows an hour, however
fast they press.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry
from storage.types import utcnow

REFUSALS = frozenset({"access.denied", "export.denied"})
REPEAT_WINDOW = timedelta(hours=1)
KINDS_AN_HOUR = 5
OTHERS = "(other details)"


async def record(
    session: AsyncSession,
    action: str,
    *,
    actor_id: int | None,
    project_id: int | None = None,
    subject_id: int | None = None,
    detail: str = "",
) -> None:
    if action in REFUSALS and await _counted_again(session, action, actor_id, project_id, detail):
        return
    session.add(
        AuditEntry(
            actor_id=actor_id,
            project_id=project_id,
            subject_id=subject_id,
            action=action,
            detail=detail,
        )
    )


async def _counted_again(
    session: AsyncSession, action: str, actor_id: int | None, project_id: int | None, detail: str
) -> bool:
    """Count a refusal in this hour's row for it, if there is one (or in the person's row of
    other details, once they had `KINDS_AN_HOUR`); False if it needs a row of its own."""
    now = utcnow()
    actor = (
        AuditEntry.actor_id == actor_id if actor_id is not None else AuditEntry.actor_id.is_(None)
    )
    recent = (
        await session.execute(
            select(AuditEntry.id, AuditEntry.project_id, AuditEntry.detail)
            .where(AuditEntry.action == action, actor, AuditEntry.at >= now - REPEAT_WINDOW)
            .order_by(AuditEntry.id)
        )
    ).all()
    same = [row.id for row in recent if (row.project_id, row.detail) == (project_id, detail)]
    if not same:
        kinds = [row for row in recent if row.detail != OTHERS]
        if len(kinds) < KINDS_AN_HOUR:
            return False
        same = [row.id for row in recent if row.detail == OTHERS]
        if not same:
            session.add(AuditEntry(actor_id=actor_id, action=action, detail=OTHERS))
            return True
    await session.execute(
        update(AuditEntry)
        .where(AuditEntry.id == same[0])
        .values(repeats=AuditEntry.repeats + 1, last_at=now)
        .execution_options(synchronize_session=False)
    )
    return True


async def entries(session: AsyncSession, project_id: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if project_id is not None:
        query = query.where(AuditEntry.project_id == project_id)
    return list((await session.execute(query)).scalars())


async def about_person(session: AsyncSession, participant_id: int) -> list[AuditEntry]:
    """Entries where the person acted or was acted on (for their own data export)."""
    return list(
        (
            await session.execute(
                select(AuditEntry)
                .where(
                    (AuditEntry.actor_id == participant_id)
                    | (AuditEntry.subject_id == participant_id)
                )
                .order_by(AuditEntry.id)
            )
        ).scalars()
    )
