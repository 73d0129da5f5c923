"""The words about offers and claims that more than one dialog (and the delivery engine) uses:
kinds, places, the note about benefits, and what a participant is told when their claim moves.
Each function reads the current language; `in_language` runs one in someone else's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from babel.numbers import format_currency

from bot.i18n import babel_locale
from bot.services import delivery
from storage.models import ClaimState, OfferKind, ReciprocityOffer


def in_language(i18n: I18n, words: Callable[..., str]) -> Callable[..., str]:
    """`words(..., locale)` run in `locale` (its last argument), whatever language is showing:
    in a dialog for someone else, or in a scheduled job that has no language of its own."""

    def render(*args):
        with i18n.context(), i18n.use_locale(args[-1]):
            return words(*args)

    return render


def kind_name(kind: OfferKind | str) -> str:
    return {
        OfferKind.TRAINING: _("Training"),
        OfferKind.TRAVEL: _("Travel expenses"),
        OfferKind.VOUCHER: _("Voucher"),
        OfferKind.REFERENCE: _("Reference"),
        OfferKind.CERTIFICATE: _("Certificate"),
        OfferKind.OTHER: _("Other"),
    }[OfferKind(kind)]


def state_name(state: ClaimState | str) -> str:
    return {
        ClaimState.REQUESTED: _("Asked, waiting for the team"),
        ClaimState.APPROVED: _("Yes, on its way"),
        ClaimState.DECLINED: _("Not this time"),
        ClaimState.FULFILLED: _("Given"),
        ClaimState.WITHDRAWN: _("You cancelled it"),
    }[ClaimState(state)]


def money(pence: int, locale: str) -> str:
    return format_currency(pence / 100, "GBP", locale=babel_locale(locale))


def day(moment: datetime, timezone: str, locale: str) -> str:
    """The local day a UTC moment falls on; for closing days, the last full day open."""
    tz = delivery.zone(timezone, "Europe/London")
    return format_date(moment.astimezone(tz).date(), format="long", locale=babel_locale(locale))


def closing_day(offer: ReciprocityOffer, timezone: str, locale: str) -> str:
    """closes_at is midnight after the closing day: show the day itself."""
    return day(offer.closes_at - timedelta(seconds=1), timezone, locale)


def places_line(offer: ReciprocityOffer) -> str:
    if offer.places is None:
        return _("There is no limit on places.")
    left = max(0, offer.places - offer.places_taken)
    if left == 0:
        return _("All places are taken.")
    return ngettext("{count} place left.", "{count} places left.", left).format(count=left)


def eligibility_line(min_meetings: int) -> str:
    if not min_meetings:
        return _("Everyone in the team can ask.")
    return ngettext(
        "For people who came to at least {count} meeting.",
        "For people who came to at least {count} meetings.",
        min_meetings,
    ).format(count=min_meetings)


def benefits_note() -> str:
    return _(
        "Money or vouchers can affect some benefits. "
        "If you get benefits, ask your benefits adviser or Citizens Advice first."
    )


def claim_notice(state: ClaimState, title: str, reason: str | None, _locale: str) -> str:
    """What a participant is told when their claim moves on."""
    if state == ClaimState.APPROVED:
        return _("Good news: the team said yes to your request for “{title}”.").format(title=title)
    if state == ClaimState.DECLINED:
        text = _("The team could not say yes to your request for “{title}” this time.").format(
            title=title
        )
        if reason:
            text += "\n" + _("They said: {reason}").format(reason=reason)
        return text + "\n" + _("Thank you for asking. You are still a valued part of the team.")
    if state == ClaimState.FULFILLED:
        return _("“{title}” has been given to you. Thank you for the time you give.").format(
            title=title
        )
    return _("We have your request for “{title}”.").format(title=title)


def announcement(title: str, _locale: str) -> str:
    return _("A new thank-you offer for the team: “{title}”. Tap to see it.").format(title=title)


def staff_request(title: str, _locale: str) -> str:
    """Staff are told someone asked for their offer (no name: phones show it when locked)."""
    return _("Someone asked for “{title}”. Please answer when you can.").format(title=title)
