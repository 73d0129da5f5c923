"""What running the bot on several processes needs to share: when each sweep last ran, which
periods' work is done, one pace for the bot token, and the secrets every worker must read alike.
None of it holds anything about a person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

__all__ = ["AppSecret", "PaceMark", "PaceSend", "SweepMark", "SweepRun"]


class SweepRun(SQLModel, table=True):
    """When a recurring sweep last started and finished: what is due is computed from here, so a
    restart never pushes a sweep back, and two processes never run it for the same period."""

    __tablename__ = "sweep_run"

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    last_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_duration_ms: int | None = None
    last_ok: bool | None = None


class SweepMark(SQLModel, table=True):
    """One period's work done, by a key such as "digest:<project>:<week>": written in the same
    transaction as the work, so a second process doing the same at the same moment fails on it."""

    __tablename__ = "sweep_mark"

    key: str = Field(sa_column=Column(String(128), primary_key=True))
    made_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PaceSend(SQLModel, table=True):
    """A message the bot token sent in the last second or so (the shared pace on PostgreSQL when
    there is no Redis), at the database's clock in seconds since the epoch, so every process
    measures with one clock. Rows older than a few seconds are deleted as each new one comes."""

    __tablename__ = "pace_send"
    __table_args__ = (Index("ix_pace_send_at", "at"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    at: float = Field(sa_column=Column(Float(53), nullable=False))
    # A keyed hash of the chat id (bot/delivery/shared_pace.py), never the id.
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    unprompted: bool = False


class PaceMark(SQLModel, table=True):
    """A moment the shared pace remembers: "paused" (Telegram said 429: nobody sends before
    it) and "unprompted" (until then, unprompted messages are waiting for their share)."""

    __tablename__ = "pace_mark"

    name: str = Field(sa_column=Column(String(16), primary_key=True))
    until: float = Field(sa_column=Column(Float(53), nullable=False))


class AppSecret(SQLModel, table=True):
    """A secret every worker must read alike (the export pseudonyms' key): kept with the data, so
    a backup of the database restores it too."""

    __tablename__ = "app_secret"

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(sa_column=Column(String(256), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
