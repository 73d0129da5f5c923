"""What a person answering a meeting poll sees: every time in their own zone and language."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager

from bot.services import meetings
from bot.services.team_texts import place_for, title_for
from dialogs.common import timezone_label
from storage import meetings as store
from storage import projects
from storage.models import AccessNeedKind, AnswerChoice
from storage.types import utcnow

MARKS = {
    None: "▫️",
    AnswerChoice.YES: "✅",
    AnswerChoice.IF_NEED_BE: "🤔",
    AnswerChoice.NO: "❌",
}
CHOSEN = "✓ "


def need_label(kind: AccessNeedKind) -> str:
    return {
        AccessNeedKind.TRAVEL: _("Help with travel"),
        AccessNeedKind.STEP_FREE: _("Step-free access"),
        AccessNeedKind.CARING: _("Caring duties"),
        AccessNeedKind.INTERPRETER: _("An interpreter or language support"),
        AccessNeedKind.ONLINE: _("I would rather join online"),
        AccessNeedKind.OTHER: _("Something else"),
    }[kind]


async def _poll_and_zone(session, participant, manager: DialogManager):
    poll = await store.get_poll(session, manager.dialog_data["poll_id"])
    project = await projects.get_project(session, poll.project_id) if poll else None
    return poll, meetings.zone_of(participant, project)


async def get_slots(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    poll, tz = await _poll_and_zone(session, participant, dialog_manager)
    answers = await store.answers_of(session, poll.id, participant.id)
    slots = [
        (
            slot.id,
            f"{MARKS[answers.get(slot.id)]} "
            + meetings.when_text(slot.starts_at, tz, locale, poll.duration_minutes),
        )
        for slot in await store.slots_of(session, poll.id)
    ]
    return {
        "title": title_for(poll, locale),
        "place": place_for(poll, locale),
        "has_place": bool(poll.place),
        "deadline": meetings.when_text(poll.deadline, tz, locale),
        "zone": timezone_label(str(tz), locale, with_time=False),
        "slots": slots,
    }


async def get_needs(session, participant, dialog_manager: DialogManager, **_kw: Any):
    chosen = await store.access_needs_of(
        session, dialog_manager.dialog_data["poll_id"], participant.id
    )
    return {
        "needs": [
            (kind.value, (CHOSEN if kind in chosen else "") + need_label(kind))
            for kind in AccessNeedKind
        ]
    }


async def get_note(**_kw: Any) -> dict[str, Any]:
    return {"limit": meetings.NOTE_MAX_LENGTH}


async def get_thanks(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    poll, tz = await _poll_and_zone(session, participant, dialog_manager)
    return {
        "deadline": meetings.when_text(poll.deadline, tz, locale),
        "open": meetings.is_open(poll, utcnow()),
    }


async def get_closed(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    poll, tz = await _poll_and_zone(session, participant, dialog_manager)
    return {
        "title": title_for(poll, locale),
        "deadline": meetings.when_text(poll.deadline, tz, locale),
    }
