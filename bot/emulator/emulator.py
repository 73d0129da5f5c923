"""`TelegramEmulator`: a local Telegram for one bot, and the handle tests hold on to.

It puts the pieces together in the order Telegram applies them to a call (contract check,
injected fault, flood limit, behaviour), keeps the log tests assert on, tallies the bot's pace
(`Traffic`: what a check from outside the bot's processes reads, also over HTTP), runs the
HTTP server and the webhook pusher, and hands out simulated users. Each instance owns all its
state, so several emulators can run in one process.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

from .contract import Upload, validate_call
from .errors import ApiError, is_contract_violation
from .limits import DROPPED, Chaos, Fault, FaultInjector, FaultKind, RateLimiter
from .methods import BotApi, sleep_until_closed
from .server import build_app
from .state import BotState
from .users import SimulatedGroup, SimulatedUser
from .webhook import WebhookDeliverer

log = logging.getLogger(__name__)

_SENDING = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendVoice", "copyMessage", "forwardMessage"}
)
_EDITING = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})
# The sends whose text `Traffic` keeps per chat: the messages a person reads.
_READ_BY_TEXT = frozenset({"sendMessage", "sendPhoto", "sendDocument"})


class RequestRecord(NamedTuple):
    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None
    # Telegram's words for a refusal ("Bad Request: message is not modified ..."), else "".
    description: str = ""


class Violation(NamedTuple):
    """A call Telegram refused because the bot broke the contract (see errors.py)."""

    method: str
    description: str


@dataclass
class EmulatorStats:
    sent: int = 0
    edited: int = 0
    rejected_429: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)


class Traffic:
    """The bot's pace as Telegram sees it, for checks made from outside the bot's processes.

    * every counted call (limits.COUNTED_METHODS) the flood limit accepted: its arrival time on
      the limiter's clock and its chat, whether or not the limits are switched on. A call the
      limit let through counts even if it then failed (a blocked person's 403), as it does
      against Telegram's limit;
    * every 429 answered (`too_many_requests`), and how many of those the flood limit gave
      (`flood_refusals`; the rest were injected faults or chaos);
    * for sendMessage, sendPhoto and sendDocument that took effect: `received[text][chat_id]`,
      how many times each chat got each text (the text as the person reads it, after
      parse_mode; a caption for a photo or document, "" if none). A text is kept once however
      many chats got it.
    """

    def __init__(self, window_seconds: float = 1.0) -> None:
        self.window_seconds = window_seconds
        self.reset()

    def reset(self) -> None:
        # One (arrival, chat) pair per accepted call: a 10,000-person broadcast is 10,000 pairs.
        self._arrivals: list[tuple[float, int | str | None]] = []
        self.accepted: Counter[str] = Counter()
        self.too_many_requests = 0
        self.flood_refusals = 0
        self.received: defaultdict[str, Counter[int | str]] = defaultdict(Counter)

    def accept(self, method: str, arrival: float, chat_id: int | str | None) -> None:
        self._arrivals.append((arrival, chat_id))
        self.accepted[method] += 1

    def deliver(self, method: str, message: Any) -> None:
        if method in _READ_BY_TEXT and isinstance(message, dict):
            text = message.get("text", message.get("caption", ""))
            self.received[text][message["chat"]["id"]] += 1

    def max_in_any_second(self) -> int:
        """The most accepted counted calls in any sliding window, over all of them."""
        return _most_in_a_window([t for t, _ in self._arrivals], self.window_seconds)

    def max_in_any_second_one_chat(self) -> int:
        """The same, for the busiest chat (Telegram allows about one a second, short bursts)."""
        by_chat: defaultdict[int | str | None, list[float]] = defaultdict(list)
        for arrival, chat_id in self._arrivals:
            if chat_id is not None:
                by_chat[chat_id].append(arrival)
        return max((_most_in_a_window(t, self.window_seconds) for t in by_chat.values()), default=0)

    def span_seconds(self) -> float:
        """From the first accepted counted call to the last."""
        times = [t for t, _ in self._arrivals]
        return max(times) - min(times) if times else 0.0

    def report(self, text: str | None = None) -> dict[str, Any]:
        """All of it as JSON-ready data; `text` keeps `received` to that one text."""
        texts: Iterable[str] = self.received if text is None else [text]
        return {
            "window_seconds": self.window_seconds,
            "accepted": dict(self.accepted),
            "accepted_total": sum(self.accepted.values()),
            "span_seconds": self.span_seconds(),
            "max_in_any_second": self.max_in_any_second(),
            "max_in_any_second_one_chat": self.max_in_any_second_one_chat(),
            "too_many_requests": self.too_many_requests,
            "flood_refusals": self.flood_refusals,
            "received": {
                t: {str(chat): n for chat, n in self.received[t].items()}
                for t in texts
                if t in self.received
            },
        }


def _most_in_a_window(times: list[float], seconds: float) -> int:
    """The most of `times` in any half-open stretch [t, t + seconds): the limiter's window."""
    times = sorted(times)
    best = first = 0
    for last, arrival in enumerate(times):
        while arrival - times[first] >= seconds:
            first += 1
        best = max(best, last - first + 1)
    return best


class TelegramEmulator:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_limits: bool = False,
        username: str = "coproduce_bot",
        first_name: str = "Coproduce",
        token: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.state = BotState(username=username, first_name=first_name)
        if token:
            self.state.bot_id = int(token.split(":", 1)[0])
        # `clock` is when calls arrive, for the flood limit and the tally; tests pass a fake one.
        self.limiter = RateLimiter(enabled=rate_limits, clock=clock)
        self.faults = FaultInjector()
        self.chaos: Chaos | None = None  # random faults for a soak run
        self.api = BotApi(self.state, on_webhook_change=self._webhook_changed)
        self.webhook = WebhookDeliverer(self.state, self._execute_webhook_reply)
        self.requests: list[RequestRecord] = []
        # Every refusal that says the bot broke the Bot API contract; tests assert it stays empty.
        self.violations: list[Violation] = []
        # Calls that took effect although the bot was told they failed (an "-after" fault).
        self.delivered_then_failed: list[RequestRecord] = []
        self.stats = EmulatorStats()
        self.traffic = Traffic()
        self._users: dict[int, SimulatedUser] = {}
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> TelegramEmulator:
        # handler_cancellation: a client that gives up (an injected timeout) frees its handler.
        self._runner = web.AppRunner(build_app(self), handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]
        self.webhook.start()
        log.info("Telegram emulator listening on %s", self.api_url)
        return self

    async def stop(self) -> None:
        self.api.close()
        await self.webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def accepts_token(self, token: str) -> bool:
        return self.token is None or token == self.token

    # -- a call, the way Telegram processes it --------------------------------------------

    async def execute(
        self,
        method: str,
        raw: dict[str, Any],
        uploads: dict[str, Upload] | None = None,
        *,
        bot_id: int | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Run one Bot API call; return (HTTP status, Telegram's JSON answer)."""
        if bot_id is not None:
            self.state.bot_id = bot_id
        name, params = method, raw
        try:
            name, params = validate_call(method, raw, uploads)
            chat_id = params.get("chat_id")
            fault = self.faults.take(name, chat_id)
            if fault is None and self.chaos is not None:
                fault = self.chaos.pick(name)
            if fault is not None and not fault.after_delivery:
                if fault.kind == "timeout":
                    await sleep_until_closed(self.api, fault.delay)
                if fault.drops_connection:
                    self._record(name, params, DROPPED, "connection dropped")
                    return DROPPED, {}
                raise fault.error()
            try:
                arrival = self.limiter.check(name, chat_id)
            except ApiError:
                self.traffic.flood_refusals += 1
                raise
            if arrival is not None:
                self.traffic.accept(name, arrival, chat_id)
            result = await self.api.call(name, params)
            self.traffic.deliver(name, result)
            if fault is not None:  # done, and then the answer is lost on its way back
                self.delivered_then_failed.append(RequestRecord(name, params, True, None))
                if fault.drops_connection:
                    self._record(name, params, DROPPED, "connection dropped after delivery")
                    return DROPPED, {}
                raise fault.error()
        except ApiError as exc:
            self._record(name, params, exc.code, exc.description)
            return exc.code, exc.to_json()
        self._record(name, params, None)
        return 200, {"ok": True, "result": result}

    def _record(
        self, method: str, params: dict[str, Any], error_code: int | None, description: str = ""
    ) -> None:
        if method == "getUpdates" and error_code is None:
            return  # polls would drown the log; their effect shows in confirmations
        self.requests.append(
            RequestRecord(method, params, error_code is None, error_code, description)
        )
        self.stats.by_method[method] += 1
        if error_code is not None:
            if is_contract_violation(error_code, description):
                self.violations.append(Violation(method, description))
            self.stats.errors[error_code] += 1
            if error_code == 429:
                self.stats.rejected_429 += 1
                self.traffic.too_many_requests += 1
        elif method in _SENDING:
            self.stats.sent += 1
        elif method in _EDITING:
            self.stats.edited += 1

    async def _execute_webhook_reply(self, method: str, params: dict[str, Any]) -> Any:
        status, body = await self.execute(method, params)
        if status != 200:
            log.info("webhook reply %s refused: %s", method, body.get("description"))
        return body

    def _webhook_changed(self) -> None:
        log.info("webhook now %s", self.state.webhook.url if self.state.webhook else "removed")

    # -- users -----------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> SimulatedUser:
        """The user with this id (created on first use); their private chat has the same id."""
        existing = self._users.get(user_id)
        if existing is None:
            profile: dict[str, Any] = {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name or f"User{user_id}",
                "language_code": language_code or "en",
            }
            self.state.users[user_id] = profile
            existing = self._users[user_id] = SimulatedUser(self.state, profile)
        profile = existing.profile
        updates = {
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
        }
        profile.update({k: v for k, v in updates.items() if v is not None})
        return existing

    @property
    def users(self) -> list[SimulatedUser]:
        return list(self._users.values())

    def group(
        self, chat_id: int, title: str = "Group chat", *, chat_type: str = "group"
    ) -> SimulatedGroup:
        """A group, supergroup or channel (negative id, made on first use) to add the bot to."""
        return SimulatedGroup(self.state, chat_id, title, chat_type)

    def block(self, user_id: int) -> dict[str, Any]:
        """The user blocks the bot: sends to them get 403 and the bot is told, as on Telegram."""
        self.state.blocked.add(user_id)
        return self._member_update(user_id, old="member", new="kicked")

    def unblock(self, user_id: int) -> dict[str, Any]:
        self.state.blocked.discard(user_id)
        return self._member_update(user_id, old="kicked", new="member")

    def _member_update(self, user_id: int, old: str, new: str) -> dict[str, Any]:
        bot = self.state.bot_user()
        member = {"status": new, "user": bot}
        if new == "kicked":
            member["until_date"] = 0
        old_member = {"status": old, "user": bot}
        if old == "kicked":
            old_member["until_date"] = 0
        return self.state.enqueue(
            "my_chat_member",
            {
                "chat": self.state.private_chat(user_id),
                "from": self.state.users[user_id],
                "date": _now(),
                "old_chat_member": old_member,
                "new_chat_member": member,
            },
        )

    # -- what tests look at ----------------------------------------------------------------

    def callback_answer(self, callback_query_id: str) -> dict[str, Any] | None:
        return self.state.callback_answers.get(callback_query_id)

    async def wait_until_confirmed(
        self,
        update_id: int,
        timeout: float = 5,  # noqa: ASYNC109 - a test helper, read as "within 5 s"
    ) -> bool:
        """True once the bot confirmed the update (a later getUpdates offset, or a 2xx from
        its webhook); False if it did not within timeout."""
        return bool(await self.state.wait_for(lambda: self.state.is_confirmed(update_id), timeout))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self.state.updates)

    @property
    def sent_count(self) -> int:
        return self.stats.sent

    @property
    def rate_limits(self) -> bool:
        return self.limiter.enabled

    @rate_limits.setter
    def rate_limits(self, enabled: bool) -> None:
        self.limiter.enabled = enabled

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"language_code": language_code}
        if scope:
            params["scope"] = scope
        return self.state.commands.get(BotApi.scope_key(params), [])

    def inject_fault(
        self,
        method: str | None = "sendMessage",
        kind: FaultKind = "500",
        times: int = 1,
        chat_id: int | str | None = None,
        retry_after: int = 3,
        delay: float = 30.0,
    ) -> Fault:
        """Make the next `times` matching calls fail like Telegram does. "timeout" holds the
        request for `delay` seconds (or until the client gives up), then answers 502."""
        return self.faults.add(
            Fault(kind, method, chat_id, times=times, retry_after=retry_after, delay=delay)
        )


def _now() -> int:
    return int(time.time())
