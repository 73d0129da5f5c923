"""The terminal demo (`coproduce chat`) as a newcomer uses it: lines typed at the prompt, what it
prints. A team with simulated people in four languages, so a facilitator can run a poll and see
the answers, a coordinator can export, pop-ups and files show, and a button labelled "3" is
pressed by typing 3 while the third button is #3."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.chat import ChatDemo
from bot.cli import _parser
from bot.config import Settings
from bot.demo_crowd import PEOPLE
from bot.services import delivery, reciprocity
from storage import participants
from storage import reciprocity as offers
from storage.models import PulseResponse
from storage.types import utcnow

LONDON = ZoneInfo("Europe/London")
# Joining, typed as a newcomer reads the screens: a button's words, or # and its number.
JOIN = (
    "English", "Next", "I agree", "Yes", "Yes", "I agree", "Skip",
    "Up to 7 messages a week", "No quiet hours", "#1",
)  # fmt: skip
MENU = "Main menu. What would you like to do?"


async def _demo(role: str, tmp_path) -> ChatDemo:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    demo = await ChatDemo.start(settings, role=role, out=io.StringIO(), folder=tmp_path / role)
    for line in JOIN:
        await demo.type(line)
    assert MENU in demo.printed.rsplit("bot> Hello!", 1)[1]
    return demo


@pytest.fixture
async def open_demo(tmp_path):
    started: list[ChatDemo] = []

    async def _open(role: str) -> ChatDemo:
        started.append(await _demo(role, tmp_path))
        return started[-1]

    yield _open
    for demo in started:
        await demo.close()
        # Neither you nor the simulated people made the bot break the Bot API contract.
        assert not demo.emulator.violations, demo.emulator.violations


def _label(demo: ChatDemo, part: str) -> str:
    return next(b.label for b in demo.screen.buttons if part in b.label)


async def _choose_day(demo: ChatDemo, day) -> None:
    """On the calendar: the day's month if needed, then the day, typed as its label."""
    today = utcnow().astimezone(LONDON).date()
    if (day.year, day.month) != (today.year, today.month):
        await demo.type(_label(demo, ">>"))
    await demo.type(str(day.day))


async def test_a_facilitator_sends_a_poll_and_sees_the_simulated_peoples_answers(open_demo):
    demo = await open_demo("facilitator")
    for line in ("Team tools", "Meetings", "Find a meeting time", "Planning day", "Room 4"):
        await demo.type(line)
    day = utcnow().astimezone(LONDON).date() + timedelta(days=3)
    await _choose_day(demo, day)
    await demo.type("18:00")
    await demo.type("Add another time")
    await _choose_day(demo, day)
    await demo.type("19:30")
    for line in ("Next", "1 hour", "#1"):  # the first deadline offered
        await demo.type(line)
    await demo.type(_label(demo, "Everyone in the team"))
    await demo.type("Send")

    # Each simulated person gets the invitation in their own language, and answers it.
    for words in (
        "got: Demo team wants to find a time to meet: Planning day.",
        "got: Mae Demo team eisiau dod o hyd i amser i gyfarfod: Planning day.",
        "got: Demo team szuka terminu spotkania: Planning day.",
    ):
        await demo.wait_for_output(words)
    await demo.wait_for_output("answered the meeting poll.", count=len(PEOPLE))
    since = len(demo.printed)
    await demo.type("Done")
    await demo.type(_label(demo, "Planning day ("))
    tally = demo.printed[since:]
    assert f"Answered: {len(PEOPLE)} of {len(PEOPLE)}." in tally
    assert "✅ 2   🤔 2   ❌ 0" in tally  # every one said yes or if need be to the first time
    assert "An interpreter or language support: 1 (Amira)" in tally
    assert "Step-free access: 1 (Ann)" in tally


async def test_the_simulated_people_answer_a_check_in_in_their_languages(open_demo):
    demo = await open_demo("facilitator")
    async with demo.app.sessions() as session:  # the team's weekly check-in falls due now
        now = utcnow()
        await delivery.add_checkin_schedule(
            session,
            project_id=demo.project_id,
            timezone="Europe/London",
            start="pulse",
            every_weeks=1,
            weekday=now.weekday(),
            minute_of_day=0,
            first_on=now.date() - timedelta(days=7),
            now=now - timedelta(days=1),
        )
        await delivery.run_due_checkins(session, now)
        await session.commit()
    demo.app.delivery.wake()
    printed = await demo.wait_for_output("answered the check-in.", count=len(PEOPLE))
    assert "· Bethan (Cymraeg) got: Mae'n bryd i ni holi am Demo team." in printed
    async with demo.app.sessions() as session:
        answers = (await session.execute(select(PulseResponse))).scalars().all()
    assert len(answers) == len(PEOPLE)


async def test_a_coordinator_exports_in_the_bot_and_finds_the_file_on_disk(open_demo):
    assert _parser().parse_args(["chat", "--as", "coordinator"]).role == "coordinator"
    demo = await open_demo("coordinator")
    since = len(demo.printed)
    await demo.type("/export")
    await demo.type("Everything")
    await demo.type(_label(demo, "Excel"))
    await demo.type("Everything so far")
    await demo.type(_label(demo, "Codes only"))
    await demo.type("Make the file")
    # The file is made in the background; as in tests/test_export_dialog.py, a busy two-core
    # machine with four test workers has missed 20 s. A bound, not a sleep.
    printed = await demo.wait_for_output(".xlsx, saved to ", since=since, timeout=45)
    saved = Path(printed[since:].split(".xlsx, saved to ", 1)[1].split("]", 1)[0])
    assert saved.parent == demo.files
    # The simulated people's feedback is in it, in their words.
    workbook = load_workbook(saved, read_only=True)
    cells = {str(c) for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row}
    workbook.close()
    assert {n.feedback for n in PEOPLE} <= cells


async def test_a_pop_up_answer_is_shown(open_demo):
    demo = await open_demo("participant")
    await demo.type("Thank-you offers")
    await demo.type("Training: Free first aid course")
    assert "Ask for this" in [b.label for b in demo.screen.buttons]
    # While the offer is on screen, three simulated people take its three places.
    async with demo.app.sessions() as session:
        offer_id = (await offers.open_offers(session, [demo.project_id], utcnow()))[0].id
        for n in PEOPLE[:3]:
            person = await participants.get_by_telegram_id(session, n.telegram_id)
            await reciprocity.claim(session, person, offer_id, now=utcnow())
        await session.commit()
    since = len(demo.printed)
    await demo.type("ask for this")  # a button's words, in any case, press it
    assert "[pop-up] Sorry, all the places are taken now." in demo.printed[since:]


async def test_a_button_labelled_with_a_number_is_pressed_by_typing_it(open_demo):
    demo = await open_demo("facilitator")
    for line in ("Team tools", "Meetings", "Find a meeting time", "Planning day", "Room 4"):
        await demo.type(line)
    day = utcnow().astimezone(LONDON).date() + timedelta(days=3)
    today = utcnow().astimezone(LONDON).date()
    if (day.year, day.month) != (today.year, today.month):
        await demo.type(_label(demo, ">>"))
    labels = [b.label for b in demo.screen.buttons]
    number = day.day
    # The clash: the button numbered like the day is not that day (the month, weekdays first).
    assert labels[number - 1] != str(number)
    since = len(demo.printed)
    await demo.type(str(number))
    assert f"{day:%A}, {day.day} {day:%B %Y}. What time does it start?" in demo.printed[since:]

    # "#" and a position presses that position: here Back, to the calendar again.
    await demo.type(f"#{[b.label for b in demo.screen.buttons].index('Back') + 1}")
    assert "Choose a day for one of the times you offer." in demo.printed[since:]
    since = len(demo.printed)
    await demo.type("#999")
    assert "There is no button #999." in demo.printed[since:]


def test_coproduce_chat_as_coordinator_in_a_terminal(tmp_path):
    """The command itself, lines piped in as a person types them: joining as a coordinator
    leads to the main menu with the staff's Team tools, and /quit leaves."""
    typed = "\n".join((*JOIN, "Team tools", "/quit")) + "\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--as", "coordinator"],
        input=typed,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATA_DIR": str(tmp_path), "DATABASE_URL": "", "BOT_TOKEN": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "You join the Demo team as a coordinator." in result.stdout
    assert MENU in result.stdout and "[#1] Invite people" in result.stdout
    assert "Export answers" in result.stdout  # what a coordinator has and a facilitator has not
    assert result.stdout.rstrip().endswith("Bye.")
