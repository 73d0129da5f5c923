"""A newcomer's first minutes: language, welcome, joining, main menu, help; and kind answers to
odd input."""

from __future__ import annotations

import pytest

from bot.i18n import create_i18n
from tests.conftest import join, settle

MENU = "Main menu. What would you like to do?"


async def test_start_suggests_the_telegram_language_first(emulator, start_bot):
    await start_bot()
    ann = emulator.user(1001, first_name="Ann", language_code="pl-PL")
    await settle(emulator, await ann.send_text("/start"))
    assert ann.buttons[0] == "Polski"
    assert set(ann.buttons) == {"English", "Cymraeg", "Polski", "العربية"}


@pytest.mark.parametrize(
    ("language", "code"),
    [("English", "en"), ("Cymraeg", "cy"), ("Polski", "pl"), ("العربية", "ar")],
)
async def test_a_newcomer_joins_and_reaches_the_main_menu_in_their_language(
    emulator, start_bot, language, code
):
    await start_bot()
    person = await join(emulator, 1002, language=language, name="Ola")
    menu = create_i18n().gettext(MENU, locale=code)
    assert menu in person.last_message.text
    assert "Ola" in person.last_message.text
    # Feedback, meetings, updates, my feedback, offers, my contribution, help, language,
    # settings, pause: and no team tools for a participant.
    assert len(person.buttons) == 10


async def test_returning_participant_goes_straight_to_the_menu_and_can_read_help(
    emulator, start_bot
):
    await start_bot()
    ben = await join(emulator, 1003)
    await settle(emulator, await ben.send_text("/start"))
    assert MENU in ben.last_message.text
    await settle(emulator, await ben.press("Help"))
    assert "/menu" in ben.last_message.text
    await settle(emulator, await ben.press("Back"))
    assert MENU in ben.last_message.text


async def test_changing_language_at_any_time(emulator, start_bot, caplog):
    await start_bot()
    cai = await join(emulator, 1004)
    await settle(emulator, await cai.send_text("/language"))
    update = await cai.press("Cymraeg")
    await settle(emulator, update)
    welsh_menu = create_i18n().gettext(MENU, locale="cy")
    assert welsh_menu in cai.last_message.text
    answer = emulator.callback_answer(update["callback_query"]["id"])
    assert answer["text"] == create_i18n().gettext(
        "Done. I will use this language from now on.", locale="cy"
    )
    assert "Cannot answer callback" not in caplog.text


async def test_every_step_of_joining_has_a_way_back(emulator, start_bot):
    await start_bot()
    eli = emulator.user(1009, first_name="Eli", language_code="en")
    await settle(emulator, await eli.send_text("/start"))
    await settle(emulator, await eli.press("English"))
    await settle(emulator, await eli.press("Next"))
    consent_text = eli.last_message.text
    await settle(emulator, await eli.press("Read more"))
    assert "/forget" in eli.last_message.text
    await settle(emulator, await eli.press("Back"))
    assert eli.last_message.text == consent_text
    await settle(emulator, await eli.press("Back"))
    assert "Welcome" in eli.last_message.text


async def test_someone_who_stops_halfway_carries_on_where_they_were(emulator, start_bot):
    await start_bot()
    fin = emulator.user(1010, first_name="Fin", language_code="en")
    await settle(emulator, await fin.send_text("/start"))
    await settle(emulator, await fin.press("English"))
    await settle(emulator, await fin.press("Next"))
    await settle(emulator, await fin.press("I agree"))
    question = fin.last_message.text
    await settle(emulator, await fin.send_text("/start"))
    assert fin.last_message.text == question


async def test_typing_in_the_menu_gets_a_kind_answer_and_the_buttons_again(emulator, start_bot):
    await start_bot()
    dee = await join(emulator, 1005)
    await settle(emulator, await dee.send_text("hello???"))
    texts = [message.text for message in dee.messages[-2:]]
    assert "did not understand" in texts[0]
    assert MENU in texts[1] and dee.buttons


async def test_a_sticker_or_voice_note_gets_a_kind_answer(emulator, start_bot):
    await start_bot()
    eve = emulator.user(1006, first_name="Eve", language_code="en")
    await settle(emulator, await eve.send_text("/start"))
    await settle(emulator, await eve.send_sticker())
    assert any("this kind of message" in (m.text or "") for m in eve.messages)
    await settle(emulator, await eve.send_voice())
    assert eve.buttons  # the language picker is shown again


async def test_a_stale_button_is_answered_with_a_fresh_menu(emulator, start_bot):
    await start_bot()
    fay = await join(emulator, 1007)
    await settle(emulator, await fay.press("Help"))
    old_help = fay.last_message
    await settle(emulator, await fay.send_text("/menu"))  # the help screen's dialog is gone now
    update = await fay.press_data(old_help.data_for("Back"), message_id=old_help.message_id)
    await settle(emulator, update)
    answer = emulator.callback_answer(update["callback_query"]["id"])
    assert answer is not None and "old" in answer["text"]
    assert MENU in fay.last_message.text


async def test_a_forged_button_is_answered_and_changes_nothing(emulator, start_bot):
    await start_bot()
    gus = emulator.user(1008, first_name="Gus", language_code="en")
    await settle(emulator, await gus.send_text("/start"))
    picker = gus.last_message
    update = await gus.press_data("not-a-real-button", message_id=picker.message_id)
    await settle(emulator, update)
    assert emulator.callback_answer(update["callback_query"]["id"]) is not None
    assert gus.buttons  # still offered a way on
