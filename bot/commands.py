"""Telegram's command menu: per language, and per chat in the language a person chose (with the
staff commands for staff only, so participants never see them)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SUPPORTED_LOCALES
from bot.services import people
from storage.models import Participant

log = logging.getLogger(__name__)

PARTICIPANT_COMMANDS = (
    ("start", __("Begin again")),
    ("menu", __("Open the menu")),
    ("feedback", __("Tell the team how things are going")),
    ("meetings", __("Meeting times and your meetings")),
    ("updates", __("See what changed: you said, we did")),
    ("offers", __("Thank-you offers from your team")),
    ("mycontribution", __("See the time you gave")),
    ("help", __("How to use this bot")),
    ("language", __("Change your language")),
    ("settings", __("How and when we write to you")),
    ("pause", __("Stop our messages for a while")),
    ("mydata", __("See what we keep about you")),
    ("forget", __("Delete your data")),
)
STAFF_COMMANDS = (
    ("team", __("Team tools")),
    ("export", __("Export answers (coordinators)")),
)


def _commands(i18n: I18n, locale: str, pairs) -> list[BotCommand]:
    with i18n.context(), i18n.use_locale(locale):
        return [BotCommand(command=name, description=str(text)) for name, text in pairs]


def participant_commands(i18n: I18n, locale: str) -> list[BotCommand]:
    return _commands(i18n, locale, PARTICIPANT_COMMANDS)


async def set_bot_commands(bot: Bot, i18n: I18n) -> None:
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(participant_commands(i18n, "en"), scope=scope)
    for locale in SUPPORTED_LOCALES:
        await bot.set_my_commands(
            participant_commands(i18n, locale), scope=scope, language_code=locale
        )


async def refresh_chat_commands(
    bot: Bot, session: AsyncSession, participant: Participant | None, i18n: I18n
) -> None:
    """A person's own chat lists the commands in the language they chose, which may not be
    their phone's (a Welsh speaker with an English phone gets Welsh ones); a staff member's
    also lists the staff commands. Someone who chose no language and is not staff gets the
    menu for their phone's language (set for all private chats at start)."""
    if participant is None:
        return
    scope = BotCommandScopeChat(chat_id=participant.telegram_id)
    try:
        staff = bool(await people.staff_projects(session, participant))
        if staff or participant.locale:
            pairs = PARTICIPANT_COMMANDS + STAFF_COMMANDS if staff else PARTICIPANT_COMMANDS
            locale = participant.locale or "en"
            await bot.set_my_commands(_commands(i18n, locale, pairs), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramAPIError as error:  # a menu is a convenience: never fail the update for it
        log.warning("could not set a chat's commands: %s", type(error).__name__)


# Joining and /start call it by this name when a role may have changed.
refresh_staff_commands = refresh_chat_commands
