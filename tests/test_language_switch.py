"""Changing language is one tap (the globe on every participant screen) and the language: the
person lands back where they were, same step and same answers so far, now in that language;
and the command menu ("/") of their chat follows the language they chose, not their phone's."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.app import dialogs_router
from bot.commands import PARTICIPANT_COMMANDS, STAFF_COMMANDS, participant_commands
from bot.i18n import create_i18n
from dialogs.common import LANGUAGE_SWITCH
from dialogs.states import STAFF_STATE_GROUPS, MainMenu, Onboarding
from storage.models import Feedback
from tests.conftest import (
    FEEDBACK_TOPICS,
    join,
    make_staff,
    make_team,
    press,
    say,
    tap,
    tr,
)

LANGUAGES = [("Cymraeg", "cy"), ("العربية", "ar")]
RATING = "{topic}. How is it going?"
SETTINGS = (
    "Your settings:\n"
    "• Name: {name}\n"
    "• Messages: {frequency}\n"
    "• Quiet hours: {quiet}\n"
    "• Time zone: {zone}\n"
    "• Quote you without your name: {quote}\n"
    "• Show your name: {use_name}"
)


def chat_menu(emulator, person) -> list[tuple[str, str]]:
    scope = {"type": "chat", "chat_id": person.id}
    return [(c["command"], c["description"]) for c in emulator.commands(scope)]


def menu_in(code: str, *, staff: bool = False) -> list[tuple[str, str]]:
    if not staff:
        return [(c.command, c.description) for c in participant_commands(create_i18n(), code)]
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale(code):
        return [(name, str(text)) for name, text in PARTICIPANT_COMMANDS + STAFF_COMMANDS]


def _after_topic(msgid: str, code: str) -> str:
    """The translated words after `{topic}`: found whatever marks surround the team's word."""
    return tr(msgid, code).split("{topic}")[1]


@pytest.mark.parametrize(("language", "code"), LANGUAGES)
async def test_mid_feedback_one_tap_and_the_language_lands_on_the_same_step_in_it(
    emulator, start_bot, language, code
):
    running = await start_bot()
    _project_id, invite = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    amy = await join(emulator, 6101, code=invite)
    assert chat_menu(emulator, amy) == menu_in("en")
    await say(emulator, amy, "/menu")
    await press(emulator, amy, "Give feedback", "Transport")
    rating = amy.last_message
    assert rating.text == "Transport. How is it going?"

    await tap(emulator, amy, LANGUAGE_SWITCH)
    await press(emulator, amy, language)

    back = amy.last_message
    assert back.message_id == rating.message_id  # the same screen, not a new start
    assert "Transport" in back.text and _after_topic(RATING, code) in back.text
    assert "How is it going?" not in back.text
    await press(emulator, amy, f"🙂 {tr('Good', code)}", tr("Send without my name", code))
    assert tr("Thank you. Your answer is with the team.", code) in amy.last_message.text
    async with running.app.sessions() as session:
        [answer] = (await session.execute(select(Feedback))).scalars().all()
    assert (answer.topic, answer.rating, answer.anonymous) == ("Transport", 4, True)
    assert chat_menu(emulator, amy) == menu_in(code)  # "/" lists the commands in it too


async def test_a_welsh_speaker_with_an_english_phone_gets_welsh_commands(emulator, start_bot):
    await start_bot()
    cai = await join(emulator, 6102, language="Cymraeg", language_code="en")
    assert chat_menu(emulator, cai) == menu_in("cy")
    assert menu_in("cy") != menu_in("en")


async def test_language_from_a_command_returns_there_and_staff_keep_their_commands(
    emulator, start_bot
):
    running = await start_bot()
    project_id, _invite = await make_team(running.app)
    await make_staff(running.app, 6103, project_id)
    fay = await join(emulator, 6103)
    assert chat_menu(emulator, fay) == menu_in("en", staff=True)
    await say(emulator, fay, "/settings")
    assert fay.last_message.text.startswith("Your settings:")

    await say(emulator, fay, "/language")
    await press(emulator, fay, "العربية")

    assert fay.last_message.text.startswith(tr(SETTINGS, "ar").split("\n")[0])
    assert chat_menu(emulator, fay) == menu_in("ar", staff=True)
    await press(emulator, fay, tr("Back to the menu", "ar"))  # and the way on still works
    assert tr("Main menu. What would you like to do?", "ar") in fay.last_message.text


def without_clock(text: str) -> str:
    return re.sub(r"\(\d{1,2}:\d{2}\)", "(time)", text)


async def test_back_from_the_language_choice_changes_nothing(emulator, start_bot):
    await start_bot()
    ben = await join(emulator, 6104, language="Cymraeg")
    await say(emulator, ben, "/settings")
    settings = ben.last_message.text
    await tap(emulator, ben, LANGUAGE_SWITCH)
    assert tr("Your language is {language}. Choose a language.", "cy", language="Cymraeg") in (
        ben.last_message.text
    )
    await press(emulator, ben, tr("Back", "cy"))
    # The same screen; its time-zone line shows the time now, which may have turned a minute.
    assert without_clock(ben.last_message.text) == without_clock(settings)
    assert chat_menu(emulator, ben) == menu_in("cy")


async def test_language_with_nothing_open_ends_on_the_main_menu(emulator, start_bot):
    await start_bot()
    dee = await join(emulator, 6105)
    await say(emulator, dee, "/language")
    await press(emulator, dee, "Polski")
    await say(emulator, dee, "/language")  # on top of the Polish menu: back to it
    await press(emulator, dee, "Cymraeg")
    assert tr("Main menu. What would you like to do?", "cy") in dee.last_message.text
    assert dee.buttons.count(LANGUAGE_SWITCH_LABEL) == 1  # the globe, once


LANGUAGE_SWITCH_LABEL = "🌐 English · Cymraeg · Polski · العربية"


def test_every_participant_window_has_the_globe_and_no_staff_window_does():
    for dialog in dialogs_router().sub_routers:
        for state, window in dialog.windows.items():
            has_it = window.keyboard.find(LANGUAGE_SWITCH) is not None
            other = state.group in (Onboarding, *STAFF_STATE_GROUPS) or state == MainMenu.language
            assert has_it is not other, state
