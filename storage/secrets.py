"""Secrets every process of one installation must read alike (the export pseudonyms' key), kept
in the database: a worker on another machine reads the same one, and a backup of the database
holds it. Nothing here logs a value."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AppSecret
from storage.types import utcnow
from storage.upsert import insert_for


async def get(session: AsyncSession, name: str) -> str | None:
    """The secret called `name`, or None when there is none yet."""
    return (
        await session.execute(select(AppSecret.value).where(AppSecret.name == name))
    ).scalar_one_or_none()


async def get_or_create(session: AsyncSession, name: str, value: str) -> str:
    """The secret called `name`; `value` becomes it if there is none. The caller commits.

    Two processes creating it at the same moment end with the same one: the insert does
    nothing when the row is there, and when another transaction is writing it the insert waits
    for that one to end (PostgreSQL's row lock, SQLite's write lock), then does nothing if it
    was committed. Whatever won is then read back.
    """
    statement = (
        insert_for(session.bind.dialect.name, AppSecret.__table__)
        .values(name=name, value=value, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    await session.execute(statement)
    return (
        await session.execute(select(AppSecret.value).where(AppSecret.name == name))
    ).scalar_one()
