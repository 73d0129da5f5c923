"""The Bot API methods the emulator acts out, on top of `BotState`.

Parameters arrive already checked against the contract (contract.py) and typed; this module
adds the behaviour a bot depends on: message ids per chat, edits that refuse to change nothing,
callback queries answered once, commands per scope and language, the long poll. Methods with
no entry here answer `true`, like a call Telegram accepted and we need not model.
"""

from __future__ import annotations

import mimetypes
import struct
import time
from collections.abc import Awaitable, Callable
from typing import Any

from . import errors, rules
from .contract import Upload
from .errors import ApiError, bad_request
from .state import BotState, StoredFile, StoredMessage, Webhook
from .text import render

Handler = Callable[[dict[str, Any]], Awaitable[Any]]

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Longest long poll Telegram allows; a larger timeout is silently capped.
_MAX_POLL_SECONDS = 50


class BotApi:
    def __init__(self, state: BotState, on_webhook_change: Callable[[], None]) -> None:
        self.state = state
        self._on_webhook_change = on_webhook_change
        self._closing = False
        self.handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "editMessageCaption": self.edit_message_caption,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "sendVoice": self.send_voice,
            "sendChatAction": self.send_chat_action,
            "setMyCommands": self.set_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getMyCommands": self.get_my_commands,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "getFile": self.get_file,
            "copyMessage": self.copy_message,
            "forwardMessage": self.forward_message,
            "leaveChat": self.leave_chat,
        }

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        handler = self.handlers.get(method)
        if handler is None:
            return True
        return await handler(params)

    @property
    def closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Release long polls so the server can stop."""
        self._closing = True
        self.state.changed()

    # -- helpers -------------------------------------------------------------------------

    def _chat(self, chat_id: int | str) -> int:
        """Resolve a chat the bot may write to, or refuse as Telegram does."""
        if isinstance(chat_id, str):
            wanted = chat_id.removeprefix("@").lower()
            match = [
                uid
                for uid, u in self.state.users.items()
                if u.get("username", "").lower() == wanted
            ]
            if not match:
                raise errors.ApiError(400, errors.CHAT_NOT_FOUND)
            chat_id = match[0]
        if chat_id in self.state.groups:  # a group or channel: only while the bot is in it
            return self.state.writable_group(chat_id)
        if chat_id not in self.state.users:
            raise errors.ApiError(400, errors.CHAT_NOT_FOUND)
        if chat_id in self.state.blocked:
            raise errors.forbidden_blocked()
        return chat_id

    def _message_to_edit(self, params: dict[str, Any]) -> tuple[int, StoredMessage]:
        if "inline_message_id" in params:
            raise bad_request("MESSAGE_ID_INVALID")  # the bot has no inline mode
        if "chat_id" not in params:
            raise bad_request("chat_id is empty")
        if "message_id" not in params:
            raise bad_request("message identifier is not specified")
        chat_id = self._chat(params["chat_id"])
        stored = self.state.find_message(chat_id, params["message_id"])
        if stored is None:
            raise errors.ApiError(400, errors.MESSAGE_TO_EDIT_NOT_FOUND)
        if not stored.from_bot:
            raise errors.ApiError(400, errors.MESSAGE_CANT_BE_EDITED)
        return chat_id, stored

    def _content(self, text: str, params: dict[str, Any], key: str) -> dict[str, Any]:
        entities_key = "entities" if key == "text" else "caption_entities"
        plain, entities = render(text, params.get("parse_mode"), params.get(entities_key))
        content: dict[str, Any] = {key: plain}
        if entities:
            content[entities_key] = entities
        return content

    def _markup(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        """Inline keyboards travel with the message; reply keyboards belong to the chat."""
        markup = params.get("reply_markup")
        rules.check_reply_markup(markup)
        if not markup:
            return {}
        if "inline_keyboard" in markup:
            return {"reply_markup": {"inline_keyboard": markup["inline_keyboard"]}}
        if "keyboard" in markup:
            self.state.reply_keyboards[chat_id] = markup
        elif markup.get("remove_keyboard"):
            self.state.reply_keyboards.pop(chat_id, None)
        return {}

    def _reply_to(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id")
        if message_id is None:
            return {}
        target = self.state.find_message(chat_id, message_id)
        if target is None:
            if reply.get("allow_sending_without_reply"):
                return {}
            raise bad_request("message to be replied not found")
        return {"reply_to_message": dict(target.data)}

    def _file(self, value: Upload | str, folder: str, default_mime: str | None) -> StoredFile:
        if isinstance(value, Upload):
            # Telegram guesses the type from the name when the client sends none.
            mime = value.content_type
            if mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.filename)[0] or default_mime
            return self.state.store_file(value.content, folder, value.filename, mime)
        if value in self.state.files:
            return self.state.files[value]
        if value.startswith(("http://", "https://")):
            # No internet here: a URL stands for a file Telegram fetched successfully.
            name = value.rstrip("/").rsplit("/", 1)[-1] or "file"
            return self.state.store_file(b"", folder, name, default_mime)
        raise errors.ApiError(400, errors.WRONG_FILE_ID)

    def _send(self, chat_id: int, content: dict[str, Any], params: dict[str, Any]) -> Any:
        content = {**content, **self._reply_to(chat_id, params), **self._markup(chat_id, params)}
        return self.state.add_message(chat_id, content, from_bot=True)

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        if "caption" not in params:
            return {}
        content = self._content(params["caption"], params, "caption")
        rules.check_caption(content["caption"])
        return content

    # -- identity and updates ------------------------------------------------------------

    async def get_me(self, params: dict[str, Any]) -> Any:
        return {
            **self.state.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: dict[str, Any]) -> Any:
        state = self.state
        if state.webhook is not None:
            raise ApiError(409, errors.WEBHOOK_CONFLICT)
        if "offset" in params:
            state.confirm(params["offset"])
        if "allowed_updates" in params:
            state.allowed_updates = params["allowed_updates"]
        limit = min(max(params.get("limit", 100), 1), 100)
        timeout = min(max(params.get("timeout", 0), 0), _MAX_POLL_SECONDS)
        await state.wait_for(
            lambda: self._closing or state.webhook is not None or state.deliverable(limit),
            timeout,
        )
        if state.webhook is not None:
            raise ApiError(409, errors.WEBHOOK_CONFLICT)
        return state.deliverable(limit)

    async def set_webhook(self, params: dict[str, Any]) -> Any:
        url = params.get("url", "")
        if not url:
            return await self.delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = params.get("secret_token")
        if secret is not None and not (
            1 <= len(secret) <= 256 and all(c.isalnum() or c in "_-" for c in secret)
        ):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self.state.drop_pending()
        if "allowed_updates" in params:
            self.state.allowed_updates = params["allowed_updates"]
        self.state.webhook = Webhook(url, secret, params.get("max_connections", 40))
        self.state.changed()
        self._on_webhook_change()
        return True

    async def delete_webhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates"):
            self.state.drop_pending()
        self.state.webhook = None
        self.state.changed()
        self._on_webhook_change()
        return True

    async def get_webhook_info(self, params: dict[str, Any]) -> Any:
        hook = self.state.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.updates),
        }
        if hook:
            info["max_connections"] = hook.max_connections
            if hook.last_error_date:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        if self.state.allowed_updates is not None:
            info["allowed_updates"] = self.state.allowed_updates
        return info

    # -- sending ---------------------------------------------------------------------------

    async def send_message(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat(params["chat_id"])
        content = self._content(params["text"], params, "text")
        rules.check_text(content["text"])
        if options := params.get("link_preview_options"):
            content["link_preview_options"] = options
        return self._send(chat_id, content, params)

    async def send_document(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat(params["chat_id"])
        caption = self._caption(params)
        stored = self._file(params["document"], "documents", "application/octet-stream")
        return self._send(chat_id, {"document": stored.describe(), **caption}, params)

    async def send_photo(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat(params["chat_id"])
        caption = self._caption(params)
        stored = self._file(params["photo"], "photos", "image/jpeg")
        width, height = _image_size(stored.content)
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "width": width,
            "height": height,
        }
        return self._send(chat_id, {"photo": [size], **caption}, params)

    async def send_voice(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat(params["chat_id"])
        caption = self._caption(params)
        stored = self._file(params["voice"], "voice", "audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": params.get("duration", 1),
            "mime_type": stored.mime_type or "audio/ogg",
            "file_size": len(stored.content),
        }
        return self._send(chat_id, {"voice": voice, **caption}, params)

    async def send_chat_action(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat(params["chat_id"])
        if params["action"] not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.state.chat_actions.append((chat_id, params["action"]))
        return True

    async def copy_message(self, params: dict[str, Any]) -> Any:
        source = self._source(params, errors.MESSAGE_TO_COPY_NOT_FOUND)
        chat_id = self._chat(params["chat_id"])
        content = {k: v for k, v in source.data.items() if k not in _MESSAGE_ENVELOPE}
        if "caption" in params:
            content.pop("caption_entities", None)
            content.update(self._caption(params))
        content.pop("reply_markup", None)
        message = self._send(chat_id, content, params)
        return {"message_id": message["message_id"]}

    async def forward_message(self, params: dict[str, Any]) -> Any:
        source = self._source(params, "Bad Request: message to forward not found")
        chat_id = self._chat(params["chat_id"])
        content = {k: v for k, v in source.data.items() if k not in _MESSAGE_ENVELOPE}
        content.pop("reply_markup", None)
        content["forward_origin"] = {
            "type": "user",
            "sender_user": source.data["from"],
            "date": source.data["date"],
        }
        return self.state.add_message(chat_id, content, from_bot=True)

    def _source(self, params: dict[str, Any], not_found: str) -> StoredMessage:
        from_chat = params["from_chat_id"]
        if from_chat not in self.state.users:
            raise errors.ApiError(400, errors.CHAT_NOT_FOUND)
        source = self.state.find_message(from_chat, params["message_id"])
        if source is None:
            raise errors.ApiError(400, not_found)
        return source

    # -- editing ---------------------------------------------------------------------------

    async def edit_message_text(self, params: dict[str, Any]) -> Any:
        chat_id, stored = self._message_to_edit(params)
        if "text" not in stored.data:
            raise bad_request("there is no text in the message to edit")
        content = self._content(params["text"], params, "text")
        rules.check_text(content["text"])
        return self._apply_edit(chat_id, stored, content, ("text", "entities"), params)

    async def edit_message_caption(self, params: dict[str, Any]) -> Any:
        chat_id, stored = self._message_to_edit(params)
        if "text" in stored.data:
            raise bad_request("there is no caption in the message to edit")
        content = self._caption(params)
        return self._apply_edit(chat_id, stored, content, ("caption", "caption_entities"), params)

    async def edit_message_reply_markup(self, params: dict[str, Any]) -> Any:
        chat_id, stored = self._message_to_edit(params)
        return self._apply_edit(chat_id, stored, {}, (), params)

    def _apply_edit(
        self,
        chat_id: int,
        stored: StoredMessage,
        content: dict[str, Any],
        keys: tuple[str, ...],
        params: dict[str, Any],
    ) -> Any:
        """An edit without reply_markup removes the inline keyboard, as on Telegram; an edit
        that changes nothing is refused, which aiogram-dialog relies on."""
        new = {**content, **self._markup(chat_id, params)}
        old = stored.data
        if all(new.get(k) == old.get(k) for k in (*keys, "reply_markup")):
            raise errors.ApiError(400, errors.NOT_MODIFIED)
        for key in (*keys, "reply_markup"):
            old.pop(key, None)
        old.update(new)
        old["edit_date"] = int(time.time())
        self.state.touch(stored)
        return old

    async def delete_message(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat(params["chat_id"])
        if not self.state.delete_message(chat_id, params["message_id"]):
            raise errors.ApiError(400, errors.MESSAGE_TO_DELETE_NOT_FOUND)
        return True

    async def answer_callback_query(self, params: dict[str, Any]) -> Any:
        query_id = params["callback_query_id"]
        answers = self.state.callback_answers
        if query_id not in answers or answers[query_id] is not None:
            raise errors.ApiError(400, errors.QUERY_TOO_OLD)
        rules.check_callback_answer(params.get("text"))
        answers[query_id] = {
            "text": params.get("text"),
            "show_alert": params.get("show_alert", False),
            "url": params.get("url"),
            "cache_time": params.get("cache_time", 0),
        }
        self.state.changed()
        return True

    async def leave_chat(self, params: dict[str, Any]) -> Any:
        """The bot leaves a group or channel; sends there are refused from then on."""
        chat_id = params["chat_id"]
        if chat_id in self.state.users:
            raise bad_request("chat member status can't be changed in private chats")
        if chat_id not in self.state.groups:
            raise errors.ApiError(400, errors.CHAT_NOT_FOUND)
        self.state.leave(chat_id)
        return True

    # -- commands, menu, files -------------------------------------------------------------

    @staticmethod
    def scope_key(params: dict[str, Any]) -> tuple[Any, ...]:
        scope = params.get("scope") or {"type": "default"}
        return (
            scope["type"],
            str(scope.get("chat_id", "")),
            scope.get("user_id"),
            params.get("language_code", ""),
        )

    async def set_my_commands(self, params: dict[str, Any]) -> Any:
        rules.check_commands(params["commands"])
        commands = [
            {"command": c["command"], "description": c["description"]} for c in params["commands"]
        ]
        self.state.commands[self.scope_key(params)] = commands
        return True

    async def delete_my_commands(self, params: dict[str, Any]) -> Any:
        self.state.commands.pop(self.scope_key(params), None)
        return True

    async def get_my_commands(self, params: dict[str, Any]) -> Any:
        return self.state.commands.get(self.scope_key(params), [])

    async def set_chat_menu_button(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat(params["chat_id"]) if "chat_id" in params else None
        self.state.menu_buttons[chat_id] = params.get("menu_button") or {"type": "default"}
        return True

    async def get_chat_menu_button(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat(params["chat_id"]) if "chat_id" in params else None
        buttons = self.state.menu_buttons
        return buttons.get(chat_id) or buttons.get(None) or {"type": "default"}

    async def get_file(self, params: dict[str, Any]) -> Any:
        stored = self.state.files.get(params["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }


_MESSAGE_ENVELOPE = frozenset(
    {"message_id", "from", "chat", "date", "edit_date", "reply_to_message", "forward_origin"}
)


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height of a PNG, which is what tests upload; anything else gets a typical
    phone photo size."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return width, height
    return 1280, 960


async def sleep_until_closed(api: BotApi, seconds: float) -> None:
    """Hold a request (an injected timeout) without keeping the server from stopping."""
    await api.state.wait_for(lambda: api.closing, seconds)
