"""Telegram's command menu, in each language we speak."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import lazy_gettext as __

from bot.config import SUPPORTED_LOCALES

PARTICIPANT_COMMANDS = (
    ("start", __("Begin again")),
    ("menu", __("Open the menu")),
    ("help", __("How to use this bot")),
    ("language", __("Change your language")),
)


def participant_commands(i18n: I18n, locale: str) -> list[BotCommand]:
    with i18n.context(), i18n.use_locale(locale):
        return [
            BotCommand(command=name, description=str(text)) for name, text in PARTICIPANT_COMMANDS
        ]


async def set_bot_commands(bot: Bot, i18n: I18n) -> None:
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(participant_commands(i18n, "en"), scope=scope)
    for locale in SUPPORTED_LOCALES:
        await bot.set_my_commands(
            participant_commands(i18n, locale), scope=scope, language_code=locale
        )
