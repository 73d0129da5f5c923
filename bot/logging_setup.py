"""Logging that never shows personal data or a bot token, at any level, whatever the library.

Two layers. At the source: libraries that dump payloads at DEBUG (aiosqlite logs every statement
with its parameters, which SQLAlchemy's `hide_parameters` does not reach; SQLAlchemy's and
asyncpg's own statement logs; aiogram's per-update lines) are kept at WARNING. On the handler, a
filter masks what still gets through in any record, ours included: tokens, digit runs as long as
Telegram ids, invite codes, the fields of Telegram objects that hold words or names, and
statement parameters. Timings, method names, dialog states and our own small row ids stay.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from datetime import UTC, datetime

# Any "digits:35 chars" sequence, wherever it appears (URLs built by HTTP clients included).
_TOKEN_PATTERN = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{30,100}")
# Telegram user and chat ids (chats: -100...), and anything else as long: 6 digits or more,
# not part of a decimal (a timing like 0.1234567 stays).
_ID_PATTERN = re.compile(r"(?<![\d.])-?\d{6,}(?!\d|\.\d)")
# A deep link or /start with its invite code.
_START_PATTERN = re.compile(r"(start[= ]|start%20)[A-Za-z0-9_-]{8,}")
# Invite codes on their own: 22 url-safe characters (secrets.token_urlsafe(16)), mixed case.
_CODE_PATTERN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{22}(?![A-Za-z0-9_-])")
_CAMEL_CASE_WORD = re.compile(r"(?:[A-Z][a-z]+)+")
# Fields of Telegram objects (and pydantic's errors) that can hold someone's words or name,
# as repr (field='...') or as JSON ("field": "...").
_WORD_FIELDS = (
    "text|caption|first_name|last_name|username|title|bio|description|data|callback_data|query|"
    "phone_number|email|address|question|input_value|business_intro|sticker_set_name|name"
)
_QUOTED = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_REPR_FIELD = re.compile(rf"\b({_WORD_FIELDS})=(?:{_QUOTED})")
_JSON_FIELD = re.compile(rf"""(["']({_WORD_FIELDS})["']\s*:\s*){_QUOTED}""")

# Loggers whose DEBUG and INFO lines are payloads (statements with parameters, whole updates).
QUIET_LOGGERS = (
    "aiosqlite",
    "asyncpg",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "aiogram.event",
    "alembic",
)


def _code(match: re.Match) -> str:
    code = match.group(0)
    mixed_case = any(c.isupper() for c in code) and any(c.islower() for c in code)
    if mixed_case and not _CAMEL_CASE_WORD.fullmatch(code):
        return "<code>"
    return code


def redact(text: str) -> str:
    """The text with tokens, ids, invite codes and people's words masked."""
    text = _TOKEN_PATTERN.sub("<token>", text)
    text = _START_PATTERN.sub(r"\1<code>", text)
    text = _REPR_FIELD.sub(r"\1=<hidden>", text)
    text = _JSON_FIELD.sub(r'\1"<hidden>"', text)
    text = _CODE_PATTERN.sub(_code, text)
    return _ID_PATTERN.sub("<id>", text)


def _without_parameters(value: object) -> object:
    """aiosqlite logs the call it runs: keep the statement, drop its parameters."""
    if isinstance(value, functools.partial):
        statement = next((arg for arg in value.args if isinstance(arg, str)), "")
        name = getattr(value.func, "__name__", "call")
        return f"{name}({statement!r}, <parameters hidden>)"
    return value


class RedactPersonalData(logging.Filter):
    """On a handler: every record it writes is masked (message, exception, stack)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_without_parameters(arg) for arg in record.args)
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# The name earlier versions (and their tests) used: it now masks personal data too.
RedactTokens = RedactPersonalData


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log systems: time (UTC), level, logger, message, and the
    exception's text if any. It formats what the handler's filter has already masked."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "INFO", log_format: str = "text") -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactPersonalData())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
