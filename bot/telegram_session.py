"""The bot's HTTP session to Telegram, with what every call would otherwise pay again.

aiogram reads each answer through `Response[T]`, a pydantic generic model made for the method's
return type. pydantic keeps such models only while something else holds them, so once the
garbage collector has run, the next call builds the whole model (class and schema) again: about
a tenth of the CPU an update costs, measured with py-spy. Keeping one of each here makes that a
dictionary lookup.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

_RESPONSE_TYPES: dict[Any, type] = {}


class BotSession(AiohttpSession):
    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _RESPONSE_TYPES:
            _RESPONSE_TYPES[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)
