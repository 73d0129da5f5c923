"""Dialog records (aiogram FSM rows) as plain SQL, for erasure and retention sweeps."""

from __future__ import annotations

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FsmRecord

_TABLE = FsmRecord.__table__


def keys_of_chat(user_id: int):
    """Every record key of one person's private chat (the id is a whole segment of the key)."""
    return or_(_TABLE.c.key.like(f"%:{int(user_id)}:%"), _TABLE.c.key.like(f"%:{int(user_id)}"))


async def delete_chats(session: AsyncSession, user_ids: list[int]) -> None:
    """Delete the dialog records of these people's private chats, in the caller's transaction."""
    for user_id in user_ids:
        await session.execute(delete(_TABLE).where(keys_of_chat(user_id)))
