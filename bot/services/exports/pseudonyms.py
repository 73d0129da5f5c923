"""How people appear in an export: a stable pseudonym, a name only when they agreed to it, and
nothing at all for an anonymous answer. Their words appear only when they agreed to be quoted.

A pseudonym is an HMAC of the participant's id with a secret kept in the data directory
(created once, readable only by the bot's user): the same person has the same pseudonym in
every export of this installation, so answers can be followed over time, but it cannot be
turned back into a person or a Telegram id without the secret and the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from storage.exports import NOT_SHARED, SHARED

__all__ = ["NOT_SHARED", "PREFIX", "SECRET_FILE", "SHARED", "People", "load_secret"]

SECRET_FILE = "pseudonym-secret"
PREFIX = "P-"
# People remembered at a time: an export has far fewer people than rows, so each person's
# code is worked out once; past this many, codes are worked out again rather than kept.
KEEP_PEOPLE = 200_000


def load_secret(data_dir: Path) -> bytes:
    """This installation's pseudonym secret, made on first use."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # made by another process a moment ago
        else:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


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
