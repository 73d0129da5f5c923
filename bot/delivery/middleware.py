"""A Bot session middleware that puts every message the bot sends through the one pace.

The bot's replies to people take their turn too (rarely a wait: while unprompted messages
wait, replies keep within their share of the second), and a 429 on any call pauses every
sender of the bot token, in every process.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.delivery.pacer import Pace

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
    def __init__(self, pacer: Pace) -> None:
        self.pacer = pacer

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Any,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = method.__api_method__
        engine_call = already_paced.get()  # the engine took its turn and handles its 429s
        try:
            if name in _COUNTED and not engine_call:
                async with self.pacer.turn(getattr(method, "chat_id", None), unprompted=False):
                    return await make_request(bot, method)
            return await make_request(bot, method)
        except TelegramRetryAfter as error:
            if not engine_call:
                await self.pacer.pause(error.retry_after)
            raise
