"""A Bot session middleware that lets the pacer see every message the bot sends.

The bot's replies to people are not held back (someone is waiting for them), but they are
counted, so the engine's unprompted messages leave room for them; and a 429 on any call pauses
the engine too.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.delivery.pacer import Pacer

# What Telegram's flood limits count: anything that puts or changes a message on a screen.
_COUNTED = frozenset(
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
# True while the engine sends: it already waited on the pacer for this call.
already_paced: ContextVar[bool] = ContextVar("already_paced", default=False)


class PacerRequestMiddleware(BaseRequestMiddleware):
    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Any,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = method.__api_method__
        if name in _COUNTED and not already_paced.get():
            self.pacer.record(getattr(method, "chat_id", None))
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as error:
            self.pacer.pause(error.retry_after)
            raise
