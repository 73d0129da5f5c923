"""Facilitators review feedback one answer at a time: filter by topic or new, play voice
notes, mark reviewed, group answers into themes ("you said ...")."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Row, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.feedback.widgets import back_out
from dialogs.review import getters, handlers
from dialogs.states import STAFF_WIDGET_PREFIX, ReviewFeedback

# Ends with "_project" and carries the project's id: the staff guard checks the role in it.
PROJECT = STAFF_WIDGET_PREFIX + "review_project"
TOPIC = "review_topic"
WHICH = "review_which"
THEME = "review_theme"


def review_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Whose feedback do you want to review?"),
            picker(PROJECT, "projects", handlers.on_project, numeric=True),
            back_out(),
            unexpected_input(),
            state=ReviewFeedback.project,
            getter=getters.get_projects,
        ),
        Window(
            I18nFormat("Feedback for {project}. Showing: {which}."),
            I18nFormat("Topic: {topic_filter}.", when="has_topic_filter"),
            I18nFormat("No answers to show.", when="empty"),
            Format("{answer}", when="found"),
            Row(
                Button(
                    I18nFormat("Previous"),
                    id="previous",
                    on_click=handlers.on_previous,
                    when="has_prev",
                ),
                Button(I18nFormat("Next"), id="next", on_click=handlers.on_next, when="has_next"),
            ),
            Button(
                I18nFormat("Play the voice note"),
                id="play",
                on_click=handlers.on_play,
                when="has_voice",
            ),
            Button(
                I18nFormat("Mark as reviewed"),
                id="reviewed",
                on_click=handlers.on_reviewed,
                when="not_reviewed",
            ),
            SwitchTo(
                I18nFormat("Add to a theme"),
                id="to_theme",
                state=ReviewFeedback.theme,
                when="found",
            ),
            SwitchTo(I18nFormat("Filter"), id="filter", state=ReviewFeedback.filter),
            Button(I18nFormat("Back"), id="page_back", on_click=handlers.on_page_back),
            unexpected_input(),
            state=ReviewFeedback.page,
            getter=getters.get_page,
        ),
        Window(
            I18nFormat("Which answers do you want to see?"),
            picker(WHICH, "which", handlers.on_which),
            picker(TOPIC, "topics", handlers.on_topic),
            SwitchTo(I18nFormat("Show them"), id="filter_done", state=ReviewFeedback.page),
            unexpected_input(),
            state=ReviewFeedback.filter,
            getter=getters.get_filters,
        ),
        Window(
            I18nFormat("Which theme does this answer belong to? Tap one, or type a new theme."),
            I18nFormat("Up to {limit} characters."),
            picker(THEME, "themes", handlers.on_theme, numeric=True),
            MessageInput(handlers.on_new_theme),
            SwitchTo(I18nFormat("Back"), id="theme_back", state=ReviewFeedback.page),
            state=ReviewFeedback.theme,
            getter=getters.get_themes,
        ),
        on_start=handlers.on_start,
    )
