"""/settings: how often and when we write, time zone, name, and how we may use what they say."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import Button, Cancel, SwitchTo

from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.settings import getters, handlers
from dialogs.states import Settings


def back() -> SwitchTo:
    return SwitchTo(I18nFormat("Back"), id="back", state=Settings.main)


def settings_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat(
                "Your settings:\n"
                "• Name: {name}\n"
                "• Messages: {frequency}\n"
                "• Quiet hours: {quiet}\n"
                "• Time zone: {zone}\n"
                "• Quote you without your name: {quote}\n"
                "• Show your name: {use_name}"
            ),
            SwitchTo(I18nFormat("Change my name"), id="name", state=Settings.name),
            SwitchTo(I18nFormat("How often"), id="frequency", state=Settings.frequency),
            SwitchTo(I18nFormat("Quiet hours"), id="quiet", state=Settings.quiet_hours),
            SwitchTo(I18nFormat("Time zone"), id="zone", state=Settings.timezone),
            SwitchTo(I18nFormat("Quotes and name"), id="quoting", state=Settings.quoting),
            Cancel(I18nFormat("Back to the menu")),
            unexpected_input(),
            state=Settings.main,
            getter=getters.get_settings,
        ),
        Window(
            I18nFormat("How often may we send you a message?"),
            picker("frequency_select", "frequencies", handlers.on_frequency, numeric=True),
            back(),
            unexpected_input(),
            state=Settings.frequency,
            getter=getters.get_frequency,
        ),
        Window(
            I18nFormat("When should we never send you messages?"),
            picker("quiet_select", "quiet_hours", handlers.on_quiet_hours, numeric=True),
            back(),
            unexpected_input(),
            state=Settings.quiet_hours,
            getter=getters.get_quiet_hours,
        ),
        Window(
            I18nFormat("Tap your time zone, or type one like Europe/London."),
            picker("zone_select", "timezones", handlers.on_timezone),
            TextInput("zone_typed", on_success=handlers.on_timezone_typed),
            back(),
            unexpected_input(),
            state=Settings.timezone,
            getter=getters.get_timezones,
        ),
        Window(
            I18nFormat(
                "• Quote you without your name: {quote}\n• Show your name: {use_name}\n"
                "Tap to change."
            ),
            Button(
                I18nFormat("Change: quote me"), id="toggle_quote", on_click=handlers.on_toggle_quote
            ),
            Button(
                I18nFormat("Change: show my name"),
                id="toggle_name",
                on_click=handlers.on_toggle_use_name,
            ),
            back(),
            unexpected_input(),
            state=Settings.quoting,
            getter=getters.get_quoting,
        ),
        Window(
            I18nFormat("What should we call you? Type a name."),
            TextInput("name_typed", on_success=handlers.on_name_typed),
            Button(
                I18nFormat("Do not use a name"), id="forget_name", on_click=handlers.on_forget_name
            ),
            back(),
            unexpected_input(),
            state=Settings.name,
        ),
    )
