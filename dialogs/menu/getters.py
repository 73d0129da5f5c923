from __future__ import annotations

from typing import Any

from bot.i18n import LANGUAGE_NAMES
from bot.services import people
from dialogs.common import language_items


async def get_main_menu(session, participant, **_kwargs: Any) -> dict[str, Any]:
    return {
        "is_staff": bool(await people.staff_projects(session, participant)),
        "name": participant.display_name if participant and participant.display_name else "",
    }


async def get_languages(locale: str, **_kwargs: Any) -> dict[str, Any]:
    return {"languages": language_items(locale), "language": LANGUAGE_NAMES[locale]}
