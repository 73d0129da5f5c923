"""Regular check-ins for a team, set by its facilitators: what people are asked (a pulse with
three answers, or an invitation to give feedback), how often, which day, what time."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.checkins import getters, handlers
from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.states import STAFF_WIDGET_PREFIX, CheckinSchedules

# Ends with "_project" and carries the project's id: the staff guard checks the role in it.
PROJECT = STAFF_WIDGET_PREFIX + "checkins_project"
START = "checkin_start"
EVERY = "checkin_every"
WEEKDAY = "checkin_weekday"
TIME = "checkin_time"
STOP = "checkin_stop"


def _back_to_list(widget_id: str) -> SwitchTo:
    return SwitchTo(I18nFormat("Back"), id=widget_id, state=CheckinSchedules.list)


def checkins_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Which team are the check-ins for?"),
            picker(PROJECT, "projects", handlers.on_project, numeric=True),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=CheckinSchedules.project,
            getter=getters.get_projects,
        ),
        Window(
            I18nFormat("Regular check-ins for {project}:"),
            Format("{lines}", when="has_any"),
            I18nFormat("There are none yet.", when="none"),
            SwitchTo(I18nFormat("Add a check-in"), id="add", state=CheckinSchedules.start),
            picker(STOP, "schedules", handlers.on_stop_chosen, numeric=True),
            Button(I18nFormat("Back"), id="list_back", on_click=handlers.on_list_back),
            unexpected_input(),
            state=CheckinSchedules.list,
            getter=getters.get_list,
        ),
        Window(
            I18nFormat("What should people be asked?"),
            picker(START, "starts", handlers.on_start_chosen),
            _back_to_list("start_back"),
            unexpected_input(),
            state=CheckinSchedules.start,
            getter=getters.get_starts,
        ),
        Window(
            I18nFormat("How often?"),
            picker(EVERY, "choices", handlers.on_every, numeric=True),
            _back_to_list("every_back"),
            unexpected_input(),
            state=CheckinSchedules.every,
            getter=getters.get_every,
        ),
        Window(
            I18nFormat("On which day?"),
            picker(WEEKDAY, "days", handlers.on_weekday, numeric=True),
            _back_to_list("weekday_back"),
            unexpected_input(),
            state=CheckinSchedules.weekday,
            getter=getters.get_weekdays,
        ),
        Window(
            I18nFormat("At what time? Times are in {zone}. Tap a time, or type one like 18:00."),
            picker(TIME, "times", handlers.on_time_chosen, numeric=True),
            MessageInput(handlers.on_time_typed),
            _back_to_list("time_back"),
            state=CheckinSchedules.time,
            getter=getters.get_times,
        ),
        Window(
            I18nFormat("Stop this check-in?"),
            Format("{schedule}"),
            Button(I18nFormat("Yes, stop it"), id="stop_yes", on_click=handlers.on_stop_confirmed),
            _back_to_list("stop_back"),
            unexpected_input(),
            state=CheckinSchedules.stop,
            getter=getters.get_stop,
        ),
        on_start=handlers.on_start,
    )
