"""Telling "the database (or Redis) is unreachable for now" from every other error.

An update that meets an outage must not be confirmed to Telegram: it is handled again once the
store is back. Every other error is the update's own fault, and it is answered and skipped.
"""

from __future__ import annotations

from aiogram.exceptions import AiogramError
from sqlalchemy import exc as sa_exc

try:  # Redis is optional: only when REDIS_URL holds the dialog state
    from redis import exceptions as redis_exc
except ImportError:  # pragma: no cover - redis is a dependency, but keep the module standalone
    redis_exc = None

_ASYNCPG_OUTAGES = (
    "CannotConnectNowError",  # the server is starting or shutting down
    "AdminShutdownError",
    "ConnectionDoesNotExistError",  # the connection was closed mid-query
    "ConnectionFailureError",
    "TooManyConnectionsError",
    "InterfaceError",
)


_STORE_CLIENTS = ("asyncpg", "sqlalchemy", "aiosqlite", "redis")


def _chain(error: BaseException):
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _is_outage(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return True  # connection refused or lost, SQLite busy past its timeout, pool exhausted
    if type(error).__module__.startswith("asyncpg") and type(error).__name__ in _ASYNCPG_OUTAGES:
        return True
    if redis_exc is not None and isinstance(
        error, redis_exc.ConnectionError | redis_exc.TimeoutError | redis_exc.BusyLoadingError
    ):
        return True
    # A connection refused or reset while a database or Redis client was connecting: raw OSError.
    return isinstance(error, OSError | TimeoutError) and _raised_in_a_store_client(error)


def _raised_in_a_store_client(error: BaseException) -> bool:
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith(_STORE_CLIENTS):
            return True
        tb = tb.tb_next
    return False


def is_storage_outage(error: BaseException) -> bool:
    """True if the error, or what caused it, is the database or Redis being out of reach.

    A Telegram error is never an outage, even if a dropped connection to Telegram caused it."""
    for link in _chain(error):
        if isinstance(link, AiogramError):
            return False
        if _is_outage(link):
            return True
    return False
