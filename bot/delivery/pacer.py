"""One pace for everything the bot token sends: at most 30 messages in any sliding second, one
a second per chat for unprompted messages, and a 429 pauses every sender.

The rule (`wait_before`) is one function; where its memory lives depends on how the bot runs:

* `Pacer`: in this process (one process on SQLite: `coproduce run`);
* `shared_pace.RedisPace` / `shared_pace.DatabasePace`: in Redis, or in PostgreSQL when there
  is no Redis, so webhook workers' replies and the background worker's messages share one
  budget, measured on one clock (Redis' or the database's).

Replies to people (prompted: someone is waiting) and the delivery engine's unprompted messages
take turns in one budget. While unprompted messages wait, replies may use at most
`limit - unprompted_share` of any second, so a busy conversation never holds a broadcast back
for long; when nothing unprompted waits, replies may use all of it.

A message takes its turn (`turn()`), is counted from that moment, and when Telegram has
answered it is counted again from the answer: Telegram saw it somewhere in between, so the
answer's time is never earlier than Telegram's, and a request that was slow on the way cannot
make 31 land inside Telegram's second, however the requests of several processes interleave.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from bot import metrics

TELEGRAM_LIMIT = 30  # messages in any sliding second, for the whole bot token
WINDOW_SECONDS = 1.0
CHAT_INTERVAL = 1.0  # between unprompted messages to one chat
UNPROMPTED_SHARE = 10  # of the 30, kept for unprompted messages while they wait
# How long "unprompted messages are waiting" lasts after the engine last asked for a turn.
UNPROMPTED_WAITING_SECONDS = 2.0


@dataclass(frozen=True)
class Limits:
    limit: int = TELEGRAM_LIMIT
    window: float = WINDOW_SECONDS
    chat_interval: float = CHAT_INTERVAL
    unprompted_share: int = UNPROMPTED_SHARE

    def __post_init__(self) -> None:
        if self.limit / self.window > TELEGRAM_LIMIT:
            raise ValueError("a pace above Telegram's 30 messages a second")

    @property
    def memory(self) -> float:
        """How far back the rule looks."""
        return max(self.window, self.chat_interval)

    @property
    def rate(self) -> float:
        """Messages a second the engine can expect to send (for an ETA)."""
        return self.limit / self.window


@dataclass
class Sent:
    at: float  # when it took its turn; when Telegram answered, once it has
    chat_id: int | str | None
    unprompted: bool


def wait_before(
    now: float,
    recent: Iterable[Sent],
    *,
    chat_id: int | str | None,
    unprompted: bool,
    paused_until: float,
    unprompted_waiting: bool,
    limits: Limits,
) -> float:
    """Seconds to wait before one more message may go (0: it may go now). `recent` is what
    was sent, in any order; anything older than the window is ignored."""
    if paused_until > now:
        return paused_until - now
    recent = [sent for sent in recent if sent.at > now - limits.memory]
    second = sorted(sent.at for sent in recent if sent.at > now - limits.window)
    if len(second) >= limits.limit:
        return second[len(second) - limits.limit] + limits.window - now
    if not unprompted and unprompted_waiting:
        replies = sorted(
            sent.at for sent in recent if not sent.unprompted and sent.at > now - limits.window
        )
        allowed = limits.limit - limits.unprompted_share
        if len(replies) >= allowed:
            return replies[len(replies) - allowed] + limits.window - now
    if unprompted and chat_id is not None:
        # Replies to a person are not held per chat (someone is waiting; a 429 on one is
        # retried after retry_after), but an unprompted message waits a second after anything.
        last = max((sent.at for sent in recent if sent.chat_id == chat_id), default=None)
        if last is not None and last + limits.chat_interval > now:
            return last + limits.chat_interval - now
    return 0.0


class Pace(Protocol):
    limits: Limits

    @property
    def rate(self) -> float: ...
    async def try_acquire(self, chat_id: int | str | None, unprompted: bool) -> Any: ...
    async def answered(self, ticket: Any) -> None: ...
    async def pause(self, seconds: float) -> None: ...
    async def close(self) -> None: ...
    def turn(
        self, chat_id: int | str | None, *, unprompted: bool = True
    ) -> Any: ...  # an async context manager: wait, count, send inside, count again after


class Turns(abc.ABC):
    """`turn()` on top of `try_acquire` (a ticket, or the seconds to wait) and `answered`."""

    _sleep: Callable[[float], Awaitable[None]]

    @abc.abstractmethod
    async def try_acquire(self, chat_id: int | str | None, unprompted: bool) -> Any:
        """Count one message now if it may go (its ticket), else the seconds to wait (float)."""

    @abc.abstractmethod
    async def answered(self, ticket: Any) -> None:
        """Telegram answered the message of this ticket: count it from now."""

    async def acquire(self, chat_id: int | str | None, *, unprompted: bool = True) -> Any:
        """Wait until one more message to `chat_id` keeps every limit, count it; its ticket."""
        started = time.monotonic()
        while isinstance(got := await self.try_acquire(chat_id, unprompted), float):
            await self._sleep(got)
        kind = "unprompted" if unprompted else "reply"
        metrics.PACE_WAIT_SECONDS.labels(kind=kind).observe(time.monotonic() - started)
        return got

    @asynccontextmanager
    async def turn(
        self, chat_id: int | str | None, *, unprompted: bool = True
    ) -> AsyncIterator[None]:
        ticket = await self.acquire(chat_id, unprompted=unprompted)
        try:
            yield
        finally:
            await self.answered(ticket)  # an error is an answer too: the call reached us back


class Pacer(Turns):
    """The pace in this process's memory (one process: polling on SQLite)."""

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        chat_interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        limits = limits or Limits()
        if chat_interval is not None:
            limits = dataclasses.replace(limits, chat_interval=chat_interval)
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._recent: dict[int, Sent] = {}
        self._tickets = itertools.count(1)
        self._paused_until = 0.0
        self._unprompted_until = 0.0
        self.pauses = 0

    @property
    def rate(self) -> float:
        return self.limits.rate

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def wait_time(self, chat_id: int | str | None, *, unprompted: bool = True) -> float:
        now = self._clock()
        horizon = now - self.limits.memory
        for ticket in [t for t, sent in self._recent.items() if sent.at <= horizon]:
            del self._recent[ticket]
        return wait_before(
            now,
            self._recent.values(),
            chat_id=chat_id,
            unprompted=unprompted,
            paused_until=self._paused_until,
            unprompted_waiting=self._unprompted_until > now,
            limits=self.limits,
        )

    async def try_acquire(self, chat_id: int | str | None, unprompted: bool) -> int | float:
        """Count one message now if it may go (its ticket, an int), else the seconds to wait."""
        if unprompted:
            self._unprompted_until = self._clock() + UNPROMPTED_WAITING_SECONDS
        wait = self.wait_time(chat_id, unprompted=unprompted)
        if wait > 0:
            return float(wait)
        # Deciding and counting with no await between: no one slips in.
        ticket = next(self._tickets)
        self._recent[ticket] = Sent(self._clock(), chat_id, unprompted)
        return ticket

    async def answered(self, ticket: int) -> None:
        sent = self._recent.get(ticket)
        if sent is not None:
            sent.at = max(sent.at, self._clock())

    async def pause(self, seconds: float) -> None:
        """Telegram said 429: nothing is sent until `seconds` from now."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self.pauses += 1
        metrics.RETRY_AFTER.inc()

    async def close(self) -> None:
        return None
