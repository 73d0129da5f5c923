"""What the check-in windows show: a project's check-ins in words, and the choices."""

from __future__ import annotations

from datetime import time
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram_dialog import DialogManager
from babel.dates import format_time, get_day_names

from bot.i18n import babel_locale, local_day_and_time, reader_zone
from bot.services import broadcasts, checkins
from dialogs.common import timezone_label
from storage import projects
from storage.models import CheckinSchedule


def _clock(minute_of_day: int, locale: str) -> str:
    return format_time(
        time(minute_of_day // 60, minute_of_day % 60), format="short", locale=babel_locale(locale)
    )


def _weekday(weekday: int, locale: str) -> str:
    return get_day_names("wide", locale=babel_locale(locale))[weekday]


def start_name(start: str) -> str:
    if start == "pulse":
        return _("How are things going? (three answers)")
    return _("Is there something you want to tell the team?")


def describe(schedule: CheckinSchedule, timezone: str, locale: str) -> str:
    if schedule.every_weeks == 1:
        often = _("Every week on {weekday} at {time}")
    else:
        often = ngettext(
            "Every {count} week on {weekday} at {time}",
            "Every {count} weeks on {weekday} at {time}",
            schedule.every_weeks,
        )
    often = often.format(
        count=schedule.every_weeks,
        weekday=_weekday(schedule.weekday, locale),
        time=_clock(schedule.minute_of_day, locale),
    )
    following = local_day_and_time(schedule.next_run_at, reader_zone(timezone), locale)
    return _("{often}: {question} Next: {when}.").format(
        often=often, question=start_name(schedule.start), when=following
    )


async def get_projects(session, participant, **_kw: Any) -> dict[str, Any]:
    found = await broadcasts.projects_to_broadcast(session, participant)
    return {"projects": [(project.id, project.name) for project in found]}


async def get_list(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    project = await projects.get_project(session, dialog_manager.dialog_data["project_id"])
    found = await checkins.schedules(session, participant, project.id)
    lines = [f"• {describe(s, project.timezone, locale)}" for s in found]
    return {
        "project": project.name,
        "lines": "\n".join(lines),
        "has_any": bool(found),
        "none": not found,
        "schedules": [
            (s.id, _("Stop: {often}").format(often=describe(s, project.timezone, locale)))
            for s in found
        ],
    }


async def get_starts(**_kw: Any) -> dict[str, Any]:
    return {"starts": [(start, start_name(start)) for start in ("pulse", "feedback")]}


async def get_every(**_kw: Any) -> dict[str, Any]:
    choices = [
        (
            n,
            _("Every week")
            if n == 1
            else ngettext("Every {count} week", "Every {count} weeks", n).format(count=n),
        )
        for n in checkins.EVERY_WEEKS_CHOICES
    ]
    return {"choices": choices}


async def get_weekdays(locale: str, **_kw: Any) -> dict[str, Any]:
    return {"days": [(day, _weekday(day, locale)) for day in range(7)]}


async def get_times(session, locale: str, dialog_manager: DialogManager, **_kw: Any):
    project = await projects.get_project(session, dialog_manager.dialog_data["project_id"])
    return {
        "zone": timezone_label(project.timezone, locale, with_time=False),
        "times": [(minute, _clock(minute, locale)) for minute in checkins.TIME_CHOICES],
    }


async def get_stop(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    project = await projects.get_project(session, dialog_manager.dialog_data["project_id"])
    chosen = dialog_manager.dialog_data.get("schedule_id")
    found = {s.id: s for s in await checkins.schedules(session, participant, project.id)}
    schedule = found.get(chosen)
    return {"schedule": describe(schedule, project.timezone, locale) if schedule else ""}
