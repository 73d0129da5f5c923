"""Buttons on unprompted messages about reciprocity: "See the offer" on an offer's announcement
and on news about a request ("offer:<id>"), and "See what you gave" on a thank-you
("contribution:me"). Callback data is checked against the database: a stale or forged button
gets a kind answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot.services import consent, reciprocity
from dialogs.states import MyContribution, Rewards

OFFER_PREFIX = "rw_offer:"
CONTRIBUTION_DATA = "rw_contribution"


def __(message: str) -> str:
    """Marks a label for the catalog; it is translated in the recipient's language at send time."""
    return message


SEE_OFFER = __("See the offer")
SEE_CONTRIBUTION = __("See what you gave")


def offer_buttons(argument: str, translate) -> InlineKeyboardMarkup | None:
    if not argument.isdigit():
        return None
    button = InlineKeyboardButton(
        text=translate(SEE_OFFER), callback_data=f"{OFFER_PREFIX}{int(argument)}"
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def contribution_buttons(_argument: str, translate) -> InlineKeyboardMarkup | None:
    button = InlineKeyboardButton(text=translate(SEE_CONTRIBUTION), callback_data=CONTRIBUTION_DATA)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def _joined(participant) -> bool:
    return consent.has_consented(participant) and participant.onboarded_at is not None


async def _stale(callback: CallbackQuery) -> None:
    await callback.answer(
        _("Sorry, this button no longer works. Please use /menu."), show_alert=True
    )


async def on_offer_tap(
    callback: CallbackQuery, dialog_manager: DialogManager, session, participant, locale: str
) -> None:
    offer_id = (callback.data or "").removeprefix(OFFER_PREFIX)
    if not offer_id.isdigit() or not _joined(participant):
        await _stale(callback)
        return
    if await reciprocity.offer_for(session, participant, int(offer_id), locale) is None:
        await _stale(callback)
        return
    await callback.answer()
    await dialog_manager.start(
        Rewards.offer,
        data={"offer_id": int(offer_id)},
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )


async def on_contribution_tap(
    callback: CallbackQuery, dialog_manager: DialogManager, participant
) -> None:
    if not _joined(participant):
        await _stale(callback)
        return
    await callback.answer()
    await dialog_manager.start(
        MyContribution.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND
    )


def router() -> Router:
    router = Router(name="reciprocity_taps")
    router.callback_query.register(on_offer_tap, F.data.startswith(OFFER_PREFIX))
    router.callback_query.register(on_contribution_tap, F.data == CONTRIBUTION_DATA)
    return router
