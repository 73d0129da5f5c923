"""The audit log of privileged actions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


async def record(
    session: AsyncSession,
    action: str,
    *,
    actor_id: int | None,
    project_id: int | None = None,
    subject_id: int | None = None,
    detail: str = "",
) -> None:
    session.add(
        AuditEntry(
            actor_id=actor_id,
            project_id=project_id,
            subject_id=subject_id,
            action=action,
            detail=detail,
        )
    )


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
