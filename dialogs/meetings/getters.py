"""What the meetings windows show: a participant's open polls and next meetings; for staff,
the live tally, who has not answered, access needs, the meeting, and who came."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram_dialog import DialogManager

from bot.services import meetings
from bot.services.team_texts import place_for, title_for
from dialogs.availability.getters import need_label
from dialogs.common import timezone_label
from storage import meetings as store
from storage import projects
from storage.models import MeetingStatus
from storage.types import utcnow


async def _zone(session, participant, project_id: int):
    return meetings.zone_of(participant, await projects.get_project(session, project_id))


# -- a participant's own meetings ------------------------------------------------------------------


async def get_my_meetings(session, participant, locale: str, **_kw: Any) -> dict[str, Any]:
    now = utcnow()
    polls = []
    for poll in await store.open_polls_for(session, participant.id, now):
        tz = await _zone(session, participant, poll.project_id)
        label = _("{title} (answer by {deadline})").format(
            title=title_for(poll, locale), deadline=meetings.when_text(poll.deadline, tz, locale)
        )
        polls.append((poll.id, label))
    lines = []
    toggles = []
    for meeting, notice in await store.upcoming_meetings_for(session, participant.id, now):
        tz = await _zone(session, participant, meeting.project_id)
        line = "• " + _("{title}: {when}").format(
            title=title_for(meeting, locale),
            when=meetings.when_text(meeting.starts_at, tz, locale, meeting.duration_minutes),
        )
        if place_for(meeting, locale):
            line += "\n  " + _("Where: {place}").format(place=place_for(meeting, locale))
        if notice.cant_come_at:
            line += "\n  " + _("You said you cannot come.")
            toggle = _("I can come to {title} after all").format(title=title_for(meeting, locale))
        else:
            toggle = _("I can't come to {title}").format(title=title_for(meeting, locale))
        lines.append(line)
        toggles.append((f"{meeting.id}:{int(bool(notice.cant_come_at))}", toggle))
    unnamed = not meetings.shown_name(participant)
    return {
        "polls": polls,
        "has_polls": bool(polls),
        "meetings": "\n".join(lines),
        "has_meetings": bool(lines),
        "toggles": toggles,
        "code": meetings.person_code(participant.id),
        "show_code": bool(lines) and unnamed,
        "nothing": not polls and not lines,
    }


# -- staff -----------------------------------------------------------------------------------------


def person_label(name: str | None, participant_id: int) -> str:
    """A name they let us use, else their stable code ("Person K7Q2")."""
    return name or _(meetings.PERSON_CODE).format(code=meetings.person_code(participant_id))


async def get_staff_list(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    now = utcnow()
    polls = []
    page = await meetings.polls_for_staff(
        session, participant, dialog_manager.dialog_data.get("poll_page", 0)
    )
    for poll, project in page.polls:
        tz = meetings.zone_of(participant, project)
        state = (
            _("open until {deadline}").format(
                deadline=meetings.when_text(poll.deadline, tz, locale)
            )
            if meetings.is_open(poll, now)
            else _("closed")
        )
        polls.append((poll.id, f"{title_for(poll, locale)} ({state})"))
    found = []
    for meeting in await meetings.meetings_for_staff(session, participant, now):
        tz = await _zone(session, participant, meeting.project_id)
        label = f"{title_for(meeting, locale)}: {meetings.when_text(meeting.starts_at, tz, locale)}"
        if meeting.status == MeetingStatus.CANCELLED:
            label += " " + _("(cancelled)")
        found.append((meeting.id, label))
    return {
        "polls": polls,
        "meetings": found,
        "has_polls": bool(polls),
        "has_meetings": bool(found),
        "has_older": page.has_older,
        "has_newer": page.page > 0,
    }


async def get_poll(session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any):
    summary = await meetings.summary(session, participant, dialog_manager.dialog_data["poll_id"])
    poll = summary.poll
    tz = await _zone(session, participant, poll.project_id)
    open_now = meetings.is_open(poll, utcnow())
    lines = []
    choices = []
    for number, slot in enumerate(summary.slots, 1):
        when = meetings.when_text(slot.starts_at, tz, locale, poll.duration_minutes)
        lines.append(f"{number}. {when}\n   ✅ {slot.yes}   🤔 {slot.if_need_be}   ❌ {slot.no}")
        if slot.starts_at > utcnow():
            choices.append((slot.slot_id, _("Choose {number}").format(number=number)))
    waiting = list(summary.waiting_names)
    if summary.waiting_unnamed:
        waiting.append(
            ngettext("{count} participant", "{count} participants", summary.waiting_unnamed).format(
                count=summary.waiting_unnamed
            )
        )
    needs = []
    for kind, names in summary.needs.items():
        named = ", ".join(name for name in names if name)
        line = f"• {need_label(kind)}: {len(names)}"
        needs.append(f"{line} ({named})" if named else line)
    needs += [f"  “{note}”" for note in summary.notes]
    return {
        "title": title_for(poll, locale),
        "state": (
            _("Answers close on {deadline}.").format(
                deadline=meetings.when_text(poll.deadline, tz, locale)
            )
            if open_now
            else _("Answers have closed.")
        ),
        "answered": _("Answered: {answered} of {asked}.").format(
            answered=summary.answered, asked=summary.asked
        ),
        "tally": "\n".join(lines),
        "waiting": ", ".join(waiting),
        "has_waiting": bool(waiting),
        "needs": "\n".join(needs),
        "has_needs": bool(needs),
        "choices": choices if summary.meeting is None else [],
        "can_close": open_now,
        "decided": summary.meeting is not None,
    }


async def get_decide(session, participant, locale: str, dialog_manager: DialogManager, **_kw):
    data = dialog_manager.dialog_data
    poll = await meetings.poll_for_staff(session, participant, data["poll_id"])
    slot = await store.get_slot(session, data["slot_id"])
    tz = await _zone(session, participant, poll.project_id)
    told = len(await store.available_for_slot(session, slot.id))
    return {
        "when": meetings.when_text(slot.starts_at, tz, locale, poll.duration_minutes),
        "title": title_for(poll, locale),
        "count": ngettext(
            "We will tell {count} person who said yes or if need be.",
            "We will tell {count} people who said yes or if need be.",
            told,
        ).format(count=told),
    }


async def _meeting(session, participant, dialog_manager: DialogManager):
    return await meetings.meeting_for_staff(
        session, participant, dialog_manager.dialog_data["meeting_id"]
    )


async def get_meeting(session, participant, locale: str, dialog_manager: DialogManager, **_kw):
    meeting = await _meeting(session, participant, dialog_manager)
    tz = await _zone(session, participant, meeting.project_id)
    now = utcnow()
    concerned = await meetings.meeting_people(session, participant, meeting.id)
    told = [p for p in concerned if p.told]
    cant = [person_label(p.name, p.participant_id) for p in concerned if p.cant_come]
    came = sum(1 for p in concerned if p.attended)
    scheduled = meeting.status == MeetingStatus.SCHEDULED
    return {
        "title": title_for(meeting, locale),
        "when": meetings.when_text(meeting.starts_at, tz, locale, meeting.duration_minutes),
        "place": place_for(meeting, locale),
        "has_place": bool(place_for(meeting, locale)),
        "cancelled": not scheduled,
        "told": ngettext(
            "{count} person was told the time.", "{count} people were told the time.", len(told)
        ).format(count=len(told)),
        "cant": ", ".join(cant),
        "has_cant": bool(cant),
        "came": came,
        "started": scheduled and meeting.starts_at <= now,
        "future": scheduled and meeting.starts_at > now,
    }


async def get_move(session, participant, locale: str, dialog_manager: DialogManager, **_kw):
    meeting = await _meeting(session, participant, dialog_manager)
    project = await projects.get_project(session, meeting.project_id)
    tz = await _zone(session, participant, meeting.project_id)
    now = utcnow()
    others = []
    if meeting.poll_id:
        for slot in await store.slots_of(session, meeting.poll_id):
            if slot.starts_at > now and slot.starts_at != meeting.starts_at:
                when = meetings.when_text(slot.starts_at, tz, locale, meeting.duration_minutes)
                others.append((slot.starts_at.isoformat(), when))
    zone = timezone_label(project.timezone if project else "Europe/London", locale, with_time=False)
    return {"zone": zone, "others": others}


async def get_cancel(session, participant, locale: str, dialog_manager: DialogManager, **_kw):
    meeting = await _meeting(session, participant, dialog_manager)
    tz = await _zone(session, participant, meeting.project_id)
    told = len(await store.notices_of(session, meeting.id))
    return {
        "title": title_for(meeting, locale),
        "when": meetings.when_text(meeting.starts_at, tz, locale),
        "count": ngettext(
            "We will tell the {count} person who was told the time.",
            "We will tell the {count} people who were told the time.",
            told,
        ).format(count=told),
    }


async def get_attendance(session, participant, locale: str, dialog_manager: DialogManager, **_kw):
    meeting = await _meeting(session, participant, dialog_manager)
    people = await meetings.meeting_people(session, participant, meeting.id)
    return {
        "title": title_for(meeting, locale),
        "people": [
            (
                p.participant_id,
                ("✅ " if p.attended else "▫️ ") + person_label(p.name, p.participant_id),
            )
            for p in people
        ],
        "nobody": not people,
    }
