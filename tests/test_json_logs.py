"""An operator sends the logs to a log system: LOG_FORMAT=json writes one JSON object a line,
masked exactly as the text lines are (no Telegram id, invite code, words or token)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.logging_setup import setup_logging

TOKEN = "123456789:" + "S" * 35
PERSON_ID = 5_550_123_456
INVITE_CODE = "Ab3dEf6hIj9kLm2nOp5qRs"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def json_logs():
    """What the bot's own log handler (set up as LOG_FORMAT=json) writes."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    setup_logging("DEBUG", "json")
    written = io.StringIO()
    root.handlers[0].setStream(written)
    yield written
    root.handlers[:], level = saved
    root.setLevel(level)


def _lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_each_line_is_one_json_object_with_time_level_logger_and_message(json_logs):
    logging.getLogger("bot.delivery").info("sent %s of %s", 3, 4)
    logging.getLogger("bot.scheduler").warning("sweep took %.1f s", 2.5)
    first, second = _lines(json_logs.getvalue())
    assert first["level"] == "INFO" and first["logger"] == "bot.delivery"
    assert first["message"] == "sent 3 of 4"
    assert first["time"].endswith("+00:00") and "exception" not in first
    assert second["level"] == "WARNING" and second["message"] == "sweep took 2.5 s"


def test_a_json_line_holds_no_id_code_words_or_token(json_logs):
    log = logging.getLogger("aiogram.dispatcher")
    log.info("update from user %s with /start %s", PERSON_ID, INVITE_CODE)
    log.info("Message(text='I feel unsafe at the clinic', chat=Chat(id=%s))", PERSON_ID)
    try:
        raise RuntimeError(f"https://api.telegram.org/bot{TOKEN}/sendMessage chat {PERSON_ID}")
    except RuntimeError:
        log.exception("could not send to %s", PERSON_ID)
    err = json_logs.getvalue()
    for hidden in (str(PERSON_ID), INVITE_CODE, "unsafe", TOKEN):
        assert hidden not in err
    lines = _lines(err)
    assert len(lines) == 3
    assert "<id>" in lines[0]["message"] and "<code>" in lines[0]["message"]
    assert "<hidden>" in lines[1]["message"]
    assert lines[2]["level"] == "ERROR"
    assert "RuntimeError" in lines[2]["exception"] and "<token>" in lines[2]["exception"]


def test_log_format_is_text_unless_set_and_a_wrong_one_is_one_plain_line(monkeypatch):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert load_settings(_env_file=None).log_format == "text"
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    assert load_settings(_env_file=None).log_format == "json"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_settings(_env_file=None)


def test_the_command_writes_json_lines_when_asked(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    env = {
        **clean,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "PYTHONPATH": str(REPO),
    }
    script = (
        "import logging, sys; from bot.cli import main; import bot.cli as cli;"
        "real = cli.setup_logging;"
        "say = lambda: logging.getLogger('bot').info('id %s', 987654321);"
        "cli.setup_logging = lambda *a: (real(*a), say());"
        "sys.exit(main(['db', 'upgrade']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = _lines(result.stderr)
    assert {"logger": "bot", "message": "id <id>"}.items() <= lines[0].items()
    assert "987654321" not in result.stderr
