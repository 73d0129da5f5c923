"""First contact: choose a language, then a short welcome in plain words."""

from __future__ import annotations

import operator

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Button, Column, Select
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, unexpected_input
from dialogs.start.getters import get_languages
from dialogs.start.handlers import on_language_chosen, on_open_menu
from dialogs.states import Start

LANGUAGE_SELECT = "language"
OPEN_MENU = "open_menu"


def language_picker(on_click) -> Column:
    return Column(
        Select(
            Format("{item[1]}"),
            id=LANGUAGE_SELECT,
            item_id_getter=operator.itemgetter(0),
            items="languages",
            on_click=on_click,
        )
    )


def start_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Hello! Please choose your language."),
            language_picker(on_language_chosen),
            unexpected_input(),
            state=Start.language,
            getter=get_languages,
        ),
        Window(
            I18nFormat(
                "Welcome to Coproduce. Here you help shape the services you use. "
                "We work with you, not for you. Your voice counts as much as anyone's."
            ),
            Button(I18nFormat("Open the menu"), id=OPEN_MENU, on_click=on_open_menu),
            unexpected_input(),
            state=Start.welcome,
        ),
    )
