"""The platform as people meet it: staff tools guarded, background messages in the person's
language, the command menu in every language, and nothing the bot sends refused by Telegram."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from aiogram_dialog import StartMode

from bot.i18n import create_i18n
from dialogs import states
from storage import audit, participants, projects
from storage.models import Role
from tests.conftest import (
    POSTGRES_URL,
    REDIS_URL,
    fresh_database_url,
    join,
    settle,
    states_with_a_window,
)

MENU = "Main menu. What would you like to do?"


async def _join(emulator, user_id: int, language: str = "English", code: str = "en"):
    return await join(emulator, user_id, language=language, language_code=code)


async def _make_staff(app, telegram_id: int, role: Role = Role.FACILITATOR) -> None:
    async with app.sessions() as session:
        person = await participants.get_or_create(session, telegram_id)
        project = await projects.create_project(session, "Carers' voice")
        await projects.set_role(session, project, person, role)
        await session.commit()


async def test_a_facilitator_sees_team_tools_and_who_joined(emulator, start_bot):
    running = await start_bot()
    await _make_staff(running.app, 4001)
    fran = await _join(emulator, 4001)
    assert "Team tools" in fran.buttons
    await settle(emulator, await fran.press("Team tools"))
    assert "Carers' voice: 1 person (English: 1)" in fran.last_message.text


async def test_a_participant_who_forges_the_team_tools_button_is_told_no(emulator, start_bot):
    running = await start_bot()
    await _make_staff(running.app, 4999)  # a project exists, with someone else running it
    pat = await _join(emulator, 4002)
    assert "Team tools" not in pat.buttons
    menu = pat.last_message
    help_data = menu.data_for("Help")
    for forged_widget in ("staff_tools", "staff_invite_project:1"):
        forged = help_data.rsplit("help", 1)[0] + forged_widget
        update = await pat.press_data(forged, message_id=menu.message_id)
        await settle(emulator, update)
        answer = emulator.callback_answer(update["callback_query"]["id"])
        assert answer is not None and "not available to you" in answer["text"]
        assert pat.last_message.text == menu.text  # nothing changed
    assert not [r for r in emulator.requests if r.method == "sendPhoto"]  # no invite was made
    async with running.app.sessions() as session:
        denied = [entry.action for entry in await audit.entries(session)]
    assert denied.count("access.denied") == 2


async def test_a_message_started_by_a_job_speaks_the_participants_language(emulator, start_bot):
    running = await start_bot()
    gwen = await _join(emulator, 4003, language="Cymraeg", code="en")
    await settle(emulator, await gwen.send_text("/help"))  # the menu is not on screen now
    manager = running.app.bg_factory.bg(bot=running.app.bot, user_id=4003, chat_id=4003)
    await manager.start(states.MainMenu.main, mode=StartMode.RESET_STACK)
    welsh_menu = create_i18n().gettext(MENU, locale="cy")
    assert welsh_menu != MENU
    await gwen.wait_for_message(lambda message: message.text == welsh_menu, timeout=5)


async def test_the_command_menu_is_set_in_every_language(emulator, start_bot):
    await start_bot()
    scope = {"type": "all_private_chats"}
    english = emulator.commands(scope)
    welsh = emulator.commands(scope, language_code="cy")
    expected = [
        "start",
        "menu",
        "feedback",
        "meetings",
        "updates",
        "offers",
        "mycontribution",
        "help",
        "language",
        "settings",
        "pause",
        "mydata",
        "forget",
    ]
    assert [c["command"] for c in english] == expected
    assert [c["command"] for c in welsh] == expected
    assert welsh != english
    assert all(emulator.commands(scope, language_code=code) for code in ("pl", "ar"))


async def test_telegram_refuses_nothing_the_bot_sends_on_the_first_path(emulator, start_bot):
    await start_bot()
    for user_id, language in enumerate(["English", "Cymraeg", "Polski", "العربية"], start=4100):
        person = await _join(emulator, user_id, language=language)
        await settle(emulator, await person.press(person.buttons[6]))  # help
        await settle(emulator, await person.press(person.buttons[-2]))  # back (the globe is last)
        await settle(emulator, await person.press(person.buttons[8]))  # settings
        await settle(emulator, await person.send_text("/pause"))
        await settle(emulator, await person.send_text("/language"))
    refused = [(r.method, r.error_code) for r in emulator.requests if not r.ok]
    assert refused == []


def test_every_state_has_a_window():
    from aiogram.fsm.state import StatesGroup

    windows = states_with_a_window()
    groups = [
        group
        for group in vars(states).values()
        if isinstance(group, type) and issubclass(group, StatesGroup) and group is not StatesGroup
    ]
    declared = {state for group in groups for state in group.__states__}
    assert len(groups) >= 6
    assert declared == windows


@pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL),
    reason="needs both: set COPRODUCE_TEST_POSTGRES_URL and COPRODUCE_TEST_REDIS_URL",
)
async def test_a_dialog_survives_a_restart_on_postgresql_and_redis(emulator, start_bot, tmp_path):
    url = await fresh_database_url("postgresql", tmp_path)
    from redis.asyncio import Redis

    async with Redis.from_url(REDIS_URL) as redis:
        await redis.flushdb()  # the tests' own Redis database: no dialog left from a past run
    first = await start_bot(database_url=url, redis_url=REDIS_URL)
    ann = emulator.user(4200, first_name="Ann", language_code="pl")
    await settle(emulator, await ann.send_text("/start"))
    await settle(emulator, await ann.press("Polski"))
    await first.stop()
    tap = await ann.press(ann.buttons[0])
    await start_bot(database_url=url, redis_url=REDIS_URL)
    await settle(emulator, tap)
    assert "/mydata" in ann.last_message.text and len(ann.buttons) == 4


@pytest.mark.parametrize("code", ["en", "cy", "pl", "ar"])
def test_coproduce_chat_reaches_the_main_menu_in_each_language(code, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--language", code],
        input="#1\n" * 10 + "/quit\n",  # join the demo team: the first button on each screen
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.getcwd(), "LOG_LEVEL": "WARNING"},
    )
    assert result.returncode == 0, result.stderr
    menu = create_i18n().gettext(MENU, locale=code)
    assert f"bot> {menu}" in result.stdout, result.stdout
    assert "[#1]" in result.stdout.split(menu)[-1]  # its buttons are numbered


def test_coproduce_chat_as_a_facilitator_opens_team_tools(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--as", "facilitator"],
        input="#1\n" * 10 + "#11\n/quit\n",
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.getcwd(), "LOG_LEVEL": "WARNING"},
    )
    assert result.returncode == 0, result.stderr
    # You, and the four simulated people who joined before you.
    assert "Demo team: 5 people (العربية: 1, Cymraeg: 1, English: 2, Polski: 1)" in result.stdout


async def test_someone_whose_staff_role_ended_is_taken_home_and_can_still_forget(
    emulator, start_bot
):
    from sqlalchemy import delete

    from storage.models import Membership

    running = await start_bot()
    await _make_staff(running.app, 4300)
    ola = await _join(emulator, 4300)
    await settle(emulator, await ola.press("Team tools"))
    async with running.app.sessions() as session:
        await session.execute(delete(Membership))
        await session.commit()
    await settle(emulator, await ola.press("Invite people"))
    assert MENU in ola.last_message.text  # refused, and back at the main menu
    await settle(emulator, await ola.send_text("/forget"))
    assert "Delete all your data?" in ola.last_message.text
