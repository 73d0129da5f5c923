"""INSERT ... ON CONFLICT for the two databases we run on."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite


def insert_for(dialect_name: str, table):
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    if dialect_name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database: {dialect_name}")
