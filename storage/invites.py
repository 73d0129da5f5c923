"""Queries about invite codes."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite


async def add(session: AsyncSession, invite: Invite) -> Invite:
    session.add(invite)
    await session.flush()
    return invite


async def by_code(session: AsyncSession, code: str) -> Invite | None:
    return (await session.execute(select(Invite).where(Invite.code == code))).scalar_one_or_none()


async def count_use(session: AsyncSession, invite: Invite) -> bool:
    """Take one use, atomically; False if the last place went to someone else meanwhile."""
    statement = update(Invite).where(Invite.id == invite.id)
    if invite.max_uses is not None:
        statement = statement.where(Invite.uses < Invite.max_uses)
    result = await session.execute(statement.values(uses=Invite.uses + 1))
    return result.rowcount == 1


async def for_project(session: AsyncSession, project_id: int) -> list[Invite]:
    return list(
        (
            await session.execute(
                select(Invite).where(Invite.project_id == project_id).order_by(Invite.id)
            )
        ).scalars()
    )
