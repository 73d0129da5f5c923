"""Calendar files (RFC 5545) for a decided meeting, so people can add it to their phone.

Times are written in UTC (DTSTART:...Z): every calendar app shows them in its own zone, with
no VTIMEZONE to get wrong. The UID stays the same for a meeting's life and SEQUENCE goes up on
each change, so calendars update the event they already have instead of adding a second one.

METHOD:PUBLISH, not REQUEST: the file is opened from Telegram on a phone, not from an email
invitation, and people answer in the bot ("I can't come now"), not by a calendar's RSVP. A
REQUEST asks calendars for a reply to its organiser (and without ATTENDEEs several apps refuse
it or show nothing). A cancellation is METHOD:CANCEL with STATUS:CANCELLED. iTIP (RFC 5546)
wants an ORGANIZER in both: the team, by name, at an address that can never receive mail
(".invalid", RFC 2606), so no calendar sends anything anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress

from storage.models import Meeting, MeetingStatus

PRODID = "-//Coproduce//Meetings//EN"
UID_DOMAIN = "coproduce.bot"
FILENAME = "meeting.ics"
ORGANIZER = "mailto:meetings@coproduce.invalid"


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}@{UID_DOMAIN}"


def meeting_ics(meeting: Meeting, *, team: str, now: datetime) -> bytes:
    """The meeting as a calendar file: a request, or a cancellation once it is cancelled."""
    cancelled = meeting.status == MeetingStatus.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", now.astimezone(UTC))
    start = meeting.starts_at.astimezone(UTC)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=meeting.duration_minutes))
    event.add("summary", f"{meeting.title} ({team})" if team else meeting.title)
    organizer = vCalAddress(ORGANIZER)
    organizer.params["cn"] = team or "Coproduce"
    event.add("organizer", organizer)
    place = meeting.place.strip()
    if place:
        event.add("location", place)
        if place.startswith(("https://", "http://")):
            event.add("url", place)
    event.add("sequence", meeting.sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
