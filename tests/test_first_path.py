"""A newcomer's first minutes: language, welcome, main menu, help; and kind answers to odd input."""

from __future__ import annotations

import pytest

from tests.conftest import settle

WELCOME = {
    "en": "Welcome to Coproduce",
    "cy": "Croeso i Coproduce",
    "pl": "Witamy w Coproduce",
    "ar": "Coproduce",
}


async def test_start_suggests_the_telegram_language_first(emulator, start_bot):
    await start_bot()
    ann = emulator.user(1001, first_name="Ann", language_code="pl-PL")
    await settle(emulator, await ann.send_text("/start"))
    assert ann.buttons[0] == "Polski"
    assert set(ann.buttons) == {"English", "Cymraeg", "Polski", "العربية"}


@pytest.mark.parametrize("language", ["English", "Cymraeg", "Polski", "العربية"])
async def test_a_newcomer_reaches_the_main_menu_in_their_language(emulator, start_bot, language):
    await start_bot()
    ann = emulator.user(1002, first_name="Ann", language_code="en")
    await settle(emulator, await ann.send_text("/start"))
    await settle(emulator, await ann.press(language))
    welcome = ann.last_message.text
    assert "Coproduce" in welcome
    assert len(ann.buttons) == 1
    await settle(emulator, await ann.press(ann.buttons[0]))
    menu = ann.last_message.text
    assert menu != welcome
    assert len(ann.buttons) == 2  # help and language; no team tools for a participant
    if language != "English":
        assert "What would you like to do?" not in menu


async def test_returning_participant_goes_straight_to_the_menu_and_can_read_help(
    emulator, start_bot
):
    await start_bot()
    ben = emulator.user(1003, first_name="Ben", language_code="en")
    await settle(emulator, await ben.send_text("/start"))
    await settle(emulator, await ben.press("English"))
    await settle(emulator, await ben.send_text("/start"))
    assert "Main menu" in ben.last_message.text
    await settle(emulator, await ben.press("Help"))
    assert "/menu" in ben.last_message.text
    await settle(emulator, await ben.press("Back"))
    assert "Main menu" in ben.last_message.text


async def test_changing_language_at_any_time(emulator, start_bot):
    await start_bot()
    cai = emulator.user(1004, first_name="Cai", language_code="en")
    await settle(emulator, await cai.send_text("/start"))
    await settle(emulator, await cai.press("English"))
    await settle(emulator, await cai.send_text("/language"))
    await settle(emulator, await cai.press("Cymraeg"))
    assert "Main menu" not in cai.last_message.text
    await settle(emulator, await cai.send_text("/menu"))
    welsh_menu = cai.last_message.text
    assert "Main menu" not in welsh_menu and welsh_menu


async def test_typing_in_the_menu_gets_a_kind_answer_and_the_buttons_again(emulator, start_bot):
    await start_bot()
    dee = emulator.user(1005, first_name="Dee", language_code="en")
    await settle(emulator, await dee.send_text("/start"))
    await settle(emulator, await dee.press("English"))
    await settle(emulator, await dee.send_text("/menu"))
    await settle(emulator, await dee.send_text("hello???"))
    texts = [message.text for message in dee.messages[-2:]]
    assert "did not understand" in texts[0]
    assert "Main menu" in texts[1] and dee.buttons


async def test_a_sticker_or_voice_note_gets_a_kind_answer(emulator, start_bot):
    await start_bot()
    eve = emulator.user(1006, first_name="Eve", language_code="en")
    await settle(emulator, await eve.send_text("/start"))
    await settle(emulator, await eve.send_sticker())
    assert any("this kind of message" in (m.text or "") for m in eve.messages)
    assert eve.buttons  # the language picker is shown again


async def test_a_stale_button_is_answered_with_a_fresh_menu(emulator, start_bot):
    await start_bot()
    fay = emulator.user(1007, first_name="Fay", language_code="en")
    await settle(emulator, await fay.send_text("/start"))
    await settle(emulator, await fay.press("English"))
    old_welcome = fay.last_message
    await settle(emulator, await fay.send_text("/menu"))  # the welcome's dialog is gone now
    update = await fay.press_data(
        old_welcome.data_for("Open the menu"), message_id=old_welcome.message_id
    )
    await settle(emulator, update)
    answer = emulator.callback_answer(update["callback_query"]["id"])
    assert answer is not None and "old" in answer["text"]
    assert "Main menu" in fay.last_message.text


async def test_a_forged_button_is_answered_and_changes_nothing(emulator, start_bot):
    await start_bot()
    gus = emulator.user(1008, first_name="Gus", language_code="en")
    await settle(emulator, await gus.send_text("/start"))
    picker = gus.last_message
    update = await gus.press_data("not-a-real-button", message_id=picker.message_id)
    await settle(emulator, update)
    assert emulator.callback_answer(update["callback_query"]["id"]) is not None
    assert gus.buttons  # still offered a way on
