"""Someone setting the bot up gets one plain line, never a traceback, and the token stays secret."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.logging_setup import RedactTokens

TOKEN = "123456789:" + "S" * 35


def _run_cli(*args: str, env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("token", ["", "not-a-token", "12345:short"])
def test_a_missing_or_malformed_token_says_how_to_get_one(tmp_path, token):
    result = _run_cli("run", env={"BOT_TOKEN": token, "PYTHONPATH": os.getcwd()}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "@BotFather" in lines[0] and "Traceback" not in result.stderr
    if token:
        assert token not in result.stderr


def test_a_wrong_setting_is_one_plain_line(tmp_path):
    result = _run_cli(
        "run", env={"TIMEZONE": "Mars/Olympus", "PYTHONPATH": os.getcwd()}, cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "TIMEZONE" in result.stderr


def test_settings_come_from_a_dotenv_file_and_the_environment_wins(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text(
        f"BOT_TOKEN={TOKEN}\nDEFAULT_LOCALE=cy\nTIMEZONE=Europe/Warsaw\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIMEZONE", "Asia/Dubai")
    settings = load_settings()
    assert settings.token() == TOKEN
    assert settings.default_locale == "cy" and settings.timezone == "Asia/Dubai"
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")


def test_unknown_locale_is_refused():
    with pytest.raises(ConfigError, match="DEFAULT_LOCALE"):
        load_settings(_env_file=None, default_locale="xx")


def test_the_token_never_reaches_a_log_line(caplog):
    logger = logging.getLogger("aiohttp.client")
    logger.addFilter(RedactTokens())
    with caplog.at_level(logging.DEBUG):
        logger.warning("POST https://api.telegram.org/bot%s/sendMessage failed", TOKEN)
    assert TOKEN not in caplog.text and "<token>" in caplog.text


def test_settings_default_to_an_embedded_database():
    settings = Settings(_env_file=None)
    assert settings.redis_url is None
    assert settings.resolved_database_url.endswith("data/coproduce.db")
