"""Write first, then talk: a reply that Telegram fails never undoes what the person did.

Two layers, for the replies the bot makes while handling someone's update (the delivery engine
has its own retries for unprompted messages, and the poller its own for getUpdates):

* `RetryReplies`, on the bot's session: a reply that meets a 429 waits `retry_after` and goes
  again; a 5xx, a time-out or a dropped connection is tried again after 0.5, 1 and 2 seconds.
* `KeepWritesOnReplyFailure`, inner middleware on messages and buttons: if a reply still fails,
  the update's writes and dialog state are kept (the person may well have seen "Thank you"),
  and the screen is drawn again; if even that fails the person is told, in their language,
  to try again. The error never rolls the update back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager
from aiogram_dialog.api.internal import CONTEXT_KEY

from bot.delivery.middleware import already_paced

log = logging.getLogger(__name__)


class RetryReplies(BaseRequestMiddleware):
    def __init__(self, *, attempts: int = 4, first_delay: float = 0.5, max_wait: float = 60):
        self.attempts, self.first_delay, self.max_wait = attempts, first_delay, max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Any,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if already_paced.get() or isinstance(method, GetUpdates):
            return await make_request(bot, method)
        delay = self.first_delay
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self.attempts or error.retry_after > self.max_wait:
                    raise
                log.info(
                    "%s: too many requests; again in %s s", method.__api_method__, error.retry_after
                )
                await asyncio.sleep(error.retry_after)
            except TelegramEntityTooLarge:
                raise
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt == self.attempts:
                    raise
                log.info(
                    "%s failed (%s); again in %.1f s",
                    method.__api_method__,
                    type(error).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")  # the last attempt returns or raises


Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class KeepWritesOnReplyFailure(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except TelegramAPIError as error:
            # Returning normally lets the dialog state be saved and the update's writes commit.
            # Telegram's words name the refusal ("message to edit not found"), never the text.
            log.warning(
                "a reply failed (%s: %s); what the person did is kept",
                type(error).__name__,
                error.message,
            )
            if not isinstance(error, TelegramForbiddenError):  # blocked: nobody to show it to
                await self._show_again(event, data)
            return None

    @staticmethod
    async def _show_again(event: TelegramObject, data: dict[str, Any]) -> None:
        manager: DialogManager | None = data.get("dialog_manager")
        try:
            if isinstance(event, CallbackQuery):
                await _answer_once(event, data)
            if manager is not None and data.get(CONTEXT_KEY) is not None and manager.has_context():
                await manager.show()
                return
        except TelegramAPIError as error:
            log.warning("could not draw the screen again (%s)", type(error).__name__)
        message = event.message if isinstance(event, CallbackQuery) else event
        if isinstance(message, Message):
            try:
                await message.bot.send_message(
                    message.chat.id,
                    _("Sorry, I could not show the next screen. Type /menu to go on."),
                )
            except TelegramAPIError as error:
                log.warning("could not tell the person (%s)", type(error).__name__)


async def _answer_once(callback: CallbackQuery, data: dict[str, Any]) -> None:
    try:
        await callback.answer()
    except TelegramAPIError:
        log.debug("callback already answered or too old")
