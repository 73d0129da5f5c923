"""The words of a contribution record: on screen, in the periodic thank-you, and on the
certificate. Each reads the current language (see dialogs.offers.words.in_language)."""

from __future__ import annotations

import math
from datetime import date

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import format_date
from babel.numbers import format_decimal

from bot.i18n import babel_locale
from bot.services.certificates import CertificateWords
from bot.services.contributions import Contribution


def _hours(contribution: Contribution, locale: str) -> str:
    return format_decimal(contribution.hours, format="#,##0.#", locale=babel_locale(locale))


def hours_text(minutes: int, locale: str) -> str:
    """ "1.5 hours", in the reader's language."""
    hours = round(minutes / 60, 2)
    shown = format_decimal(hours, format="#,##0.##", locale=babel_locale(locale))
    return ngettext("{hours} hour", "{hours} hours", math.ceil(hours)).format(hours=shown)


def _day(value: date, locale: str) -> str:
    return format_date(value, format="long", locale=babel_locale(locale))


def figures(contribution: Contribution, locale: str) -> list[str]:
    """Plain sentences, one per figure that is not zero."""
    lines = []
    if contribution.minutes_given:
        lines.append(
            ngettext(
                "You gave {hours} hour of your time.",
                "You gave {hours} hours of your time.",
                contribution.hours_for_plural,
            ).format(hours=_hours(contribution, locale))
        )
    if contribution.meetings:
        lines.append(
            ngettext(
                "You came to {count} meeting.",
                "You came to {count} meetings.",
                contribution.meetings,
            ).format(count=contribution.meetings)
        )
    if contribution.activities:
        lines.append(
            ngettext(
                "You helped with {count} other activity.",
                "You helped with {count} other activities.",
                contribution.activities,
            ).format(count=contribution.activities)
        )
    if contribution.feedback:
        lines.append(
            ngettext(
                "You shared your views {count} time.",
                "You shared your views {count} times.",
                contribution.feedback,
            ).format(count=contribution.feedback)
        )
    if contribution.changes:
        lines.append(
            ngettext(
                "Your ideas helped {count} change.",
                "Your ideas helped {count} changes.",
                contribution.changes,
            ).format(count=contribution.changes)
        )
    return lines


def record(contribution: Contribution, locale: str) -> str:
    """What /mycontribution shows."""
    if contribution.is_empty:
        return _(
            "Nothing is recorded yet. When you come to a meeting or share your views, "
            "it will show here."
        )
    lines = figures(contribution, locale)
    if len(contribution.project_names) > 1:
        lines.append(
            _("This counts all your teams: {teams}.").format(
                teams=", ".join(contribution.project_names)
            )
        )
    if contribution.since:
        lines.append(
            _("You have taken part since {day}.").format(day=_day(contribution.since, locale))
        )
    return "\n".join(lines)


def thank_you(contribution: Contribution, locale: str) -> str:
    """The periodic, personal thank-you."""
    teams = ", ".join(contribution.project_names)
    opening = (
        _("Thank you for what you give to {teams}.").format(teams=teams)
        if teams
        else _("Thank you for what you give.")
    )
    return "\n".join(
        [opening, *figures(contribution, locale), _("Your time and ideas make a real difference.")]
    )


def certificate(
    contribution: Contribution, name: str | None, today: date, locale: str
) -> CertificateWords:
    """The certificate's words. `name` is None unless they chose to be named."""
    teams = ", ".join(contribution.project_names)
    if name:
        opening = _("This is to thank {name} for taking part in {teams}.").format(
            name=name, teams=teams
        )
    else:
        opening = _(
            "This is to thank the holder of this certificate for taking part in {teams}."
        ).format(teams=teams)
    paragraphs = [opening]
    if contribution.since:
        end = (
            contribution.latest
            if contribution.latest and contribution.latest > contribution.since
            else today
        )
        paragraphs.append(
            _("They took part from {start} to {end}.").format(
                start=_day(contribution.since, locale), end=_day(end, locale)
            )
        )
    numbers = _certificate_figures(contribution, locale)
    if numbers:
        paragraphs.append("\n".join(numbers))
    paragraphs.append(
        _(
            "Co-production means people who use a service design it together with the staff, "
            "as equals. Their experience helped make the service better."
        )
    )
    return CertificateWords(
        heading=_("Certificate of contribution"),
        paragraphs=paragraphs,
        footer=_("Issued on {day} by {teams}, through Coproduce.").format(
            day=_day(today, locale), teams=teams
        ),
        locale=locale,
    )


def _certificate_figures(contribution: Contribution, locale: str) -> list[str]:
    """The figures for the reader of the certificate (an employer), not its holder."""
    rows = [
        (contribution.minutes_given, _("Hours given: {value}"), _hours(contribution, locale)),
        (contribution.meetings, _("Meetings attended: {value}"), contribution.meetings),
        (contribution.activities, _("Other activities: {value}"), contribution.activities),
        (contribution.feedback, _("Views shared: {value}"), contribution.feedback),
        (contribution.changes, _("Changes their ideas led to: {value}"), contribution.changes),
    ]
    return ["• " + text.format(value=value) for count, text, value in rows if count]
