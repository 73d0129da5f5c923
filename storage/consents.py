"""Queries about consent decisions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConsentDecision, ConsentRecord


async def add(
    session: AsyncSession,
    decision: ConsentDecision,
    version: str,
    *,
    participant_id: int | None,
    project_id: int | None,
) -> None:
    session.add(
        ConsentRecord(
            participant_id=participant_id,
            project_id=project_id,
            version=version,
            decision=decision,
        )
    )


async def of_participant(session: AsyncSession, participant_id: int) -> list[ConsentRecord]:
    return list(
        (
            await session.execute(
                select(ConsentRecord)
                .where(ConsentRecord.participant_id == participant_id)
                .order_by(ConsentRecord.id)
            )
        ).scalars()
    )
