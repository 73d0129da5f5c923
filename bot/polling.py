"""Long polling that confirms updates to Telegram only after they are handled, and never stops.

aiogram's own polling confirms a batch as soon as it is fetched, so an update in flight during a
crash is lost. Here the offset moves past an update only once it was handled; if the process
dies first, Telegram sends it again and the record of handled update ids (written in the
handler's own transaction) skips the ones already done.

Nothing Telegram or the database does stops polling for good: every failure is logged and
retried with backoff. A 409 (another instance polling, or a webhook set) waits and retries;
an update aiogram cannot parse is logged by id and skipped; while the database or Redis is out
of reach the updates that met the outage stay unconfirmed and are handled once it is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates
from aiogram.types import Update
from pydantic import ValidationError

from storage.outage import is_storage_outage

log = logging.getLogger(__name__)
MAX_BACKOFF = 30.0


class GetRawUpdates(GetUpdates):
    """getUpdates answered as plain dicts, so one update aiogram cannot parse does not make
    the whole batch (and every later poll) fail."""

    __returning__ = list[dict[str, Any]]


def _chat_key(update: Update) -> int | None:
    event = update.event
    chat = getattr(event, "chat", None) or getattr(getattr(event, "message", None), "chat", None)
    if chat is not None:
        return chat.id
    user = getattr(event, "from_user", None)
    return user.id if user is not None else None


class Backoff:
    """1, 2, 4 ... 30 seconds between tries of one failing thing; reset by a success."""

    def __init__(self) -> None:
        self.delay = 1.0

    def reset(self) -> None:
        self.delay = 1.0

    async def wait(self, stop: asyncio.Event) -> None:
        delay, self.delay = self.delay, min(self.delay * 2, MAX_BACKOFF)
        try:  # a stop request ends the wait at once
            await asyncio.wait_for(stop.wait(), timeout=delay)
        except TimeoutError:
            pass


class ConfirmingPoller:
    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, *, timeout: int = 25, limit: int = 100
    ) -> None:
        self.dispatcher, self.bot = dispatcher, bot
        self.timeout, self.limit = timeout, limit
        self._offset: int | None = None
        self.outage = False  # True while updates wait for the database or Redis
        self.skipped_unparsable = 0

    async def _handle(self, update: Update) -> bool:
        """Handle one update; False if it met a storage outage and must be handled again."""
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except Exception as error:
            if is_storage_outage(error):
                return False
            # Error handlers already answered the person; one bad update must not stop the rest.
            log.error(
                "update %s failed: %s", update.update_id, type(error).__name__, exc_info=error
            )
        return True

    async def _handle_chat(self, updates: list[Update]) -> int | None:
        """One chat's updates in the order the person sent them; the first that must wait."""
        for update in updates:
            if not await self._handle(update):
                return update.update_id  # and the chat's later ones wait behind it
        return None

    async def handle_batch(self, updates: list[Update]) -> int | None:
        """Handle a batch, chats side by side; return the lowest update id that must be handled
        again (a storage outage), or None if every update was handled."""
        by_chat: dict[int | None, list[Update]] = defaultdict(list)
        for update in updates:
            by_chat[_chat_key(update)].append(update)
        waiting = await asyncio.gather(*(self._handle_chat(batch) for batch in by_chat.values()))
        return min((update_id for update_id in waiting if update_id is not None), default=None)

    def _parse(self, raw_updates: list[dict[str, Any]]) -> list[Update]:
        parsed = []
        for raw in raw_updates:
            try:
                parsed.append(Update.model_validate(raw, context={"bot": self.bot}))
            except ValidationError as error:
                # Only the id and how many fields failed: pydantic's text copies input values.
                self.skipped_unparsable += 1
                log.warning(
                    "update %s could not be read (%d errors); skipped",
                    raw.get("update_id"),
                    error.error_count(),
                )
        return parsed

    async def poll_once(self, wait: int | None = None) -> int:
        """Fetch and handle one batch; return how many updates it had."""
        raw_updates = await self.bot(
            GetRawUpdates(
                offset=self._offset,
                limit=self.limit,
                timeout=self.timeout if wait is None else wait,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            ),
            request_timeout=(self.timeout if wait is None else wait) + 10,
        )
        if not raw_updates:
            return 0
        must_wait = await self.handle_batch(self._parse(raw_updates))
        # Only now: the next getUpdates with this offset tells Telegram they are done.
        if must_wait is None:
            self._offset = raw_updates[-1]["update_id"] + 1
            if self.outage:
                log.warning("the database is back: updates are handled again")
            self.outage = False
        else:
            self._offset = must_wait  # the handled ones after it are skipped when they return
            if not self.outage:
                log.warning("the database or Redis is out of reach: updates wait, unconfirmed")
            self.outage = True
        return len(raw_updates)

    async def _start(self, stop: asyncio.Event) -> bool:
        """Who we are, and no webhook in the way; retried until it works or we stop."""
        backoff = Backoff()
        while not stop.is_set():
            try:
                me = await self.bot.me()
                await self.bot.delete_webhook(drop_pending_updates=False)
            except TelegramUnauthorizedError:
                log.error("Telegram refused the bot token: check BOT_TOKEN; retrying")
            except Exception as error:
                log.warning("start-up call to Telegram failed (%s); retrying", _describe(error))
            else:
                log.info("polling as @%s", me.username)
                return True
            await backoff.wait(stop)
        return False

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        if not await self._start(stop):
            return
        backoff = Backoff()
        while not stop.is_set():
            try:
                await self.poll_once()
            except TelegramRetryAfter as error:
                log.warning("getUpdates: too many requests; waiting %s s", error.retry_after)
                await asyncio.sleep(error.retry_after)
                continue
            except TelegramConflictError:
                # Another instance polls, or a webhook is set (a deploy overlap): wait it out.
                log.warning(
                    "getUpdates conflict: another instance or a webhook; retrying in %.0f s",
                    backoff.delay,
                )
            except (TimeoutError, TelegramNetworkError, TelegramServerError) as error:
                log.warning(
                    "getUpdates failed (%s); retrying in %.0f s", _describe(error), backoff.delay
                )
            except Exception as error:  # anything else: logged, never the end of polling
                log.error(
                    "getUpdates failed (%s); retrying in %.0f s", _describe(error), backoff.delay
                )
            else:
                if not self.outage:
                    backoff.reset()
                    continue
            await backoff.wait(stop)


def _describe(error: BaseException) -> str:
    """The error's kind and Telegram's words: never the request, which may hold a person's text."""
    message = getattr(error, "message", "")
    return f"{type(error).__name__}: {message}" if message else type(error).__name__
