"""Team tools for facilitators and coordinators: who joined, and invites for new people."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Cancel, Row, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.export.getters import get_can_export
from dialogs.states import (
    STAFF_WIDGET_PREFIX,
    Broadcast,
    CheckinSchedules,
    Export,
    LogActivity,
    MeetingsStaff,
    Offers,
    ReviewFeedback,
    TeamTexts,
    TeamTools,
    WeDidEditor,
)
from dialogs.team.getters import get_overview
from dialogs.team.handlers import on_invite

INVITE_PROJECT = STAFF_WIDGET_PREFIX + "invite_project"
BROADCAST = STAFF_WIDGET_PREFIX + "broadcast"
CHECKINS = STAFF_WIDGET_PREFIX + "checkins"
REVIEW = STAFF_WIDGET_PREFIX + "review"
WE_DID = STAFF_WIDGET_PREFIX + "we_did"
OFFERS = STAFF_WIDGET_PREFIX + "offers"
LOG_ACTIVITY = STAFF_WIDGET_PREFIX + "log_activity"
EXPORT = STAFF_WIDGET_PREFIX + "export"
MEETINGS = STAFF_WIDGET_PREFIX + "meetings"
TEAM_TEXTS = STAFF_WIDGET_PREFIX + "team_texts"


def team_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Your teams. People who joined, by language:"),
            Format("{teams}"),
            Row(
                SwitchTo(I18nFormat("Invite people"), id="invite", state=TeamTools.invite),
                Start(I18nFormat("Send a message"), id=BROADCAST, state=Broadcast.project),
            ),
            Row(
                Start(I18nFormat("Review feedback"), id=REVIEW, state=ReviewFeedback.project),
                Start(I18nFormat("Meetings"), id=MEETINGS, state=MeetingsStaff.list),
            ),
            Start(I18nFormat("You said, we did updates"), id=WE_DID, state=WeDidEditor.project),
            Row(
                Start(I18nFormat("Thank-you offers"), id=OFFERS, state=Offers.project),
                Start(I18nFormat("Log an activity"), id=LOG_ACTIVITY, state=LogActivity.project),
            ),
            Start(I18nFormat("Regular check-ins"), id=CHECKINS, state=CheckinSchedules.project),
            Start(I18nFormat("Ground rules and topics"), id=TEAM_TEXTS, state=TeamTexts.project),
            Start(I18nFormat("Export answers"), id=EXPORT, state=Export.project, when="can_export"),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=TeamTools.overview,
            getter=(get_overview, get_can_export),
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
