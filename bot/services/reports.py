"""The weekly digest for a project's facilitators and coordinators: how many answered, the
rating trend (also as a chart), "we did" promises past their date, claims waiting, and who came
to meetings. Counts only: a digest never names anyone.

Every Monday at 09:00 in the project's zone a sweep queues it through the delivery engine, in
each reader's language and zone. What is due lives in the outbox: a digest is due when none
was queued for the project since this week's Monday 09:00, so a restart neither loses nor
doubles one. The engine sends photos by file id only, so the chart comes on a button: the
reader taps it and the bot draws and sends the chart as a reply. `coproduce report` writes the
same digest as files (Markdown and the PNG chart).

Texts go through a `Translate` function `(msgid, locale) -> text`: no aiogram here.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, format_percent
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import babel_locale
from bot.services import delivery
from storage import projects, sweeps
from storage import reports as store
from storage.models import OutboxKind, Project

Translate = Callable[[str, str], str]
DIGEST_WEEKDAY = 0  # Monday
DIGEST_MINUTE = 9 * 60  # 09:00 in the project's zone
TREND_WEEKS = 8
LISTED = 5  # promises and meetings listed by name; the rest are counted
ACTION = "digest"


def __(message: str) -> str:
    """Marks a message for the catalog; it is translated per reader when rendered."""
    return message


@dataclass(frozen=True)
class WeekRating:
    starts_on: date  # in the project's zone
    average: float | None
    answers: int


@dataclass(frozen=True)
class Promise:
    we_did: str
    owner: str
    due_on: date


@dataclass(frozen=True)
class Turnout:
    title: str
    starts_at: datetime
    came: int
    marked: int


@dataclass(frozen=True)
class Digest:
    project_id: int
    project_name: str
    timezone: str
    since: datetime  # UTC; the week the digest is about
    until: datetime
    feedback: int
    pulse: int
    answered: int  # participants who gave feedback or answered a check-in in the week
    participants: int  # participants of the project at the end of the week
    ratings: tuple[WeekRating, ...]  # oldest first; the last is the digest's week
    overdue: tuple[Promise, ...]
    claims_to_decide: int
    claims_to_give: int
    meetings: tuple[Turnout, ...]

    @property
    def response_rate(self) -> float | None:
        """The share of the project's participants who answered anything this week (gave
        feedback or answered a check-in); None while it has no participants."""
        return self.answered / self.participants if self.participants else None


def due_moment(now: datetime, timezone: str) -> datetime:
    """This week's digest moment (UTC): the last Monday 09:00 in the zone, at or before now."""
    tz = delivery.zone(timezone, "Europe/London")
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=(today.weekday() - DIGEST_WEEKDAY) % 7)
    moment = delivery.local_time_to_utc(monday, DIGEST_MINUTE, tz)
    return moment if moment <= now else moment - timedelta(weeks=1)


def digest_end(now: datetime, timezone: str) -> datetime:
    """The end (UTC) of the week the latest digest is about: the midnight that starts this
    week's digest Monday in the project's zone. The digest covers whole days before it."""
    tz = delivery.zone(timezone, "Europe/London")
    return delivery.local_time_to_utc(due_moment(now, timezone).astimezone(tz).date(), 0, tz)


async def build_digest(session: AsyncSession, project: Project, until: datetime) -> Digest:
    """The digest of the 7 days before `until` (UTC), with the rating trend of the weeks before.
    Weeks are counted in the project's calendar, so a clock change moves no boundary; weeks
    that ended before the project existed are left out of the trend."""
    tz = delivery.zone(project.timezone, "Europe/London")
    local_end = until.astimezone(tz)
    minute = local_end.hour * 60 + local_end.minute

    def week_start(weeks_back: int) -> datetime:
        day = local_end.date() - timedelta(weeks=weeks_back + 1)
        return delivery.local_time_to_utc(day, minute, tz)

    since = week_start(0)
    ratings = []
    for weeks_back in range(TREND_WEEKS - 1, -1, -1):
        start = week_start(weeks_back)
        end = week_start(weeks_back - 1) if weeks_back else until
        if weeks_back and end <= project.created_at:
            continue
        average, answers = await store.rating(session, project.id, start, end)
        ratings.append(WeekRating(start.astimezone(tz).date(), average, answers))
    claims = await store.open_claims(session, project.id)
    promises = await store.overdue_promises(session, project.id, local_end.date())
    turnout = await store.meeting_turnout(session, project.id, since, until)
    return Digest(
        project_id=project.id,
        project_name=project.name,
        timezone=project.timezone,
        since=since,
        until=until,
        feedback=await store.feedback_count(session, project.id, since, until),
        pulse=await store.pulse_count(session, project.id, since, until),
        answered=await store.people_who_answered(session, project.id, since, until),
        participants=await store.participants(session, project.id, until),
        ratings=tuple(ratings),
        overdue=tuple(Promise(p.we_did, p.owner, p.due_on) for p in promises),
        claims_to_decide=claims.get("requested", 0),
        claims_to_give=claims.get("approved", 0),
        meetings=tuple(Turnout(*row) for row in turnout),
    )


# -- words -----------------------------------------------------------------------------------------

TITLE = __("Weekly digest for {project}: {start} to {end}")
ANSWERS = __("Feedback: {feedback}. Check-in answers: {pulse}.")
RATE = __(
    "Response rate: {rate}. {answered} of {participants} participants "
    "gave feedback or answered a check-in."
)
NO_PARTICIPANTS = __("Nobody has joined as a participant yet.")
AVERAGE = __("Average rating: {average} out of 5 (the week before: {previous}).")
NO_AVERAGE = __("No ratings this week (the week before: {previous}).")
NO_RATING = __("no ratings")
PROMISES = __('"We did" promises past their date: {count}')
PROMISE = __("{what} (due {date}, {owner})")
PROMISE_NO_OWNER = __("{what} (due {date})")
MORE = __("and {count} more")
CLAIMS = __("Claims waiting: {decide} to decide, {give} to give.")
MEETINGS = __("Meetings this week:")
MEETING = __("{title}, {date}: {came} of {marked} marked as came")
MEETING_UNMARKED = __("{title}, {date}: nobody marked who came yet")
NO_MEETINGS = __("No meetings this week.")
CHART_HINT = __("Tap the button to see the rating trend as a chart.")
CHART_BUTTON = __("See the rating chart")
CHART_CAPTION = __("How {project} rated each week, out of 5.")
CHART_TITLE = __("{project}: average rating each week")
CHART_Y_AXIS = __("Average rating, from 1 (very bad) to 5 (very good)")
CHART_X_AXIS = __("Week starting. The small number is how many ratings.")
CHART_EMPTY = __("No ratings yet")


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def digest_lines(digest: Digest, translate: Translate, locale: str, tz: ZoneInfo) -> list[str]:
    """The digest as lines of plain text, in the reader's language and zone."""
    babel = babel_locale(locale)

    def t(msgid: str, **values) -> str:
        return translate(msgid, locale).format(**values)

    def day(value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = value.astimezone(tz).date()
        return format_date(value, "medium", locale=babel)

    def number(value: float) -> str:
        return format_decimal(value, format="#,##0.#", locale=babel)

    last_day = (digest.until - timedelta(seconds=1)).astimezone(tz).date()
    lines = [
        t(TITLE, project=digest.project_name, start=day(digest.since), end=day(last_day)),
        "",
        "• " + t(ANSWERS, feedback=number(digest.feedback), pulse=number(digest.pulse)),
    ]
    if digest.response_rate is None:
        lines.append("• " + t(NO_PARTICIPANTS))
    else:
        rate = format_percent(digest.response_rate, locale=babel)
        answered, participants = number(digest.answered), number(digest.participants)
        lines.append("• " + t(RATE, rate=rate, answered=answered, participants=participants))
    this_week = digest.ratings[-1]
    previous = digest.ratings[-2] if len(digest.ratings) > 1 else None

    def average(week: WeekRating | None) -> str:
        if week is None or week.average is None:
            return t(NO_RATING)
        return number(round(week.average, 1))

    if this_week.average is None:
        lines.append("• " + t(NO_AVERAGE, previous=average(previous)))
    else:
        lines.append("• " + t(AVERAGE, average=average(this_week), previous=average(previous)))
    lines.append("• " + t(PROMISES, count=number(len(digest.overdue))))
    for promise in digest.overdue[:LISTED]:
        what = _shorten(promise.we_did)
        template = PROMISE if promise.owner else PROMISE_NO_OWNER
        when = day(promise.due_on)
        lines.append("   – " + t(template, what=what, date=when, owner=promise.owner))
    if len(digest.overdue) > LISTED:
        lines.append("   – " + t(MORE, count=number(len(digest.overdue) - LISTED)))
    lines.append(
        "• " + t(CLAIMS, decide=number(digest.claims_to_decide), give=number(digest.claims_to_give))
    )
    if digest.meetings:
        lines.append("• " + t(MEETINGS))
        for meeting in digest.meetings[:LISTED]:
            title, when = _shorten(meeting.title, 60), day(meeting.starts_at)
            if meeting.marked:
                came, marked = number(meeting.came), number(meeting.marked)
                line = t(MEETING, title=title, date=when, came=came, marked=marked)
            else:
                line = t(MEETING_UNMARKED, title=title, date=when)
            lines.append("   – " + line)
        if len(digest.meetings) > LISTED:
            lines.append("   – " + t(MORE, count=number(len(digest.meetings) - LISTED)))
    else:
        lines.append("• " + t(NO_MEETINGS))
    return lines


def digest_text(digest: Digest, translate: Translate, locale: str, tz: ZoneInfo) -> str:
    """For Telegram: the lines, and where to find the chart."""
    lines = digest_lines(digest, translate, locale, tz)
    return "\n".join([*lines, "", translate(CHART_HINT, locale)])


def digest_markdown(digest: Digest, translate: Translate, locale: str, tz: ZoneInfo) -> str:
    """For `coproduce report`: the same digest as a Markdown file beside the chart."""
    title, _blank, *rest = digest_lines(digest, translate, locale, tz)
    body = [line.replace("• ", "- ", 1).replace("   – ", "  - ", 1) for line in rest]
    return "\n".join([f"# {title}", "", *body, "", "![](rating-trend.png)", ""])


# -- the chart -------------------------------------------------------------------------------------

CHART_SIZE = (900, 500)
RTL_LOCALES = frozenset({"ar"})
_INK, _GRID, _BAR, _QUIET = (40, 40, 40), (220, 220, 220), (46, 117, 182), (110, 110, 110)


def _english(message: str, _locale: str) -> str:
    return message


def rating_chart(digest: Digest, translate: Translate = _english, locale: str = "en") -> bytes:
    """A PNG bar chart of the average rating of each week (1 to 5), in the reader's language:
    a title, what each axis means, the week's first day in their words, and how many ratings
    each bar is made of. A week without ratings has a dash; a chart with none says so."""
    from PIL import Image, ImageDraw, features

    from bot import fonts

    babel = babel_locale(locale)
    # Arabic needs libraqm to join its letters and run right to left (Pillow wheels have it).
    rtl = locale in RTL_LOCALES and features.check("raqm")
    words = {"direction": "rtl", "language": "ar"} if rtl else {}

    def t(msgid: str, **values) -> str:
        return translate(msgid, locale).format(**values)

    width, height = CHART_SIZE
    left, right, top, bottom = 60, 30, 100, 90
    image = Image.new("RGB", CHART_SIZE, "white")
    draw = ImageDraw.Draw(image)
    title_font, text_font, small_font = fonts.font(22, bold=True), fonts.font(15), fonts.font(13)
    plot_height = height - top - bottom

    def fit(text: str, font, room: float) -> str:
        """The text, shortened with an ellipsis until it fits in `room` pixels."""
        while len(text) > 1 and font.getlength(text, **words) > room:
            text = text[:-2].rstrip() + "…"
        return text

    def y_of(value: float) -> float:
        return top + plot_height * (1 - value / 5)

    title = fit(t(CHART_TITLE, project=digest.project_name), title_font, width - 40)
    draw.text((width / 2, 20), title, fill=_INK, font=title_font, anchor="ma", **words)
    y_axis = fit(t(CHART_Y_AXIS), text_font, width - 40)
    draw.text((20, top - 36), y_axis, fill=_QUIET, font=text_font, anchor="ls", **words)
    for value in range(6):
        y = y_of(value)
        draw.line([(left, y), (width - right, y)], fill=_GRID if value else _INK, width=1)
        draw.text((left - 12, y), str(value), fill=_INK, font=text_font, anchor="rm")

    weeks = digest.ratings
    slot = (width - left - right) / max(len(weeks), 1)
    bar = min(slot * 0.6, 90)

    def day_label(day: date) -> str:
        long = format_skeleton("yMMMd", day, locale=babel)
        if small_font.getlength(long, **words) <= slot - 8:
            return long
        return fit(format_skeleton("MMMd", day, locale=babel), small_font, slot - 4)

    for index, week in enumerate(weeks):
        middle = left + (index + 0.5) * slot
        if week.average is not None:
            y = y_of(week.average)
            draw.rectangle([(middle - bar / 2, y), (middle + bar / 2, y_of(0))], fill=_BAR)
            value = format_decimal(week.average, format="0.0", locale=babel)
            draw.text((middle, y - 4), value, fill=_INK, font=text_font, anchor="md")
        else:
            draw.text((middle, y_of(0) - 4), "–", fill=_QUIET, font=text_font, anchor="md")
        draw.text(
            (middle, height - bottom + 10),
            day_label(week.starts_on),
            fill=_INK,
            font=small_font,
            anchor="ma",
            **words,
        )
        count = format_decimal(week.answers, locale=babel)
        draw.text((middle, height - bottom + 30), count, fill=_QUIET, font=small_font, anchor="ma")
    if not any(week.answers for week in weeks):
        empty = t(CHART_EMPTY)
        middle_y = y_of(2.5)
        draw.text((width / 2, middle_y), empty, fill=_QUIET, font=title_font, anchor="mm", **words)
    x_axis = fit(t(CHART_X_AXIS), text_font, width - 40)
    draw.text((width / 2, height - 22), x_axis, fill=_QUIET, font=text_font, anchor="ms", **words)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# -- the weekly sweep ----------------------------------------------------------------------------


def action_for(project_id: int) -> str:
    return f"{ACTION}:{project_id}"


async def queue_due_digests(session: AsyncSession, now: datetime, translate: Translate) -> int:
    """Queue this week's digest for every project that has staff and has not had it yet, in the
    caller's transaction. Returns how many projects got one."""
    queued = 0
    for project in await projects.all_projects(session):
        due = due_moment(now, project.timezone)
        if project.created_at >= due:
            continue  # a new project's first digest is next week's: this one would be empty
        if await store.digest_queued_since(session, project.id, action_for(project.id), due):
            continue
        staff = await store.staff_ids(session, project.id)
        if not staff:
            continue
        # Once per team and week even if two processes get here at the same moment: the
        # second waits on this key until the first commits, then skips.
        if not await sweeps.mark_once(session, f"digest:{project.id}:{due.date()}", now):
            continue
        digest = await build_digest(session, project, digest_end(now, project.timezone))
        await delivery.enqueue_per_person(
            session,
            kind=OutboxKind.NUDGE,
            recipients=staff,
            now=now,
            project_id=project.id,
            render=lambda locale, tz, digest=digest: digest_text(digest, translate, locale, tz),
            action=action_for(project.id),
            default_locale=project.default_locale,
        )
        queued += 1
    return queued
