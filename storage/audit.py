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
    detail: str = "",
) -> None:
    session.add(AuditEntry(actor_id=actor_id, project_id=project_id, action=action, detail=detail))


async def entries(session: AsyncSession, project_id: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if project_id is not None:
        query = query.where(AuditEntry.project_id == project_id)
    return list((await session.execute(query)).scalars())
