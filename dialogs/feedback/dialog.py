"""Giving feedback in a few taps (project, topic, a face, words or a voice note or nothing,
with or without my name), and "My feedback": see, change or withdraw what I said."""

from __future__ import annotations

from aiogram_dialog import Dialog, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Row, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.feedback import getters, handlers
from dialogs.feedback.widgets import back_out, paged
from dialogs.states import GiveFeedback, MainMenu, MyFeedback

PROJECT = "feedback_project"
TOPIC = "feedback_topic"
RATING = "feedback_rating"
SEND_ANONYMOUS = "send_anonymous"
SEND_NAMED = "send_named"
MY_ANSWER = "my_answer"
MY_ANSWERS_PAGES = "my_answers_pages"
NEW_RATING = "new_rating"


def _send_buttons() -> Row:
    return Row(
        Button(
            I18nFormat("Send without my name"),
            id=SEND_ANONYMOUS,
            on_click=handlers.on_send_anonymous,
        ),
        Button(
            I18nFormat("Send with my name"),
            id=SEND_NAMED,
            on_click=handlers.on_send_named,
            when="may_name",
        ),
    )


def _menu() -> Start:
    return Start(
        I18nFormat("Main menu"), id="to_menu", state=MainMenu.main, mode=StartMode.RESET_STACK
    )


def feedback_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Which team is your feedback for?", when="projects"),
            I18nFormat(
                "You are not part of a team yet. Ask your team for an invite.", when="no_projects"
            ),
            picker(PROJECT, "projects", handlers.on_project, numeric=True),
            back_out(),
            unexpected_input(),
            state=GiveFeedback.project,
            getter=getters.get_projects,
        ),
        Window(
            I18nFormat("What is it about?"),
            picker(TOPIC, "topics", handlers.on_topic),
            Button(I18nFormat("Back"), id="topic_back", on_click=handlers.on_topic_back),
            unexpected_input(),
            state=GiveFeedback.topic,
            getter=getters.get_topics,
        ),
        Window(
            I18nFormat("{topic}. How is it going?"),
            picker(RATING, "ratings", handlers.on_rating, numeric=True),
            Button(I18nFormat("Back"), id="rating_back", on_click=handlers.on_rating_back),
            unexpected_input(),
            state=GiveFeedback.rating,
            getter=getters.get_rating,
        ),
        Window(
            I18nFormat("Do you want to tell us more? Type it, or send a voice note."),
            I18nFormat("Or just send your answer now."),
            MessageInput(handlers.on_words),
            _send_buttons(),
            SwitchTo(I18nFormat("Back"), id="words_back", state=GiveFeedback.rating),
            state=GiveFeedback.words,
            getter=getters.get_words,
        ),
        Window(
            I18nFormat("Your words:", when="has_text"),
            Format("{text}", when="has_text"),
            I18nFormat("Your voice note ({seconds} seconds).", when="has_voice"),
            I18nFormat("Ready to send?"),
            MessageInput(handlers.on_words),
            _send_buttons(),
            SwitchTo(I18nFormat("Back"), id="send_back", state=GiveFeedback.words),
            state=GiveFeedback.send,
            getter=getters.get_words,
        ),
        Window(
            I18nFormat("Thank you. Your answer is with the team."),
            I18nFormat("It has your name on it.", when="named"),
            I18nFormat("It does not have your name on it.", when=lambda d, w, m: not d["named"]),
            I18nFormat(
                "The team reads every answer. If it leads to a change, we will tell you here."
            ),
            I18nFormat("You can change or withdraw it in My feedback."),
            Start(
                I18nFormat("My feedback"),
                id="to_mine",
                state=MyFeedback.list,
                mode=StartMode.RESET_STACK,
            ),
            _menu(),
            unexpected_input(),
            state=GiveFeedback.done,
            getter=getters.get_done,
        ),
        on_start=handlers.on_start,
    )


def my_feedback_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Your answers. Tap one to see, change or withdraw it.", when="answers"),
            I18nFormat("You have not given any feedback yet.", when="none"),
            paged(MY_ANSWER, "answers", handlers.on_answer_chosen, MY_ANSWERS_PAGES),
            Start(I18nFormat("Give feedback"), id="give", state=GiveFeedback.project),
            back_out(),
            unexpected_input(),
            state=MyFeedback.list,
            getter=getters.get_my_answers,
        ),
        Window(
            I18nFormat("This answer is no longer here.", when="gone"),
            I18nFormat("{day}. {topic}: {rating}", when="found"),
            Format("{text}", when="has_text"),
            I18nFormat("A voice note ({seconds} seconds).", when="has_voice"),
            I18nFormat("Sent without your name.", when="anonymous"),
            I18nFormat("Sent with your name.", when="named"),
            SwitchTo(
                I18nFormat("Change my rating"),
                id="change_rating",
                state=MyFeedback.rating,
                when="found",
            ),
            SwitchTo(
                I18nFormat("Change my words"),
                id="change_words",
                state=MyFeedback.words,
                when="found",
            ),
            Button(
                I18nFormat("Take my name off it"),
                id="name_off",
                on_click=handlers.on_name_off,
                when="named",
            ),
            Button(
                I18nFormat("Put my name on it"),
                id="name_on",
                on_click=handlers.on_name_on,
                when="may_add_name",
            ),
            SwitchTo(
                I18nFormat("Withdraw it"), id="withdraw", state=MyFeedback.withdraw, when="found"
            ),
            SwitchTo(I18nFormat("Back"), id="item_back", state=MyFeedback.list),
            unexpected_input(),
            state=MyFeedback.item,
            getter=getters.get_my_answer,
        ),
        Window(
            I18nFormat("How is it going now?"),
            picker(NEW_RATING, "ratings", handlers.on_new_rating, numeric=True),
            SwitchTo(I18nFormat("Back"), id="rating_back", state=MyFeedback.item),
            unexpected_input(),
            state=MyFeedback.rating,
            getter=getters.get_my_answer,
        ),
        Window(
            I18nFormat(
                "Type your new words, or send a voice note. They take the place of the old ones."
            ),
            I18nFormat("Up to {limit} characters."),
            MessageInput(handlers.on_new_words),
            SwitchTo(I18nFormat("Back"), id="words_back", state=MyFeedback.item),
            state=MyFeedback.words,
            getter=getters.get_my_answer,
        ),
        Window(
            I18nFormat(
                "Withdraw this answer? The team will no longer see it. Your words are deleted."
            ),
            Button(
                I18nFormat("Yes, withdraw it"), id="withdraw_yes", on_click=handlers.on_withdraw
            ),
            SwitchTo(I18nFormat("No, keep it"), id="withdraw_no", state=MyFeedback.item),
            unexpected_input(),
            state=MyFeedback.withdraw,
        ),
    )
