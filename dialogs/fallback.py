"""Kind answers for everything nothing else handled: stale buttons, stray messages, errors.

Every callback is answered (no spinning button) and the person gets a fresh menu.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager
from aiogram_dialog.api.entities import DialogUpdate
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState

from dialogs.commands import show_home
from dialogs.common import menu_button

log = logging.getLogger(__name__)


async def on_stray_message(message: Message, dialog_manager: DialogManager, participant) -> None:
    if message.text:
        await message.answer(_("Sorry, I did not understand that. Here is the menu."))
    else:
        await message.answer(_("Sorry, I cannot use this kind of message here. Here is the menu."))
    await show_home(dialog_manager, participant)


async def on_stray_button(
    callback: CallbackQuery, dialog_manager: DialogManager, participant
) -> None:
    await callback.answer(_("Sorry, that button is old. Here is the menu again."))
    await show_home(dialog_manager, participant)


async def on_stale_dialog(event: ErrorEvent, dialog_manager: DialogManager, participant) -> None:
    """A button from a dialog that is closed or was replaced: say so and show a fresh menu."""
    if isinstance(event.update, DialogUpdate):
        # The bot's own background update for a dialog the person has closed since: they did
        # nothing, so they get nothing (least of all a menu out of the blue).
        log.info("background update for a closed dialog: %s", type(event.exception).__name__)
        return
    log.info("stale dialog button: %s", type(event.exception).__name__)
    callback = event.update.callback_query
    if callback is not None:
        try:
            await callback.answer(_("Sorry, that button is old. Here is the menu again."))
        except TelegramBadRequest:
            log.debug("callback too old to answer")
    await show_home(dialog_manager, participant)


async def on_error(event: ErrorEvent, dialog_manager: DialogManager, participant) -> None:
    log.exception("error while handling an update", exc_info=event.exception)
    callback = event.update.callback_query
    if callback is not None:
        try:
            await callback.answer(_("Sorry, something went wrong. Please try again."))
        except TelegramBadRequest:
            log.debug("callback too old to answer")
    try:
        await show_home(dialog_manager, participant)
    except Exception:  # the menu itself failed: the person still gets a plain answer
        log.exception("could not show the menu after an error")
        user = getattr(event.update.event, "from_user", None)
        if user is not None:  # a private chat's id is the person's id, for messages and buttons
            await event.update.bot.send_message(
                user.id,
                _("Sorry, something went wrong. Please type /start."),
                reply_markup=menu_button(),  # one tap tries the menu again
            )


def fallback_router() -> Router:
    router = Router(name="fallback")
    router.message.register(on_stray_message)
    router.callback_query.register(on_stray_button)
    router.errors.register(
        on_stale_dialog, ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState)
    )
    router.errors.register(on_error)
    return router
