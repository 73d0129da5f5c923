"""Buttons on unprompted messages about reciprocity: "See the offer" on an offer's announcement
and on news about a request ("offer:<id>"), "See what you gave" on a thank-you
("contribution:me"), and "See the requests" on staff's news that someone asked
("offer_review:<id>"). Callback data is checked against the database: a stale or forged button
gets a kind answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager

from bot.services import consent, people, reciprocity
from dialogs.common import button_id, open_from_button
from dialogs.states import MyContribution, Offers, Rewards
from storage import reciprocity as store

OFFER_PREFIX = "rw_offer:"
REVIEW_PREFIX = "rw_review:"
CONTRIBUTION_DATA = "rw_contribution"


def __(message: str) -> str:
    """Marks a label for the catalog; it is translated in the recipient's language at send time."""
    return message


SEE_OFFER = __("See the offer")
SEE_CONTRIBUTION = __("See what you gave")
SEE_REQUESTS = __("See the requests")


def offer_buttons(argument: str, translate) -> InlineKeyboardMarkup | None:
    if not argument.isdigit():
        return None
    button = InlineKeyboardButton(
        text=translate(SEE_OFFER), callback_data=f"{OFFER_PREFIX}{int(argument)}"
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def review_buttons(argument: str, translate) -> InlineKeyboardMarkup | None:
    if not argument.isdigit():
        return None
    button = InlineKeyboardButton(
        text=translate(SEE_REQUESTS), callback_data=f"{REVIEW_PREFIX}{int(argument)}"
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
    if button_id(offer_id) is None or not _joined(participant):
        await _stale(callback)
        return
    if await reciprocity.offer_for(session, participant, int(offer_id), locale) is None:
        await _stale(callback)
        return
    await callback.answer()
    await open_from_button(dialog_manager, Rewards.offer, {"offer_id": int(offer_id)})


async def on_review_tap(
    callback: CallbackQuery, dialog_manager: DialogManager, session, participant
):
    """Staff open the requests waiting on their offer; only staff of the offer's team may."""
    offer_id = (callback.data or "").removeprefix(REVIEW_PREFIX)
    number = button_id(offer_id)
    offer = await store.get_offer(session, number) if number is not None else None
    if offer is None or not await people.is_staff_in(session, participant, offer.project_id):
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    await callback.answer()
    await open_from_button(dialog_manager, Offers.claims, {"offer_id": offer.id})


async def on_contribution_tap(
    callback: CallbackQuery, dialog_manager: DialogManager, participant
) -> None:
    if not _joined(participant):
        await _stale(callback)
        return
    await callback.answer()
    await open_from_button(dialog_manager, MyContribution.main)


def router() -> Router:
    router = Router(name="reciprocity_taps")
    router.callback_query.register(on_offer_tap, F.data.startswith(OFFER_PREFIX))
    router.callback_query.register(on_review_tap, F.data.startswith(REVIEW_PREFIX))
    router.callback_query.register(on_contribution_tap, F.data == CONTRIBUTION_DATA)
    return router
