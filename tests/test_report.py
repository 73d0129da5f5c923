"""The weekly digest: facilitators and coordinators of each project hear how many answered, the
rating trend (a chart on a button), promises past their date, claims waiting and who came.
Participants never get it; a restart neither loses nor doubles it; `coproduce report` writes
the same digest as files."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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
        await projects.set_role(session, project, person, Role.PARTICIPANT)
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
    from zoneinfo import ZoneInfo

    text = reports.digest_text(digest, english, "en", ZoneInfo("Europe/London"))
    assert "Weekly digest for Carers' voice: 9 Nov 2026 to 15 Nov 2026" in text
    assert "Answers: 2 feedback, 1 check-in answers." in text
    assert "People who answered: 2 of 4 (50%)." in text
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
    assert len(queued) == 2  # one per language and zone: English, Welsh

    digest = coordinator.last_message
    assert digest.text.startswith("Weekly digest for Carers' voice")
    assert digest.labels == ["See the rating chart"]
    assert fay.last_message.callback_data == [[f"digest_chart:{project_id}"]]  # in Welsh
    assert len(participant.messages) == before

    await settle(emulator, await coordinator.press("See the rating chart"))
    chart = coordinator.last_message
    assert chart.photo and chart.caption.startswith("Average rating each week in Carers' voice")

    await settle(emulator, await participant.press_data(f"digest_chart:{project_id}"))
    assert not participant.messages[-1].photo
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
    assert "- Answers: 0 feedback, 0 check-in answers." in summary
    assert (out / "rating-trend.png").read_bytes().startswith(b"\x89PNG")
    assert cli.main(["report", "--project", "7"]) == 2
