"""/export in the bot: a coordinator chooses what, which format and which days, and the file
arrives in the chat; participants and facilitators are refused kindly, and it is audited.
Driven through the local Telegram emulator as people would use it."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from dialogs.export import handlers
from storage import audit, participants, projects
from storage.models import Feedback, Role
from tests.conftest import join, settle

REFUSAL = "Sorry, only a team's coordinators can export answers."


async def _team_with_answers(app, answers: int = 5) -> int:
    async with app.sessions() as session:
        project = await projects.create_project(session, "Carers' voice")
        author = await participants.get_or_create(session, 6900)
        author.may_quote = True
        for number in range(answers):
            session.add(
                Feedback(
                    project_id=project.id,
                    participant_id=author.id,
                    rating=number % 5 + 1,
                    text=f"=cmd|{number}",
                    anonymous=number == 0,
                )
            )
        await session.commit()
        return project.id


async def _give_role(app, telegram_id: int, project_id: int, role: Role) -> None:
    async with app.sessions() as session:
        person = await participants.get_or_create(session, telegram_id)
        await projects.set_role(
            session, await projects.get_project(session, project_id), person, role
        )
        await session.commit()


async def _audit(app, action: str) -> list:
    async with app.sessions() as session:
        return [entry for entry in await audit.entries(session) if entry.action == action]


def _document(emulator, message) -> bytes:
    return emulator.state.files[message.document["file_id"]].content


async def test_a_participant_who_asks_for_an_export_is_refused_kindly_and_it_is_audited(
    emulator, start_bot
):
    running = await start_bot()
    project_id = await _team_with_answers(running.app)
    await _give_role(running.app, 6001, project_id, Role.PARTICIPANT)
    sam = await join(emulator, 6001)
    await settle(emulator, await sam.send_text("/export"))
    assert sam.last_message.text == REFUSAL
    assert not any(m.document for m in sam.messages)
    denied = await _audit(running.app, "export.denied")
    assert len(denied) == 1 and denied[0].actor_id is not None


async def test_a_facilitator_is_refused_too_and_sees_no_export_button(emulator, start_bot):
    running = await start_bot()
    project_id = await _team_with_answers(running.app)
    await _give_role(running.app, 6002, project_id, Role.FACILITATOR)
    fay = await join(emulator, 6002)
    await settle(emulator, await fay.send_text("/team"))
    assert "Export answers" not in fay.buttons
    await settle(emulator, await fay.send_text("/export"))
    assert fay.last_message.text == REFUSAL
    assert len(await _audit(running.app, "export.denied")) == 1


async def test_a_coordinator_gets_a_csv_of_the_teams_answers_in_the_chat(emulator, start_bot):
    running = await start_bot()
    project_id = await _team_with_answers(running.app)
    await _give_role(running.app, 6003, project_id, Role.COORDINATOR)
    cara = await join(emulator, 6003)

    await settle(emulator, await cara.send_text("/team"))
    await settle(emulator, await cara.press("Export answers"))
    assert "What should the file hold?" in cara.last_message.text  # one team: no choice
    for label in (
        "Feedback",
        "CSV, for any spreadsheet",
        "Everything so far",
        "Codes only (best for sharing)",
    ):
        await settle(emulator, await cara.press(label))
    assert "• What: Feedback" in cara.last_message.text
    await settle(emulator, await cara.press("Make the file"))

    files = [m for m in cara.messages if m.document]
    data = _document(emulator, files[0])
    assert files[0].document["file_name"].endswith("feedback.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 5
    assert all(row["text"].startswith("'=cmd|") for row in rows if row["text"])
    assert rows[0]["person"] == "" and rows[1]["person"].startswith("P-")
    assert b"6900" not in data and b"6003" not in data  # no Telegram ids
    assert "Your file is above: 5 rows." in cara.last_message.text
    made = await _audit(running.app, "export.made")
    assert len(made) == 1 and made[0].project_id == project_id


async def test_a_file_too_big_for_telegram_comes_in_parts(emulator, start_bot, monkeypatch):
    monkeypatch.setattr(handlers, "FILE_LIMIT", 3000)
    running = await start_bot()
    project_id = await _team_with_answers(running.app, answers=40)
    await _give_role(running.app, 6004, project_id, Role.COORDINATOR)
    cara = await join(emulator, 6004)
    await settle(emulator, await cara.send_text("/export"))
    for label in ("Feedback", "JSON Lines, for analysis programs", "Everything so far"):
        await settle(emulator, await cara.press(label))
    await settle(emulator, await cara.press("Codes only (best for sharing)"))
    await settle(emulator, await cara.press("Make the file"))
    parts = [m for m in cara.messages if m.document and "feedback" in m.document["file_name"]]
    assert len(parts) > 1
    assert all(m.document["file_size"] <= 3000 for m in parts)
    lines = [line for m in parts for line in _document(emulator, m).decode().splitlines()]
    assert len(lines) == 40


async def test_typed_dates_are_read_and_nonsense_is_answered_kindly(emulator, start_bot):
    running = await start_bot()
    project_id = await _team_with_answers(running.app)
    await _give_role(running.app, 6005, project_id, Role.COORDINATOR)
    cara = await join(emulator, 6005)
    await settle(emulator, await cara.send_text("/export"))
    for label in ("Everything", "Excel (XLSX), with a sheet that explains each column"):
        await settle(emulator, await cara.press(label))
    await settle(emulator, await cara.send_text("next tuesday"))
    assert "Please type two dates like 2026-01-01 2026-03-31." in cara.messages[-2].text
    await settle(emulator, await cara.send_text("2020-01-31 2020-01-01"))
    await settle(emulator, await cara.press("Codes only (best for sharing)"))
    assert "• From: 2020-01-01" in cara.last_message.text
    assert "• To: 2020-01-31" in cara.last_message.text
    await settle(emulator, await cara.press("Make the file"))
    book = next(m for m in cara.messages if m.document)
    workbook = load_workbook(io.BytesIO(_document(emulator, book)))
    assert workbook["feedback"].max_row == 1  # the header only: nothing in January 2020


@pytest.mark.parametrize(
    ("language", "code"),
    [("English", "en"), ("Cymraeg", "cy"), ("Polski", "pl"), ("العربية", "ar")],
)
async def test_the_export_dialog_works_in_every_language(emulator, start_bot, language, code):
    running = await start_bot()
    project_id = await _team_with_answers(running.app)
    await _give_role(running.app, 6010, project_id, Role.COORDINATOR)
    cara = await join(emulator, 6010, language=language, language_code=code)
    await settle(emulator, await cara.send_text("/export"))
    # By position, so any language works: Feedback, CSV, everything so far, codes, make it.
    for position in (1, 1, 0, 0, 0):
        await settle(emulator, await cara.press(cara.buttons[position]))
    document = next(m for m in cara.messages if m.document)
    assert document.document["file_name"].endswith("feedback.csv")
    assert len(_document(emulator, document).decode("utf-8-sig").splitlines()) == 6
