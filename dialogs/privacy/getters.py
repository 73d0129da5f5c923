from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import ngettext

from bot.i18n import local_day, reader_zone
from bot.services import people


async def get_pause(participant, locale: str, **_kw: Any) -> dict[str, Any]:
    paused = people.is_paused(participant)
    until = participant.paused_until
    zone = reader_zone(participant.timezone)
    return {
        "paused": paused,
        "not_paused": not paused,
        "paused_until": bool(paused and until),
        "paused_open": bool(paused and until is None),
        # The day it ends where they are: 23:30 UTC is already tomorrow in Warsaw.
        "until": local_day(until, zone, locale, "long") if until else "",
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
