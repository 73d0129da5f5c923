"""Logging that never shows a bot token, whatever the library logging it."""

from __future__ import annotations

import logging
import re

# Any "digits:35 chars" sequence, wherever it appears (URLs built by HTTP clients included).
_TOKEN_PATTERN = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{30,100}")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _TOKEN_PATTERN.sub("<token>", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiogram logs every handled update at INFO with ids and timings: keep that at DEBUG level.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
