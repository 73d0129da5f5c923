"""When someone may be sent something they did not ask for: pause, quiet hours, the weekly cap.

Pure rules over plain values: the engine (bot/delivery) asks them about each recipient just
before sending, and storage/outbox.py fetches the figures they need.

The weekly cap is a *rolling* seven days (not a calendar week): nobody gets a Monday burst after
a quiet Sunday, and it means the same in every time zone. Priorities under the cap: a reminder
for a meeting someone said yes to is never held back by the cap (they asked for the meeting),
but it counts, so it pushes out lesser messages; then "we did" updates about their own feedback
(and thank-yous), then broadcasts, then check-ins (and nudges). A message of lower priority
only uses room that waiting messages of higher priority leave free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SUPPORTED_LOCALES
from storage import outbox, participants, projects
from storage.models import CheckinSchedule, DeliveryState, OutboxKind, Participant

CAP_WINDOW = timedelta(days=7)
# An open-ended pause has no end to wait for: look again this often (resuming also wakes it).
PAUSE_RECHECK = timedelta(hours=1)

PRIORITY: dict[OutboxKind, int] = {
    OutboxKind.REMINDER: 0,
    OutboxKind.WE_DID: 1,
    OutboxKind.ANSWER: 1,
    OutboxKind.THANKS: 1,
    OutboxKind.BROADCAST: 2,
    OutboxKind.NUDGE: 3,
    OutboxKind.CHECKIN: 3,
}
# What answers the person: news of a meeting they said yes to, a "we did" on their own feedback
# (and each change of its status), news of what they asked for. The weekly cap is for what we
# send unasked, so it never holds these back (they still count towards it). Quiet hours and a
# pause still do: pause means pause. This is the one place that says so.
ANSWERS_YOU: frozenset[OutboxKind] = frozenset(
    {OutboxKind.REMINDER, OutboxKind.WE_DID, OutboxKind.ANSWER}
)


def capped(kind: OutboxKind | str) -> bool:
    """Whether the weekly cap may hold a message of this kind back."""
    return kind not in ANSWERS_YOU


class Reason:
    """Why a delivery is not (yet) sent; also the report's categories."""

    QUIET_HOURS = "quiet_hours"
    PAUSED = "paused"
    OVER_CAP = "over_cap"
    RETRY = "retry"
    BLOCKED = "blocked"
    BAD_REQUEST = "bad_request"
    GAVE_UP = "gave_up"  # transient errors, max attempts reached (before may_have_arrived)
    # Tries used up, and Telegram never told us how one ended (a 5xx, a dropped connection, a
    # timeout, a crash mid-send): it may well have arrived. The report says so, not "failed".
    MAY_HAVE_ARRIVED = "may_have_arrived"
    CANNOT_RENDER = "cannot_render"  # e.g. a text key no catalog knows
    EXPIRED = "expired"  # its moment passed before they could get it (quiet hours, the cap ...)
    CANCELLED = "cancelled"  # staff cancelled it before its time
    # Sent, but an earlier try got no answer (its engine stopped mid-send, or Telegram did not
    # answer): they may have it twice. The report says so rather than hide it.
    RESENT = "resent"


@dataclass(frozen=True)
class Recipient:
    """What the rules need to know about a person, as plain values."""

    participant_id: int
    telegram_id: int
    locale: str | None = None
    timezone: str | None = None
    messages_per_week: int = 3
    quiet_start: int | None = None
    quiet_end: int | None = None
    paused_at: datetime | None = None
    paused_until: datetime | None = None
    unreachable_since: datetime | None = None


@dataclass(frozen=True)
class Hold:
    """Not now: why, and when to look again (UTC)."""

    reason: str
    until: datetime


def zone(name: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def is_paused(person: Recipient, now: datetime) -> bool:
    if person.paused_at is None:
        return False
    return person.paused_until is None or person.paused_until > now


def quiet_hours_end(person: Recipient, now: datetime, default_timezone: str) -> datetime | None:
    """If `now` falls in their quiet hours (in their own zone), the UTC moment they end."""
    start, end = person.quiet_start, person.quiet_end
    if start is None or end is None or start == end:
        return None
    tz = zone(person.timezone, default_timezone)
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    if start < end:
        inside, end_day = start <= minute < end, local.date()
    else:  # wraps midnight, e.g. 22:00-07:00
        inside = minute >= start or minute < end
        end_day = local.date() + timedelta(days=1) if minute >= start else local.date()
    if not inside:
        return None
    return local_time_to_utc(end_day, end, tz)


def local_time_to_utc(day: date, minute_of_day: int, tz: ZoneInfo) -> datetime:
    """A wall-clock time on a day in a zone, as UTC. A time skipped by a DST change counts as
    the same wall time before the change (01:30 on the spring-forward night becomes 02:30)."""
    wall = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), tzinfo=tz)
    return wall.astimezone(UTC)


def next_allowed_time(person: Recipient, now: datetime, default_timezone: str) -> Hold | None:
    """None if they may be messaged now; otherwise why not and when to look again.
    (The weekly cap needs their history: see `cap_hold`.)"""
    if is_paused(person, now):
        until = person.paused_until or now + PAUSE_RECHECK
        return Hold(Reason.PAUSED, until)
    quiet_end = quiet_hours_end(person, now, default_timezone)
    if quiet_end is not None:
        return Hold(Reason.QUIET_HOURS, quiet_end)
    return None


@dataclass
class CapUsage:
    """One person's unprompted messages: those sent in the window, and those waiting."""

    sent_at: list[datetime]
    waiting_by_priority: dict[int, int]

    def record_sent(self, when: datetime) -> None:
        self.sent_at.append(when)


def cap_hold(
    kind: OutboxKind | str,
    priority: int,
    cap: int,
    usage: CapUsage,
    now: datetime,
    window: timedelta = CAP_WINDOW,
) -> Hold | None:
    """None if a message of this kind and priority may go now under the weekly cap."""
    if not capped(kind):
        return None
    recent = sorted(t for t in usage.sent_at if t > now - window)
    ahead = sum(n for p, n in usage.waiting_by_priority.items() if p < priority)
    if len(recent) + ahead < cap:
        return None
    # Room frees up when the oldest message in the window ages out (or in a day, if the
    # room is taken by waiting higher-priority messages rather than sent ones).
    until = recent[0] + window if recent else now + timedelta(days=1)
    return Hold(Reason.OVER_CAP, max(until, now + timedelta(minutes=1)))


def retry_delay(attempts: int, base: float = 2.0, ceiling: float = 300.0) -> timedelta:
    """Exponential backoff after a transient error: 2 s, 4 s, 8 s ... at most 5 minutes."""
    return timedelta(seconds=min(ceiling, base ** max(1, attempts)))


def choose_text(texts: dict[str, str], locale: str, source_locale: str) -> str:
    """Their language's version, or else the original the message was written in."""
    return texts.get(locale) or texts.get(source_locale) or next(iter(texts.values()), "")


# -- recurring check-ins -----------------------------------------------------------------------


def next_checkin(
    after: datetime,
    *,
    first_on: date,
    every_weeks: int,
    weekday: int,
    minute_of_day: int,
    timezone: str,
) -> datetime:
    """The first occurrence strictly after `after` (UTC) of "every N weeks on `weekday` at
    `minute_of_day`, local time, counting from `first_on`". Wall-clock time is kept across
    DST changes: 18:00 in London is 18:00 UTC in winter and 17:00 UTC in summer."""
    if every_weeks < 1:
        raise ValueError("every_weeks must be at least 1")
    tz = ZoneInfo(timezone)
    anchor = first_on + timedelta(days=(weekday - first_on.weekday()) % 7)
    local_day = max(after.astimezone(tz).date(), anchor)
    # Step back to the last occurrence day on or before local_day, then walk forward.
    weeks = (local_day - anchor).days // 7
    day = anchor + timedelta(weeks=weeks - weeks % every_weeks)
    while True:
        moment = local_time_to_utc(day, minute_of_day, tz)
        if moment > after:
            return moment
        day += timedelta(weeks=every_weeks)


# -- progress and the report -------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryReport:
    """Where every recipient of one message stands. The figures add up to `total`."""

    total: int
    sent: int
    blocked: int
    failed: int
    quiet_hours: int
    paused: int
    over_cap: int
    queued: int  # pending, being sent, or waiting to retry after a transient error
    may_have_arrived: int = 0  # tries used up and the outcome of one unknown: not "failed"
    resent: int = 0  # of `sent`: sent again after a try that got no answer, so perhaps twice

    @property
    def finished(self) -> bool:
        return self.queued == 0 and self.quiet_hours == 0 and self.paused == 0 and not self.over_cap

    @classmethod
    def from_counts(cls, counts: dict[tuple[str, str | None], int]) -> DeliveryReport:
        """From {(state, reason): count}."""
        figures = dict.fromkeys(
            (
                "sent",
                "blocked",
                "failed",
                "may_have_arrived",
                "quiet_hours",
                "paused",
                "over_cap",
                "queued",
            ),
            0,
        )
        resent = 0
        for (state, reason), n in counts.items():
            if state == DeliveryState.SENT:
                figures["sent"] += n
                resent += n if reason == Reason.RESENT else 0
            elif state == DeliveryState.BLOCKED:
                figures["blocked"] += n
            elif state == DeliveryState.FAILED and reason == Reason.MAY_HAVE_ARRIVED:
                figures["may_have_arrived"] += n
            elif state == DeliveryState.FAILED:
                figures["failed"] += n
            elif state == DeliveryState.DEFERRED and reason in (
                Reason.QUIET_HOURS,
                Reason.PAUSED,
                Reason.OVER_CAP,
            ):
                figures[reason] += n
            else:
                figures["queued"] += n
        return cls(total=sum(counts.values()), resent=resent, **figures)


@dataclass(frozen=True)
class Progress:
    sent: int
    total: int
    eta_seconds: float | None  # None when nothing is queued to go now


def progress_of(report: DeliveryReport, rate_per_second: float) -> Progress:
    eta = report.queued / rate_per_second if report.queued and rate_per_second > 0 else None
    return Progress(sent=report.sent, total=report.total, eta_seconds=eta)


# -- what the rest of the bot calls ------------------------------------------------------------
# (the facilitator's broadcast dialog, the scheduler's sweeps; each commits its own session)


class InvalidMessage(ValueError):
    pass


async def enqueue_message(
    session: AsyncSession,
    *,
    kind: OutboxKind,
    recipients: list[int],
    now: datetime,
    source_locale: str,
    texts: dict[str, str] | None = None,
    text_key: str | None = None,
    send_at: datetime | None = None,
    project_id: int | None = None,
    created_by: int | None = None,
    photo_file_id: str | None = None,
    document_file_id: str | None = None,
    action: str | None = None,
    expires_at: datetime | None = None,
) -> int:
    """Queue one message for these participants (ids), now or at `send_at` (UTC); its id.
    Wake the engine after committing (`DeliveryEngine.wake()`) to start at once."""
    if text_key is None and not (texts and texts.get(source_locale)):
        raise InvalidMessage("the message needs a text in its source language")
    if photo_file_id and document_file_id:
        raise InvalidMessage("a photo or a document, not both")
    message = await outbox.create_message(
        session,
        kind=kind,
        priority=PRIORITY[kind],
        recipients=recipients,
        source_locale=source_locale,
        texts=texts,
        text_key=text_key,
        send_at=send_at if send_at and send_at > now else now,
        project_id=project_id,
        created_by=created_by,
        photo_file_id=photo_file_id,
        document_file_id=document_file_id,
        action=action,
        expires_at=expires_at,
    )
    assert message.id is not None
    return message.id


def every_language(render: Callable[[str], str]) -> dict[str, str]:
    """A message's words in every language we speak, so the engine picks the reader's language
    when it sends, not when it was queued: someone who changes language in between reads it
    all in their new one, the words and the buttons under them."""
    return {locale: render(locale) for locale in SUPPORTED_LOCALES}


async def enqueue_per_person(
    session: AsyncSession,
    *,
    kind: OutboxKind,
    recipients: list[int],
    now: datetime,
    project_id: int,
    render: Callable[[str, ZoneInfo], str],
    send_at: datetime | None = None,
    created_by: int | None = None,
    document_file_id: str | None = None,
    action: str | None = None,
    default_locale: str = "en",
    expires_at: datetime | None = None,
) -> list[int]:
    """Queue a message whose words depend on each person's time zone (a meeting time, a
    deadline) and language: one outbox message per zone, holding `render(locale, zone)` for
    every language, so each person gets it in the language they have when it is sent. Returns
    the message ids."""
    project = await projects.get_project(session, project_id)
    if project is None:
        raise InvalidMessage(f"no project {project_id}")
    source = project.default_locale or default_locale
    groups: dict[str, list[int]] = {}
    for person_id, _locale, timezone in await participants.languages_and_zones(session, recipients):
        groups.setdefault(timezone or project.timezone, []).append(person_id)
    ids = []
    for timezone, members in sorted(groups.items()):
        tz = zone(timezone, project.timezone)
        texts = every_language(lambda locale, tz=tz: render(locale, tz))
        if source not in texts:
            texts[source] = render(source, tz)
        ids.append(
            await enqueue_message(
                session,
                kind=kind,
                recipients=members,
                now=now,
                source_locale=source,
                texts=texts,
                send_at=send_at,
                project_id=project_id,
                created_by=created_by,
                document_file_id=document_file_id,
                action=action,
                expires_at=expires_at,
            )
        )
    return ids


async def delivery_report(session: AsyncSession, message_id: int) -> DeliveryReport:
    return DeliveryReport.from_counts(await outbox.delivery_counts(session, message_id))


async def delivery_progress(
    session: AsyncSession, message_id: int, rate_per_second: float
) -> Progress:
    return progress_of(await delivery_report(session, message_id), rate_per_second)


@dataclass(frozen=True)
class Waiting:
    """Of a message's recipients, how many will get it later, and why (what staff are told)."""

    paused: int = 0
    quiet_hours: int = 0
    over_cap: int = 0

    @property
    def total(self) -> int:
        return self.paused + self.quiet_hours + self.over_cap


def recipient_of(person: Participant) -> Recipient:
    """What the rules need to know of a participant row (the engine's view, and ours)."""
    assert person.id is not None
    return Recipient(
        participant_id=person.id,
        telegram_id=person.telegram_id,
        locale=person.locale,
        timezone=person.timezone,
        messages_per_week=person.messages_per_week,
        quiet_start=person.quiet_start,
        quiet_end=person.quiet_end,
        paused_at=person.paused_at,
        paused_until=person.paused_until,
        unreachable_since=person.unreachable_since,
    )


async def waiting(
    session: AsyncSession,
    *,
    now: datetime,
    default_timezone: str,
    message_ids: list[int] | None = None,
    action: str | None = None,
) -> Waiting:
    """Who will not get these messages now, and why: the engine's own rules (pause, quiet
    hours, the weekly cap for what does not answer them) applied to each open delivery."""
    rows = await outbox.open_deliveries(session, message_ids=message_ids, action=action)
    people = list({person.id for *_rest, person in rows})
    sent = await outbox.sent_since(session, people, now - CAP_WINDOW)
    queued = await outbox.waiting_by_priority(session, people, now + CAP_WINDOW)
    counts = {Reason.PAUSED: 0, Reason.QUIET_HOURS: 0, Reason.OVER_CAP: 0}
    seen: set[int] = set()
    for kind, priority, _state, _reason, person in rows:
        if person.id in seen:  # two messages waiting for them (an update and its change)
            continue
        seen.add(person.id)
        recipient = recipient_of(person)
        usage = CapUsage(list(sent.get(person.id, [])), dict(queued.get(person.id, {})))
        hold = next_allowed_time(recipient, now, default_timezone) or cap_hold(
            kind, priority, recipient.messages_per_week, usage, now
        )
        if hold is not None and hold.reason in counts:
            counts[hold.reason] += 1
    return Waiting(
        paused=counts[Reason.PAUSED],
        quiet_hours=counts[Reason.QUIET_HOURS],
        over_cap=counts[Reason.OVER_CAP],
    )


async def resume_deliveries(session: AsyncSession, participant_id: int, now: datetime) -> int:
    """Someone resumed or changed their quiet hours: look at what waits for them again now."""
    return await outbox.wake_participant(session, participant_id, now)


CHECKIN_STARTS = ("pulse", "feedback")


async def add_checkin_schedule(
    session: AsyncSession,
    *,
    project_id: int,
    timezone: str,
    start: str,
    every_weeks: int,
    weekday: int,
    minute_of_day: int,
    first_on: date,
    now: datetime,
) -> CheckinSchedule:
    if start not in CHECKIN_STARTS:
        raise ValueError(f"a check-in starts one of {CHECKIN_STARTS}")
    if not 0 <= weekday <= 6 or not 0 <= minute_of_day < 24 * 60:
        raise ValueError("weekday is 0-6 and minute_of_day 0-1439")
    first = next_checkin(
        now,
        first_on=first_on,
        every_weeks=every_weeks,
        weekday=weekday,
        minute_of_day=minute_of_day,
        timezone=timezone,
    )
    return await outbox.add_checkin_schedule(
        session,
        project_id=project_id,
        start=start,
        every_weeks=every_weeks,
        weekday=weekday,
        minute_of_day=minute_of_day,
        first_on=first_on,
        next_run_at=first,
    )


def checkin_text_key(start: str) -> str:
    return f"checkin_{start}"


async def run_due_checkins(session: AsyncSession, now: datetime) -> list[int]:
    """Queue a check-in for each project whose time has come and move its schedule on, in the
    caller's transaction: committed together, so a restart neither loses nor doubles one.
    Occurrences missed while the bot was down run once, not once per missed week."""
    queued = []
    for schedule, project in await outbox.due_checkins(session, now):
        members = await projects.member_ids(session, project.id)
        if members:
            queued.append(
                await enqueue_message(
                    session,
                    kind=OutboxKind.CHECKIN,
                    recipients=members,
                    now=now,
                    source_locale=project.default_locale,
                    text_key=checkin_text_key(schedule.start),
                    project_id=project.id,
                    action=f"checkin:{schedule.start}:{project.id}",
                )
            )
        schedule.next_run_at = next_checkin(
            now,
            first_on=schedule.first_on,
            every_weeks=schedule.every_weeks,
            weekday=schedule.weekday,
            minute_of_day=schedule.minute_of_day,
            timezone=project.timezone,
        )
        session.add(schedule)
    await session.flush()
    return queued
