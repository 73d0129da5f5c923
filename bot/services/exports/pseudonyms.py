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

SECRET_FILE = "pseudonym-secret"
PREFIX = "P-"
NOT_SHARED = "not shared"
SHARED = "shared"


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


class People:
    """Decides, row by row, how a person and their words may appear."""

    def __init__(self, secret: bytes, *, with_names: bool = False) -> None:
        self._secret = secret
        self.with_names = with_names
        self._known: dict[int, str] = {}

    def pseudonym(self, participant_id: int) -> str:
        known = self._known.get(participant_id)
        if known is None:
            digest = hmac.new(self._secret, b"p%d" % participant_id, hashlib.sha256).digest()
            known = PREFIX + base64.b32encode(digest[:5]).decode()
            if len(self._known) < 200_000:  # a cache, never a store of everyone at any size
                self._known[participant_id] = known
        return known

    def shown_as(
        self,
        participant_id: int | None,
        display_name: str | None,
        may_use_name: bool | None,
        *,
        anonymous: bool = False,
    ) -> str | None:
        """A name (asked for, and agreed to), else a pseudonym; None for an anonymous answer."""
        if anonymous or participant_id is None:
            return None
        if self.with_names and may_use_name is True and display_name:
            return display_name
        return self.pseudonym(participant_id)

    @staticmethod
    def words(text: str | None, may_quote: bool | None) -> tuple[str | None, str | None]:
        """(the words, or None) and whether they were shared: "shared", "not shared", or None
        when there were no words."""
        if not text:
            return None, None
        if may_quote is True:
            return text, SHARED
        return None, NOT_SHARED
