"""Send a message to a team: the project, who gets it, the message (text, or a photo or file
with a caption), a version per language, a preview as people will see it, now or later,
then live progress and the delivery report. Every step has Back."""

from __future__ import annotations

import operator

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Group, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.broadcast import getters, handlers
from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.states import STAFF_WIDGET_PREFIX, Broadcast

# Ends with "_project" and carries the project's id: the staff guard checks the role in it.
PROJECT = STAFF_WIDGET_PREFIX + "broadcast_project"
ROLE = "role"
LANGUAGE = "language"
VERSION = "version"
PREVIEW_VERSION = "preview_version"
WHEN = "when"
POLL = "poll"
OFFER = "offer"
SCHEDULED = "scheduled_message"


def _row_of_choices(widget_id: str, items_key: str, on_click) -> Group:
    return Group(
        Select(
            Format("{item[1]}"),
            id=widget_id,
            item_id_getter=operator.itemgetter(0),
            items=items_key,
            on_click=on_click,
        ),
        width=2,
    )


def broadcast_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Which team is the message for?"),
            picker(PROJECT, "projects", handlers.on_project, numeric=True),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=Broadcast.project,
            getter=getters.get_projects,
        ),
        Window(
            I18nFormat("Who should get your message? Tap to choose, then tap Next."),
            Format("{summary}"),
            I18nFormat("Nobody matches this choice. Please choose again.", when="nobody"),
            _row_of_choices(ROLE, "roles", handlers.on_role),
            _row_of_choices(LANGUAGE, "languages", handlers.on_language),
            Row(
                SwitchTo(
                    I18nFormat("Who answered a poll"),
                    id="by_poll",
                    state=Broadcast.pick_poll,
                    when="has_polls",
                ),
                SwitchTo(
                    I18nFormat("Who asked for an offer"),
                    id="by_offer",
                    state=Broadcast.pick_offer,
                    when="has_offers",
                ),
            ),
            Button(
                I18nFormat("Everyone in the team"),
                id="whole_team",
                on_click=handlers.on_whole_team,
                when="narrowed",
            ),
            SwitchTo(I18nFormat("Next"), id="next", state=Broadcast.compose, when="somebody"),
            SwitchTo(
                I18nFormat("Messages waiting for their time"),
                id="scheduled",
                state=Broadcast.scheduled,
                when="has_scheduled",
            ),
            Button(I18nFormat("Back"), id="audience_back", on_click=handlers.on_audience_back),
            unexpected_input(),
            state=Broadcast.audience,
            getter=getters.get_audience,
        ),
        Window(
            I18nFormat("Which poll? The message goes to the people who answered it."),
            picker(POLL, "polls", handlers.on_poll, numeric=True),
            SwitchTo(I18nFormat("Back"), id="poll_back", state=Broadcast.audience),
            unexpected_input(),
            state=Broadcast.pick_poll,
            getter=getters.get_polls,
        ),
        Window(
            I18nFormat("Which offer? The message goes to the people who asked for it."),
            picker(OFFER, "offers", handlers.on_offer, numeric=True),
            SwitchTo(I18nFormat("Back"), id="offer_back", state=Broadcast.audience),
            unexpected_input(),
            state=Broadcast.pick_offer,
            getter=getters.get_offers,
        ),
        Window(
            I18nFormat("Write your message in {language}. You can send a photo or a file too."),
            I18nFormat("Your words then go with it, under the photo or file."),
            I18nFormat("A new message takes the place of the one you wrote.", when="has_draft"),
            # Takes every kind of message and answers the ones it cannot send.
            MessageInput(handlers.on_original),
            SwitchTo(
                I18nFormat("Keep my message"),
                id="keep",
                state=Broadcast.versions,
                when="has_draft",
            ),
            SwitchTo(I18nFormat("Back"), id="compose_back", state=Broadcast.audience),
            state=Broadcast.compose,
            getter=getters.get_compose,
        ),
        Window(
            I18nFormat("These languages are in your audience:"),
            Format("{lines}"),
            I18nFormat("You can write a version for each language.", when="can_add"),
            Column(
                Select(
                    Format("{item[1]}"),
                    id=VERSION,
                    item_id_getter=operator.itemgetter(0),
                    items="version_buttons",
                    on_click=handlers.on_version_chosen,
                )
            ),
            Button(I18nFormat("Preview"), id="preview", on_click=handlers.on_preview),
            SwitchTo(I18nFormat("Back"), id="versions_back", state=Broadcast.compose),
            unexpected_input(),
            state=Broadcast.versions,
            getter=getters.get_versions,
        ),
        Window(
            I18nFormat("Type the {language} version of your message."),
            I18nFormat("The photo or file stays the same.", when="has_media"),
            I18nFormat("The original:"),
            Format("{original}"),
            MessageInput(handlers.on_version_text),
            Button(
                I18nFormat("Remove this version"),
                id="remove_version",
                on_click=handlers.on_version_removed,
                when="has_version",
            ),
            SwitchTo(I18nFormat("Back"), id="version_back", state=Broadcast.versions),
            state=Broadcast.version_text,
            getter=getters.get_version_text,
        ),
        Window(
            I18nFormat("Above is your message as people who read {language} will see it."),
            I18nFormat("Send it now, or choose a time?"),
            Column(
                Select(
                    Format("{item[1]}"),
                    id=PREVIEW_VERSION,
                    item_id_getter=operator.itemgetter(0),
                    items="other_versions",
                    on_click=handlers.on_preview_version,
                )
            ),
            Button(I18nFormat("Send now"), id="send_now", on_click=handlers.on_send_now),
            SwitchTo(I18nFormat("Send later"), id="send_later", state=Broadcast.when),
            SwitchTo(I18nFormat("Back"), id="preview_back", state=Broadcast.versions),
            unexpected_input(),
            state=Broadcast.preview,
            getter=getters.get_preview,
        ),
        Window(
            I18nFormat("When should it go? Times are in {zone}."),
            I18nFormat("Tap a choice, or type a date and time like 2026-12-01 18:00."),
            picker(WHEN, "choices", handlers.on_when_chosen),
            MessageInput(handlers.on_when_typed),
            SwitchTo(I18nFormat("Back"), id="when_back", state=Broadcast.preview),
            state=Broadcast.when,
            getter=getters.get_when,
        ),
        Window(
            Format("{question}"),
            I18nFormat("Nobody would get it now. Please go back and choose again.", when="nobody"),
            Button(
                I18nFormat("Yes, send it"), id="send", on_click=handlers.on_send, when="somebody"
            ),
            Button(I18nFormat("Back"), id="confirm_back", on_click=handlers.on_confirm_back),
            unexpected_input(),
            state=Broadcast.confirm,
            getter=getters.get_confirm,
        ),
        Window(
            I18nFormat("Your message will go out on {when}.", when="later"),
            I18nFormat("Your message is going out.", when="now"),
            Format("{sent}"),
            Format("{eta}", when="eta"),
            Button(I18nFormat("Refresh"), id="refresh", on_click=handlers.on_refresh),
            Cancel(I18nFormat("Done")),
            unexpected_input(),
            state=Broadcast.progress,
            getter=getters.get_progress,
        ),
        Window(
            I18nFormat(
                "Delivery report.\n"
                "• Sent: {sent}\n"
                "• Blocked the bot: {blocked}\n"
                "• Could not be sent: {failed}\n"
                "• May have arrived, but Telegram did not confirm it: {may_have_arrived}\n"
                "• Waiting for their quiet hours to end: {quiet_hours}\n"
                "• Paused their messages: {paused}\n"
                "• Over their weekly limit: {over_cap}\n"
                "• Still to go: {queued}\n"
                "• All together: {total}"
            ),
            I18nFormat(
                "• Sent again because Telegram did not confirm the first try "
                "(they may have it twice): {resent}",
                when="any_resent",
            ),
            I18nFormat("People who are waiting will get it later, when they can.", when="waiting"),
            SwitchTo(I18nFormat("Refresh"), id="report_refresh", state=Broadcast.report),
            Cancel(I18nFormat("Done")),
            unexpected_input(),
            state=Broadcast.report,
            getter=getters.get_report,
        ),
        Window(
            I18nFormat("These messages wait for their time. Tap one to see it or cancel it."),
            I18nFormat("No messages are waiting for their time.", when="nothing"),
            picker(SCHEDULED, "scheduled", handlers.on_scheduled_chosen, numeric=True),
            SwitchTo(I18nFormat("Back"), id="scheduled_back", state=Broadcast.audience),
            unexpected_input(),
            state=Broadcast.scheduled,
            getter=getters.get_scheduled,
        ),
        Window(
            Format("{about}", when="waiting"),
            I18nFormat("Cancel it? Then nobody gets it.", when="waiting"),
            I18nFormat("Its time has come, so it can no longer be cancelled.", when="gone"),
            Button(
                I18nFormat("Cancel it"),
                id="cancel_it",
                on_click=handlers.on_cancel_scheduled,
                when="waiting",
            ),
            SwitchTo(I18nFormat("Back"), id="cancel_back", state=Broadcast.scheduled),
            unexpected_input(),
            state=Broadcast.cancel_scheduled,
            getter=getters.get_cancel_scheduled,
        ),
        on_start=handlers.on_start,
    )
