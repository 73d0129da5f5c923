"""aiogram FSM storage in our own database, so a dialog survives a restart without Redis."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import current_update_session
from storage.dialog_records import keys_of_chat
from storage.models import FsmRecord
from storage.types import utcnow
from storage.upsert import insert_for

_TABLE = FsmRecord.__table__
_PENDING = "fsm_pending_writes"
_CACHE = "fsm_read_cache"
_LOADED = "fsm_chats_loaded"
_EMPTY = (None, "{}")


def _pending(session: AsyncSession) -> dict[str, dict[str, Any]]:
    return session.info.setdefault(_PENDING, {})


_ONE_KEY = select(_TABLE.c.state, _TABLE.c.data).where(_TABLE.c.key == bindparam("key"))
# Every record of one chat (its state, dialog stack and open dialogs). A key range rather than
# LIKE, so PostgreSQL's primary-key index serves it too. Built once: every update runs it.
_CHAT = select(_TABLE.c.key, _TABLE.c.state, _TABLE.c.data).where(
    or_(
        _TABLE.c.key == bindparam("base"), _TABLE.c.key.between(bindparam("low"), bindparam("high"))
    )
)


async def _select(session: AsyncSession, key: str) -> tuple[str | None, str] | None:
    row = (await session.execute(_ONE_KEY, {"key": key})).first()
    return None if row is None else (row.state, row.data)


async def _upsert(session: AsyncSession, key: str, values: dict[str, Any]) -> None:
    values = {**values, "updated_at": utcnow()}
    statement = insert_for(session.bind.dialect.name, _TABLE).values(key=key, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=["key"], set_=values))


async def _select_chat(session: AsyncSession, base: str) -> dict[str, tuple[str | None, str]]:
    rows = await session.execute(_CHAT, {"base": base, "low": base + ":", "high": base + ";"})
    return {row.key: (row.state, row.data) for row in rows}


@cache
def _write_rows(dialect_name: str):
    """The update's records in one statement (executemany: one call, whatever the count)."""
    statement = insert_for(dialect_name, _TABLE)
    return statement.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "state": statement.excluded.state,
            "data": statement.excluded.data,
            "updated_at": statement.excluded.updated_at,
        },
    )


async def flush_dialog_state(session: AsyncSession) -> None:
    """Write what dialogs changed during this update (called just before its commit).
    A record left with no state and no data is deleted: closed dialogs do not pile up."""
    pending = session.info.pop(_PENDING, {})
    cache = session.info.pop(_CACHE, {})
    session.info.pop(_LOADED, None)
    rows, emptied = [], []
    now = utcnow()
    for key, values in sorted(pending.items()):
        # Every written key was read first (SQLStorage._write), so the cache knows its row.
        state, data = cache.get(key) or _EMPTY
        final = (values.get("state", state), values.get("data", data))
        if final == _EMPTY:
            if cache.get(key) is not None:
                emptied.append(key)
            continue
        rows.append({"key": key, "state": final[0], "data": final[1], "updated_at": now})
    if emptied:
        await session.execute(delete(_TABLE).where(_TABLE.c.key.in_(emptied)))
    if rows:
        # Written together at the end: the write lock is held for as short as can be.
        await session.execute(_write_rows(session.bind.dialect.name), rows)


class SQLStorage(BaseStorage):
    """State and data as one row per key. Data must be JSON, as it must be for Redis too."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        key_builder: KeyBuilder | None = None,
    ) -> None:
        self._sessions = session_factory
        # aiogram-dialog keeps its stacks under their own "destiny"; the key must include it.
        self._keys = key_builder or DefaultKeyBuilder(with_destiny=True)

    async def _write(self, key: StorageKey, **values: Any) -> None:
        shared = current_update_session()
        if shared is not None:
            # Written at the end of the update, with everything else it wrote: SQLite's one
            # write lock is then held for a moment, not across the update's calls to Telegram.
            await self._read(key)  # so the flush knows the row this write changes
            _pending(shared).setdefault(self._keys.build(key), {}).update(values)
            return
        async with self._sessions() as session:
            await _upsert(session, self._keys.build(key), values)
            await session.commit()

    def _chat_base(self, key: StorageKey) -> str:
        """The part of every key of this chat before its destiny."""
        return self._keys.build(replace(key, destiny="\x00"))[: -len(":\x00")]

    async def _read(self, key: StorageKey) -> tuple[str | None, str] | None:
        built = self._keys.build(key)
        shared = current_update_session()
        if shared is None:
            async with self._sessions() as session:
                return await _select(session, built)
        cache = shared.info.setdefault(_CACHE, {})
        loaded = shared.info.setdefault(_LOADED, set())
        base = self._chat_base(key)
        if base not in loaded and built.startswith(base):
            cache.update(await _select_chat(shared, base))
            loaded.add(base)
        elif built not in cache and not built.startswith(base):
            cache[built] = await _select(shared, built)
        row, pending = cache.get(built), _pending(shared).get(built)
        if pending is None:
            return row
        state, data = row if row is not None else (None, "{}")
        return pending.get("state", state), pending.get("data", data)

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._write(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._read(key)
        return None if row is None else row[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=json.dumps(dict(data), ensure_ascii=False))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._read(key)
        return {} if row is None else json.loads(row[1])

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""

    async def forget_user(self, user_id: int) -> int:
        """Delete every dialog record of this person's private chat (for erasure)."""
        statement = delete(_TABLE).where(keys_of_chat(user_id))
        shared = current_update_session()
        if shared is not None:
            await flush_dialog_state(shared)  # nothing written later may bring them back
            return (await shared.execute(statement)).rowcount or 0
        async with self._sessions() as session:
            result = await session.execute(statement)
            await session.commit()
        return result.rowcount or 0


async def forget_user_dialogs(storage: BaseStorage, user_id: int) -> int:
    """Erase a person's dialog state from whichever storage holds it."""
    if isinstance(storage, SQLStorage):
        return await storage.forget_user(user_id)
    redis = getattr(storage, "redis", None)
    if redis is None:
        raise TypeError(f"cannot erase dialog state from {type(storage).__name__}")
    removed = 0
    prefix = getattr(getattr(storage, "key_builder", None), "prefix", "fsm")
    for pattern in (f"{prefix}:*:{int(user_id)}:*", f"{prefix}:*:{int(user_id)}"):
        async for key in redis.scan_iter(match=pattern, count=500):
            removed += await redis.delete(key)
    return removed
