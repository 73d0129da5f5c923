"""People talking to the bot: what they can do, and the chat as they see it.

Tests, the terminal demo and the benchmarks all need to say "Ann presses English" and "Ann now
sees ..." rather than build update JSON by hand; a `SimulatedUser` turns those actions into
the updates Telegram would send and reads the chat back with edits applied and deletions gone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .state import BotState, StoredMessage
from .text import command_entities

# A tiny valid PNG (1x1), so bots that inspect the photo they receive get real bytes.
_PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class ButtonNotFoundError(LookupError):
    """The user tried to press a button that is not on their screen."""


@dataclass(frozen=True)
class BotMessage:
    """One bot message as the user sees it now."""

    message_id: int
    text: str | None
    caption: str | None
    buttons: list[list[str]]
    callback_data: list[list[str | None]]
    document: dict[str, Any] | None
    photo: list[dict[str, Any]] | None
    voice: dict[str, Any] | None
    edited: bool
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> BotMessage:
        rows = (data.get("reply_markup") or {}).get("inline_keyboard", [])
        return cls(
            message_id=data["message_id"],
            text=data.get("text"),
            caption=data.get("caption"),
            buttons=[[b["text"] for b in row] for row in rows],
            callback_data=[[b.get("callback_data") for b in row] for row in rows],
            document=data.get("document"),
            photo=data.get("photo"),
            voice=data.get("voice"),
            edited="edit_date" in data,
            raw=data,
        )

    @property
    def body(self) -> str:
        """What the user reads: the text, or the caption of a file or photo."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def labels(self) -> list[str]:
        return [label for row in self.buttons for label in row]

    def data_for(self, label: str) -> str | None:
        for row_labels, row_data in zip(self.buttons, self.callback_data, strict=True):
            for text, data in zip(row_labels, row_data, strict=True):
                if text == label:
                    return data
        raise ButtonNotFoundError(f"no button {label!r} on message {self.message_id}")


class SimulatedUser:
    """A Telegram user in a private chat with the bot (chat id = user id)."""

    def __init__(self, state: BotState, user: dict[str, Any]) -> None:
        self._state = state
        self.profile = user
        # Bot messages older than this sequence number were already on screen at the user's
        # last action or last wait, so wait_for_message only returns what came after.
        self._seen_seq = 0

    @property
    def id(self) -> int:
        return self.profile["id"]

    @property
    def first_name(self) -> str:
        return self.profile["first_name"]

    @property
    def language_code(self) -> str | None:
        return self.profile.get("language_code")

    # -- what the user sees ----------------------------------------------------------------

    @property
    def messages(self) -> list[BotMessage]:
        return [BotMessage.from_data(m.data) for m in self._state.bot_messages(self.id)]

    @property
    def last_message(self) -> BotMessage | None:
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def buttons(self) -> list[str]:
        """Labels of the inline buttons on the newest message that has any."""
        for message in reversed(self.messages):
            if message.buttons:
                return message.labels
        return []

    @property
    def reply_buttons(self) -> list[str]:
        """Labels of the reply keyboard shown under the input field, if any."""
        markup = self._state.reply_keyboards.get(self.id) or {}
        return [
            b["text"] if isinstance(b, dict) else b
            for row in markup.get("keyboard", [])
            for b in row
        ]

    async def wait_for_message(
        self,
        predicate: Callable[[BotMessage], bool] | None = None,
        timeout: float = 5,  # noqa: ASYNC109 - a test helper, read as "within 5 s"
    ) -> BotMessage:
        """Wait for a bot message sent or edited since the user's last action (or last wait)
        that satisfies predicate."""

        def fresh() -> tuple[StoredMessage, BotMessage] | None:
            candidates = sorted(
                (m for m in self._state.bot_messages(self.id) if m.seq > self._seen_seq),
                key=lambda m: m.seq,
            )
            for stored in candidates:
                view = BotMessage.from_data(stored.data)
                if predicate is None or predicate(view):
                    return stored, view
            return None

        found = await self._state.wait_for(fresh, timeout)
        if not found:
            screen = [m.body[:60] for m in self.messages[-3:]]
            raise TimeoutError(
                f"{self.first_name} got no matching message within {timeout}s; "
                f"newest on screen: {screen}"
            )
        stored, view = found
        self._seen_seq = stored.seq
        return view

    # -- what the user does ----------------------------------------------------------------

    def _acted(self) -> None:
        self._seen_seq = max(
            (m.seq for m in self._state.bot_messages(self.id)), default=self._seen_seq
        )

    async def _send(self, content: dict[str, Any]) -> dict[str, Any]:
        self._acted()
        message = self._state.add_message(self.id, content, from_bot=False)
        update = self._state.enqueue("message", message)
        await asyncio.sleep(0)  # let a waiting long poll see it before the caller moves on
        return update

    async def send_text(self, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if entities := command_entities(text):
            content["entities"] = entities
        return await self._send(content)

    async def send_voice(self, duration: int = 3) -> dict[str, Any]:
        stored = self._state.store_file(b"OggS" + bytes(60), "voice", None, "audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(stored.content),
        }
        return await self._send({"voice": voice})

    async def send_photo(self, caption: str | None = None) -> dict[str, Any]:
        stored = self._state.store_file(_PNG_1X1, "photos", None, "image/png")
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "width": 1,
            "height": 1,
        }
        content: dict[str, Any] = {"photo": [size]}
        if caption:
            content["caption"] = caption
        return await self._send(content)

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        stored = self._state.store_file(b"RIFF" + bytes(60), "stickers", None, "image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(stored.content),
        }
        return await self._send({"sticker": sticker})

    async def send_document(
        self,
        file_name: str = "notes.pdf",
        content: bytes = b"%PDF-1.4\n%%EOF\n",
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> dict[str, Any]:
        stored = self._state.store_file(content, "documents", file_name, mime_type)
        message: dict[str, Any] = {"document": stored.describe()}
        if caption:
            message["caption"] = caption
        return await self._send(message)

    async def press(self, label: str) -> dict[str, Any]:
        """Press the button labelled exactly `label` on the newest bot message showing it;
        a reply-keyboard button sends its label as a text message, as in Telegram."""
        for message in reversed(self.messages):
            if label in message.labels:
                data = message.data_for(label)
                if data is None:
                    raise ButtonNotFoundError(
                        f"button {label!r} on message {message.message_id} opens a link or app, "
                        "it sends no callback"
                    )
                return await self.press_data(data, message_id=message.message_id)
        if label in self.reply_buttons:
            return await self.send_text(label)
        raise ButtonNotFoundError(
            f"{self.first_name} sees no button {label!r}; buttons on screen: "
            f"{self._screen_labels()}"
        )

    def _screen_labels(self) -> dict[int | str, list[str]]:
        screen: dict[int | str, list[str]] = {
            m.message_id: m.labels for m in self.messages if m.labels
        }
        if self.reply_buttons:
            screen["reply keyboard"] = self.reply_buttons
        return screen

    async def press_data(self, data: str, message_id: int | None = None) -> dict[str, Any]:
        """Send a callback query with any data: a forged button, or a stale message's."""
        stored = None
        if message_id is None:
            bot_messages = self._state.bot_messages(self.id)
            stored = bot_messages[-1] if bot_messages else None
        else:
            stored = self._state.find_message(self.id, message_id)
        if stored is not None:
            message = dict(stored.data)
        else:
            # Telegram sends an InaccessibleMessage (date 0) for messages it no longer has.
            message = {
                "chat": self._state.private_chat(self.id),
                "message_id": message_id or 0,
                "date": 0,
            }
        self._acted()
        query_id = self._state.new_query_id(self.id)
        self._state.callback_answers[query_id] = None
        query = {
            "id": query_id,
            "from": self.profile,
            "message": message,
            "chat_instance": str(-(10**12) - self.id),
            "data": data,
        }
        update = self._state.enqueue("callback_query", query)
        await asyncio.sleep(0)
        return update


# Rights Telegram lists for a bot made an administrator of a channel (it can only post there).
_CHANNEL_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": False,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": False,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
    "can_post_messages": True,
}


class SimulatedGroup:
    """A group, supergroup or channel (negative id) that people can add the bot to, write in
    and press the bot's buttons in. What the bot sent there stays in `messages`; once the bot
    leaves (`leaveChat`), Telegram refuses its sends to the chat."""

    def __init__(self, state: BotState, chat_id: int, title: str, chat_type: str) -> None:
        self._state = state
        self.chat = state.groups.get(chat_id) or state.add_group(chat_id, title, chat_type)

    @property
    def id(self) -> int:
        return self.chat["id"]

    @property
    def type(self) -> str:
        return self.chat["type"]

    @property
    def bot_is_member(self) -> bool:
        return self._state.bot_is_member(self.id)

    @property
    def messages(self) -> list[BotMessage]:
        """What the bot sent to the group, as its members see it now."""
        return [BotMessage.from_data(m.data) for m in self._state.bot_messages(self.id)]

    def with_bot_in_it(self) -> SimulatedGroup:
        """The bot is in the group already (added before this story starts), unannounced."""
        self._state.join(self.id)
        return self

    def add_bot(self, by: SimulatedUser) -> list[dict[str, Any]]:
        """`by` adds the bot: Telegram sends `my_chat_member` and, in a group, the service
        message listing the new member. Returns the updates, in order."""
        self._state.join(self.id)
        bot = self._state.bot_user()
        if self.type == "channel":
            new = {"status": "administrator", "user": bot, **_CHANNEL_ADMIN_RIGHTS}
        else:
            new = {"status": "member", "user": bot}
        added = {
            "chat": self._state.chat(self.id),
            "from": by.profile,
            "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": bot},
            "new_chat_member": new,
        }
        updates = [self._state.enqueue("my_chat_member", added)]
        if self.type != "channel":
            message = self._state.add_message(
                self.id, {"new_chat_members": [bot]}, from_bot=False, sender_id=by.id
            )
            updates.append(self._state.enqueue("message", message))
        return updates

    async def send_text(self, by: SimulatedUser, text: str) -> dict[str, Any]:
        """`by` writes in the group (a command, or a reply the bot can read). The bot is sent
        it only while it is in the group, as on Telegram."""
        content: dict[str, Any] = {"text": text}
        if entities := command_entities(text):
            content["entities"] = entities
        message = self._state.add_message(self.id, content, from_bot=False, sender_id=by.id)
        if not self.bot_is_member:
            return {"message": message}
        update = self._state.enqueue("message", message)
        await asyncio.sleep(0)
        return update

    async def post(self, text: str) -> dict[str, Any]:
        """A post in a channel: it has no sender, only the channel."""
        message = self._state.add_message(self.id, {"text": text}, from_bot=False)
        update = self._state.enqueue("channel_post", message)
        await asyncio.sleep(0)
        return update

    async def press_data(
        self, by: SimulatedUser, data: str, message_id: int | None = None
    ) -> dict[str, Any]:
        """`by` presses a button (any data, forged or real) under a bot message in the group;
        with no message id, under the bot's newest message there, or one the bot never sent."""
        if message_id is None:
            sent = self._state.bot_messages(self.id)
            stored = sent[-1] if sent else None
        else:
            stored = self._state.find_message(self.id, message_id)
        if stored is not None:
            message = dict(stored.data)
        else:
            message = {"chat": self._state.chat(self.id), "message_id": message_id or 0, "date": 0}
        query_id = self._state.new_query_id(by.id)
        self._state.callback_answers[query_id] = None
        query = {
            "id": query_id,
            "from": by.profile,
            "message": message,
            "chat_instance": str(-(10**12) + self.id),
            "data": data,
        }
        update = self._state.enqueue("callback_query", query)
        await asyncio.sleep(0)
        return update

    async def press(self, by: SimulatedUser, label: str) -> dict[str, Any]:
        for message in reversed(self.messages):
            if label in message.labels:
                data = message.data_for(label)
                if data is None:
                    raise ButtonNotFoundError(f"button {label!r} opens a link, it sends nothing")
                return await self.press_data(by, data, message.message_id)
        raise ButtonNotFoundError(f"no button {label!r} in the group")
