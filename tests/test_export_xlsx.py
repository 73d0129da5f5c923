"""The XLSX file is written by hand, a row of XML at a time: it must be a workbook every reader
opens, with the About sheet first, each kind's sheet after it, text that never runs, numbers
that stay numbers, and a kind too long for one sheet going on in the next."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from bot.services import exports
from bot.services.exports import ExportRequest, Format, writers
from storage import participants, projects
from storage.models import Feedback

SECRET = b"s" * 32
TYPED = ("=1+1", "a < b & c > d", "  spaced  ", "Łódź كان", "\x01=2+2", 'say "hi"\r\nbye')


async def _project_with_feedback(session, answers: int = len(TYPED)) -> int:
    project = await projects.create_project(session, "Carers & <friends>", timezone="Asia/Kolkata")
    person = await participants.get_or_create(session, 4242)
    person.may_quote = True
    session.add(person)
    await session.flush()
    for number in range(answers):
        session.add(
            Feedback(
                project_id=project.id,
                participant_id=person.id,
                topic=TYPED[number % len(TYPED)],
                rating=number % 5 + 1,
                text=TYPED[number % len(TYPED)],
                anonymous=False,
                created_at=datetime(2026, 5, 4, 12, 30, number % 60, tzinfo=UTC),
            )
        )
    await session.commit()
    return project.id


async def _book(session, tmp_path: Path, project_id: int, **options) -> Path:
    request = ExportRequest(project_id, ("feedback", "pulse"), Format.XLSX)
    result = await exports.export(session, request, tmp_path / "out", secret=SECRET, **options)
    return next(path for path in result.files if path.suffix == ".xlsx")


async def test_every_part_of_the_workbook_is_well_formed_and_its_cells_read_back(
    sessions, tmp_path
):
    async with sessions() as session:
        project_id = await _project_with_feedback(session)
        path = await _book(session, tmp_path, project_id)

    with zipfile.ZipFile(path) as book:
        assert book.testzip() is None
        for name in book.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(book.read(name))  # raises if it is not well-formed
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["About", "feedback", "pulse"]
    sheet = workbook["feedback"]
    rows = list(sheet.iter_rows(min_row=2))
    header = [cell.value for cell in sheet[1]]
    texts = [dict(zip(header, row, strict=True))["text"] for row in rows]
    expected = ["'=1+1", "a < b & c > d", "  spaced  ", "Łódź كان", "'=2+2", 'say "hi"\r\nbye']
    assert [cell.value for cell in texts] == expected
    assert all(cell.data_type == "s" for cell in texts)  # text, never a formula
    ratings = [dict(zip(header, row, strict=True))["rating"] for row in rows]
    assert [cell.value for cell in ratings] == [1, 2, 3, 4, 5, 1]
    assert all(cell.data_type == "n" for cell in ratings)
    given = dict(zip(header, rows[0], strict=True))["given_at"].value
    assert given == "2026-05-04T18:00:00+05:30"
    about = workbook["About"]
    assert about["B1"].value == "Carers & <friends>"
    assert about.column_dimensions["C"].width == 90


async def test_a_kind_longer_than_a_sheet_goes_on_in_the_next_with_its_header(
    sessions, tmp_path, monkeypatch
):
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 4)  # a header and three answers a sheet
    async with sessions() as session:
        project_id = await _project_with_feedback(session, answers=8)
        ways = {
            "typed": await _book(
                session, tmp_path / "typed", project_id, reading=exports.Reading.TYPED
            ),
            "best": await _book(session, tmp_path / "best", project_id),
            "parallel": await _book(
                session, tmp_path / "parallel", project_id, workers=3, parallel_from=1
            ),
        }
    for way, path in ways.items():
        workbook = load_workbook(path)
        assert workbook.sheetnames == [
            "About",
            "feedback",
            "feedback (2)",
            "feedback (3)",
            "pulse",
        ], way
        sheets = [workbook[name] for name in workbook.sheetnames[1:4]]
        assert all(sheet["A1"].value == "id" for sheet in sheets), way
        ids = [row[0] for sheet in sheets for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert ids == list(range(1, 9)), way


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
async def test_libreoffice_opens_the_workbook_and_sees_the_same_cells(sessions, tmp_path):
    async with sessions() as session:
        project_id = await _project_with_feedback(session)
        path = await _book(session, tmp_path, project_id)
    converted = tmp_path / "converted"
    await asyncio.to_thread(
        subprocess.run,
        [
            "soffice",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2",
            "--outdir",
            str(converted),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    lines = (converted / f"{path.stem}-feedback.csv").read_text(encoding="utf-8")
    assert "'=1+1" in lines and "Łódź كان" in lines and "2026-05-04T18:00:00+05:30" in lines
