"""/pause and /forget: people stay in control of our messages and of their data."""

from __future__ import annotations

import operator

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Next, Select
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, button_number, unexpected_input
from dialogs.privacy import getters, handlers
from dialogs.states import Forget, Pause


def pause_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Your messages are paused until {until}.", when="paused_until"),
            I18nFormat("Your messages are paused until you turn them on.", when="paused_open"),
            I18nFormat(
                "Need a break? While paused, we send you nothing. You can still write to us.",
                when="not_paused",
            ),
            Column(
                Select(
                    Format("{item[1]}"),
                    id="pause_weeks",
                    item_id_getter=operator.itemgetter(0),
                    items="weeks",
                    on_click=handlers.on_pause,
                    type_factory=button_number,
                ),
                when="not_paused",
            ),
            Button(
                I18nFormat("Pause until I turn it on"),
                id="pause_open",
                on_click=handlers.on_pause_open,
                when="not_paused",
            ),
            Button(
                I18nFormat("Turn messages on again"),
                id="resume",
                on_click=handlers.on_resume,
                when="paused",
            ),
            Cancel(I18nFormat("Back to the menu")),
            unexpected_input(),
            state=Pause.main,
            getter=getters.get_pause,
        ),
    )


def forget_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat(
                "Delete all your data? We delete your answers, your name and your choices. "
                "Only counts without names stay, like how many people answered. "
                "You cannot undo this."
            ),
            Next(I18nFormat("Yes, delete my data")),
            Cancel(I18nFormat("No, keep it")),
            unexpected_input(),
            state=Forget.first,
        ),
        Window(
            I18nFormat("Are you sure? This is the last step. After this, your data is gone."),
            Button(
                I18nFormat("Delete now"), id="forget_now", on_click=handlers.on_forget_confirmed
            ),
            Cancel(I18nFormat("No, keep it")),
            unexpected_input(),
            state=Forget.second,
        ),
    )
