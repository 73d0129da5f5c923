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

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import babel_locale
from bot.services import delivery
from storage import projects
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
    answered: int  # participants who gave feedback or a pulse answer
    participants: int
    ratings: tuple[WeekRating, ...]  # oldest first; the last is the digest's week
    overdue: tuple[Promise, ...]
    claims_to_decide: int
    claims_to_give: int
    meetings: tuple[Turnout, ...]

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.participants if self.participants else None


def due_moment(now: datetime, timezone: str) -> datetime:
    """This week's digest moment (UTC): the last Monday 09:00 in the zone, at or before now."""
    tz = delivery.zone(timezone, "Europe/London")
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=(today.weekday() - DIGEST_WEEKDAY) % 7)
    moment = delivery.local_time_to_utc(monday, DIGEST_MINUTE, tz)
    return moment if moment <= now else moment - timedelta(weeks=1)


async def build_digest(session: AsyncSession, project: Project, until: datetime) -> Digest:
    """The digest of the 7 days before `until` (UTC), with the rating trend of the weeks before."""
    tz = delivery.zone(project.timezone, "Europe/London")
    since = until - timedelta(weeks=1)
    ratings = []
    for weeks_back in range(TREND_WEEKS - 1, -1, -1):
        start = since - timedelta(weeks=weeks_back)
        average, answers = await store.rating(
            session, project.id, start, start + timedelta(weeks=1)
        )
        ratings.append(WeekRating(start.astimezone(tz).date(), average, answers))
    claims = await store.open_claims(session, project.id)
    promises = await store.overdue_promises(session, project.id, until.astimezone(tz).date())
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
        participants=await store.participants(session, project.id),
        ratings=tuple(ratings),
        overdue=tuple(Promise(p.we_did, p.owner, p.due_on) for p in promises),
        claims_to_decide=claims.get("requested", 0),
        claims_to_give=claims.get("approved", 0),
        meetings=tuple(Turnout(*row) for row in turnout),
    )


# -- words -----------------------------------------------------------------------------------------

TITLE = __("Weekly digest for {project}: {start} to {end}")
ANSWERS = __("Answers: {feedback} feedback, {pulse} check-in answers.")
RATE = __("People who answered: {answered} of {participants} ({rate}).")
NO_PARTICIPANTS = __("Nobody has joined as a participant yet.")
AVERAGE = __("Average rating: {average} out of 5 (the week before: {previous}).")
NO_RATING = __("no ratings")
PROMISES = __('"We did" promises past their date: {count}')
PROMISE = __("{what} (due {date}, {owner})")
PROMISE_NO_OWNER = __("{what} (due {date})")
MORE = __("and {count} more")
CLAIMS = __("Claims waiting: {decide} to decide, {give} to give.")
MEETINGS = __("Meetings this week:")
MEETING = __("{title}, {date}: {came} of {marked} marked as came")
NO_MEETINGS = __("No meetings this week.")
CHART_HINT = __("Tap the button to see the rating trend as a chart.")
CHART_BUTTON = __("See the rating chart")
CHART_CAPTION = __("Average rating each week in {project}, out of 5. The number is how many rated.")


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
        lines.append(
            "• "
            + t(
                RATE,
                answered=number(digest.answered),
                participants=number(digest.participants),
                rate=rate,
            )
        )
    this_week, previous = digest.ratings[-1], digest.ratings[-2]

    def average(week: WeekRating) -> str:
        return number(round(week.average, 1)) if week.average is not None else t(NO_RATING)

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
            lines.append(
                "   – "
                + t(
                    MEETING,
                    title=_shorten(meeting.title, 60),
                    date=day(meeting.starts_at),
                    came=number(meeting.came),
                    marked=number(meeting.marked),
                )
            )
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

CHART_SIZE = (900, 420)
_INK, _GRID, _BAR, _EMPTY = (40, 40, 40), (220, 220, 220), (46, 117, 182), (150, 150, 150)


def rating_chart(digest: Digest) -> bytes:
    """A PNG bar chart of the average rating of each week, 1 to 5, with how many rated under
    each bar. Digits and dates only: the caption carries the words, in the reader's language."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = CHART_SIZE
    left, right, top, bottom = 60, 20, 30, 70
    image = Image.new("RGB", CHART_SIZE, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=16)
    plot_height = height - top - bottom

    def y_of(value: float) -> float:
        return top + plot_height * (1 - value / 5)

    for value in range(6):
        y = y_of(value)
        draw.line([(left, y), (width - right, y)], fill=_GRID if value else _INK, width=1)
        draw.text((left - 12, y), str(value), fill=_INK, font=font, anchor="rm")
    slot = (width - left - right) / len(digest.ratings)
    for index, week in enumerate(digest.ratings):
        x0 = left + index * slot + slot * 0.2
        x1 = left + (index + 1) * slot - slot * 0.2
        middle = (x0 + x1) / 2
        if week.average is not None:
            draw.rectangle([(x0, y_of(week.average)), (x1, y_of(0))], fill=_BAR)
            draw.text(
                (middle, y_of(week.average) - 4),
                f"{week.average:.1f}",
                fill=_INK,
                font=font,
                anchor="md",
            )
        else:
            draw.text((middle, y_of(0) - 4), "–", fill=_EMPTY, font=font, anchor="md")
        draw.text(
            (middle, height - bottom + 10),
            week.starts_on.isoformat(),
            fill=_INK,
            font=font,
            anchor="ma",
        )
        draw.text(
            (middle, height - bottom + 34), f"n={week.answers}", fill=_EMPTY, font=font, anchor="ma"
        )
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
        # About whole days: the seven up to this Monday's midnight in the project's zone.
        tz = delivery.zone(project.timezone, "Europe/London")
        midnight = delivery.local_time_to_utc(due.astimezone(tz).date(), 0, tz)
        digest = await build_digest(session, project, midnight)
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
