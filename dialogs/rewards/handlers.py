"""Participants ask for a thank-you offer: read what they did, ask bot.services.reciprocity,
then move the dialog. The rules (places, who may ask, one request each) live in the service."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from bot.services import reciprocity
from bot.services.reciprocity import Refusal, Refused
from dialogs.offers import words
from dialogs.states import Rewards
from storage import reciprocity as store
from storage.models import OfferKind
from storage.types import utcnow


def refusal_text(refused: Refused) -> str:
    if refused.refusal == Refusal.FULL:
        return _("Sorry, all the places are taken now. Thank you for asking.")
    if refused.refusal == Refusal.NOT_ELIGIBLE:
        return _(
            "Sorry, this offer is for people who came to at least {count} meetings. "
            "It is not yet open to you."
        ).format(count=refused.needed)
    if refused.refusal == Refusal.ALREADY:
        return _("You have already asked for this. The team will let you know.")
    if refused.refusal == Refusal.NEEDS_AMOUNT:
        return _("Please tell us how much you spent first.")
    return _("Sorry, this offer is closed now.")


async def on_start(start_data: Any, manager: DialogManager) -> None:
    """Opened from a button on a message ("offer:12"): straight to that offer."""
    if isinstance(start_data, dict) and start_data.get("offer_id"):
        manager.dialog_data["offer_id"] = int(start_data["offer_id"])
        await manager.switch_to(Rewards.offer)


async def on_offer_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, offer_id: int):
    manager.dialog_data["offer_id"] = offer_id
    await manager.switch_to(Rewards.offer)


async def _refuse(event: CallbackQuery | Message, manager: DialogManager, text: str) -> None:
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)
        manager.show_mode = ShowMode.SEND


async def on_ask(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    data = manager.middleware_data
    session, participant = data["session"], data["participant"]
    offer = await store.get_offer(session, manager.dialog_data.get("offer_id", 0))
    if offer is None:
        await _refuse(callback, manager, _("Sorry, this offer is closed now."))
        return
    try:
        await reciprocity.check_claim(session, participant, offer, now=utcnow())
    except Refused as refused:
        await _refuse(callback, manager, refusal_text(refused))
        return
    manager.dialog_data.update(amount_pence=None, receipt_file_id=None)
    await manager.switch_to(Rewards.amount if offer.kind == OfferKind.TRAVEL else Rewards.confirm)


async def on_amount(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    if message.content_type != ContentType.TEXT:
        await _refuse(message, manager, _("Please type the amount, like 12.50."))
        return
    try:
        pence = reciprocity.parse_amount(message.text)
    except reciprocity.TooMuch:
        limit = words.money(reciprocity.AMOUNT_LIMIT_PENCE, manager.middleware_data["locale"])
        await _refuse(
            message,
            manager,
            _(
                "That is more than {limit}. Please check the amount. "
                "For more, please talk to your team."
            ).format(limit=limit),
        )
        return
    except reciprocity.InvalidValue:
        await _refuse(
            message,
            manager,
            _("Sorry, I could not read that amount. Please type it in pounds, like 12.50."),
        )
        return
    manager.dialog_data["amount_pence"] = pence
    await manager.switch_to(Rewards.receipt, show_mode=ShowMode.SEND)


async def on_receipt(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    """A photo, or a picture or PDF sent as a file (an e-ticket, a scan)."""
    if message.photo:
        receipt = reciprocity.receipt_value(message.photo[-1].file_id, document=False)
    elif message.document and reciprocity.is_receipt_file(message.document.mime_type):
        receipt = reciprocity.receipt_value(message.document.file_id, document=True)
    else:
        await _refuse(
            message, manager, _("Please send a photo or a PDF of the receipt, or tap Skip.")
        )
        return
    manager.dialog_data["receipt_file_id"] = receipt
    await manager.switch_to(Rewards.confirm, show_mode=ShowMode.SEND)


async def on_confirm(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    data = manager.middleware_data
    values = manager.dialog_data
    try:
        await reciprocity.claim(
            data["session"],
            data["participant"],
            values.get("offer_id", 0),
            now=utcnow(),
            amount_pence=values.get("amount_pence"),
            receipt_file_id=values.get("receipt_file_id"),
            staff_notice=words.in_language(data["i18n"], words.staff_request),
        )
    except Refused as refused:
        await _refuse(callback, manager, refusal_text(refused))
        await manager.switch_to(Rewards.offer)
        return
    data["end_of_update"].after_commit(data["delivery"].wake)
    await callback.message.answer(
        _("Thank you. Your request is with the team. We will tell you what they decide.")
    )
    await manager.switch_to(Rewards.offer, show_mode=ShowMode.SEND)


async def on_cancel_claim(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    data = manager.middleware_data
    session, participant = data["session"], data["participant"]
    claim = await store.claim_of(session, manager.dialog_data.get("offer_id", 0), participant.id)
    if claim is not None and await reciprocity.withdraw_claim(
        session, participant, claim.id, now=utcnow()
    ):
        await callback.answer(_("Done. Your request is cancelled."))
    else:
        await callback.answer(_("The team has already answered this request."), show_alert=True)
