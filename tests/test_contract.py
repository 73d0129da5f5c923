"""The bot keeps Telegram's contract in ordinary use: each press answered once, no edit that
changes nothing, no edit of a message that is not there, and a kind answer (no traceback) for
button data no screen of ours made. Every story also asserts 0 violations (tests/conftest.py)."""

from __future__ import annotations

import logging
import time

import pytest
from aiogram.exceptions import TelegramServerError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_dialog.utils import CB_SEP

from bot.app import create_bot
from bot.emulator import TelegramEmulator
from dialogs.rewards.taps import OFFER_PREFIX, REVIEW_PREFIX
from tests.conftest import (
    TOKEN,
    add_offer,
    button_data,
    join,
    press,
    settle,
    team_with_people,
)

_EDITS = ("editMessageText", "editMessageReplyMarkup", "editMessageCaption")
MENU = "Main menu. What would you like to do?"
NO_LONGER_WORKS = "Sorry, this button no longer works. Please use /menu."
NOT_AVAILABLE = "Sorry, this is not available to you."
OLD_BUTTON = "Sorry, that button is old. Here is the menu again."


def _answers(emulator: TelegramEmulator, update: dict) -> list:
    query_id = update["callback_query"]["id"]
    return [
        r
        for r in emulator.requests
        if r.method == "answerCallbackQuery" and r.params.get("callback_query_id") == query_id
    ]


def _press_with(emulator: TelegramEmulator, person, data: str, **query) -> dict:
    """A callback query as a forger (or inline mode) would send it, not as the emulator's
    SimulatedUser does: `query` gives or replaces its message."""
    query_id = f"forged-{emulator.state.new_query_id(person.id)}"
    emulator.state.callback_answers[query_id] = None
    body = {"id": query_id, "from": person.profile, "chat_instance": "1", "data": data, **query}
    return emulator.state.enqueue("callback_query", body)


def _edits_since(emulator: TelegramEmulator, start: int) -> list:
    return [r for r in emulator.requests[start:] if r.method in _EDITS]


async def test_no_two_presses_share_a_query_id(emulator, monkeypatch):
    """Each answer is matched to its press by the query id alone (the bot skips a second answer
    of an id it answered, tests count answers by id), so ids must never repeat: not for people
    whose ids begin alike, and not when the clock reads the same or goes round."""
    people = [emulator.user(91), emulator.user(9)]
    monkeypatch.setattr(time, "time", lambda: 0.001)
    updates = [await people[0].press_data("x")]
    updates += [await people[1].press_data("x") for _ in range(20)]
    monkeypatch.undo()
    ids = [update["callback_query"]["id"] for update in updates]
    assert all(query_id.isdigit() for query_id in ids)  # digits only, as Telegram's are
    assert len(set(ids)) == len(ids)


async def test_a_press_that_shows_a_toast_is_answered_exactly_once(emulator, start_bot):
    await start_bot()
    fin = await join(emulator, 9101)
    await settle(emulator, await fin.send_text("/pause"))
    update = await fin.press("Pause for 2 weeks")
    await settle(emulator, update)
    answers = _answers(emulator, update)
    assert len(answers) == 1, answers
    assert answers[0].ok and answers[0].params["text"] == "Paused. We will not send you messages."
    update = await fin.press("Turn messages on again")
    await settle(emulator, update)
    assert [a.ok for a in _answers(emulator, update)] == [True]


async def test_a_double_tap_changes_nothing_the_second_time_and_edits_nothing(emulator, start_bot):
    await start_bot()
    fin = await join(emulator, 9102)
    await settle(emulator, await fin.send_text("/pause"))
    data = fin.last_message.data_for("Pause for 2 weeks")
    screen = fin.last_message.message_id
    await settle(emulator, await fin.press_data(data, screen))
    paused = fin.last_message.text
    before = len(emulator.requests)
    second = await fin.press_data(data, screen)  # the same button, tapped again
    await settle(emulator, second)
    assert _edits_since(emulator, before) == []
    assert fin.last_message.text == paused
    assert len(_answers(emulator, second)) == 1


async def test_an_unknown_button_on_the_menu_is_answered_once_and_edits_nothing(
    emulator, start_bot
):
    await start_bot()
    gus = await join(emulator, 9103)
    await settle(emulator, await gus.send_text("/menu"))
    menu = gus.last_message
    before = len(emulator.requests)
    update = await gus.press_data("not-a-real-button", message_id=menu.message_id)
    await settle(emulator, update)
    assert _edits_since(emulator, before) == []  # the fresh menu is the one on screen
    assert gus.last_message.text == menu.text and gus.last_message.labels == menu.labels
    assert [a.ok for a in _answers(emulator, update)] == [True]


async def test_a_button_on_a_message_that_is_not_there_edits_no_message(emulator, start_bot):
    await start_bot()
    fay = await join(emulator, 9104)
    await press(emulator, fay, "Help")
    help_screen = fay.last_message
    data = help_screen.data_for("Back")
    # Telegram's own shape for a message it no longer has, then a whole message made up.
    inaccessible = await fay.press_data(data, message_id=help_screen.message_id + 1000)
    await settle(emulator, inaccessible)
    await press(emulator, fay, "Help")
    forged = {**fay.last_message.raw, "message_id": fay.last_message.message_id + 500}
    made_up = _press_with(emulator, fay, fay.last_message.data_for("Back"), message=forged)
    await settle(emulator, made_up)
    for update in (inaccessible, made_up):
        assert len(_answers(emulator, update)) == 1
    edited = {r.params.get("message_id") for r in emulator.requests if r.method in _EDITS}
    assert edited <= {m.message_id for m in fay.messages}
    assert MENU in fay.last_message.text


async def test_a_forged_number_beyond_any_id_gets_the_old_button_answer(
    emulator, start_bot, caplog
):
    caplog.set_level(logging.ERROR)
    running = await start_bot()
    project_id, fay, _people = await team_with_people(emulator, running.app, {}, facilitator=9105)
    await add_offer(running.app, project_id, "First aid course")
    await press(emulator, fay, "Team tools", "Thank-you offers")
    data, message_id = button_data(fay, "offer")
    for number in (2**63, 2**64 + 7, 10**30):
        prefix, _sep, _item = data.rpartition(":")
        update = await fay.press_data(f"{prefix}:{number}", message_id)
        await settle(emulator, update)
        answers = _answers(emulator, update)
        assert [a.params.get("text") for a in answers] == [OLD_BUTTON]
    # Buttons under the bot's notices carry a number too, with no dialog behind them.
    for prefix in (OFFER_PREFIX, REVIEW_PREFIX):
        update = await fay.press_data(f"{prefix}{2**64}", message_id)
        await settle(emulator, update)
        [answer] = _answers(emulator, update)
        assert answer.ok and answer.params.get("text") in (NO_LONGER_WORKS, NOT_AVAILABLE)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert CB_SEP in data


async def test_a_press_with_no_message_is_answered_once_kindly(emulator, start_bot, caplog):
    caplog.set_level(logging.ERROR)
    await start_bot()
    ann = await join(emulator, 9106)
    for data in ("not-a-real-button", ann.last_message.callback_data[0][0]):
        update = _press_with(emulator, ann, data, inline_message_id="AAAAAAAAAAAAAAAA")
        await settle(emulator, update)
        answers = _answers(emulator, update)
        assert [a.ok for a in answers] == [True], answers
        assert answers[0].params.get("text")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_screen_whose_edit_may_have_landed_is_drawn_again_not_taken_as_shown(emulator):
    """The guard that skips edits which change nothing must never skip one that does: after an
    edit failed in a way that may have landed (a 502 after Telegram applied it), what the
    message shows is unknown, so putting the old screen back is really sent."""
    bot = create_bot(TOKEN, emulator.api_url)
    ann = emulator.user(9107)
    buttons = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Yes", callback_data="yes")]]
    )
    try:
        sent = await bot.send_message(ann.id, "Can you come?", reply_markup=buttons)
        emulator.inject_fault("editMessageText", kind="502-after")
        with pytest.raises(TelegramServerError):
            await bot.edit_message_text(
                "Thank you", chat_id=ann.id, message_id=sent.message_id, reply_markup=buttons
            )
        assert ann.last_message.text == "Thank you"  # it landed; the bot was told it failed
        await bot.edit_message_text(
            "Can you come?", chat_id=ann.id, message_id=sent.message_id, reply_markup=buttons
        )
        assert ann.last_message.text == "Can you come?"
    finally:
        await bot.session.close()
