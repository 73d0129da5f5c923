"""What each broadcast window shows. Getters only read (the audience, the draft, the outbox)."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram_dialog import DialogManager
from babel.dates import format_skeleton, format_time, get_datetime_format
from babel.numbers import format_decimal

from bot.i18n import babel_locale
from bot.services import broadcasts
from bot.services.broadcasts import Draft, VersionState
from bot.services.delivery import delivery_progress, delivery_report, zone
from dialogs.common import (
    clock,
    language_name,
    timezone_label,
    version_button,
    version_lines,
)
from storage import audience, projects
from storage.models import Role
from storage.types import utcnow

CHOSEN = "✓ "
# Shown under "type the version": enough to recall the message, never over Telegram's limit.
ORIGINAL_SHOWN = 600
ALL = "all"


def number(value: int, locale: str) -> str:
    return format_decimal(value, locale=babel_locale(locale))


def moment(when: datetime, timezone: str, locale: str) -> str:
    """A date and time in the project's zone, the reader's way: "Tue, 1 Dec 2026, 18:00"."""
    tz = zone(timezone, "Europe/London")
    babel = babel_locale(locale)
    day = format_skeleton("yMMMEd", when, tzinfo=tz, locale=babel)
    time_of_day = format_time(when, "short", tzinfo=tz, locale=babel)
    shown = get_datetime_format("medium", locale=babel).format(time_of_day, day)
    city = timezone_label(getattr(tz, "key", "Europe/London"), locale, with_time=False)
    return f"{shown} ({city})"


def role_name(role: Role) -> str:
    return {
        Role.PARTICIPANT: _("Participants"),
        Role.FACILITATOR: _("Facilitators"),
        Role.COORDINATOR: _("Coordinators"),
    }[role]


def draft_of(manager: DialogManager) -> Draft | None:
    return Draft.from_data(manager.dialog_data.get("draft"))


def query_of(manager: DialogManager) -> audience.AudienceQuery:
    data = manager.dialog_data
    return broadcasts.audience_query(
        data["project_id"],
        data.get("role"),
        data.get("language"),
        poll_id=data.get("poll_id"),
        offer_id=data.get("offer_id"),
    )


def send_at_of(manager: DialogManager) -> datetime | None:
    value = manager.dialog_data.get("send_at")
    return datetime.fromisoformat(value) if value else None


async def get_projects(session, participant, **_kw: Any) -> dict[str, Any]:
    found = await broadcasts.projects_to_broadcast(session, participant)
    return {"projects": [(project.id, project.name) for project in found]}


async def get_audience(
    session, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    query = query_of(dialog_manager)
    project = await projects.get_project(session, query.project_id)
    people = await audience.count(session, query)
    by_role = await audience.count_by_role(session, query)
    by_language = await audience.count_by_language(session, query)
    role_total, language_total = sum(by_role.values()), sum(by_language.values())

    def mark(chosen: bool, label: str) -> str:
        return CHOSEN + label if chosen else label

    everyone = _("All roles: {count}").format(count=number(role_total, locale))
    roles = [(ALL, mark(query.role is None, everyone))]
    for role in Role:
        if by_role.get(role) or query.role == role:
            label = _("{role}: {count}").format(
                role=role_name(role), count=number(by_role.get(role, 0), locale)
            )
            roles.append((role.value, mark(query.role == role, label)))
    every_language = _("All languages: {count}").format(count=number(language_total, locale))
    languages = [(ALL, mark(query.language is None, every_language))]
    for code, count in sorted(by_language.items(), key=lambda item: (-item[1], item[0])):
        label = _("{language}: {count}").format(
            language=language_name(code), count=number(count, locale)
        )
        languages.append((code, mark(query.language == code, label)))
    summary = ngettext(
        "{count} person in {project} will get it.",
        "{count} people in {project} will get it.",
        people,
    ).format(count=number(people, locale), project=project.name if project else "")
    polls = dict(await broadcasts.polls_to_choose(session, query.project_id))
    offers = dict(await broadcasts.offers_to_choose(session, query.project_id, locale))
    group = _chosen_group(query, polls, offers)
    if group:
        summary = f"{summary}\n{group}"
    return {
        "summary": summary,
        "nobody": people == 0,
        "somebody": people > 0,
        "roles": roles,
        "languages": languages,
        "has_polls": bool(polls),
        "has_offers": bool(offers),
        "narrowed": query.poll_id is not None or query.offer_id is not None,
        "has_scheduled": bool(await _scheduled(session, dialog_manager)),
    }


def _chosen_group(
    query: audience.AudienceQuery, polls: dict[int, str], offers: dict[int, str]
) -> str | None:
    """Says "only the people who answered the poll ..." when the audience is narrowed to one."""
    if query.poll_id is not None:
        return _("Only people who answered the poll: {title}").format(
            title=polls.get(query.poll_id, "")
        )
    if query.offer_id is not None:
        return _("Only people who asked for: {title}").format(title=offers.get(query.offer_id, ""))
    return None


async def get_polls(session, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    project_id = dialog_manager.dialog_data["project_id"]
    return {"polls": await broadcasts.polls_to_choose(session, project_id)}


async def get_offers(
    session, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    project_id = dialog_manager.dialog_data["project_id"]
    return {"offers": await broadcasts.offers_to_choose(session, project_id, locale)}


async def get_compose(locale: str, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    return {
        "language": language_name(locale),
        "has_draft": draft_of(dialog_manager) is not None,
    }


async def get_versions(
    session, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    assert draft is not None
    query = query_of(dialog_manager)
    by_language = await audience.count_by_language(session, query)
    if query.language is not None:  # the counts ignore the language chosen: keep only it
        by_language = {query.language: by_language.get(query.language, 0)}
    language_lines = broadcasts.language_lines(draft, by_language)
    lines = version_lines(language_lines, draft.source_locale, locale)
    buttons = [
        version_button(line.locale, line.state == VersionState.OWN)
        for line in language_lines
        if line.state != VersionState.ORIGINAL
    ]
    return {"lines": "\n".join(lines), "version_buttons": buttons, "can_add": bool(buttons)}


async def get_version_text(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    assert draft is not None
    locale = dialog_manager.dialog_data["version_locale"]
    original = draft.original
    if len(original) > ORIGINAL_SHOWN:
        original = original[:ORIGINAL_SHOWN].rstrip() + "…"
    return {
        "language": language_name(locale),
        "original": original,
        "has_media": draft.has_media,
        "has_version": bool(draft.texts.get(locale)),
    }


async def get_preview(locale: str, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    assert draft is not None
    shown = dialog_manager.dialog_data.get("preview_locale") or draft.source_locale
    others = [
        (code, _("Show the {language} version").format(language=language_name(code)))
        for code, text in sorted(draft.texts.items())
        if text and code != shown
    ]
    return {"language": language_name(shown), "other_versions": others}


async def get_when(
    session, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    project = await projects.get_project(session, dialog_manager.dialog_data["project_id"])
    zone = project.timezone if project else "Europe/London"
    return {
        "zone": timezone_label(zone, locale, with_time=False),
        "choices": [
            ("hour", _("In 1 hour")),
            (
                "tomorrow",
                _("Tomorrow at {time}").format(time=clock(broadcasts.TOMORROW_AT, locale)),
            ),
        ],
    }


async def get_confirm(
    session, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    query = query_of(dialog_manager)
    project = await projects.get_project(session, query.project_id)
    people = await audience.count(session, query)
    send_at = send_at_of(dialog_manager)
    values = {"count": number(people, locale), "project": project.name if project else ""}
    if send_at is None:
        question = ngettext(
            "Send it now to {count} person in {project}?",
            "Send it now to {count} people in {project}?",
            people,
        ).format(**values)
    else:
        question = ngettext(
            "Send it on {when} to {count} person in {project}?",
            "Send it on {when} to {count} people in {project}?",
            people,
        ).format(when=moment(send_at, project.timezone if project else "", locale), **values)
    return {"question": question, "somebody": people > 0, "nobody": people == 0}


async def get_progress(
    session, locale: str, delivery, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    message_id = dialog_manager.dialog_data["message_id"]
    progress = await delivery_progress(session, message_id, delivery.pacer.rate)
    send_at = send_at_of(dialog_manager)
    later = send_at is not None and send_at > utcnow() and progress.sent == 0
    result: dict[str, Any] = {"later": later, "now": not later, "when": "", "eta": ""}
    result["sent"] = ngettext(
        "{sent} of {total} sent.", "{sent} of {total} sent.", progress.total
    ).format(sent=number(progress.sent, locale), total=number(progress.total, locale))
    if later:
        project = await projects.get_project(session, dialog_manager.dialog_data["project_id"])
        result["when"] = moment(send_at, project.timezone if project else "", locale)
    elif progress.eta_seconds is not None:
        minutes = math.ceil(progress.eta_seconds / 60)
        result["eta"] = (
            _("Less than a minute left.")
            if progress.eta_seconds < 60
            else ngettext(
                "About {count} minute left.", "About {count} minutes left.", minutes
            ).format(count=number(minutes, locale))
        )
    return result


async def get_report(
    session, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    report = await delivery_report(session, dialog_manager.dialog_data["message_id"])
    # Every figure of the report (all counts), in the reader's digits.
    figures = {
        field.name: number(getattr(report, field.name), locale)
        for field in dataclasses.fields(report)
    }
    figures["waiting"] = bool(report.quiet_hours or report.paused or report.over_cap)
    figures["any_resent"] = report.resent > 0
    return figures


# -- messages waiting for their time -------------------------------------------------------------

SNIPPET = 40  # of the words, on a button


async def _scheduled(session, manager: DialogManager) -> list[broadcasts.Scheduled]:
    participant = manager.middleware_data["participant"]
    project_id = manager.dialog_data["project_id"]
    return await broadcasts.scheduled(session, participant, project_id, utcnow())


def _snippet(text: str, limit: int = SNIPPET) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def get_scheduled(
    session, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    found = await _scheduled(session, dialog_manager)
    project = await projects.get_project(session, dialog_manager.dialog_data["project_id"])
    timezone = project.timezone if project else "Europe/London"
    items = [
        (item.message_id, f"{moment(item.send_at, timezone, locale)}: {_snippet(item.text)}")
        for item in found
    ]
    return {"scheduled": items, "nothing": not items}


async def get_cancel_scheduled(
    session, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    chosen = dialog_manager.dialog_data.get("scheduled_id")
    found = {item.message_id: item for item in await _scheduled(session, dialog_manager)}
    item = found.get(chosen)
    if item is None:
        return {"waiting": False, "gone": True, "about": ""}
    project = await projects.get_project(session, dialog_manager.dialog_data["project_id"])
    when = moment(item.send_at, project.timezone if project else "Europe/London", locale)
    about = ngettext(
        "It goes on {when} to {count} person:", "It goes on {when} to {count} people:", item.people
    ).format(when=when, count=number(item.people, locale))
    shown = item.text if len(item.text) <= ORIGINAL_SHOWN else item.text[:ORIGINAL_SHOWN] + "…"
    return {"waiting": True, "gone": False, "about": f"{about}\n{shown}"}
