"""The weekly digest: facilitators and coordinators of each project hear how many answered, the
rating trend (a chart on a button), promises past their date, claims waiting and who came.
Participants never get it; a restart neither loses nor doubles it; `coproduce report` writes
the same digest as files."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import select

from bot import cli
from bot.services import reports
from storage import participants, projects
from storage.models import (
    Feedback,
    Meeting,
    MeetingAttendance,
    OutboxMessage,
    PulseResponse,
    ReciprocityClaim,
    ReciprocityOffer,
    Role,
    YouSaidWeDid,
)
from tests.conftest import join, settle

# Midnight at the start of a Monday in London (winter: UTC), and a day in the week before it.
MONDAY = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
IN_THE_WEEK = MONDAY - timedelta(days=3)


def english(message: str, _locale: str) -> str:
    return message


async def _project_with_a_week(session) -> int:
    project = await projects.create_project(session, "Carers' voice")
    project.created_at = MONDAY - timedelta(weeks=20)
    people = []
    for telegram_id in (7101, 7102, 7103, 7104):
        person = await participants.get_or_create(session, telegram_id)
        membership = await projects.set_role(session, project, person, Role.PARTICIPANT)
        membership.created_at = project.created_at
        people.append(person)
    staff = await participants.get_or_create(session, 7100)
    await projects.set_role(session, project, staff, Role.COORDINATOR)
    for person, rating in ((people[0], 4), (people[1], 2)):
        session.add(
            Feedback(
                project_id=project.id,
                participant_id=person.id,
                rating=rating,
                created_at=IN_THE_WEEK,
            )
        )
    session.add(
        Feedback(
            project_id=project.id,
            participant_id=people[2].id,
            rating=1,
            created_at=IN_THE_WEEK - timedelta(weeks=1),
        )
    )
    session.add(
        PulseResponse(
            project_id=project.id,
            participant_id=people[0].id,
            answer="good",
            created_at=IN_THE_WEEK,
        )
    )
    session.add(
        YouSaidWeDid(
            project_id=project.id,
            you_said="Buses are late",
            we_did="We will ask the council for a later start",
            status="planned",
            owner="Coordinator",
            due_on=date(2026, 11, 1),
        )
    )
    session.add(
        YouSaidWeDid(
            project_id=project.id,
            you_said="x",
            we_did="Done already",
            status="done",
            due_on=date(2026, 11, 1),
        )
    )
    offer = ReciprocityOffer(project_id=project.id, kind="voucher", source_locale="en")
    session.add(offer)
    meeting = Meeting(project_id=project.id, title="Planning day", starts_at=IN_THE_WEEK)
    session.add(meeting)
    await session.flush()
    for person, state in zip(
        people, ("requested", "requested", "approved", "fulfilled"), strict=True
    ):
        session.add(ReciprocityClaim(offer_id=offer.id, participant_id=person.id, state=state))
    for person, came in zip(people, (True, True, True, False), strict=True):
        session.add(
            MeetingAttendance(meeting_id=meeting.id, participant_id=person.id, attended=came)
        )
    await session.commit()
    return project.id


async def test_the_digest_counts_the_week_and_names_nobody(sessions):
    async with sessions() as session:
        project_id = await _project_with_a_week(session)
        project = await projects.get_project(session, project_id)
        digest = await reports.build_digest(session, project, MONDAY)
    text = reports.digest_text(digest, english, "en", ZoneInfo("Europe/London"))
    assert "Weekly digest for Carers' voice: 9 Nov 2026 to 15 Nov 2026" in text
    assert "Feedback: 2. Check-in answers: 1." in text
    rate = "Response rate: 50%. 2 of 4 participants gave feedback or answered a check-in."
    assert rate in text
    assert "Average rating: 3 out of 5 (the week before: 1)." in text
    assert '"We did" promises past their date: 1' in text
    assert "We will ask the council for a later start (due 1 Nov 2026, Coordinator)" in text
    assert "Done already" not in text
    assert "Claims waiting: 2 to decide, 1 to give." in text
    assert "Planning day, 13 Nov 2026: 3 of 4 marked as came" in text
    assert [week.answers for week in digest.ratings][-2:] == [1, 2]
    assert len(digest.ratings) == reports.TREND_WEEKS
    png = reports.rating_chart(digest)
    assert png.startswith(b"\x89PNG")


def test_the_digest_is_due_each_monday_at_nine_in_the_projects_zone():
    summer_tuesday = datetime(2026, 7, 7, 12, 0, tzinfo=UTC)
    assert reports.due_moment(summer_tuesday, "Europe/London") == datetime(
        2026, 7, 6, 8, 0, tzinfo=UTC
    )
    just_before = datetime(2026, 7, 6, 7, 59, tzinfo=UTC)
    assert reports.due_moment(just_before, "Europe/London") == datetime(
        2026, 6, 29, 8, 0, tzinfo=UTC
    )


async def test_staff_get_the_digest_once_with_a_chart_button_and_participants_never(
    emulator, start_bot
):
    running = await start_bot()
    app = running.app
    async with app.sessions() as session:
        project_id = await _project_with_a_week(session)
        facilitator = await participants.get_or_create(session, 7105)
        await projects.set_role(
            session,
            await projects.get_project(session, project_id),
            facilitator,
            Role.FACILITATOR,
        )
        await session.commit()
    coordinator = await join(emulator, 7100)
    fay = await join(emulator, 7105, language="Cymraeg", language_code="cy")
    participant = await join(emulator, 7101)
    async with app.sessions() as session:
        for telegram_id in (7100, 7105, 7101):
            person = await participants.get_by_telegram_id(session, telegram_id)
            person.quiet_start = person.quiet_end = None
        await session.commit()
    before = len(participant.messages)

    now = datetime.now(UTC)
    for _attempt in range(2):  # a second sweep (a restart) queues nothing more
        async with app.sessions() as session:
            await reports.queue_due_digests(session, now, english)
            await session.commit()
    await app.delivery.run_until_idle()
    async with app.sessions() as session:
        queued = (await session.execute(select(OutboxMessage))).scalars().all()
    assert {message.action for message in queued} == {f"digest:{project_id}"}
    assert len(queued) == 1  # one per zone, in every language: each reads theirs when it goes

    digest = coordinator.last_message
    assert digest.text.startswith("Weekly digest for Carers' voice")
    assert digest.labels == ["See the rating chart"]
    assert fay.last_message.callback_data == [[f"digest_chart:{project_id}"]]  # in Welsh
    assert len(participant.messages) == before

    tap = await coordinator.press("See the rating chart")
    await settle(emulator, tap)
    chart = coordinator.last_message
    assert chart.photo and chart.caption == "How Carers' voice rated each week, out of 5."
    assert emulator.callback_answer(tap["callback_query"]["id"]) is not None

    forged = await participant.press_data(f"digest_chart:{project_id}")
    await settle(emulator, forged)
    assert not participant.messages[-1].photo
    refused = emulator.callback_answer(forged["callback_query"]["id"])
    assert refused["text"] == "Sorry, this is not available to you."
    await settle(emulator, await coordinator.press_data("digest_chart:999"))
    assert coordinator.last_message.message_id == chart.message_id  # nothing new sent


def test_coproduce_report_writes_the_digest_and_the_chart(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    assert cli.main(["project", "create", "--name", "Carers' voice"]) == 0
    out = tmp_path / "report"
    assert cli.main(["report", "--project", "1", "--until", "2026-11-15", "--out", str(out)]) == 0
    summary = (out / "digest.md").read_text(encoding="utf-8")
    assert summary.startswith("# Weekly digest for Carers' voice: 9 Nov 2026 to 15 Nov 2026")
    assert "- Feedback: 0. Check-in answers: 0." in summary
    assert "- No ratings this week (the week before: no ratings)." in summary
    assert (out / "rating-trend.png").read_bytes().startswith(b"\x89PNG")
    assert cli.main(["report", "--project", "7"]) == 2


async def test_the_response_rate_counts_each_participant_once_and_only_those_there_that_week(
    sessions,
):
    """Response rate = participants who answered anything in the week (feedback or a check-in)
    / participants of the project at the end of that week. Staff and newcomers do not count."""
    async with sessions() as session:
        project_id = await _project_with_a_week(session)
        project = await projects.get_project(session, project_id)
        keen = await participants.get_by_telegram_id(session, 7101)
        for extra in range(3):  # answering again and again still makes one person
            session.add(
                Feedback(
                    project_id=project_id,
                    participant_id=keen.id,
                    rating=5,
                    created_at=IN_THE_WEEK + timedelta(hours=extra),
                )
            )
        newcomer = await participants.get_or_create(session, 7109)
        await projects.set_role(session, project, newcomer, Role.PARTICIPANT)  # joined today
        coordinator = await participants.get_by_telegram_id(session, 7100)
        session.add(
            Feedback(
                project_id=project_id,
                participant_id=coordinator.id,
                rating=5,
                created_at=IN_THE_WEEK,
            )
        )
        await session.commit()
        digest = await reports.build_digest(session, project, MONDAY)
    assert (digest.answered, digest.participants) == (2, 4)
    assert digest.response_rate == 0.5
    assert digest.feedback == 6  # every answer counts in the number of answers


async def test_a_new_team_gets_a_digest_and_a_chart_with_only_its_own_weeks(sessions):
    async with sessions() as session:
        project = await projects.create_project(session, "Brand new")
        project.created_at = MONDAY - timedelta(days=5)
        await session.commit()
        empty = await reports.build_digest(session, project, MONDAY)

    assert [week.starts_on for week in empty.ratings] == [date(2026, 11, 9)]
    text = reports.digest_text(empty, english, "en", ZoneInfo("Europe/London"))
    assert "No ratings this week (the week before: no ratings)." in text
    assert "Nobody has joined as a participant yet." in text
    for digest in (empty, replace(empty, ratings=())):
        chart = Image.open(io.BytesIO(reports.rating_chart(digest)))
        assert chart.size == reports.CHART_SIZE


async def test_trend_weeks_start_on_monday_across_a_clock_change(sessions):
    """A Warsaw team's April digest looks back past the March clock change: every week still
    starts on a Monday at midnight in Warsaw, so no answer falls in the wrong week."""
    warsaw = ZoneInfo("Europe/Warsaw")
    monday = datetime(2026, 4, 13, tzinfo=warsaw).astimezone(UTC)
    async with sessions() as session:
        project = await projects.create_project(session, "Głos opiekunów")
        project.timezone = "Europe/Warsaw"
        project.created_at = monday - timedelta(weeks=20)
        person = await participants.get_or_create(session, 7201)
        # Monday 00:30 in Warsaw, in winter time: the first hour of the week of 23 March.
        early = datetime(2026, 3, 23, 0, 30, tzinfo=warsaw)
        session.add(
            Feedback(
                project_id=project.id,
                participant_id=person.id,
                rating=5,
                created_at=early.astimezone(UTC),
            )
        )
        await session.commit()
        digest = await reports.build_digest(session, project, monday)
    assert all(week.starts_on.weekday() == 0 for week in digest.ratings)
    by_week = {week.starts_on: week.answers for week in digest.ratings}
    assert by_week[date(2026, 3, 23)] == 1 and by_week[date(2026, 3, 16)] == 0
