from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _

from bot.services import people
from dialogs.common import frequency_items, quiet_hours_items, timezone_items, timezone_label


def _yes_no(value: bool | None) -> str:
    if value is None:
        return _("not chosen (we take it as no)")
    return _("yes") if value else _("no")


def _quiet_label(participant, locale: str) -> str:
    window = (participant.quiet_start, participant.quiet_end)
    for index, choice in enumerate(people.QUIET_HOURS_CHOICES):
        if choice == window or (choice is None and window == (None, None)):
            return quiet_hours_items(locale)[index][1]
    return quiet_hours_items(locale)[-1][1]


async def get_settings(participant, locale: str, default_timezone: str, **_kw: Any):
    frequency = dict(frequency_items()).get(participant.messages_per_week, "")
    zone = participant.timezone or default_timezone
    return {
        "name": participant.display_name or _("not given"),
        "frequency": frequency,
        "quiet": _quiet_label(participant, locale),
        "zone": timezone_label(zone, locale),
        "quote": _yes_no(participant.may_quote),
        "use_name": _yes_no(participant.may_use_name),
    }


async def get_frequency(**_kw: Any) -> dict[str, Any]:
    return {"frequencies": frequency_items()}


async def get_quiet_hours(locale: str, **_kw: Any) -> dict[str, Any]:
    return {"quiet_hours": quiet_hours_items(locale)}


async def get_timezones(participant, locale: str, default_timezone: str, **_kw: Any):
    return {"timezones": timezone_items(participant.timezone or default_timezone, locale)}


async def get_quoting(participant, **_kw: Any) -> dict[str, Any]:
    return {"quote": _yes_no(participant.may_quote), "use_name": _yes_no(participant.may_use_name)}
