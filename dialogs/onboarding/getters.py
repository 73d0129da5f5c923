from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

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


async def get_ground_rules(dialog_manager: DialogManager, session, **_kwargs: Any):
    project = await _project(dialog_manager, session)
    rules = project.ground_rules.strip() if project else ""
    return {"rules": "\n".join(f"• {line.strip()}" for line in rules.splitlines() if line.strip())}


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
