"""Thank-you offers for participants: what their teams offer, in their language; asking for
one (with the amount and a receipt photo for travel expenses); and their requests so far."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Next, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.rewards import getters, handlers
from dialogs.states import Rewards

OFFER = "offer"
MINE = "mine"
ASK = "ask"
CANCEL_CLAIM = "cancel_claim"
SKIP_RECEIPT = "skip_receipt"
CONFIRM = "confirm"


def _back_to_list(widget_id: str) -> SwitchTo:
    return SwitchTo(I18nFormat("Back"), id=widget_id, state=Rewards.list)


def rewards_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat(
                "Thank-you offers from your team. They say thank you for the time you give.",
                when="some",
            ),
            I18nFormat(
                "There are no thank-you offers right now. We will tell you when there is one.",
                when="none",
            ),
            picker(OFFER, "offers", handlers.on_offer_chosen, numeric=True),
            SwitchTo(I18nFormat("My requests"), id=MINE, state=Rewards.mine, when="has_claims"),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=Rewards.list,
            getter=getters.get_offers,
        ),
        Window(
            I18nFormat("Sorry, this offer is not available.", when="missing"),
            Format("{title}\n\n{details}", when="found"),
            Format("\n{status}", when="has_status"),
            Format("\n{benefits}", when="money"),
            I18nFormat(
                "\nThis offer is for people who came to more meetings.", when="not_eligible"
            ),
            I18nFormat("\nThis offer is closed now.", when="closed"),
            Button(I18nFormat("Ask for this"), id=ASK, on_click=handlers.on_ask, when="can_ask"),
            Button(
                I18nFormat("Cancel my request"),
                id=CANCEL_CLAIM,
                on_click=handlers.on_cancel_claim,
                when="can_cancel",
            ),
            _back_to_list("offer_back"),
            unexpected_input(),
            state=Rewards.offer,
            getter=getters.get_offer,
        ),
        Window(
            I18nFormat("How much did you spend on travel? Type the amount, like {example}."),
            MessageInput(handlers.on_amount),
            SwitchTo(I18nFormat("Back"), id="amount_back", state=Rewards.offer),
            state=Rewards.amount,
            getter=getters.get_amount,
        ),
        Window(
            I18nFormat("You can send a photo of your receipt. It helps the team. Or tap Skip."),
            MessageInput(handlers.on_receipt),
            Next(I18nFormat("Skip"), id=SKIP_RECEIPT),
            SwitchTo(I18nFormat("Back"), id="receipt_back", state=Rewards.amount),
            state=Rewards.receipt,
        ),
        Window(
            I18nFormat("Ask the team for “{title}”?", when="other"),
            I18nFormat("Ask the team for {amount} travel expenses?", when="travel"),
            I18nFormat("With your receipt.", when="receipt"),
            Button(I18nFormat("Yes, ask"), id=CONFIRM, on_click=handlers.on_confirm),
            SwitchTo(I18nFormat("Back"), id="confirm_back", state=Rewards.offer),
            unexpected_input(),
            state=Rewards.confirm,
            getter=getters.get_confirm,
        ),
        Window(
            I18nFormat("Your requests:", when="some"),
            Format("{lines}", when="some"),
            I18nFormat("You have not asked for anything yet.", when="none"),
            _back_to_list("mine_back"),
            unexpected_input(),
            state=Rewards.mine,
            getter=getters.get_mine,
        ),
        on_start=handlers.on_start,
    )
