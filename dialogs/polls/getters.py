"""What each window of "find a meeting time" shows. Getters only read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram_dialog import DialogManager
from babel.dates import format_date

from bot.i18n import babel_locale
from bot.services import meetings, team_texts
from bot.services.broadcasts import VersionState
from bot.services.delivery import zone
from bot.services.meetings import EVERYONE, PollDraft
from dialogs.common import clock, language_name, timezone_label, version_button, version_lines
from storage import audience, projects
from storage.models import Project, Role
from storage.types import utcnow

# Start times offered as buttons (minutes after midnight); any other time can be typed.
TIME_CHOICES = (9 * 60, 10 * 60, 11 * 60, 13 * 60, 14 * 60, 16 * 60, 17 * 60, 18 * 60, 19 * 60)


def draft_of(manager: DialogManager) -> PollDraft:
    draft = PollDraft.from_data(manager.dialog_data.get("draft"))
    assert draft is not None, "the draft is made when the project is chosen"
    return draft


async def project_of(manager: DialogManager) -> Project | None:
    session = manager.middleware_data["session"]
    return await projects.get_project(session, draft_of(manager).project_id)


def duration_label(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("{count} hour", "{count} hours", hours).format(count=hours)
    return ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes)


def slot_lines(draft: PollDraft, timezone: str, locale: str) -> list[str]:
    tz = zone(timezone, "Europe/London")
    return [
        meetings.when_text(moment, tz, locale, draft.duration_minutes)
        for moment in draft.slot_times
    ]


async def get_projects(session, participant, **_kw: Any) -> dict[str, Any]:
    found = await meetings.staff_projects(session, participant)
    return {"projects": [(project.id, project.name) for project in found]}


async def get_title(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    return {
        "title": draft_of(dialog_manager).title,
        "has_title": bool(draft_of(dialog_manager).title),
    }


async def get_place(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    place = draft_of(dialog_manager).place
    return {"place": place, "has_place": bool(place)}


async def get_day(locale: str, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    project = await project_of(dialog_manager)
    timezone = project.timezone if project else "Europe/London"
    return {
        "calendar_zone": timezone,
        "zone": timezone_label(timezone, locale, with_time=False),
        "count": len(draft.slots),
        "most": meetings.MAX_SLOTS,
        "has_slots": bool(draft.slots),
    }


async def get_time(locale: str, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    project = await project_of(dialog_manager)
    day = datetime.fromisoformat(dialog_manager.dialog_data["day"]).date()
    return {
        "day": format_date(day, "full", locale=babel_locale(locale)),
        "zone": timezone_label(
            project.timezone if project else "Europe/London", locale, with_time=False
        ),
        "times": [(str(minutes), clock(minutes, locale)) for minutes in TIME_CHOICES],
    }


async def get_slots(locale: str, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    project = await project_of(dialog_manager)
    lines = slot_lines(draft, project.timezone if project else "Europe/London", locale)
    return {
        "slots": "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1)),
        "remove": [
            (index, _("Remove {number}").format(number=index + 1)) for index in range(len(lines))
        ],
        "can_add": len(lines) < meetings.MAX_SLOTS,
        "enough": len(lines) >= meetings.MIN_SLOTS,
        "too_few": len(lines) < meetings.MIN_SLOTS,
        "least": meetings.MIN_SLOTS,
    }


async def get_durations(**_kw: Any) -> dict[str, Any]:
    return {"durations": [(m, duration_label(m)) for m in meetings.DURATION_CHOICES]}


def deadline_options(draft: PollDraft, timezone: str, now: datetime) -> list[datetime]:
    return meetings.deadline_choices(draft, timezone, now)


async def get_deadline(locale: str, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    project = await project_of(dialog_manager)
    timezone = project.timezone if project else "Europe/London"
    tz = zone(timezone, "Europe/London")
    choices = deadline_options(draft, timezone, utcnow())
    return {
        "zone": timezone_label(timezone, locale, with_time=False),
        "deadlines": [
            (moment.isoformat(), meetings.when_text(moment, tz, locale)) for moment in choices
        ],
    }


def role_label(role: str) -> str:
    return {
        EVERYONE: _("Everyone in the team"),
        Role.PARTICIPANT: _("Participants"),
        Role.FACILITATOR: _("Facilitators"),
        Role.COORDINATOR: _("Coordinators"),
    }[role]


async def get_audience(
    session, participant, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    query = audience.AudienceQuery(project_id=draft.project_id)
    by_role = await audience.count_by_role(session, query)
    # Whoever makes the poll is not asked (meetings.publish): count them out here too, so
    # these numbers are the ones the next screen and the sent poll say.
    if participant.id in await audience.member_ids(session, query):
        role = await projects.role_in(session, draft.project_id, participant.id)
        if role is not None and by_role.get(role):
            by_role[role] -= 1
    total = sum(by_role.values())
    items = [(EVERYONE, _("{who}: {count}").format(who=role_label(EVERYONE), count=total))]
    for role in Role:
        if by_role.get(role):
            items.append(
                (role.value, _("{who}: {count}").format(who=role_label(role), count=by_role[role]))
            )
    return {"audiences": items}


async def get_preview(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    project = await project_of(dialog_manager)
    asked = [
        pid
        for pid in await audience.member_ids(session, meetings.audience_query(draft))
        if pid != participant.id
    ]
    by_language = await audience.count_by_language(session, meetings.audience_query(draft))
    mine = participant.locale or (project.default_locale if project else "")
    if len(asked) < sum(by_language.values()) and by_language.get(mine):
        by_language[mine] -= 1  # the maker is not asked: the lines add up to "We will ask"
        by_language = {code: count for code, count in by_language.items() if count}
    lines, buttons = poll_version_lines(draft, by_language, locale)
    return {
        "slots": "\n".join(
            slot_lines(draft, project.timezone if project else "Europe/London", locale)
        ),
        "who": role_label(draft.audience),
        "count": len(asked),
        "somebody": bool(asked),
        "nobody": not asked,
        "languages": "\n".join(lines),
        "version_buttons": buttons,
        "can_add": bool(buttons),
    }


def poll_version_lines(
    draft: PollDraft, by_language: dict[str, int], locale: str
) -> tuple[list[str], list[tuple[str, str]]]:
    """Which languages get their own title and place, and which get the original instead
    (as the broadcast screen says it), with a button to write or change each version."""
    source = draft.source_locale or locale
    language_lines = team_texts.language_lines(source, set(draft.versions), by_language)
    buttons = [
        version_button(line.locale, line.state == VersionState.OWN)
        for line in language_lines
        if line.state != VersionState.ORIGINAL
    ]
    return version_lines(language_lines, source, locale), buttons


async def get_version(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    code = dialog_manager.dialog_data.get("version_locale", "")
    version = draft.versions.get(code, {})
    return {
        "language": language_name(code),
        "original": draft.title,
        "original_place": draft.place,
        "has_version": bool(version),
        "title": version.get(team_texts.TITLE, ""),
        "has_title": bool(version.get(team_texts.TITLE)),
        "place": version.get(team_texts.PLACE, ""),
        "has_place": bool(version.get(team_texts.PLACE)),
    }


async def get_published(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    count = dialog_manager.dialog_data.get("asked", 0)
    return {
        "summary": ngettext(
            "Sent. We asked {count} person.", "Sent. We asked {count} people.", count
        ).format(count=count)
    }
