"""How people appear in an export: a stable pseudonym, a name only when they agreed to it, and
nothing at all for an anonymous answer. Their words appear only when they agreed to be quoted.

A pseudonym is an HMAC of the participant's id with this installation's secret, kept in the
database (made once, on first use): the same person has the same pseudonym in every export, from
any worker on any machine, so answers can be followed over time, but it cannot be turned back
into a person or a Telegram id without the secret and the database. A backup of the database
holds the secret too, so a restored installation makes the same codes.

The secret once lived in a file, DATA_DIR/pseudonym-secret. The first export that finds the
database without one and that file present moves it into the database and deletes the file, so
codes made before stay the same. The secret is never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import secrets as stored_secrets
from storage.exports import NOT_SHARED, SHARED

__all__ = ["NOT_SHARED", "PREFIX", "SECRET_FILE", "SECRET_NAME", "SHARED", "People", "load_secret"]

log = logging.getLogger(__name__)

SECRET_NAME = "export-pseudonyms"
SECRET_FILE = "pseudonym-secret"  # where the secret lived before it moved into the database
UNUSED_SUFFIX = ".unused"
PREFIX = "P-"
# People remembered at a time: an export has far fewer people than rows, so each person's
# code is worked out once; past this many, codes are worked out again rather than kept.
KEEP_PEOPLE = 200_000


async def load_secret(
    sessions: async_sessionmaker[AsyncSession], data_dir: Path | None = None
) -> bytes:
    """This installation's pseudonym secret, made on first use (or moved in from the old file
    in `data_dir`). Commits in sessions of its own: the secret is kept even if the export that
    asked for it fails, and the old file is deleted only once the database holds its value."""
    async with sessions() as session:
        value = await stored_secrets.get(session, SECRET_NAME)
    old_file = data_dir / SECRET_FILE if data_dir is not None else None
    if value is None:
        moved = _read_old_file(old_file) if old_file is not None else None
        async with sessions() as session:
            value = await stored_secrets.get_or_create(
                session, SECRET_NAME, moved or secrets.token_hex(32)
            )
            await session.commit()
    if old_file is not None:
        _retire_old_file(old_file, value)
    return bytes.fromhex(value)


def _read_old_file(path: Path) -> str | None:
    """The old file's secret as hex, or None if there is no file (or nothing usable in it)."""
    try:
        value = path.read_text().strip().lower()
    except FileNotFoundError:
        return None
    try:
        bytes.fromhex(value)
    except ValueError:
        return None  # no export could have used it; _retire_old_file puts it aside
    return value or None


def _retire_old_file(path: Path, value: str) -> None:
    """The database holds the secret now: delete the old file if it held the same one (the
    move is done); put it aside, with a warning, if it held another (a second machine's own,
    or one from before a restore), so earlier exports' codes can still be matched by hand."""
    try:
        held = path.read_text().strip().lower()
    except FileNotFoundError:
        return
    try:
        if held == value:
            path.unlink()
            log.info(
                "the export pseudonyms' secret moved from %s into the database; "
                "export codes stay the same",
                path,
            )
        else:
            aside = path.with_name(path.name + UNUSED_SUFFIX)
            path.replace(aside)
            log.warning(
                "%s held another secret than the database's: exports use the database's, so "
                "codes in exports made with the file differ. The file is kept as %s; delete it "
                "when nobody needs to match those codes",
                path,
                aside,
            )
    except FileNotFoundError:
        return  # another process on this machine did it a moment ago
    except OSError as error:
        log.warning("could not delete %s (%s): delete it by hand", path, type(error).__name__)


class People(dict[int | None, str | None]):
    """How each person appears, by participant id: their name when names were asked for and
    they agreed (`names` holds only those), else their code; None (no person) for an anonymous
    answer, whose id the query has already left out. Worked out once per person."""

    def __init__(self, secret: bytes, names: dict[int, str] | None = None) -> None:
        super().__init__({None: None})
        self._secret = secret
        self._names = names or {}

    def pseudonym(self, participant_id: int) -> str:
        digest = hmac.new(self._secret, b"p%d" % participant_id, hashlib.sha256).digest()
        return PREFIX + base64.b32encode(digest[:5]).decode()

    def __missing__(self, participant_id: int) -> str:
        shown = self._names.get(participant_id) or self.pseudonym(participant_id)
        if len(self) < KEEP_PEOPLE:
            self[participant_id] = shown
        return shown
