"""What the contribution windows show. Getters only read."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager
from babel.dates import format_date

from bot.i18n import babel_locale
from bot.services import contributions, delivery, people
from dialogs.contribution import words
from dialogs.offers.getters import person_label
from storage import participants, projects
from storage.types import utcnow

DURATION_CHOICES = (60, 120, 180)
# The certificate-team choice that means every team (project ids start at 1).
ALL_TEAMS = 0


async def get_record(session, participant, locale: str, **_kw: Any) -> dict[str, Any]:
    contribution = await contributions.contribution_of(session, participant)
    return {
        "record": words.record(contribution, locale),
        "has_any": not contribution.is_empty,
    }


async def get_teams(session, participant, **_kw: Any) -> dict[str, Any]:
    teams = await contributions.teams_of(session, participant)
    return {"teams": [*teams, (ALL_TEAMS, _("All my teams together"))]}


async def get_projects(session, participant, **_kw: Any) -> dict[str, Any]:
    found = []
    for project_id in await people.staff_projects(session, participant):
        project = await projects.get_project(session, project_id)
        if project is not None:
            found.append((project.id, project.name))
    return {"projects": found}


async def get_people(
    session, participant, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    members = await contributions.people_to_log_for(
        session, participant, dialog_manager.dialog_data["project_id"]
    )
    return {
        "people": [(person.id, person_label(person)) for person in members],
        "some": bool(members),
        "none": not members,
    }


async def get_durations(**_kw: Any) -> dict[str, Any]:
    return {
        "choices": [
            (str(minutes), _("{count} h").format(count=minutes // 60))
            for minutes in DURATION_CHOICES
        ]
    }


async def project_today(session, project_id: int):
    project = await projects.get_project(session, project_id)
    zone = delivery.zone(project.timezone if project else None, "Europe/London")
    return utcnow().astimezone(zone).date()


async def get_days(**_kw: Any) -> dict[str, Any]:
    return {"choices": [("0", _("Today")), ("1", _("Yesterday"))]}


async def get_confirm(
    session, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    person = await participants.get(session, data["person_id"])
    minutes = data["minutes"]
    return {
        "person": person_label(person),
        "hours": words.hours_text(minutes, locale),
        "day": format_date(
            date.fromisoformat(data["day"]), format="long", locale=babel_locale(locale)
        ),
        "description": data["description"],
    }
