from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from bot.services import team_texts
from dialogs.common import (
    frequency_items,
    language_items,
    quiet_hours_items,
    timezone_items,
    timezone_label,
)
from storage import projects


async def get_languages(locale: str, **_kwargs: Any) -> dict[str, Any]:
    return {"languages": language_items(locale)}


async def _project(dialog_manager: DialogManager, session):
    project_id = dialog_manager.dialog_data.get("project_id")
    return await projects.get_project(session, project_id) if project_id else None


async def get_ground_rules(dialog_manager: DialogManager, session, locale: str, **_kwargs: Any):
    """The team's rules in the joiner's language, or else as the team wrote them."""
    project = await _project(dialog_manager, session)
    if project is None:
        return {"rules": ""}
    texts = await projects.texts_of(session, project.id)
    rules = team_texts.rules_for(project, texts, locale)
    return {"rules": "\n".join(f"• {line}" for line in rules)}


async def get_frequency(**_kwargs: Any) -> dict[str, Any]:
    return {"frequencies": frequency_items()}


async def get_quiet_hours(locale: str, **_kwargs: Any) -> dict[str, Any]:
    return {"quiet_hours": quiet_hours_items(locale)}


async def suggested_timezone(dialog_manager: DialogManager, session, participant, default: str):
    if participant is not None and participant.timezone:
        return participant.timezone
    project = await _project(dialog_manager, session)
    return project.timezone if project else default


async def get_timezone(
    dialog_manager: DialogManager, session, participant, locale: str, default_timezone: str, **_
) -> dict[str, Any]:
    zone = await suggested_timezone(dialog_manager, session, participant, default_timezone)
    return {"zone": timezone_label(zone, locale), "timezones": timezone_items(zone, locale)}


async def get_consent_flags(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    renewal = bool((dialog_manager.start_data or {}).get("renewal"))
    return {"renewal": renewal, "first_time": not renewal}
