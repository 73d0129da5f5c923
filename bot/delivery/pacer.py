"""One pace for everything the bot sends: about 30 messages a second overall, one a second per chat.

One `Pacer` per process. The delivery engine waits on it before each message; the request
middleware (middleware.py) counts the bot's replies to people without making them wait, so the
engine leaves room for them. A 429 anywhere pauses the engine for Telegram's `retry_after`.

The global bucket refills slightly under Telegram's 30/s and holds at most one token: we never
burst, so Telegram's own bucket stays full and jitter on the wire cannot cost us a 429.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

TELEGRAM_GLOBAL_RATE = 30.0
DEFAULT_GLOBAL_RATE = 29.5
DEFAULT_CHAT_INTERVAL = 1.0
# Chats not written to for this long are forgotten, so the table stays small.
_CHAT_MEMORY_SECONDS = 60.0


class Pacer:
    def __init__(
        self,
        *,
        global_rate: float = DEFAULT_GLOBAL_RATE,
        chat_interval: float = DEFAULT_CHAT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if global_rate > TELEGRAM_GLOBAL_RATE:
            raise ValueError("global_rate above Telegram's 30 messages a second")
        self.global_rate = global_rate
        self.chat_interval = chat_interval
        self._clock = clock
        self._sleep = sleep
        self._next_global = clock()  # earliest moment of the next send
        self._next_chat: dict[int | str, float] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.pauses = 0

    @property
    def rate(self) -> float:
        """Messages a second the engine can expect to send (for an ETA)."""
        return self.global_rate

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nothing is sent until `seconds` from now."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self.pauses += 1

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def wait_time(self, chat_id: int | str | None) -> float:
        now = self._clock()
        ready = max(self._next_global, self._paused_until)
        if chat_id is not None:
            ready = max(ready, self._next_chat.get(chat_id, 0.0))
        return max(0.0, ready - now)

    def record(self, chat_id: int | str | None) -> None:
        """Count a send now (the bot's replies: they go at once and the engine makes room)."""
        now = self._clock()
        interval = 1.0 / self.global_rate
        # A send that comes a little late (timer overshoot, a commit) may catch up by one slot,
        # so the average holds at global_rate; never more, so there is no burst.
        self._next_global = max(self._next_global, now - interval) + interval
        if chat_id is not None:
            # A conversation's replies are allowed bursts; they delay the engine's next message
            # to that chat by one interval from the last reply, not by one per reply.
            self._next_chat[chat_id] = now + self.chat_interval
            if len(self._next_chat) > 10_000:
                self._forget_idle_chats(now)

    async def acquire(self, chat_id: int | str | None) -> None:
        """Wait until one more message to `chat_id` keeps us within every limit, and count it."""
        async with self._lock:
            while (wait := self.wait_time(chat_id)) > 0:
                await self._sleep(wait)
            self.record(chat_id)

    def _forget_idle_chats(self, now: float) -> None:
        horizon = now - _CHAT_MEMORY_SECONDS
        self._next_chat = {c: t for c, t in self._next_chat.items() if t > horizon}
