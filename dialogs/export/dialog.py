"""/export for coordinators: which team, what, which format, which days, codes or names; then
the files arrive in the chat. Every step has Back."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, SwitchTo

from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.export import getters, handlers
from dialogs.states import STAFF_WIDGET_PREFIX, Export

# Ends with "_project" and carries the project's id: the staff guard checks the role in it.
PROJECT = STAFF_WIDGET_PREFIX + "export_project"
WHAT = "export_what"
FORMAT = "export_format"
DAYS = "export_days"
NAMES = "export_names"
MAKE = "export_make"


def export_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Which team's answers do you want?"),
            picker(PROJECT, "projects", handlers.on_project, numeric=True),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=Export.project,
            getter=getters.get_projects,
        ),
        Window(
            I18nFormat("What should the file hold?"),
            picker(WHAT, "kinds", handlers.on_what),
            Button(I18nFormat("Back"), id="what_back", on_click=handlers.on_what_back),
            unexpected_input(),
            state=Export.what,
            getter=getters.get_what,
        ),
        Window(
            I18nFormat("Which kind of file?"),
            picker(FORMAT, "formats", handlers.on_format),
            SwitchTo(I18nFormat("Back"), id="format_back", state=Export.what),
            unexpected_input(),
            state=Export.format,
            getter=getters.get_format,
        ),
        Window(
            I18nFormat("Which days? Tap a choice, or type a first and last day."),
            I18nFormat("For example: 2026-01-01 2026-03-31"),
            picker(DAYS, "days", handlers.on_days),
            MessageInput(handlers.on_days_typed),
            SwitchTo(I18nFormat("Back"), id="days_back", state=Export.format),
            state=Export.dates,
            getter=getters.get_dates,
        ),
        Window(
            I18nFormat("How should people appear?"),
            I18nFormat(
                "Each person has a code that stays the same. "
                "Names appear only for people who agreed to be named."
            ),
            picker(NAMES, "choices", handlers.on_names),
            SwitchTo(I18nFormat("Back"), id="names_back", state=Export.dates),
            unexpected_input(),
            state=Export.names,
            getter=getters.get_names,
        ),
        Window(
            I18nFormat(
                "Ready to make your file.\n"
                "• Team: {project}\n"
                "• What: {what}\n"
                "• File: {format}\n"
                "• From: {since}\n"
                "• To: {until}\n"
                "• People: {people}"
            ),
            I18nFormat("Words appear only from people who agreed to be quoted."),
            Button(I18nFormat("Make the file"), id=MAKE, on_click=handlers.on_make),
            SwitchTo(I18nFormat("Back"), id="confirm_back", state=Export.names),
            unexpected_input(),
            state=Export.confirm,
            getter=getters.get_confirm,
        ),
        on_start=handlers.on_start,
    )
