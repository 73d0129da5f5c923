"""What each export window shows. Getters only read."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager
from babel.dates import format_date

from bot.i18n import babel_locale
from bot.services import exports
from storage import projects

EVERYTHING = "all"
DAYS = ("all", "7", "30", "90", "365")


def format_items() -> list[tuple[str, str]]:
    labels = {
        "xlsx": _("Excel (XLSX), with a sheet that explains each column"),
        "csv": _("CSV, for any spreadsheet"),
        "jsonl": _("JSON Lines, for analysis programs"),
    }
    return list(labels.items())


def days_items() -> list[tuple[str, str]]:
    return [
        ("all", _("Everything so far")),
        ("7", _("The last 7 days")),
        ("30", _("The last 30 days")),
        ("90", _("The last 90 days")),
        ("365", _("The last year")),
    ]


def kind_items() -> list[tuple[str, str]]:
    return [(EVERYTHING, _("Everything")), *((k.name, _(k.title)) for k in exports.KINDS.values())]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def request_of(manager: DialogManager) -> exports.ExportRequest:
    data = manager.dialog_data
    what = data.get("what", EVERYTHING)
    return exports.ExportRequest(
        data["project_id"],
        tuple(exports.KINDS) if what == EVERYTHING else (what,),
        exports.Format(data.get("format", "xlsx")),
        _day(data.get("since")),
        _day(data.get("until")),
        bool(data.get("names")),
    )


async def get_projects(session, participant, **_kw: Any) -> dict[str, Any]:
    found = await exports.projects_to_export(session, participant)
    return {"projects": [(project.id, project.name) for project in found]}


async def get_what(**_kw: Any) -> dict[str, Any]:
    return {"kinds": kind_items()}


async def get_format(**_kw: Any) -> dict[str, Any]:
    return {"formats": format_items()}


async def get_dates(**_kw: Any) -> dict[str, Any]:
    return {"days": days_items()}


async def get_names(**_kw: Any) -> dict[str, Any]:
    return {
        "choices": [
            ("codes", _("Codes only (best for sharing)")),
            ("names", _("Names of people who agreed to be named")),
        ]
    }


async def get_confirm(
    session, dialog_manager: DialogManager, locale: str, **_kw: Any
) -> dict[str, Any]:
    request = request_of(dialog_manager)
    project = await projects.get_project(session, request.project_id)
    what = dict(kind_items())[dialog_manager.dialog_data.get("what", EVERYTHING)]

    def day(value: date) -> str:
        return format_date(value, "long", locale=babel_locale(locale))

    return {
        "project": project.name if project else "",
        "what": what,
        "format": dict(format_items())[request.format.value],
        "since": day(request.since) if request.since else _("the start"),
        "until": day(request.until) if request.until else _("today"),
        "people": _("names where people agreed") if request.with_names else _("codes only"),
    }


async def get_can_export(session, participant, **_kw: Any) -> dict[str, Any]:
    """For the team tools: the Export button shows only to coordinators."""
    return {"can_export": bool(await exports.projects_to_export(session, participant))}
