"""The pace (bot/delivery/pacer.py) shared by every process of one bot token: in Redis when
REDIS_URL is set, in PostgreSQL otherwise. One atomic step decides and counts, on the store's
own clock, so two processes can never both take the last place in a second; a 429 seen by any
process pauses all of them until Telegram's `retry_after`."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import metrics
from bot.delivery.pacer import UNPROMPTED_WAITING_SECONDS, Limits, Sent, Turns, wait_before
from storage import pace as store

_PREFIX = "{coproduce:pace}"  # one hash slot, so the script's keys live together on a cluster

# The rule of pacer.wait_before, in Redis: it decides and counts in one step. Times are
# microseconds on Redis' clock. Returns 0 (counted, as ARGV[7]) or the microseconds to wait.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local unprompted = ARGV[1] == '1'
local limit, share = tonumber(ARGV[2]), tonumber(ARGV[3])
local window, chat_interval = tonumber(ARGV[4]), tonumber(ARGV[5])
local waiting_for = tonumber(ARGV[6])
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return paused - now end
if unprompted then redis.call('SET', KEYS[4], '1', 'PX', math.floor(waiting_for / 1000)) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
if not unprompted and redis.call('EXISTS', KEYS[4]) == 1 then
  local r, allowed = redis.call('ZCARD', KEYS[2]), limit - share
  if r >= allowed then
    local oldest = redis.call('ZRANGE', KEYS[2], r - allowed, r - allowed, 'WITHSCORES')
    return math.max(1, tonumber(oldest[2]) + window - now)
  end
end
if unprompted and KEYS[5] ~= KEYS[1] then
  local last = redis.call('ZRANGE', KEYS[5], -1, -1, 'WITHSCORES')
  if last[2] and tonumber(last[2]) + chat_interval > now then
    return math.max(1, tonumber(last[2]) + chat_interval - now)
  end
end
redis.call('ZADD', KEYS[1], now, ARGV[7])
if not unprompted then redis.call('ZADD', KEYS[2], now, ARGV[7]) end
redis.call('PEXPIRE', KEYS[1], 5000)
redis.call('PEXPIRE', KEYS[2], 5000)
if KEYS[5] ~= KEYS[1] then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - chat_interval)
  redis.call('ZADD', KEYS[5], now, ARGV[7])
  redis.call('PEXPIRE', KEYS[5], math.floor(chat_interval / 1000) + 1000)
end
return 0
"""

# Telegram answered: count the message from now (see pacer.py), in its chat too.
_ANSWERED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for _, key in ipairs(KEYS) do
  if redis.call('ZSCORE', key, ARGV[1]) then redis.call('ZADD', key, 'XX', now, ARGV[1]) end
end
return 0
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_ = now + tonumber(ARGV[1])
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > paused then
  redis.call('SET', KEYS[1], until_, 'PX', math.floor(ARGV[1] / 1000) + 1000)
end
return 0
"""

_MICRO = 1_000_000


class ChatKeys:
    """Who a message went to, as the shared pace remembers it: a keyed hash of the chat id
    (keyed with the bot token, which every process of the bot has), never the id itself, so
    neither Redis' files nor the database's statistics hold a Telegram id."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, chat_id: int | str | None) -> int | None:
        if chat_id is None:
            return None
        digest = hmac.new(self._key, str(chat_id).encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") >> 1  # fits a signed 64-bit column


class _Shared(Turns):
    limits: Limits

    def __init__(self, limits: Limits | None, sleep: Callable[[float], Awaitable[None]]) -> None:
        self.limits = limits or Limits()
        self._sleep = sleep

    @property
    def rate(self) -> float:
        return self.limits.rate


class RedisPace(_Shared):
    def __init__(
        self,
        redis,
        *,
        key: bytes,
        limits: Limits | None = None,
        prefix: str = _PREFIX,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(limits, sleep)
        self.redis = redis
        self._chat_key = ChatKeys(key)
        self.prefix = prefix
        self._acquire = redis.register_script(_ACQUIRE)
        self._answered = redis.register_script(_ANSWERED)
        self._pause = redis.register_script(_PAUSE)

    def _keys(self, chat_id) -> tuple[str, str, str]:
        sends = f"{self.prefix}:sends"
        chat = self._chat_key(chat_id)
        chat_key = f"{self.prefix}:chat:{chat:x}" if chat is not None else sends
        # (no chat: the sends key stands in, and the script skips the chat's rules)
        return sends, f"{self.prefix}:replies", chat_key

    async def try_acquire(self, chat_id, unprompted: bool) -> tuple[str, object] | float:
        """Count one message now if it may go (its ticket), else the seconds to wait."""
        p = self.prefix
        sends, replies, chat_key = self._keys(chat_id)
        limits = self.limits
        ticket = uuid.uuid4().hex
        waited = await self._acquire(
            keys=[sends, replies, f"{p}:paused", f"{p}:unprompted", chat_key],
            args=[
                "1" if unprompted else "0",
                limits.limit,
                limits.unprompted_share,
                int(limits.window * _MICRO),
                int(limits.chat_interval * _MICRO),
                int(UNPROMPTED_WAITING_SECONDS * _MICRO),
                ticket,
            ],
        )
        if int(waited) > 0:
            return int(waited) / _MICRO
        return ticket, chat_id

    async def answered(self, ticket: tuple[str, object]) -> None:
        member, chat_id = ticket
        await self._answered(keys=list(dict.fromkeys(self._keys(chat_id))), args=[member])

    async def pause(self, seconds: float) -> None:
        await self._pause(keys=[f"{self.prefix}:paused"], args=[int(seconds * _MICRO)])
        metrics.RETRY_AFTER.inc()

    async def close(self) -> None:
        return None  # the client belongs to the dialog state storage, which closes it


class DatabasePace(_Shared):
    """PostgreSQL: one short transaction per message, under an advisory lock."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        key: bytes,
        limits: Limits | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        owns_engine: bool = False,
    ) -> None:
        super().__init__(limits, sleep)
        self.engine = engine
        self.owns_engine = owns_engine  # closed with the pace
        self._chat_key = ChatKeys(key)

    async def try_acquire(self, chat_id, unprompted: bool) -> int | float:
        """Count one message now if it may go (its ticket), else the seconds to wait."""
        async with self.engine.begin() as connection:
            now = await store.lock_and_now(connection)
            marks = await store.marks(connection)
            if unprompted and marks.get("unprompted", 0.0) < now + UNPROMPTED_WAITING_SECONDS / 2:
                until = now + UNPROMPTED_WAITING_SECONDS
                await store.set_mark(connection, "unprompted", until, keep_later=False)
            recent = [
                Sent(at, chat, was_unprompted)
                for at, chat, was_unprompted in await store.recent(
                    connection, now - self.limits.memory
                )
            ]
            chat = self._chat_key(chat_id)
            wait = wait_before(
                now,
                recent,
                chat_id=chat,
                unprompted=unprompted,
                paused_until=marks.get("paused", 0.0),
                unprompted_waiting=marks.get("unprompted", 0.0) > now,
                limits=self.limits,
            )
            if wait > 0:
                return float(wait)
            ticket = await store.add_send(connection, now, chat, unprompted)
            await store.forget_before(connection, now - store.KEPT_SECONDS)
        return ticket

    async def answered(self, ticket: int) -> None:
        async with self.engine.begin() as connection:
            await store.stamp_answered(connection, ticket)

    async def pause(self, seconds: float) -> None:
        async with self.engine.begin() as connection:
            now = await store.lock_and_now(connection)
            await store.set_mark(connection, "paused", now + seconds, keep_later=True)
        metrics.RETRY_AFTER.inc()

    async def close(self) -> None:
        if self.owns_engine:
            await self.engine.dispose()
