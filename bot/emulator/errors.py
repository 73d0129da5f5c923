"""Telegram's error answers, in one place.

The bot reacts to Telegram's exact status codes and description texts (aiogram maps them to
exception classes; aiogram-dialog looks for "message is not modified"), so the emulator must
produce the same ones. Every refusal in the emulator is an `ApiError` raised with one of these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
MESSAGE_TEXT_EMPTY = "Bad Request: message text is empty"
MESSAGE_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
TEXT_BUTTONS_UNALLOWED = (
    "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline "
    "keyboard"
)
MESSAGE_TO_EDIT_NOT_FOUND = "Bad Request: message to edit not found"
MESSAGE_CANT_BE_EDITED = "Bad Request: message can't be edited"
MESSAGE_TO_DELETE_NOT_FOUND = "Bad Request: message to delete not found"
MESSAGE_TO_COPY_NOT_FOUND = "Bad Request: message to copy not found"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
CHAT_NOT_FOUND = "Bad Request: chat not found"
WRONG_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"
BOT_BLOCKED = "Forbidden: bot was blocked by the user"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)


# Refusals that are not the bot's doing: a person who blocked the bot or left Telegram, and the
# faults a test injects (limits.py words them "... injected ...").
_NOT_THE_BOTS_DOING = frozenset({CHAT_NOT_FOUND, BOT_BLOCKED})


def is_contract_violation(code: int, description: str) -> bool:
    """True for a refusal that says the bot broke the Bot API contract: a second answer to a
    callback query, an edit that changes nothing, an edit or delete of a message that is not
    there or not the bot's, an unknown method or a field of the wrong type or content. Telegram
    answers all of these with 400 (404 for an unknown method); flood limits (429), conflicts
    (409), server errors and injected faults are the ordinary ways a correct call fails."""
    if code == 404:
        return True
    return code == 400 and description not in _NOT_THE_BOTS_DOING and "injected" not in description


@dataclass
class ApiError(Exception):
    """A refusal Telegram would send: becomes `{"ok": false, ...}` with HTTP status = code."""

    code: int
    description: str
    retry_after: int | None = None

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, text if text.startswith("Bad Request") else f"Bad Request: {text}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def forbidden_blocked() -> ApiError:
    return ApiError(403, BOT_BLOCKED)


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")
