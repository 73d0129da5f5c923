"""Settings from the environment and a `.env` file (pydantic-settings).

The token is a SecretStr so it never appears in a repr, a log line or a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API_URL = "https://api.telegram.org"
SUPPORTED_LOCALES = ("en", "cy", "pl", "ar")
LOG_FORMATS = ("text", "json")

# Telegram tokens look like "123456789:AAE..." (bot id, colon, 35 url-safe characters).
_TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,100}$")

HOW_TO_GET_A_TOKEN = (
    "BOT_TOKEN is missing or malformed. Ask @BotFather on Telegram for a token "
    "(send /newbot), then put BOT_TOKEN=<token> in the environment or in .env. "
    "To try the bot without a token, run: coproduce chat"
)


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one plain line for whoever runs the bot."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = ""
    # Database connections (and Redis connections) each process keeps at most, and the seconds
    # an update waits for a free one before it is handled again later. None: the defaults in
    # storage/db.py, which say why.
    database_pool_size: int | None = Field(default=None, ge=1)
    database_pool_timeout: float | None = Field(default=None, gt=0)
    redis_url: str | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    default_locale: str = "en"
    timezone: str = "Europe/London"
    data_dir: Path = Path("data")
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8080
    # The background worker's /healthz, /readyz and /metrics (`coproduce worker`); 0: none.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9100
    log_level: str = "INFO"
    # "text" for people reading a terminal, "json" (one object a line) for a log system.
    log_format: str = "text"

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("database_pool_size", "database_pool_timeout", mode="before")
    @classmethod
    def _empty_is_default(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value.lower() not in LOG_FORMATS:
            raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
        return value.lower()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"TIMEZONE {value!r} is not a known time zone") from error
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'coproduce.db').as_posix()}"

    def token(self) -> str:
        """The token, checked; raises ConfigError with a plain line when it is unusable."""
        value = self.bot_token.get_secret_value().strip() if self.bot_token else ""
        if not _TOKEN_RE.match(value):
            raise ConfigError(HOW_TO_GET_A_TOKEN)
        return value


def load_settings(**overrides) -> Settings:
    """Read settings; a validation error becomes one plain ConfigError line, never a traceback."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]).upper() or "settings"
        raise ConfigError(f"{field}: {first['msg']}") from None
