"""Ground rules and topics (facilitators and coordinators of the team): see the team's ground
rules and feedback topics, and which languages its members read have their own version or get
the original; change the rules and write a version per language; add, rename or remove a topic
and write its versions. Every button here is a staff button (checked by the staff guard)."""

from __future__ import annotations

import operator

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.states import STAFF_WIDGET_PREFIX, TeamTexts
from dialogs.team_texts import getters, handlers

# Ends with "_project" and carries the project's id: the staff guard checks the role in it.
PROJECT = STAFF_WIDGET_PREFIX + "texts_project"
RULES = STAFF_WIDGET_PREFIX + "texts_rules"
RULES_LANGUAGE = STAFF_WIDGET_PREFIX + "texts_rules_language"
RULES_REMOVE = STAFF_WIDGET_PREFIX + "texts_rules_remove"
TOPIC = STAFF_WIDGET_PREFIX + "texts_topic"
ADD_TOPIC = STAFF_WIDGET_PREFIX + "texts_add_topic"
RENAME = STAFF_WIDGET_PREFIX + "texts_rename"
TOPIC_LANGUAGE = STAFF_WIDGET_PREFIX + "texts_topic_language"
TOPIC_VERSION_REMOVE = STAFF_WIDGET_PREFIX + "texts_topic_version_remove"
REMOVE_TOPIC = STAFF_WIDGET_PREFIX + "texts_remove_topic"
REMOVE_TOPIC_YES = STAFF_WIDGET_PREFIX + "texts_remove_topic_yes"


def _choices(widget_id: str, items: str, on_click) -> Column:
    return Column(
        Select(
            Format("{item[1]}"),
            id=widget_id,
            item_id_getter=operator.itemgetter(0),
            items=items,
            on_click=on_click,
        )
    )


def team_texts_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Which team are the ground rules and topics for?"),
            picker(PROJECT, "projects", handlers.on_project, numeric=True),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=TeamTexts.project,
            getter=getters.get_projects,
        ),
        Window(
            Format("{project}"),
            I18nFormat("Ground rules:"),
            Format("{rules}", when="has_rules"),
            I18nFormat("No ground rules yet.", when="no_rules"),
            I18nFormat("Feedback topics:"),
            Format("{topics}", when="has_topics"),
            I18nFormat("No feedback topics yet.", when="no_topics"),
            I18nFormat("The ground rules, in the languages of the team:"),
            Format("{languages}"),
            I18nFormat("Tap a topic to rename it, remove it or write it in other languages."),
            SwitchTo(I18nFormat("Ground rules"), id=RULES, state=TeamTexts.rules),
            _choices(TOPIC, "topic_items", handlers.on_topic),
            SwitchTo(I18nFormat("Add a topic"), id=ADD_TOPIC, state=TeamTexts.topic_add),
            SwitchTo(I18nFormat("Back"), id="texts_back", state=TeamTexts.project),
            unexpected_input(),
            state=TeamTexts.overview,
            getter=getters.get_overview,
        ),
        Window(
            I18nFormat("Ground rules. The original, in {original}:"),
            Format("{rules}", when="has_rules"),
            I18nFormat("No ground rules yet.", when="no_rules"),
            Format("{languages}"),
            _choices(RULES_LANGUAGE, "languages_to_write", handlers.on_rules_language),
            SwitchTo(I18nFormat("Back"), id="rules_back", state=TeamTexts.overview),
            unexpected_input(),
            state=TeamTexts.rules,
            getter=getters.get_rules,
        ),
        Window(
            I18nFormat("Type the ground rules in {language}. Put each rule on its own line."),
            I18nFormat("The original:", when="show_original"),
            Format("{original}", when="show_original"),
            I18nFormat("Now:", when="has_now"),
            Format("{now}", when="has_now"),
            MessageInput(handlers.on_rules_typed),
            Button(
                I18nFormat("Remove this version"),
                id=RULES_REMOVE,
                on_click=handlers.on_rules_removed,
                when="has_version",
            ),
            SwitchTo(I18nFormat("Back"), id="rules_text_back", state=TeamTexts.rules),
            state=TeamTexts.rules_text,
            getter=getters.get_rules_text,
        ),
        Window(
            I18nFormat("Topic: {topic}"),
            Format("{versions}", when="has_versions"),
            Format("{languages}"),
            _choices(TOPIC_LANGUAGE, "languages_to_write", handlers.on_topic_language),
            SwitchTo(I18nFormat("Rename"), id=RENAME, state=TeamTexts.topic_rename),
            SwitchTo(
                I18nFormat("Remove this topic"), id=REMOVE_TOPIC, state=TeamTexts.topic_remove
            ),
            SwitchTo(I18nFormat("Back"), id="topic_back", state=TeamTexts.overview),
            unexpected_input(),
            state=TeamTexts.topic,
            getter=getters.get_topic,
        ),
        Window(
            I18nFormat(
                "Type the new topic in {original}. People choose it when they give feedback."
            ),
            MessageInput(handlers.on_topic_added),
            SwitchTo(I18nFormat("Back"), id="add_back", state=TeamTexts.overview),
            state=TeamTexts.topic_add,
            getter=getters.get_original_language,
        ),
        Window(
            I18nFormat("Topic: {topic}"),
            I18nFormat("Type the new words for this topic, in {original}."),
            I18nFormat("Earlier answers move with it, so they stay together."),
            MessageInput(handlers.on_topic_renamed),
            SwitchTo(I18nFormat("Back"), id="rename_back", state=TeamTexts.topic),
            state=TeamTexts.topic_rename,
            getter=getters.get_original_language,
        ),
        Window(
            I18nFormat("Type this topic in {language}."),
            I18nFormat("The original:"),
            Format("{topic}"),
            I18nFormat("Now:", when="has_version"),
            Format("{now}", when="has_version"),
            MessageInput(handlers.on_topic_version),
            Button(
                I18nFormat("Remove this version"),
                id=TOPIC_VERSION_REMOVE,
                on_click=handlers.on_topic_version_removed,
                when="has_version",
            ),
            SwitchTo(I18nFormat("Back"), id="version_back", state=TeamTexts.topic),
            state=TeamTexts.topic_version,
            getter=getters.get_topic_version,
        ),
        Window(
            I18nFormat("Topic: {topic}"),
            I18nFormat("Remove this topic? People will not see it any more."),
            I18nFormat("Earlier answers stay, under the same words."),
            Button(
                I18nFormat("Yes, remove it"),
                id=REMOVE_TOPIC_YES,
                on_click=handlers.on_topic_removed,
            ),
            SwitchTo(I18nFormat("Back"), id="remove_back", state=TeamTexts.topic),
            unexpected_input(),
            state=TeamTexts.topic_remove,
            getter=getters.get_original_language,
        ),
    )
