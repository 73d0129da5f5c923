"""Telegram's flood limits and injected failures: the ways a correct call can still fail.

Rate model (documented by Telegram only loosely: "about 30 messages per second overall, about
one message per second in a single chat, short bursts tolerated"), checked together for every
sending or editing call (COUNTED_METHODS):

* overall: an exact sliding window. A call is refused when 30 counted calls were already
  accepted in the last 1.0 s (by arrival time on the limiter's clock), so no sliding second
  ever holds more than 30 accepted calls, however they are spread;
* per chat: a token bucket of capacity 3 (the tolerated burst), refilled at 1 token/s.

A refused call gets 429 with ``retry_after`` = whole seconds until it would be accepted (until
the oldest call in the window leaves it, or a chat token is back; at least 1, as Telegram never
says 0) and consumes nothing, so a client that honours retry_after succeeds on its retry.
Reading methods (getUpdates, getMe, answerCallbackQuery, ...) are not counted, as on Telegram.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from .errors import ApiError, forbidden_blocked, too_many_requests

# Methods that put a message on someone's screen; these are what the flood limits count.
COUNTED_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendSticker",
        "sendMediaGroup",
        "sendLocation",
        "sendContact",
        "sendPoll",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageMedia",
    }
)

FaultKind = Literal[
    "500",
    "502",
    "timeout",
    "403",
    "429",
    "409",
    "400",
    "drop",
    "500-after",
    "502-after",
    "drop-after",
]
# A fault "after" delivery: Telegram did the call (the person sees the message), then the answer
# was lost (a 5xx from a proxy, or the connection dropped). The client cannot tell it landed.
FAULT_KINDS = frozenset(FaultKind.__args__)  # type: ignore[attr-defined]
# The "status" execute() returns for a call whose connection is dropped without an answer.
DROPPED = 0
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


@dataclass
class TokenBucket:
    capacity: float
    rate: float
    tokens: float
    updated: float

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class SlidingWindow:
    """At most `limit` arrivals in any `seconds`-long stretch: the arrivals still inside it."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._arrivals: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more arrival fits (0 if it fits now)."""
        # An arrival exactly `seconds` ago has left: the window is (now - seconds, now].
        while self._arrivals and now - self._arrivals[0] >= self.seconds:
            self._arrivals.popleft()
        if len(self._arrivals) < self.limit:
            return 0.0
        return self._arrivals[0] + self.seconds - now

    def take(self, now: float) -> None:
        self._arrivals.append(now)


class RateLimiter:
    def __init__(
        self,
        *,
        enabled: bool = False,
        global_limit: int = 30,
        global_window: float = 1.0,
        chat_rate: float = 1,
        chat_burst: float = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self.clock = clock
        self._chat_rate = chat_rate
        self._chat_burst = chat_burst
        self._global = SlidingWindow(global_limit, global_window)
        self._chats: dict[int | str, TokenBucket] = {}

    def check(self, method: str, chat_id: int | str | None) -> float | None:
        """Raise 429 if a counted call would exceed a limit; otherwise count it.

        Returns the call's arrival time on the limiter's clock for a counted method (also when
        the limits are off, so the emulator can still tally the pace), None for the rest."""
        if method not in COUNTED_METHODS:
            return None
        now = self.clock()
        if not self.enabled:
            return now
        wait = self._global.wait_time(now)
        chat = None
        if chat_id is not None:
            chat = self._chats.get(chat_id)
            if chat is None:
                chat = TokenBucket(self._chat_burst, self._chat_rate, self._chat_burst, now)
                self._chats[chat_id] = chat
            wait = max(wait, chat.wait_time(now))
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        self._global.take(now)
        if chat is not None:
            chat.take()
        return now


@dataclass
class Fault:
    kind: FaultKind
    method: str | None = None
    chat_id: int | str | None = None
    times: int = 1
    retry_after: int = 3
    delay: float = 30.0
    used: int = field(default=0)

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)

    @property
    def after_delivery(self) -> bool:
        return self.kind.endswith("-after")

    @property
    def drops_connection(self) -> bool:
        return self.kind.startswith("drop")

    def error(self) -> ApiError:
        kind = self.kind.removesuffix("-after")
        if kind == "409":
            return ApiError(409, CONFLICT)
        if kind == "400":
            return ApiError(400, "Bad Request: injected fault")
        if kind == "403":
            return forbidden_blocked()
        if kind == "429":
            return too_many_requests(self.retry_after)
        if kind in ("502", "timeout"):
            return ApiError(502, "Bad Gateway")
        return ApiError(500, "Internal Server Error")


class FaultInjector:
    """Failures a test asked for, consumed by the next matching calls in order."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        self._faults.append(fault)
        return fault

    def take(self, method: str, chat_id: int | str | None) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, chat_id):
                fault.used += 1
                if fault.used >= fault.times:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()


@dataclass
class Chaos:
    """Random failures at given rates, for soak runs: any call may meet one.

    `server_errors` are 5xx, half before the call takes effect and half after (a proxy that
    lost the answer); `dropped` are connections cut without an answer, half after delivery;
    `too_many` are 429s with a short retry_after."""

    server_errors: float = 0.0
    dropped: float = 0.0
    too_many: float = 0.0
    rng: random.Random = field(default_factory=random.Random)
    injected: int = 0

    def pick(self, method: str) -> Fault | None:
        roll = self.rng.random()
        after = self.rng.random() < 0.5
        if roll < self.server_errors:
            kind: FaultKind = "502-after" if after else "500"
        elif roll < self.server_errors + self.dropped:
            kind = "drop-after" if after else "drop"
        elif roll < self.server_errors + self.dropped + self.too_many and method in COUNTED_METHODS:
            kind = "429"
        else:
            return None
        self.injected += 1
        return Fault(kind, method, retry_after=1)
