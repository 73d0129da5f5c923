"""Buttons on unprompted messages. An outbox message's `action` ("checkin:pulse", "wedid:12")
names what its button does; the delivery engine asks `markup_factory` for the buttons in each
recipient's language at send time, and `actions_router` handles the taps.

Each part of the service adds its own entry to `action_buttons()` and its router to
`actions_router()`: `name -> build(argument, translate)`, where `translate` is gettext in the
recipient's language. Callback data of these buttons must say everything the tap needs (a
message may be tapped weeks later, after restarts): the handler checks it against the database
and answers a stale or forged one kindly.
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Router
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from dialogs.export import digest as digest_taps
from dialogs.meetings import taps as meeting_taps
from dialogs.pulse import taps as checkin_taps
from dialogs.rewards import taps as reciprocity_taps
from dialogs.wedid import taps as we_did_taps

Translate = Callable[[str], str]
ActionButtons = Callable[[str, Translate], InlineKeyboardMarkup | None]


def action_buttons() -> dict[str, ActionButtons]:
    """Every action an unprompted message may carry, by the name before its first ":"."""
    return {
        "checkin": checkin_taps.checkin_buttons,
        "wedid": we_did_taps.wedid_buttons,
        "offer": reciprocity_taps.offer_buttons,
        "offer_review": reciprocity_taps.review_buttons,
        "contribution": reciprocity_taps.contribution_buttons,
        "poll": meeting_taps.poll_buttons,
        "meeting": meeting_taps.meeting_buttons,
        "decide": meeting_taps.decide_buttons,
        "digest": digest_taps.digest_buttons,
    }


def markup_factory(i18n: I18n) -> Callable[[str, str], InlineKeyboardMarkup | None]:
    buttons = action_buttons()

    def markup_for(action: str, locale: str) -> InlineKeyboardMarkup | None:
        name, _, argument = action.partition(":")
        build = buttons.get(name)
        if build is None:
            raise LookupError(f"no buttons for action {name!r}")
        return build(argument, lambda text: i18n.gettext(text, locale=locale))

    return markup_for


def actions_router() -> Router:
    """A new router each call (routers attach to one parent only)."""
    router = Router(name="actions")
    router.include_routers(checkin_taps.router(), we_did_taps.router(), reciprocity_taps.router())
    router.include_router(meeting_taps.router())
    router.include_router(digest_taps.router())
    return router
