"""What Telegram remembers for one bot: chats, their messages, the update queue, files.

Kept apart from the HTTP layer so the simulated users (users.py) and the Bot API methods
(methods.py) change the same state, and every change wakes whoever waits for it (a long poll,
a test waiting for the bot's answer) through one `changed()` signal.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError

# Telegram leaves these out unless a bot asks for them in allowed_updates.
_NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name:
            info["file_name"] = self.file_name
        if self.mime_type:
            info["mime_type"] = self.mime_type
        return info


@dataclass
class StoredMessage:
    data: dict[str, Any]
    from_bot: bool
    # Bumped on every send and edit so waiters can tell "new or changed since I last looked".
    seq: int


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class BotState:
    username: str = "coproduce_bot"
    first_name: str = "Coproduce"
    bot_id: int = 0
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    messages: dict[int, dict[int, StoredMessage]] = field(default_factory=dict)
    reply_keyboards: dict[int, dict[str, Any]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    confirmed_offset: int = 0
    webhook_delivered: set[int] = field(default_factory=set)
    allowed_updates: list[str] | None = None
    webhook: Webhook | None = None
    files: dict[str, StoredFile] = field(default_factory=dict)
    commands: dict[tuple[Any, ...], list[dict[str, Any]]] = field(default_factory=dict)
    menu_buttons: dict[int | None, dict[str, Any]] = field(default_factory=dict)
    chat_actions: list[tuple[int, str]] = field(default_factory=list)
    callback_answers: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # Group, supergroup and channel chats (negative ids), and those the bot is in now.
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    groups_with_bot: set[int] = field(default_factory=set)
    _next_update_id: int = 1
    _next_message_ids: dict[int, int] = field(default_factory=dict)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _event: asyncio.Event | None = None

    # -- change notification -------------------------------------------------------------

    def changed(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    # A plain timeout argument keeps every waiter in tests a one-liner.
    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float | None,  # noqa: ASYNC109
    ) -> Any:
        """Wait until predicate() is truthy; return its value, or the last falsy one on timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return result
            if self._event is None:
                self._event = asyncio.Event()
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                return predicate()

    # -- identities ----------------------------------------------------------------------

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def private_chat(self, user_id: int) -> dict[str, Any]:
        user = self.users[user_id]
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if user.get(key):
                chat[key] = user[key]
        return chat

    def chat(self, chat_id: int) -> dict[str, Any]:
        """The chat object Telegram puts in a message: a group's, or a private chat's."""
        if chat_id in self.groups:
            return dict(self.groups[chat_id])
        return self.private_chat(chat_id)

    # -- groups and channels ---------------------------------------------------------------

    def add_group(self, chat_id: int, title: str, chat_type: str) -> dict[str, Any]:
        """A group, supergroup or channel; its id is negative, as on Telegram."""
        if chat_id >= 0:
            raise ValueError("group and channel chat ids are negative")
        if chat_type not in ("group", "supergroup", "channel"):
            raise ValueError(f"not a group or channel type: {chat_type}")
        self.groups[chat_id] = {"id": chat_id, "type": chat_type, "title": title}
        return self.groups[chat_id]

    def bot_is_member(self, chat_id: int) -> bool:
        return chat_id in self.groups_with_bot

    def writable_group(self, chat_id: int) -> int:
        """The group's id if the bot may write there; Telegram's refusal if it is not in it."""
        if not self.bot_is_member(chat_id):
            kind = self.groups[chat_id]["type"]
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
        return chat_id

    def leave(self, chat_id: int) -> None:
        self.writable_group(chat_id)
        self.groups_with_bot.discard(chat_id)
        self.changed()

    def join(self, chat_id: int) -> None:
        """The bot is now in the group (added by someone, or there from before)."""
        self.groups_with_bot.add(chat_id)
        self.changed()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def new_query_id(self, user_id: int) -> str:
        """A callback query id, digits only as Telegram's are: the presser's id, then this
        bot's next number in a fixed width, so no two presses ever share one (ids that ran a
        user id, a clock and a counter together could: "91" "1" "1" is "9" "1" "11")."""
        return f"{user_id}{next(self._ids):012d}"

    # -- messages ------------------------------------------------------------------------

    def add_message(
        self,
        chat_id: int,
        content: dict[str, Any],
        from_bot: bool,
        sender_id: int | None = None,
    ) -> dict[str, Any]:
        """Store a message in a chat; bot and users share one id sequence per chat, as they
        do on Telegram. In a group `sender_id` says which user wrote it; a channel post has
        no sender."""
        message_id = self._next_message_ids.get(chat_id, 1)
        self._next_message_ids[chat_id] = message_id + 1
        data: dict[str, Any] = {"message_id": message_id}
        if from_bot:
            data["from"] = self.bot_user()
        elif chat_id in self.groups and self.groups[chat_id]["type"] == "channel":
            data["sender_chat"] = self.chat(chat_id)
        else:
            data["from"] = self.users[chat_id if sender_id is None else sender_id]
        data.update(chat=self.chat(chat_id), date=int(time.time()), **content)
        self.messages.setdefault(chat_id, {})[message_id] = StoredMessage(
            data, from_bot, next(self._seq)
        )
        self.changed()
        return data

    def find_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        return self.messages.get(chat_id, {}).get(message_id)

    def touch(self, message: StoredMessage) -> None:
        message.seq = next(self._seq)
        self.changed()

    def delete_message(self, chat_id: int, message_id: int) -> bool:
        removed = self.messages.get(chat_id, {}).pop(message_id, None)
        self.changed()
        return removed is not None

    def bot_messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self.messages.get(chat_id, {}).values() if m.from_bot]

    # -- updates -------------------------------------------------------------------------

    def enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self.updates.append(update)
        self.changed()
        return update

    def confirm(self, offset: int) -> None:
        """getUpdates' offset forgets every earlier update for good (negative: keep the last
        -offset ones)."""
        if offset < 0:
            keep = self.updates[offset:]
            if keep:
                self.confirmed_offset = max(self.confirmed_offset, keep[0]["update_id"])
            self.updates = keep
        elif offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            self.confirmed_offset = max(self.confirmed_offset, offset)
        self.changed()

    def deliverable(self, limit: int = 100) -> list[dict[str, Any]]:
        """Pending updates the bot asked for; others are dropped, as Telegram drops them."""
        wanted = self.allowed_updates
        kept = []
        for update in self.updates:
            kind = next(k for k in update if k != "update_id")
            if wanted is not None and len(wanted) > 0:
                allowed = kind in wanted
            else:
                allowed = kind not in _NOT_DELIVERED_BY_DEFAULT
            if allowed:
                kept.append(update)
        self.updates = kept
        return kept[:limit]

    def is_confirmed(self, update_id: int) -> bool:
        return update_id < self.confirmed_offset or update_id in self.webhook_delivered

    def drop_pending(self) -> None:
        self.updates.clear()
        self.changed()

    # -- files ---------------------------------------------------------------------------

    def store_file(
        self, content: bytes, folder: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        number = next(self._ids)
        suffix = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
        stored = StoredFile(
            file_id=f"BQACAgIAAx{number:08d}{self.bot_id}",
            file_unique_id=f"AgAD{number:06d}",
            content=content,
            file_path=f"{folder}/file_{number}.{suffix}",
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == path), None)
