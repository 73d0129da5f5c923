"""Answering a meeting poll (any participant who was asked): each time in their own zone and
language, one tap per time, access needs in a few taps, changeable until the deadline."""

from __future__ import annotations

from aiogram_dialog import Dialog, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.availability import getters, handlers
from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.states import Availability, MainMenu

SLOT = "availability_slot"
NEED = "availability_need"


def _to_menu(widget_id: str) -> Start:
    return Start(I18nFormat("Done"), id=widget_id, state=MainMenu.main, mode=StartMode.RESET_STACK)


def availability_dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{title}"),
            I18nFormat("Where: {place}", when="has_place"),
            I18nFormat("Which times suit you? Tap a time to change your answer:"),
            I18nFormat("✅ yes   🤔 if need be   ❌ no"),
            I18nFormat("Times are in your time zone, {zone}. Answers close on {deadline}."),
            picker(SLOT, "slots", handlers.on_slot, numeric=True),
            Button(I18nFormat("Done"), id="answers_done", on_click=handlers.on_done),
            Button(
                I18nFormat("None of these times suit me"),
                id="none_suit",
                on_click=handlers.on_none_suit,
            ),
            SwitchTo(
                I18nFormat("Anything that would help you come?"),
                id="needs",
                state=Availability.needs,
            ),
            unexpected_input(),
            state=Availability.slots,
            getter=getters.get_slots,
        ),
        Window(
            I18nFormat("What would help you take part? Tap all that fit, then Done."),
            I18nFormat("Only the team's facilitators and coordinators see this."),
            picker(NEED, "needs", handlers.on_need),
            SwitchTo(I18nFormat("Done"), id="needs_done", state=Availability.slots),
            unexpected_input(),
            state=Availability.needs,
            getter=getters.get_needs,
        ),
        Window(
            I18nFormat("What would help? Type it here, or tap Skip. Up to {limit} characters."),
            MessageInput(handlers.on_note),
            Button(I18nFormat("Skip"), id="note_skip", on_click=handlers.on_note_skip),
            SwitchTo(I18nFormat("Back"), id="note_back", state=Availability.needs),
            state=Availability.need_note,
            getter=getters.get_note,
        ),
        Window(
            I18nFormat("Thank you. We have your answers."),
            I18nFormat("You can change them until {deadline}.", when="open"),
            I18nFormat("We will tell you when the time is chosen."),
            SwitchTo(
                I18nFormat("Change my answers"), id="change", state=Availability.slots, when="open"
            ),
            _to_menu("thanks_done"),
            unexpected_input(),
            state=Availability.thanks,
            getter=getters.get_thanks,
        ),
        Window(
            I18nFormat("Answers for {title} closed on {deadline}. Thank you for your time."),
            I18nFormat("We will tell you the time if you said it suits you."),
            _to_menu("closed_done"),
            unexpected_input(),
            state=Availability.closed,
            getter=getters.get_closed,
        ),
        on_start=handlers.on_start,
    )
