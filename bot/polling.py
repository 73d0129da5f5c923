"""Long polling that confirms updates to Telegram only after they are handled.

aiogram's own polling confirms a batch as soon as it is fetched, so an update in flight during a
crash is lost. Here the offset moves past a batch only once every update in it was handled; if the
process dies first, Telegram sends the batch again and the record of handled update ids (written
in the handler's own transaction) skips the ones already done.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates
from aiogram.types import Update

log = logging.getLogger(__name__)


def _chat_key(update: Update) -> int | None:
    event = update.event
    chat = getattr(event, "chat", None) or getattr(getattr(event, "message", None), "chat", None)
    if chat is not None:
        return chat.id
    user = getattr(event, "from_user", None)
    return user.id if user is not None else None


class ConfirmingPoller:
    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, *, timeout: int = 25, limit: int = 100
    ) -> None:
        self.dispatcher, self.bot = dispatcher, bot
        self.timeout, self.limit = timeout, limit
        self._offset: int | None = None

    async def _handle(self, update: Update) -> None:
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except Exception:
            # Errors handlers already answered the person; one bad update must not stop the rest.
            log.exception("update %s failed", update.update_id)

    async def _handle_chat(self, updates: list[Update]) -> None:
        for update in updates:  # one chat's updates in the order the person sent them
            await self._handle(update)

    async def handle_batch(self, updates: list[Update]) -> None:
        by_chat: dict[int | None, list[Update]] = defaultdict(list)
        for update in updates:
            by_chat[_chat_key(update)].append(update)
        await asyncio.gather(*(self._handle_chat(batch) for batch in by_chat.values()))

    async def poll_once(self, wait: int | None = None) -> int:
        """Fetch and handle one batch; return how many updates it had."""
        updates = await self.bot(
            GetUpdates(
                offset=self._offset,
                limit=self.limit,
                timeout=self.timeout if wait is None else wait,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            ),
            request_timeout=(self.timeout if wait is None else wait) + 10,
        )
        if updates:
            await self.handle_batch(updates)
            # Only now: the next getUpdates with this offset tells Telegram they are done.
            self._offset = updates[-1].update_id + 1
        return len(updates)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        backoff = 1.0
        me = await self.bot.me()
        log.info("polling as @%s", me.username)
        await self.bot.delete_webhook(drop_pending_updates=False)
        while not stop.is_set():
            try:
                await self.poll_once()
                backoff = 1.0
            except TelegramRetryAfter as error:
                await asyncio.sleep(error.retry_after)
            except (TimeoutError, TelegramNetworkError, TelegramServerError) as error:
                log.warning(
                    "getUpdates failed (%s); retrying in %.0f s", type(error).__name__, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
