"""Push updates to the bot's webhook, as Telegram does once setWebhook is called.

Updates go one at a time, in order, with the secret token header; anything but a 2xx is
retried with a growing pause (Telegram keeps retrying too), and the failure is shown in
getWebhookInfo. A webhook reply may itself be a Bot API call ({"method": ...}), which Telegram
executes; aiogram uses that when handling updates synchronously.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from .state import BotState, Webhook

log = logging.getLogger(__name__)

Execute = Callable[[str, dict[str, Any]], Awaitable[Any]]

_FIRST_RETRY_SECONDS = 0.05
_LONGEST_RETRY_SECONDS = 2.0


class WebhookDeliverer:
    def __init__(self, state: BotState, execute: Execute) -> None:
        self._state = state
        self._execute = execute
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._stopping = False

    def start(self) -> None:
        # A new connection for each update, as Telegram's several connections do: a proxy that
        # balances connections then spreads updates over all the webhook workers.
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=10),
            connector=aiohttp.TCPConnector(force_close=True),
        )
        self._task = asyncio.create_task(self._run(), name="telegram-emulator-webhook")

    async def stop(self) -> None:
        self._stopping = True
        self._state.changed()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    def _next(self) -> tuple[Webhook, dict[str, Any]] | None:
        hook = self._state.webhook
        if hook is None or self._stopping:
            return None
        pending = self._state.deliverable(1)
        return (hook, pending[0]) if pending else None

    async def _run(self) -> None:
        pause = _FIRST_RETRY_SECONDS
        while not self._stopping:
            job = await self._state.wait_for(lambda: self._stopping or self._next(), None)
            if job is True or not job:
                continue
            hook, update = job
            if await self._deliver(hook, update):
                pause = _FIRST_RETRY_SECONDS
                continue
            # Wait before retrying, but not if the webhook is changed or removed meanwhile.
            await self._state.wait_for(
                lambda h=hook: self._stopping or self._state.webhook is not h, pause
            )
            pause = min(pause * 2, _LONGEST_RETRY_SECONDS)

    async def _deliver(self, hook: Webhook, update: dict[str, Any]) -> bool:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        try:
            async with self._session.post(hook.url, data=json.dumps(update), headers=headers) as r:
                body = await r.read()
                status = r.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._failed(hook, f"Connection failed: {exc.__class__.__name__}")
            return False
        if not 200 <= status < 300:
            self._failed(hook, f"Wrong response from the webhook: {status}")
            return False
        if update in self._state.updates:
            self._state.updates.remove(update)
        self._state.webhook_delivered.add(update["update_id"])
        self._state.changed()
        await self._run_reply(body)
        return True

    def _failed(self, hook: Webhook, message: str) -> None:
        log.info("webhook delivery to %s failed: %s", hook.url, message)
        hook.last_error_date = int(time.time())
        hook.last_error_message = message

    async def _run_reply(self, body: bytes) -> None:
        try:
            reply = json.loads(body) if body else None
        except ValueError:
            return
        if isinstance(reply, dict) and isinstance(reply.get("method"), str):
            params = {k: v for k, v in reply.items() if k != "method"}
            await self._execute(reply["method"], params)
