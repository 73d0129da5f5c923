"""/mycontribution: what someone gave, in plain words, and a certificate to show an employer.
Team tools "Log an activity": staff record time a participant gave outside meetings."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, ScrollingGroup, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, button_number, picker, unexpected_input
from dialogs.contribution import getters, handlers
from dialogs.states import STAFF_WIDGET_PREFIX, LogActivity, MyContribution

CERTIFICATE = "certificate"
TEAM = "certificate_team"
# Ends with "_project" and carries the project's id: the staff guard checks the role in it.
PROJECT = STAFF_WIDGET_PREFIX + "activity_project"
PERSON = "person"
DURATION = "duration"
DAY = "day"


def contribution_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Your contribution. Thank you for the time you give."),
            Format("{record}"),
            Button(
                I18nFormat("Get my certificate"),
                id=CERTIFICATE,
                on_click=handlers.on_certificate,
                when="has_any",
            ),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=MyContribution.main,
            getter=getters.get_record,
        ),
        Window(
            I18nFormat("Which team is the certificate for? It shows only what you gave there."),
            picker(TEAM, "teams", handlers.on_certificate_team, numeric=True),
            SwitchTo(I18nFormat("Back"), id="team_back", state=MyContribution.main),
            unexpected_input(),
            state=MyContribution.team,
            getter=getters.get_teams,
        ),
    )


def log_activity_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Which team was the activity for?"),
            picker(PROJECT, "projects", handlers.on_project, numeric=True),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=LogActivity.project,
            getter=getters.get_projects,
        ),
        Window(
            I18nFormat("Who gave their time? Tap their name.", when="some"),
            I18nFormat("Nobody has joined this team as a participant yet.", when="none"),
            ScrollingGroup(
                Select(
                    Format("{item[1]}"),
                    id=PERSON,
                    item_id_getter=lambda item: item[0],
                    items="people",
                    on_click=handlers.on_person,
                    type_factory=button_number,
                ),
                id="people_pages",
                width=1,
                height=8,
                hide_on_single_page=True,
            ),
            Button(I18nFormat("Back"), id="person_back", on_click=handlers.on_person_back),
            unexpected_input(),
            state=LogActivity.person,
            getter=getters.get_people,
        ),
        Window(
            I18nFormat("How long did it take? Tap a choice, or type the hours, like 1.5."),
            picker(DURATION, "choices", handlers.on_duration_chosen),
            MessageInput(handlers.on_duration_typed),
            SwitchTo(I18nFormat("Back"), id="duration_back", state=LogActivity.person),
            state=LogActivity.duration,
            getter=getters.get_durations,
        ),
        Window(
            I18nFormat("Which day was it? Tap a choice, or type a day like 2026-03-14."),
            picker(DAY, "choices", handlers.on_day_chosen),
            MessageInput(handlers.on_day_typed),
            SwitchTo(I18nFormat("Back"), id="day_back", state=LogActivity.duration),
            state=LogActivity.day,
            getter=getters.get_days,
        ),
        Window(
            I18nFormat("What did they do? Type a few words, like “Spoke at the staff training”."),
            MessageInput(handlers.on_description),
            SwitchTo(I18nFormat("Back"), id="description_back", state=LogActivity.day),
            state=LogActivity.description,
        ),
        Window(
            I18nFormat("Record {hours} on {day} for {person}?\n{description}"),
            Button(I18nFormat("Yes, save it"), id="save", on_click=handlers.on_save),
            SwitchTo(I18nFormat("Back"), id="confirm_back", state=LogActivity.description),
            unexpected_input(),
            state=LogActivity.confirm,
            getter=getters.get_confirm,
        ),
        on_start=handlers.on_log_start,
    )
