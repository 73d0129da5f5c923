"""Joining: language, a plain welcome, consent, optional choices, ground rules, a name, how often
we may write, quiet hours and time zone. Optional steps can be skipped; every step has Back."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import Back, Button, Next, Row, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.onboarding import getters, handlers
from dialogs.states import Onboarding

LANGUAGE = "language"
FREQUENCY = "frequency"
QUIET_HOURS = "quiet_hours"
TIMEZONE = "timezone"
NAME = "name"
TIMEZONE_TYPED = "timezone_typed"


def back() -> Back:
    return Back(I18nFormat("Back"))


def onboarding_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Hello! Please choose your language."),
            picker(LANGUAGE, "languages", handlers.on_language_chosen),
            unexpected_input(),
            state=Onboarding.language,
            getter=getters.get_languages,
        ),
        Window(
            I18nFormat(
                "Welcome to Coproduce. Here you help shape the services you use. "
                "We work with you, not for you. Your voice counts as much as anyone's."
            ),
            Next(I18nFormat("Next")),
            back(),
            unexpected_input(),
            state=Onboarding.welcome,
        ),
        Window(
            I18nFormat("We have changed what we ask you to agree to.", when="renewal"),
            # Literal msgids (not constants), so Babel puts consent in every language's catalog.
            I18nFormat(
                "Before we start, here is what we keep. "
                "We keep your answers and the choices you make here. "
                "We use them to make the service better, with you. "
                "Only the team that runs your project can see them. "
                "We keep them while you take part. "
                "You can see them with /mydata and delete them with /forget."
            ),
            Button(I18nFormat("I agree"), id="agree", on_click=handlers.on_agree),
            Next(I18nFormat("Read more")),
            Button(I18nFormat("No, thanks"), id="decline", on_click=handlers.on_decline),
            back(),
            unexpected_input(),
            state=Onboarding.consent,
            getter=getters.get_consent_flags,
        ),
        Window(
            I18nFormat(
                "What we keep: a number Telegram gives you (not your phone number), your language, "
                "your answers and your choices.\n"
                "Why: so your team can hear you and tell you what changed.\n"
                "Who sees it: the people who run your project. "
                "If you answer without your name, they do not see your name.\n"
                "How long: while you take part. Type /forget and we delete it at once.\n"
                "Need a break? Type /pause and we will not write to you."
            ),
            back(),
            unexpected_input(),
            state=Onboarding.consent_more,
        ),
        Window(
            I18nFormat(
                "May we quote what you say, without your name? For example, in a report. "
                "You can change this later in /settings."
            ),
            Row(
                Button(I18nFormat("Yes"), id="quote_yes", on_click=handlers.on_quote_yes),
                Button(I18nFormat("No"), id="quote_no", on_click=handlers.on_quote_no),
            ),
            Button(I18nFormat("Skip"), id="quote_skip", on_click=handlers.on_quote_skip),
            SwitchTo(I18nFormat("Back"), id="quote_back", state=Onboarding.consent),
            unexpected_input(),
            state=Onboarding.quote,
        ),
        Window(
            I18nFormat("May we show your name next to what you say?"),
            Row(
                Button(I18nFormat("Yes"), id="name_yes", on_click=handlers.on_name_use_yes),
                Button(I18nFormat("No"), id="name_no", on_click=handlers.on_name_use_no),
            ),
            Button(I18nFormat("Skip"), id="name_skip", on_click=handlers.on_name_use_skip),
            back(),
            unexpected_input(),
            state=Onboarding.use_name,
        ),
        Window(
            I18nFormat("These are the rules your team agreed to share:"),
            Format("{rules}"),
            I18nFormat("Do you agree to them? If a rule worries you, talk to your team."),
            Next(I18nFormat("I agree")),
            back(),
            unexpected_input(),
            state=Onboarding.ground_rules,
            getter=getters.get_ground_rules,
        ),
        Window(
            I18nFormat("What should we call you? Type a name, or tap Skip."),
            TextInput(NAME, on_success=handlers.on_name_typed),
            SwitchTo(I18nFormat("Skip"), id="name_skip_step", state=Onboarding.frequency),
            Button(I18nFormat("Back"), id="name_back", on_click=handlers.on_back_from_name),
            unexpected_input(),
            state=Onboarding.name,
        ),
        Window(
            I18nFormat("How often may we send you a message?"),
            picker(FREQUENCY, "frequencies", handlers.on_frequency, numeric=True),
            SwitchTo(I18nFormat("Back"), id="frequency_back", state=Onboarding.name),
            unexpected_input(),
            state=Onboarding.frequency,
            getter=getters.get_frequency,
        ),
        Window(
            I18nFormat("When should we never send you messages?"),
            picker(QUIET_HOURS, "quiet_hours", handlers.on_quiet_hours, numeric=True),
            back(),
            unexpected_input(),
            state=Onboarding.quiet_hours,
            getter=getters.get_quiet_hours,
        ),
        Window(
            I18nFormat("Is your time zone {zone}? Tap yours, or type one like Europe/London."),
            picker(TIMEZONE, "timezones", handlers.on_timezone),
            TextInput(TIMEZONE_TYPED, on_success=handlers.on_timezone_typed),
            back(),
            unexpected_input(),
            state=Onboarding.timezone,
            getter=getters.get_timezone,
        ),
    )
