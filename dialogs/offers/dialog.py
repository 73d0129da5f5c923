"""Thank-you offers for staff: the team's offers, posting a new one (kind, title and
description with a version per language, places, closing day, who may ask), and reviewing the
requests (approve, decline with a reason, mark as given). Every step has Back."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, picker, unexpected_input
from dialogs.offers import getters, handlers
from dialogs.states import STAFF_WIDGET_PREFIX, Offers

# Ends with "_project" and carries the project's id: the staff guard checks the role in it.
PROJECT = STAFF_WIDGET_PREFIX + "offers_project"
OFFER = "offer"
CLAIM = "claim"
KIND = "kind"
PLACES = "places"
CLOSES = "closes"
ELIGIBILITY = "eligibility"
VERSION = "version"


def _back(widget_id: str, state) -> SwitchTo:
    return SwitchTo(I18nFormat("Back"), id=widget_id, state=state)


def _typing_window(state, *texts, on_input, back_state, getter=None, extra=()) -> Window:
    """A window that waits for typed words; MessageInput answers anything else kindly."""
    return Window(
        *texts,
        MessageInput(on_input),
        *extra,
        _back(f"{state.state.split(':')[-1]}_back", back_state),
        state=state,
        getter=getter,
    )


def offers_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Which team are the thank-you offers for?"),
            picker(PROJECT, "projects", handlers.on_project, numeric=True),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=Offers.project,
            getter=getters.get_projects,
        ),
        Window(
            I18nFormat("Thank-you offers in {project}.", when="some"),
            I18nFormat(
                "{project} has no thank-you offers yet. Offers give something back for "
                "people's time.",
                when="none",
            ),
            picker(OFFER, "offers", handlers.on_offer, numeric=True),
            Button(I18nFormat("Post a new offer"), id="new_offer", on_click=handlers.on_new_offer),
            Button(I18nFormat("Back"), id="list_back", on_click=handlers.on_list_back),
            unexpected_input(),
            state=Offers.list,
            getter=getters.get_list,
        ),
        Window(
            Format("{title}\n\n{details}"),
            I18nFormat("This offer is closed.", when="closed"),
            SwitchTo(
                I18nFormat("Requests to review: {to_review}"),
                id="claims",
                state=Offers.claims,
                when="to_review",
            ),
            SwitchTo(
                I18nFormat("Close this offer"), id="close", state=Offers.close, when="is_open"
            ),
            _back("offer_back", Offers.list),
            unexpected_input(),
            state=Offers.offer,
            getter=getters.get_offer,
        ),
        Window(
            I18nFormat("Requests waiting for you. Tap one to answer it.", when="some"),
            I18nFormat("No requests are waiting.", when="none"),
            picker(CLAIM, "claims", handlers.on_claim, numeric=True),
            _back("claims_back", Offers.offer),
            unexpected_input(),
            state=Offers.claims,
            getter=getters.get_claims,
        ),
        Window(
            Format("{details}"),
            Button(
                I18nFormat("See the receipt"),
                id="receipt",
                on_click=handlers.on_show_receipt,
                when="has_receipt",
            ),
            Button(
                I18nFormat("Yes, approve"),
                id="approve",
                on_click=handlers.on_approve,
                when="requested",
            ),
            Button(
                I18nFormat("Mark as given"),
                id="fulfil",
                on_click=handlers.on_fulfil,
                when="approved",
            ),
            SwitchTo(I18nFormat("Decline"), id="decline", state=Offers.decline, when="can_decline"),
            _back("claim_back", Offers.claims),
            unexpected_input(),
            state=Offers.claim,
            getter=getters.get_claim,
        ),
        _typing_window(
            Offers.decline,
            I18nFormat("Why not this time? Type a short, kind reason. They will read it."),
            on_input=handlers.on_decline_reason,
            back_state=Offers.claim,
        ),
        Window(
            I18nFormat("Close this offer? Nobody new can ask. Requests already made stay."),
            Button(I18nFormat("Yes, close it"), id="close_yes", on_click=handlers.on_close_offer),
            _back("close_back", Offers.offer),
            unexpected_input(),
            state=Offers.close,
        ),
        # -- posting ------------------------------------------------------------------------
        Window(
            I18nFormat("What kind of thank-you is it?"),
            picker(KIND, "kinds", handlers.on_kind),
            _back("kind_back", Offers.list),
            unexpected_input(),
            state=Offers.kind,
            getter=getters.get_kinds,
        ),
        _typing_window(
            Offers.title,
            I18nFormat("Type a short title in {language}, like “Free first aid course”."),
            on_input=handlers.on_title,
            back_state=Offers.kind,
            getter=getters.get_language,
        ),
        _typing_window(
            Offers.description,
            I18nFormat("Type a few words about it in {language}: what it is, and how to get it."),
            on_input=handlers.on_description,
            back_state=Offers.title,
            getter=getters.get_language,
            extra=(
                Button(
                    I18nFormat("Skip"), id="skip_description", on_click=handlers.on_skip_description
                ),
            ),
        ),
        _typing_window(
            Offers.places,
            I18nFormat("How many places are there? Tap a number, or type one."),
            picker(PLACES, "choices", handlers.on_places_chosen),
            on_input=handlers.on_places_typed,
            back_state=Offers.description,
            getter=getters.get_places,
        ),
        _typing_window(
            Offers.closes,
            I18nFormat("Until when can people ask? Tap a choice, or type a day like 2026-12-31."),
            picker(CLOSES, "choices", handlers.on_closes_chosen),
            on_input=handlers.on_closes_typed,
            back_state=Offers.places,
            getter=getters.get_closes,
        ),
        _typing_window(
            Offers.eligibility,
            I18nFormat("Who can ask? Tap a choice, or type a number of meetings."),
            picker(ELIGIBILITY, "choices", handlers.on_eligibility_chosen),
            on_input=handlers.on_eligibility_typed,
            back_state=Offers.closes,
            getter=getters.get_eligibility,
        ),
        Window(
            I18nFormat("People read the offer in their own language when there is a version:"),
            Format("{lines}"),
            picker(VERSION, "versions", handlers.on_version_chosen),
            Button(I18nFormat("Next"), id="versions_next", on_click=handlers.on_versions_next),
            _back("versions_back", Offers.eligibility),
            unexpected_input(),
            state=Offers.versions,
            getter=getters.get_versions,
        ),
        _typing_window(
            Offers.version_title,
            I18nFormat("Type the title in {language}. The original is: {original_title}"),
            on_input=handlers.on_title,
            back_state=Offers.versions,
            getter=getters.get_language,
            extra=(
                Button(
                    I18nFormat("Remove this version"),
                    id="remove_version",
                    on_click=handlers.on_version_removed,
                    when="has_title",
                ),
            ),
        ),
        _typing_window(
            Offers.version_description,
            I18nFormat("Type the description in {language}, or tap Skip."),
            on_input=handlers.on_description,
            back_state=Offers.version_title,
            getter=getters.get_language,
            extra=(
                Button(
                    I18nFormat("Skip"),
                    id="skip_version_description",
                    on_click=handlers.on_version_back,
                ),
            ),
        ),
        Window(
            I18nFormat("Post this offer?"),
            Format("{summary}"),
            Button(I18nFormat("Post it"), id="post", on_click=handlers.on_post),
            Button(
                I18nFormat("Post it and tell the team"),
                id="post_tell",
                on_click=handlers.on_post_and_tell,
            ),
            _back("confirm_back", Offers.versions),
            unexpected_input(),
            state=Offers.confirm,
            getter=getters.get_confirm,
        ),
        on_start=handlers.on_start,
    )
