"""A button press that comes with no message: from inline mode (the bot has none, so forged),
or a chat Telegram no longer shows the bot. There is no chat and no screen to draw, so no
dialog can take it: it is answered once, kindly, with the way back, and nothing else happens."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _


async def on_press_without_message(callback: CallbackQuery) -> None:
    await callback.answer(_("Sorry, this button no longer works. Please use /menu."))


def messageless_router() -> Router:
    """Include it before every other router: the others expect a chat."""
    router = Router(name="messageless")
    router.callback_query.register(on_press_without_message, F.message.is_(None))
    return router
