"""What erasures leave to clean up."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

__all__ = ["ErasureCleanupDue"]


class ErasureCleanupDue(SQLModel, table=True):
    """Someone's data was erased at this time, and the database may still hold old copies of
    the deleted rows (PostgreSQL's dead row versions and statistics, SQLite's write-ahead log)
    until a cleanup runs. It holds nothing about the person."""

    __tablename__ = "erasure_cleanup_due"

    id: int | None = Field(default=None, primary_key=True)
    erased_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
