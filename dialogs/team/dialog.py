"""Team tools for facilitators and coordinators: who joined, and invites for new people."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Cancel, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.states import STAFF_WIDGET_PREFIX, Broadcast, TeamTools
from dialogs.team.getters import get_overview
from dialogs.team.handlers import on_invite

INVITE_PROJECT = STAFF_WIDGET_PREFIX + "invite_project"
BROADCAST = STAFF_WIDGET_PREFIX + "broadcast"


def team_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Your teams. People who joined, by language:"),
            Format("{teams}"),
            SwitchTo(I18nFormat("Invite people"), id="invite", state=TeamTools.invite),
            Start(I18nFormat("Send a message"), id=BROADCAST, state=Broadcast.project),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=TeamTools.overview,
            getter=get_overview,
        ),
        Window(
            I18nFormat("Which team should the invite be for?"),
            picker(INVITE_PROJECT, "projects", on_invite, numeric=True),
            SwitchTo(I18nFormat("Back"), id="back", state=TeamTools.overview),
            unexpected_input(),
            state=TeamTools.invite,
            getter=get_overview,
        ),
    )
