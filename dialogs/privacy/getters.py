from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import ngettext
from babel.dates import format_date

from bot.i18n import babel_locale
from bot.services import people


async def get_pause(participant, locale: str, **_kw: Any) -> dict[str, Any]:
    paused = people.is_paused(participant)
    until = participant.paused_until
    return {
        "paused": paused,
        "not_paused": not paused,
        "paused_until": bool(paused and until),
        "paused_open": bool(paused and until is None),
        "until": format_date(until, format="long", locale=babel_locale(locale)) if until else "",
        "weeks": [
            (
                weeks,
                ngettext("Pause for {count} week", "Pause for {count} weeks", weeks).format(
                    count=weeks
                ),
            )
            for weeks in people.PAUSE_WEEKS_CHOICES
        ],
    }
