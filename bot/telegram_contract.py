"""Keep the bot's calls inside the Bot API contract: one answer per button press, no edit that
changes nothing, no edit or delete of a message the bot already deleted.

Telegram refuses each of these (a second `answerCallbackQuery` is "query is too old", an edit
with the same text and buttons is "message is not modified"), and code that meets them today
only works because aiogram and aiogram-dialog catch the refusal. They are still wasted calls
against the flood limits, they fill the logs, and they hide real bugs. `ContractGuard` sits on
the bot's session, so it sees every call from every handler, dialog and background job, and
remembers, for the messages this process sent or edited, what they show:

* a press already answered is not answered again (aiogram-dialog answers every press after the
  handler, which may have answered it with a kind word already);
* an edit that would show exactly what the message shows now, an edit or delete of a message
  already deleted, or an edit of a message the bot never sent (a forged button names one that
  is not there) gets Telegram's own refusal at once, without a call, so callers handle it as
  they always did (aiogram-dialog treats "not modified" as "nothing to do", and sends a fresh
  message when the one to edit is not found).

What a message shows is remembered as the request that put it there: the same request always
makes the same message, so nothing has to guess how Telegram parses text. Messages from before
a restart are unknown; for them the call is made as usual.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any, NamedTuple

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageCaption,
    EditMessageMedia,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import InlineKeyboardMarkup, Message, MessageId

log = logging.getLogger(__name__)

# Telegram's words, which aiogram and aiogram-dialog look for.
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
TO_EDIT_NOT_FOUND = "Bad Request: message to edit not found"
TO_DELETE_NOT_FOUND = "Bad Request: message to delete not found"

# Enough for every screen people look at in a busy hour; the oldest are forgotten first.
REMEMBERED_MESSAGES = 50_000
REMEMBERED_PRESSES = 20_000

_SENDING = (SendMessage, SendPhoto, SendDocument, SendVoice)
_EDITING = (EditMessageText, EditMessageCaption, EditMessageReplyMarkup)

MessageKey = tuple[str, int]


class Screen(NamedTuple):
    """What a message shows: its body as requested (None: not known) and its inline buttons."""

    body: str | None
    buttons: str | None


class ContractGuard(BaseRequestMiddleware):
    def __init__(self) -> None:
        self._screens: OrderedDict[MessageKey, Screen] = OrderedDict()
        self._deleted: OrderedDict[MessageKey, None] = OrderedDict()
        self._answered: OrderedDict[str, None] = OrderedDict()
        # The newest message id this process saw the bot send in each chat. Message ids in a chat
        # only grow, and only the bot's own messages can be edited, so an edit of a higher id
        # that the bot did not send is of a message that is not there (forged button data).
        self._newest: OrderedDict[str, int] = OrderedDict()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        if isinstance(method, AnswerCallbackQuery):
            return await self._answer_once(make_request, bot, method)
        key = (
            _key(method)
            if isinstance(method, (*_EDITING, EditMessageMedia, DeleteMessage))
            else None
        )
        if key is not None:
            self._refuse_known_failure(method, key)
        try:
            result = await make_request(bot, method)
        except TelegramBadRequest as error:
            if key is not None:
                self._learn_from_refusal(method, key, error.message)
            raise
        except Exception:
            self._forget_after_failure(method, key)
            raise
        self._learn(method, key, result)
        return result

    # -- presses ---------------------------------------------------------------------------

    async def _answer_once(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: AnswerCallbackQuery
    ) -> Any:
        query_id = method.callback_query_id
        if query_id in self._answered:
            log.debug("button press already answered")
            return True
        try:
            result = await make_request(bot, method)
        except TelegramBadRequest:
            _remember(self._answered, query_id, None, REMEMBERED_PRESSES)  # too old: no retry
            raise
        _remember(self._answered, query_id, None, REMEMBERED_PRESSES)
        return result

    # -- messages --------------------------------------------------------------------------

    def _refuse_known_failure(self, method: TelegramMethod[Any], key: MessageKey) -> None:
        if key in self._deleted:
            text = TO_DELETE_NOT_FOUND if isinstance(method, DeleteMessage) else TO_EDIT_NOT_FOUND
            raise TelegramBadRequest(method=method, message=text)
        if isinstance(method, DeleteMessage):
            return
        shown = self._screens.get(key)
        if shown is None and key[1] > self._newest.get(key[0], key[1]):
            raise TelegramBadRequest(method=method, message=TO_EDIT_NOT_FOUND)
        if shown is not None and isinstance(method, _EDITING) and _unchanged(shown, method):
            raise TelegramBadRequest(method=method, message=NOT_MODIFIED)

    def _learn(self, method: TelegramMethod[Any], key: MessageKey | None, result: Any) -> None:
        self._learn_newest(method, result)
        if isinstance(method, _SENDING) and isinstance(result, Message):
            screen = Screen(_body(method), _buttons(method.reply_markup))
            _remember(
                self._screens, (str(result.chat.id), result.message_id), screen, REMEMBERED_MESSAGES
            )
        elif key is None:
            return
        elif isinstance(method, DeleteMessage):
            self._screens.pop(key, None)
            _remember(self._deleted, key, None, REMEMBERED_MESSAGES)
        elif isinstance(method, EditMessageReplyMarkup):
            shown = self._screens.get(key)
            body = shown.body if shown is not None else None
            _remember(
                self._screens, key, Screen(body, _buttons(method.reply_markup)), REMEMBERED_MESSAGES
            )
        elif isinstance(method, _EDITING):
            screen = Screen(_body(method), _buttons(method.reply_markup))
            _remember(self._screens, key, screen, REMEMBERED_MESSAGES)
        else:  # a new photo or file: its caption is not worth modelling
            self._screens.pop(key, None)

    def _forget_after_failure(self, method: TelegramMethod[Any], key: MessageKey | None) -> None:
        """A server error, a timeout or a dropped connection: the call may have landed after all.
        What that message shows, and the newest message in the chat, are no longer known."""
        if key is not None:
            self._screens.pop(key, None)
        chat = getattr(method, "chat_id", None)
        if chat is not None:
            self._newest.pop(str(chat), None)

    def _learn_newest(self, method: TelegramMethod[Any], result: Any) -> None:
        """Every message the bot puts in a chat, whatever the method (a copy answers only an
        id, a media group a list)."""
        for message in result if isinstance(result, list) else [result]:
            if isinstance(message, Message):
                chat = str(message.chat.id)
            elif isinstance(message, MessageId) and getattr(method, "chat_id", None) is not None:
                chat = str(method.chat_id)
            else:
                continue
            newest = max(self._newest.get(chat, 0), message.message_id)
            _remember(self._newest, chat, newest, REMEMBERED_MESSAGES)

    def _learn_from_refusal(self, method: TelegramMethod[Any], key: MessageKey, text: str) -> None:
        lowered = text.lower()
        if "message to edit not found" in lowered or "message to delete not found" in lowered:
            self._screens.pop(key, None)
            _remember(self._deleted, key, None, REMEMBERED_MESSAGES)
        elif "not modified" in lowered and isinstance(method, _EDITING):
            self._learn(method, key, None)  # Telegram says this is what it shows


def _key(method: Any) -> MessageKey | None:
    if getattr(method, "inline_message_id", None) or method.message_id is None:
        return None
    if method.chat_id is None:
        return None
    return (str(method.chat_id), method.message_id)


def _body(method: Any) -> str | None:
    """The request's body as a comparable string; the same string makes the same message."""
    if isinstance(method, (SendMessage, EditMessageText)):
        fields = {"text": method.text, "entities": method.entities}
        preview = method.link_preview_options
    elif isinstance(method, EditMessageReplyMarkup):
        return None
    else:
        if isinstance(method, (SendPhoto, SendDocument, SendVoice)):
            return None  # an edit of its caption is compared with nothing: always made
        fields = {"caption": method.caption, "entities": method.caption_entities}
        preview = None
    # aiogram's "the bot's default" markers print the same each time, so they compare as equal.
    fields["parse_mode"] = method.parse_mode
    fields["entities"] = _dump(fields["entities"])
    fields["preview"] = _dump(preview)
    return json.dumps(fields, sort_keys=True, default=str)


def _buttons(markup: Any) -> str | None:
    """Only inline keyboards belong to a message; reply keyboards belong to the chat."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return None
    return json.dumps(_dump(markup), sort_keys=True, default=str)


def _unchanged(shown: Screen, method: Any) -> bool:
    if _buttons(method.reply_markup) != shown.buttons:
        return False
    if isinstance(method, EditMessageReplyMarkup):
        return True
    body = _body(method)
    return body is not None and body == shown.body


def _dump(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [_dump(item) for item in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    return value


def _remember(store: OrderedDict, key: Any, value: Any, limit: int) -> None:
    store[key] = value
    store.move_to_end(key)
    while len(store) > limit:
        store.popitem(last=False)
