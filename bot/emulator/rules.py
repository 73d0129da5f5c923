"""Telegram's limits on content, beyond what the types in the contract say.

These are the refusals a bot meets in production and not in a unit test: a long text, a
callback_data over 64 bytes once a UUID and a Welsh label are packed into it, a command with a
capital letter. Descriptions are Telegram's own where known (the upper-case ones are the
MTProto error names the Bot API passes through).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from . import errors
from .contract import load_contract
from .errors import bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER = 200
MAX_COMMANDS = 100
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
# Fields of InlineKeyboardButton that only decorate it; every other field is its action.
_BUTTON_DECORATIONS = frozenset({"text", "icon_custom_emoji_id", "style"})


@functools.cache
def _button_actions() -> frozenset[str]:
    fields = load_contract().types["InlineKeyboardButton"]["fields"]
    return frozenset(f["name"] for f in fields) - _BUTTON_DECORATIONS


def check_text(text: str) -> None:
    """Text length is measured after entity parsing, as Telegram does."""
    if not text.strip():
        raise errors.ApiError(400, errors.MESSAGE_TEXT_EMPTY)
    if len(text) > MAX_TEXT:
        raise errors.ApiError(400, errors.MESSAGE_TOO_LONG)


def check_caption(caption: str | None) -> None:
    if caption is not None and len(caption) > MAX_CAPTION:
        raise errors.ApiError(400, errors.CAPTION_TOO_LONG)


def check_reply_markup(markup: dict[str, Any] | None) -> None:
    if not markup or "inline_keyboard" not in markup:
        return
    actions = _button_actions()
    for row in markup["inline_keyboard"]:
        for button in row:
            if not any(button.get(name) is not None for name in actions):
                raise errors.ApiError(400, errors.TEXT_BUTTONS_UNALLOWED)
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                raise errors.ApiError(400, errors.BUTTON_DATA_INVALID)


def check_callback_answer(text: str | None) -> None:
    if text is not None and len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")


def check_commands(commands: list[dict[str, Any]]) -> None:
    if len(commands) > MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not _COMMAND_RE.fullmatch(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"].strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
