"""Private chats only: nothing personal is ever shown in a group or a channel.

Anyone can add a bot to a group, and whatever the bot shows there is read by everyone in it
(`/mydata`, a facilitator's feedback review). So the bot works in private chats only, and this
is the one place that decides it: an outer middleware on the dispatcher's `update` observer,
registered before every other one of ours. An update from any other chat never reaches a
handler, a dialog, a button, or the middleware that opens a session and makes a participant
record; nothing about it is stored.

* In a group or supergroup the bot says once, kindly and in the sender's language, that it
  works in a private chat (with a button that opens one), then leaves. A button pressed there
  gets the same words as its answer and changes nothing.
* In a channel it leaves without a word (a post there reaches every reader, not the person who
  added it); channel posts are ignored.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
    Update,
    User,
)
from aiogram.utils.i18n import I18n

from bot.i18n import suggest_locale

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def __(message: str) -> str:
    """Marks a message for `coproduce i18n extract`; it is translated when it is sent."""
    return message


NOTICE = __(
    "Hello! I only work in a private chat, so what you tell me stays private. "
    "Please write to me there: {link}\nI will leave this group now."
)
OPEN_PRIVATE_CHAT = __("Open a private chat")
# The bot is in (or joining) the chat with one of these; "left" and "kicked" mean it is out.
_PRESENT = frozenset(
    {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.RESTRICTED}
)
_REMEMBERED_CHATS = 1000


class PrivateChatsOnly(BaseMiddleware):
    def __init__(self, i18n: I18n, default_locale: str) -> None:
        self.i18n = i18n
        self.default_locale = default_locale
        # Chats this process left: more updates from them in the same batch are dropped
        # without another (refused) message. Chat ids only, never a person's.
        self._left: OrderedDict[int, None] = OrderedDict()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        # aiogram-dialog's background updates come from our own jobs, for a person's own chat.
        if type(event) is not Update:
            return await handler(event, data)
        chat: Chat | None = data.get("event_chat")
        if event.my_chat_member is not None:
            if chat is not None and chat.type != ChatType.PRIVATE:
                await self._membership_changed(data["bot"], event.my_chat_member)
            # A block or unblock in a private chat: nothing handles it (the delivery engine
            # learns of a block from Telegram's refusal), and it must not touch anyone's record.
            return None
        if chat is None or chat.type == ChatType.PRIVATE:
            return await handler(event, data)
        await self._turn_away(data["bot"], event, chat, data.get("event_from_user"))
        return None

    # -- what the bot does in a group ------------------------------------------------------

    async def _membership_changed(self, bot: Bot, change: ChatMemberUpdated) -> None:
        if change.new_chat_member.status not in _PRESENT:
            return  # removed from the chat: nothing to say, nobody to say it to
        self._left.pop(change.chat.id, None)  # added again: say it again
        if change.chat.type != ChatType.CHANNEL:
            await self._say(bot, change.chat, change.from_user)
        await self._leave(bot, change.chat)

    async def _turn_away(self, bot: Bot, update: Update, chat: Chat, user: User | None) -> None:
        if chat.type == ChatType.CHANNEL:
            return
        if update.callback_query is not None:
            # A button under an old message reaches the bot even after it left.
            await self._answer(bot, update.callback_query, user)
        elif chat.id in self._left:
            return  # it already said so and left, in this batch: once is enough
        elif isinstance(update.event, Message) and update.event.left_chat_member is not None:
            return  # someone left, or took the bot out: not a word
        else:
            await self._say(bot, chat, user)
        if chat.id not in self._left:
            await self._leave(bot, chat)

    def _words(self, user: User | None, username: str) -> tuple[str, str]:
        locale = suggest_locale(user.language_code if user else None, self.default_locale)
        link = f"https://t.me/{username}"
        text = self.i18n.gettext(NOTICE, locale=locale).format(link=link)
        return text, self.i18n.gettext(OPEN_PRIVATE_CHAT, locale=locale)

    async def _say(self, bot: Bot, chat: Chat, user: User | None) -> None:
        try:
            username = (await bot.me()).username or ""
            text, button = self._words(user, username)
            markup = InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text=button, url=f"https://t.me/{username}")]
                ]
            )
            await bot.send_message(chat.id, text, reply_markup=markup)
        except TelegramAPIError as error:  # no longer in the chat, or not allowed to write
            log.info(
                "could not tell a %s chat we work in private: %s", chat.type, type(error).__name__
            )

    async def _answer(self, bot: Bot, callback: CallbackQuery, user: User | None) -> None:
        try:
            text, _button = self._words(user, (await bot.me()).username or "")
            await callback.answer(text, show_alert=True)
        except TelegramAPIError as error:
            log.info("could not answer a button in a group: %s", type(error).__name__)

    async def _leave(self, bot: Bot, chat: Chat) -> None:
        self._left[chat.id] = None
        while len(self._left) > _REMEMBERED_CHATS:
            self._left.popitem(last=False)
        try:
            await bot.leave_chat(chat.id)
        except TelegramAPIError as error:  # already out
            log.info("could not leave a %s chat: %s", chat.type, type(error).__name__)
        else:
            log.info("left a %s chat: the bot works in private chats only", chat.type)


async def _membership_update(_event: ChatMemberUpdated) -> None:
    """Never runs: `PrivateChatsOnly` answers every `my_chat_member` update first. It is here
    because Telegram sends only the kinds of update the dispatcher has handlers for."""


def private_chats_only(dispatcher: Dispatcher, i18n: I18n, default_locale: str) -> None:
    """Register the guard; call it before any other middleware of ours is registered."""
    dispatcher.update.outer_middleware(PrivateChatsOnly(i18n, default_locale))
    dispatcher.my_chat_member.register(_membership_update)
