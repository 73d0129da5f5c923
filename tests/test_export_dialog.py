"""/export in the bot: a coordinator chooses what, which format and which days, and the file
arrives in the chat; participants and facilitators are refused kindly, and it is audited.
Driven through the local Telegram emulator as people would use it."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from openpyxl import load_workbook

from bot.services import exports
from dialogs.export import making
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


# An export runs in the background after its update is saved; on a busy two-core machine with
# four test workers it has missed a 10 s bound. A bound, not a sleep: it returns at once.
EXPORT_WITHIN = 45


async def _until_done(person):
    """The export runs in the background: wait for the message that says it is done."""
    return await person.wait_for_message(
        lambda m: (m.text or "").startswith("Done"), timeout=EXPORT_WITHIN
    )


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
    assert any(m.text and m.text.startswith("I am making your file.") for m in cara.messages)
    done = await _until_done(cara)

    files = [m for m in cara.messages if m.document]
    data = _document(emulator, files[0])
    assert files[0].document["file_name"].endswith("feedback.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 5
    assert all(row["text"].startswith("'=cmd|") for row in rows if row["text"])
    assert rows[0]["person"] == "" and rows[1]["person"].startswith("P-")
    assert b"6900" not in data and b"6003" not in data  # no Telegram ids
    assert done.text.startswith("Done: 5 rows. Your files are above.")
    made = await _audit(running.app, "export.made")
    assert len(made) == 1 and made[0].project_id == project_id


async def test_a_file_too_big_for_telegram_comes_in_parts(emulator, start_bot, monkeypatch):
    monkeypatch.setattr(making, "FILE_LIMIT", 3000)
    running = await start_bot()
    project_id = await _team_with_answers(running.app, answers=40)
    await _give_role(running.app, 6004, project_id, Role.COORDINATOR)
    cara = await join(emulator, 6004)
    await settle(emulator, await cara.send_text("/export"))
    for label in ("Feedback", "JSON Lines, for analysis programs", "Everything so far"):
        await settle(emulator, await cara.press(label))
    await settle(emulator, await cara.press("Codes only (best for sharing)"))
    await settle(emulator, await cara.press("Make the file"))
    await _until_done(cara)
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
    assert "• From: 1 January 2020" in cara.last_message.text
    assert "• To: 31 January 2020" in cara.last_message.text
    await settle(emulator, await cara.press("Make the file"))
    done = await _until_done(cara)
    assert "nothing was found for those days" in done.text
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
    await cara.wait_for_message(lambda m: m.document is not None, timeout=EXPORT_WITHIN)
    document = next(m for m in cara.messages if m.document)
    assert document.document["file_name"].endswith("feedback.csv")
    assert len(_document(emulator, document).decode("utf-8-sig").splitlines()) == 6


async def _to_confirm(emulator, person, fmt: str = "CSV, for any spreadsheet") -> None:
    await settle(emulator, await person.send_text("/export"))
    for label in ("Feedback", fmt, "Everything so far", "Codes only (best for sharing)"):
        await settle(emulator, await person.press(label))


async def test_a_long_export_leaves_the_chat_free_and_a_second_tap_makes_no_second_file(
    emulator, start_bot, monkeypatch
):
    release, folders, real = asyncio.Event(), [], exports.export

    async def slow_export(session, request, directory, **options):
        folders.append(directory)
        await release.wait()  # a big team's export, taking minutes
        return await real(session, request, directory, **options)

    monkeypatch.setattr(exports, "export", slow_export)
    running = await start_bot()
    project_id = await _team_with_answers(running.app)
    await _give_role(running.app, 6006, project_id, Role.COORDINATOR)
    cara = await join(emulator, 6006)
    await _to_confirm(emulator, cara)
    confirm = cara.last_message
    make = confirm.data_for("Make the file")
    tap = await cara.press("Make the file")
    await settle(emulator, tap)
    assert emulator.callback_answer(tap["callback_query"]["id"]) is not None
    assert cara.last_message.text.startswith("I am making your file.")

    # While it is made, the bot still answers her at once.
    before = len(cara.messages)
    await settle(emulator, await cara.send_text("/help"))
    assert len(cara.messages) > before
    # A double tap on the old button makes nothing more.
    again = await cara.press_data(make, message_id=confirm.message_id)
    await settle(emulator, again)
    assert emulator.callback_answer(again["callback_query"]["id"]) is not None
    # Nor does asking for another file before the first arrives.
    await _to_confirm(emulator, cara)
    another = await cara.press("Make the file")
    await settle(emulator, another)
    told = emulator.callback_answer(another["callback_query"]["id"])
    assert told["text"] == "Your last file is still being made. Please wait for it first."

    release.set()
    await _until_done(cara)
    await asyncio.sleep(0.3)
    assert len(folders) == 1 and not folders[0].exists()  # made once, and nothing left behind
    assert (
        len([m for m in cara.messages if m.document and "feedback" in m.document["file_name"]]) == 1
    )
    assert len([m for m in cara.messages if (m.text or "").startswith("Done")]) == 1
    assert len(await _audit(running.app, "export.made")) == 1


async def test_a_failed_export_is_told_kindly_and_leaves_no_file_behind(
    emulator, start_bot, monkeypatch
):
    folders = []

    async def broken_export(session, request, directory, **options):
        folders.append(directory)
        (directory / "half-written.csv").write_text("person,rating\n")
        raise OSError("disk full")

    monkeypatch.setattr(exports, "export", broken_export)
    running = await start_bot()
    project_id = await _team_with_answers(running.app)
    await _give_role(running.app, 6007, project_id, Role.COORDINATOR)
    cara = await join(emulator, 6007)
    await _to_confirm(emulator, cara)
    await settle(emulator, await cara.press("Make the file"))
    sorry = await cara.wait_for_message(
        lambda m: (m.text or "").startswith("Sorry"), timeout=EXPORT_WITHIN
    )
    assert sorry.text == "Sorry, something went wrong while making your file. Please try again."
    assert folders and not folders[0].exists()
    assert not any(m.document for m in cara.messages)
    # She can try again at once: a failed export does not count as still being made.
    monkeypatch.undo()
    await _to_confirm(emulator, cara)
    await settle(emulator, await cara.press("Make the file"))
    assert (await _until_done(cara)).text.startswith("Done: 5 rows.")


async def test_an_excel_file_too_big_for_telegram_is_not_sent_and_she_is_told_what_to_do(
    emulator, start_bot, monkeypatch
):
    monkeypatch.setattr(making, "FILE_LIMIT", 1000)
    running = await start_bot()
    project_id = await _team_with_answers(running.app, answers=40)
    await _give_role(running.app, 6008, project_id, Role.COORDINATOR)
    cara = await join(emulator, 6008)
    await _to_confirm(emulator, cara, "Excel (XLSX), with a sheet that explains each column")
    await settle(emulator, await cara.press("Make the file"))
    told = await cara.wait_for_message(lambda m: "too big for Telegram" in (m.text or ""))
    assert "Please choose fewer days, or CSV: it comes in parts." in told.text
    assert f"coproduce export --project {project_id}" in told.text
    assert not any(m.document for m in cara.messages)


async def test_typed_days_far_away_odd_or_in_the_future_are_handled_kindly(emulator, start_bot):
    running = await start_bot()
    project_id = await _team_with_answers(running.app)
    await _give_role(running.app, 6009, project_id, Role.COORDINATOR)
    cara = await join(emulator, 6009)
    await settle(emulator, await cara.send_text("/export"))
    for label in ("Feedback", "CSV, for any spreadsheet"):
        await settle(emulator, await cara.press(label))
    await settle(emulator, await cara.send_text("2026-02-30 2026-03-01"))  # no such day
    assert "Please type two dates like" in cara.messages[-2].text
    await settle(emulator, await cara.send_text("9999-01-01"))
    assert cara.messages[-2].text == "That is after today. Please type days up to today."
    await settle(emulator, await cara.send_sticker())
    assert "Please type two dates like" in cara.messages[-2].text
    await settle(emulator, await cara.send_text("from 0001-01-01 to 9999-12-31"))
    await settle(emulator, await cara.press("Codes only (best for sharing)"))
    assert "• From: the start" in cara.last_message.text
    assert "• To: today" in cara.last_message.text
    await settle(emulator, await cara.press("Make the file"))
    assert (await _until_done(cara)).text.startswith("Done: 5 rows.")


async def test_a_coordinator_who_stepped_down_before_tapping_make_gets_no_file(emulator, start_bot):
    running = await start_bot()
    project_id = await _team_with_answers(running.app)
    await _give_role(running.app, 6011, project_id, Role.COORDINATOR)
    cara = await join(emulator, 6011)
    await _to_confirm(emulator, cara)
    await _give_role(running.app, 6011, project_id, Role.FACILITATOR)
    tap = await cara.press("Make the file")
    await settle(emulator, tap)
    assert emulator.callback_answer(tap["callback_query"]["id"])["text"] == REFUSAL
    await asyncio.sleep(0.3)
    assert not any(m.document for m in cara.messages)
    denied = await _audit(running.app, "export.denied")
    assert [entry.project_id for entry in denied] == [project_id]
