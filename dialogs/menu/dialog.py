"""The main menu every participant returns to, with help and the language choice.

The language choice is this dialog's window opened on top of whatever is open (the globe on
every participant screen, or /language): choosing, or Back, closes it and shows again the screen
it was opened from, in the language now chosen."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Button, Row, Start, SwitchTo

from dialogs.common import I18nFormat, language_switch, picker, unexpected_input
from dialogs.menu.getters import get_languages, get_main_menu
from dialogs.menu.handlers import on_language_back, on_language_changed
from dialogs.states import (
    STAFF_WIDGET_PREFIX,
    GiveFeedback,
    MainMenu,
    MyContribution,
    MyFeedback,
    MyMeetings,
    Pause,
    Rewards,
    Settings,
    TeamTools,
    WeDidUpdates,
)

HELP = "help"
LANGUAGE_SELECT = "language_select"
SETTINGS = "settings"
PAUSE = "pause"
TEAM_TOOLS = STAFF_WIDGET_PREFIX + "tools"
BACK = "back"


def back_to_menu() -> SwitchTo:
    return SwitchTo(I18nFormat("Back"), id=BACK, state=MainMenu.main)


def menu_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Hello, {name}.", when="name"),
            I18nFormat("Main menu. What would you like to do?"),
            Row(
                Start(I18nFormat("Give feedback"), id="give_feedback", state=GiveFeedback.project),
                Start(I18nFormat("Meetings"), id="my_meetings", state=MyMeetings.main),
            ),
            Row(
                Start(I18nFormat("You said, we did"), id="we_did", state=WeDidUpdates.list),
                Start(I18nFormat("My feedback"), id="my_feedback", state=MyFeedback.list),
            ),
            Row(
                Start(I18nFormat("Thank-you offers"), id="thank_you_offers", state=Rewards.list),
                Start(
                    I18nFormat("My contribution"), id="my_contribution", state=MyContribution.main
                ),
            ),
            SwitchTo(I18nFormat("Help"), id=HELP, state=MainMenu.help),
            language_switch(),  # its own row: every language's name fits
            Row(
                Start(I18nFormat("Settings"), id=SETTINGS, state=Settings.main),
                Start(I18nFormat("Pause messages"), id=PAUSE, state=Pause.main),
            ),
            Start(
                I18nFormat("Team tools"), id=TEAM_TOOLS, state=TeamTools.overview, when="is_staff"
            ),
            unexpected_input(),
            state=MainMenu.main,
            getter=get_main_menu,
        ),
        Window(
            I18nFormat(
                "How to use this bot:\n"
                "• Tap a button to answer.\n"
                "• /menu brings you back here.\n"
                "• /feedback tells the team how things are going.\n"
                "• /meetings shows meeting times to choose and your meetings.\n"
                "• /updates shows what changed because of what people said.\n"
                "• /offers shows thank-you offers from your team.\n"
                "• /mycontribution shows the time you gave.\n"
                "• /language changes your language.\n"
                "• /settings changes how and when we write to you.\n"
                "• /pause stops our messages for a while.\n"
                "• /mydata shows what we keep about you.\n"
                "• /forget deletes it.\n"
                "You can stop at any time. Nothing you said is lost."
            ),
            back_to_menu(),
            unexpected_input(),
            state=MainMenu.help,
        ),
        Window(
            I18nFormat("Your language is {language}. Choose a language."),
            picker(LANGUAGE_SELECT, "languages", on_language_changed),
            Button(I18nFormat("Back"), id=BACK, on_click=on_language_back),
            unexpected_input(),
            state=MainMenu.language,
            getter=get_languages,
        ),
    )
