"""'You said, we did': participants browse their teams' updates and say whether each answered
them; staff write an update (what people said, what the team does, status, owner, due date,
the feedback it answers, who gets it, a version per language), publish it and change its status."""

from __future__ import annotations

from aiogram_dialog import Dialog, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.feedback.widgets import back_out, paged
from dialogs.states import STAFF_WIDGET_PREFIX, MainMenu, WeDidEditor, WeDidUpdates
from dialogs.wedid import getters, handlers

UPDATE = "wedid_update"
REPLY = "wedid_reply"
# Ends with "_project" and carries the project's id: the staff guard checks the role in it.
PROJECT = STAFF_WIDGET_PREFIX + "wedid_project"
STAFF_UPDATE = "staff_wedid_update"
STATUS = "wedid_status"
NEW_STATUS = "wedid_new_status"
THEME = "wedid_theme"
MORE_THEME = "wedid_more_theme"
VERSION = "wedid_version"
UPDATES_PAGES = "wedid_updates_pages"
STAFF_UPDATES_PAGES = "wedid_staff_updates_pages"
THEMES_PAGES = "wedid_themes_pages"
MORE_THEMES_PAGES = "wedid_more_themes_pages"


def _no_thanks() -> Start:
    return Start(
        I18nFormat("No, thanks"), id="no_comment", state=MainMenu.main, mode=StartMode.RESET_STACK
    )


def updates_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat(
                "You said, we did: what your teams did with what people told them.", when="some"
            ),
            I18nFormat("There are no updates yet. We will tell you when there are.", when="none"),
            paged(UPDATE, "updates", handlers.on_update_chosen, UPDATES_PAGES),
            back_out(),
            unexpected_input(),
            state=WeDidUpdates.list,
            getter=getters.get_updates,
        ),
        Window(
            Format("{text}"),
            picker(REPLY, "answers", handlers.on_reply),
            SwitchTo(I18nFormat("Back"), id="item_back", state=WeDidUpdates.list),
            unexpected_input(),
            state=WeDidUpdates.item,
            getter=getters.get_update,
        ),
        Window(
            I18nFormat(
                "Do you want to add a few words for the team? Type them, or tap No, thanks."
            ),
            MessageInput(handlers.on_reply_comment),
            _no_thanks(),
            state=WeDidUpdates.comment,
        ),
        on_start=handlers.on_updates_start,
    )


def _back(state) -> SwitchTo:
    return SwitchTo(I18nFormat("Back"), id=f"back_{state.state.split(':')[-1]}", state=state)


def editor_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Which team is the update for?"),
            picker(PROJECT, "projects", handlers.on_project, numeric=True),
            back_out(),
            unexpected_input(),
            state=WeDidEditor.project,
            getter=getters.get_staff_projects,
        ),
        Window(
            I18nFormat("You said, we did: updates for {project}."),
            I18nFormat("There are no updates yet.", when="none"),
            Button(I18nFormat("Write a new update"), id="new_update", on_click=handlers.on_new),
            paged(STAFF_UPDATE, "updates", handlers.on_update_opened, STAFF_UPDATES_PAGES),
            Button(I18nFormat("Back"), id="list_back", on_click=handlers.on_list_back),
            unexpected_input(),
            state=WeDidEditor.list,
            getter=getters.get_staff_updates,
        ),
        Window(
            I18nFormat("What did people say? Write it in a sentence or two."),
            MessageInput(handlers.on_you_said),
            _back(WeDidEditor.list),
            state=WeDidEditor.you_said,
        ),
        Window(
            I18nFormat("What did the team do, or what will it do?"),
            MessageInput(handlers.on_we_did),
            _back(WeDidEditor.you_said),
            state=WeDidEditor.we_did,
        ),
        Window(
            I18nFormat("Where is it now?"),
            picker(STATUS, "statuses", handlers.on_status),
            _back(WeDidEditor.we_did),
            unexpected_input(),
            state=WeDidEditor.status,
            getter=getters.get_draft,
        ),
        Window(
            I18nFormat("Why is it not possible? Say it plainly. People will read it."),
            MessageInput(handlers.on_reason),
            _back(WeDidEditor.status),
            state=WeDidEditor.reason,
        ),
        Window(
            I18nFormat("Who is doing it? Name a role or a team, not a person's private details."),
            MessageInput(handlers.on_owner),
            SwitchTo(I18nFormat("Skip"), id="owner_skip", state=WeDidEditor.due),
            _back(WeDidEditor.status),
            state=WeDidEditor.owner,
        ),
        Window(
            I18nFormat("When will it be done? Type a date like 2026-12-01."),
            MessageInput(handlers.on_due),
            SwitchTo(I18nFormat("Skip"), id="due_skip", state=WeDidEditor.link),
            _back(WeDidEditor.owner),
            state=WeDidEditor.due,
        ),
        Window(
            I18nFormat("Which feedback does it answer? Choose a theme."),
            I18nFormat("Everyone whose answer is in it will get the update."),
            I18nFormat("There are no themes yet. Make them in Review feedback.", when="no_themes"),
            paged(THEME, "themes", handlers.on_theme, THEMES_PAGES),
            Button(
                I18nFormat("None: send it to the whole team"),
                id="no_theme",
                on_click=handlers.on_no_theme,
            ),
            _back(WeDidEditor.due),
            unexpected_input(),
            state=WeDidEditor.link,
            getter=getters.get_themes,
        ),
        Window(
            I18nFormat("Who should get it?"),
            Button(
                I18nFormat("Only people whose feedback it answers"),
                id="linked_only",
                on_click=handlers.on_linked_only,
            ),
            Button(I18nFormat("The whole team"), id="whole_team", on_click=handlers.on_whole_team),
            _back(WeDidEditor.link),
            unexpected_input(),
            state=WeDidEditor.audience,
        ),
        Window(
            I18nFormat("You wrote it in {language}. You can add a version for other languages."),
            I18nFormat("People with no version get the original, with a short note."),
            picker(VERSION, "languages", handlers.on_version_chosen),
            SwitchTo(I18nFormat("Preview"), id="preview", state=WeDidEditor.confirm),
            _back(WeDidEditor.link),
            unexpected_input(),
            state=WeDidEditor.versions,
            getter=getters.get_versions,
        ),
        Window(
            I18nFormat("Type what people said, in {language}. The original:"),
            Format("{you_said}"),
            MessageInput(handlers.on_version_you_said),
            _back(WeDidEditor.versions),
            state=WeDidEditor.version_you_said,
            getter=getters.get_version,
        ),
        Window(
            I18nFormat("Now type what the team does, in {language}. The original:"),
            Format("{we_did}"),
            MessageInput(handlers.on_version_we_did),
            _back(WeDidEditor.versions),
            state=WeDidEditor.version_we_did,
            getter=getters.get_version,
        ),
        Window(
            I18nFormat("Now type why it is not possible, in {language}. The original:"),
            Format("{reason}"),
            MessageInput(handlers.on_version_reason),
            _back(WeDidEditor.versions),
            state=WeDidEditor.version_reason,
            getter=getters.get_version,
        ),
        Window(
            Format("{preview}"),
            Format("{reach}"),
            Button(I18nFormat("Publish"), id="publish", on_click=handlers.on_publish),
            _back(WeDidEditor.versions),
            unexpected_input(),
            state=WeDidEditor.confirm,
            getter=getters.get_confirm,
        ),
        Window(
            Format("{text}"),
            Format("{replies}"),
            SwitchTo(
                I18nFormat("Change the status"), id="change_status", state=WeDidEditor.new_status
            ),
            SwitchTo(I18nFormat("Link more feedback"), id="link_more", state=WeDidEditor.link_more),
            Button(
                I18nFormat("Correct what people said"),
                id="edit_you_said",
                on_click=handlers.on_edit_you_said,
            ),
            Button(
                I18nFormat("Correct what the team does"),
                id="edit_we_did",
                on_click=handlers.on_edit_we_did,
            ),
            _back(WeDidEditor.list),
            unexpected_input(),
            state=WeDidEditor.detail,
            getter=getters.get_detail,
        ),
        Window(
            I18nFormat("Where is it now? Everyone who got the update will hear."),
            picker(NEW_STATUS, "statuses", handlers.on_new_status),
            _back(WeDidEditor.detail),
            unexpected_input(),
            state=WeDidEditor.new_status,
            getter=getters.get_detail,
        ),
        Window(
            I18nFormat("Why is it not possible? Say it plainly. People will read it."),
            MessageInput(handlers.on_new_reason),
            _back(WeDidEditor.new_status),
            state=WeDidEditor.new_reason,
        ),
        Window(
            I18nFormat("Which feedback does it answer too? Choose a theme."),
            I18nFormat("People whose answer is in it get the update, if they have not had it."),
            I18nFormat("There are no themes yet. Make them in Review feedback.", when="no_themes"),
            paged(MORE_THEME, "themes", handlers.on_more_theme, MORE_THEMES_PAGES),
            _back(WeDidEditor.detail),
            unexpected_input(),
            state=WeDidEditor.link_more,
            getter=getters.get_themes,
        ),
        Window(
            I18nFormat("Type the corrected words. Now it says:"),
            Format("{words}"),
            I18nFormat("Nobody gets the update again. They see the new words in /updates."),
            MessageInput(handlers.on_corrected_words),
            _back(WeDidEditor.detail),
            state=WeDidEditor.edit_words,
            getter=getters.get_words_to_correct,
        ),
        on_start=handlers.on_editor_start,
    )
