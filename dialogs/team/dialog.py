"""Team tools for facilitators and coordinators: who has joined each of their projects."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Cancel
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, unexpected_input
from dialogs.states import TeamTools
from dialogs.team.getters import get_overview


def team_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Your teams. People who joined, by language:", when="allowed"),
            Format("{teams}", when="allowed"),
            I18nFormat("Sorry, this is not available to you.", when="denied"),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=TeamTools.overview,
            getter=get_overview,
        ),
    )
