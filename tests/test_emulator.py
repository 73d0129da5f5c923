"""The local Telegram refuses what Telegram refuses and behaves the way our bot relies on.

Most stories drive the emulator with a real aiogram Bot, so the errors are the exceptions the
bot will meet in production; malformed requests aiogram would never send go through raw HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiohttp import web

from bot.emulator import ButtonNotFoundError, TelegramEmulator, errors
from bot.emulator.contract import load_contract
from bot.emulator.limits import RateLimiter

TOKEN = "123456:" + "A" * 35
ANN = 1001


class FakeClock:
    """Lets rate-limit stories pass seconds without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(rate_limits=False)
    await emulator.start()
    emulator.user(ANN, first_name="Ann", language_code="cy")
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: TelegramEmulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emu.api_url))
    telegram_bot = Bot(TOKEN, session=session)
    yield telegram_bot
    await session.close()


async def raw_call(
    emu: TelegramEmulator, method: str, token: str = TOKEN, **kwargs: object
) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emu.api_url}/bot{token}/{method}", **kwargs) as response,
    ):
        return response.status, await response.json()


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    )


# -- the contract --------------------------------------------------------------------------


def test_contract_covers_every_method_with_attribution() -> None:
    contract = load_contract()
    assert contract.version == "Bot API 10.1"
    assert len(contract.methods) >= 170
    send = {f["name"]: f for f in contract.methods["sendMessage"]}
    assert send["text"]["required"] and send["chat_id"]["types"] == ["Integer", "String"]
    assert "BotCommandScopeChat" in contract.types["BotCommandScope"]["subtypes"]


async def test_a_4096_character_message_arrives_but_4097_is_refused(
    emu: TelegramEmulator, bot: Bot
) -> None:
    sent = await bot.send_message(ANN, "x" * 4096)
    assert len(sent.text) == 4096
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(ANN, "x" * 4097)
    assert emu.requests[-1].error_code == 400
    assert len(emu.user(ANN).messages) == 1


async def test_text_length_is_counted_after_html_tags_are_removed(
    emu: TelegramEmulator, bot: Bot
) -> None:
    sent = await bot.send_message(ANN, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert sent.text == "x" * 4096
    assert sent.entities[0].type == "bold"


async def test_callback_data_is_limited_to_64_bytes_not_characters(bot: Bot) -> None:
    await bot.send_message(ANN, "Iaith?", reply_markup=keyboard(("Cymraeg", "é" * 32)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        # 33 characters, but 66 bytes in UTF-8
        await bot.send_message(ANN, "Iaith?", reply_markup=keyboard(("Cymraeg", "é" * 33)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(ANN, "Iaith?", reply_markup=keyboard(("Cymraeg", "a" * 65)))


async def test_a_caption_over_1024_characters_is_refused(bot: Bot) -> None:
    paper = BufferedInputFile(b"minutes", "minutes.txt")
    await bot.send_document(ANN, paper, caption="c" * 1024)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(ANN, paper, caption="c" * 1025)


async def test_an_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(999_999, "hello?")


async def test_malformed_calls_are_refused_like_telegram(emu: TelegramEmulator) -> None:
    status, body = await raw_call(emu, "sendMesage", data={"chat_id": ANN, "text": "hi"})
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})

    status, body = await raw_call(emu, "sendMessage", data={"chat_id": str(ANN)})
    assert status == 400 and body["description"] == "Bad Request: message text is empty"

    status, body = await raw_call(emu, "deleteMessage", data={"chat_id": str(ANN)})
    assert status == 400 and "message_id" in body["description"]

    status, body = await raw_call(
        emu, "editMessageText", data={"chat_id": ANN, "message_id": "first", "text": "x"}
    )
    assert status == 400 and "Integer" in body["description"]

    status, body = await raw_call(emu, "getMe", token="not-a-token")
    assert (status, body["description"]) == (401, "Unauthorized")


async def test_a_keyboard_button_without_text_or_action_is_refused(emu: TelegramEmulator) -> None:
    no_text = {"inline_keyboard": [[{"callback_data": "go"}]]}
    status, body = await raw_call(
        emu, "sendMessage", data={"chat_id": ANN, "text": "hi", "reply_markup": json.dumps(no_text)}
    )
    assert status == 400 and "text" in body["description"]

    no_action = {"inline_keyboard": [[{"text": "Go"}]]}
    status, body = await raw_call(
        emu, "sendMessage", json={"chat_id": ANN, "text": "hi", "reply_markup": no_action}
    )
    assert status == 400 and "Text buttons are unallowed" in body["description"]

    status, body = await raw_call(
        emu, "sendMessage", data={"chat_id": ANN, "text": "hi", "reply_markup": "{not json"}
    )
    assert status == 400


async def test_json_bodies_and_query_strings_work_like_forms(emu: TelegramEmulator) -> None:
    status, body = await raw_call(emu, "sendMessage", json={"chat_id": ANN, "text": "json"})
    assert status == 200 and body["result"]["text"] == "json"
    status, body = await raw_call(emu, "sendMessage", params={"chat_id": ANN, "text": "query"})
    assert status == 200 and body["result"]["chat"] == {
        "id": ANN,
        "type": "private",
        "first_name": "Ann",
    }
    status, body = await raw_call(emu, "setChatTitle", data={"chat_id": ANN, "title": "t"})
    assert body == {"ok": True, "result": True}


# -- updates -------------------------------------------------------------------------------


async def test_a_long_poll_wakes_when_a_user_writes_and_repeats_until_confirmed(
    emu: TelegramEmulator, bot: Bot
) -> None:
    ann = emu.user(ANN)
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.05)
    assert not poll.done()
    sent = await ann.send_text("/start")
    updates = await asyncio.wait_for(poll, 2)
    assert [u.update_id for u in updates] == [sent["update_id"]]
    assert updates[0].message.text == "/start"
    assert updates[0].message.entities[0].type == "bot_command"

    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [sent["update_id"]]
    assert not await emu.wait_until_confirmed(sent["update_id"], timeout=0.05)

    await bot.get_updates(offset=sent["update_id"] + 1, timeout=0)
    assert await emu.wait_until_confirmed(sent["update_id"], timeout=1)
    assert await bot.get_updates(timeout=0) == []


async def test_users_queue_updates_in_order_while_nobody_polls(
    emu: TelegramEmulator, bot: Bot
) -> None:
    ann, bob = emu.user(ANN), emu.user(1002, first_name="Bob")
    queued = [
        await ann.send_text("hello"),
        await bob.send_voice(duration=3),
        await ann.send_photo(),
        await bob.send_sticker(),
        await ann.send_document("agenda.pdf"),
    ]
    ids = [u["update_id"] for u in queued]
    assert ids == sorted(ids) and len(set(ids)) == 5
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == ids
    assert updates[1].message.voice.duration == 3
    assert updates[3].message.sticker.emoji
    assert updates[4].message.document.file_name == "agenda.pdf"
    voice = await bot.get_file(updates[1].message.voice.file_id)
    assert (await bot.download_file(voice.file_path)).read().startswith(b"OggS")


async def test_pressing_a_button_sends_its_callback_data(emu: TelegramEmulator, bot: Bot) -> None:
    ann = emu.user(ANN)
    await bot.send_message(ANN, "Which language?", reply_markup=keyboard(("English", "lang:en")))
    update = await ann.press("English")
    query = update["callback_query"]
    assert query["data"] == "lang:en"
    assert query["from"]["id"] == ANN and query["message"]["text"] == "Which language?"

    assert emu.callback_answer(query["id"]) is None
    await bot.answer_callback_query(query["id"], text="Diolch")
    assert emu.callback_answer(query["id"]) == {
        "text": "Diolch",
        "show_alert": False,
        "url": None,
        "cache_time": 0,
    }
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query["id"])
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("forged-id")


async def test_pressing_a_missing_button_says_what_is_on_screen(
    emu: TelegramEmulator, bot: Bot
) -> None:
    await bot.send_message(ANN, "Menu", reply_markup=keyboard(("Help", "help"), ("Stop", "stop")))
    with pytest.raises(ButtonNotFoundError, match=r"'Help', 'Stop'"):
        await emu.user(ANN).press("Settings")


async def test_a_forged_callback_on_a_deleted_message_arrives_as_inaccessible(
    emu: TelegramEmulator, bot: Bot
) -> None:
    ann = emu.user(ANN)
    sent = await bot.send_message(ANN, "Old menu", reply_markup=keyboard(("Go", "go")))
    await bot.delete_message(ANN, sent.message_id)
    assert ann.messages == []
    await ann.press_data("admin:delete_all", message_id=sent.message_id)
    [update] = await bot.get_updates(timeout=0)
    assert update.callback_query.data == "admin:delete_all"
    assert isinstance(update.callback_query.message, InaccessibleMessage)


# -- what the user sees ----------------------------------------------------------------------


async def test_edits_show_to_the_user_and_an_identical_edit_is_not_modified(
    emu: TelegramEmulator, bot: Bot
) -> None:
    ann = emu.user(ANN)
    menu = keyboard(("Yes", "vote:yes"), ("No", "vote:no"))
    sent = await bot.send_message(ANN, "Can you come on Tuesday?", reply_markup=menu)
    assert ann.buttons == ["Yes", "No"]

    await bot.edit_message_text(
        "Thanks, see you Tuesday", chat_id=ANN, message_id=sent.message_id, reply_markup=menu
    )
    assert ann.last_message.text == "Thanks, see you Tuesday" and ann.last_message.edited
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Thanks, see you Tuesday", chat_id=ANN, message_id=sent.message_id, reply_markup=menu
        )
    # Editing without a keyboard removes it, so the content did change.
    await bot.edit_message_text("Thanks, see you Tuesday", chat_id=ANN, message_id=sent.message_id)
    assert ann.buttons == []
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=ANN, message_id=9999)


async def test_waiting_for_the_bot_sees_new_and_edited_messages(
    emu: TelegramEmulator, bot: Bot
) -> None:
    ann = emu.user(ANN)
    waiting = asyncio.create_task(ann.wait_for_message(lambda m: "agenda" in m.body, timeout=2))
    await asyncio.sleep(0.01)
    sent = await bot.send_message(ANN, "Hello")
    await bot.edit_message_text("Here is the agenda", chat_id=ANN, message_id=sent.message_id)
    seen = await waiting
    assert seen.message_id == sent.message_id and seen.edited
    with pytest.raises(TimeoutError, match="Here is the agenda"):
        await ann.wait_for_message(timeout=0.05)


async def test_a_real_bot_answers_a_user_story(emu: TelegramEmulator, bot: Bot) -> None:
    """/start -> language question -> press -> the same message is edited."""
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Which language?", reply_markup=keyboard(("Cymraeg", "lang:cy")))

    @dp.callback_query(F.data.startswith("lang:"))
    async def chosen(query: CallbackQuery) -> None:
        await query.message.edit_text("Croeso!")
        await query.answer("Iawn")

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        ann = emu.user(ANN)
        await ann.send_text("/start")
        question = await ann.wait_for_message()
        assert question.buttons == [["Cymraeg"]]
        pressed = await ann.press("Cymraeg")
        answer = await ann.wait_for_message(lambda m: m.text == "Croeso!")
        assert answer.message_id == question.message_id
        assert await emu.wait_until_confirmed(pressed["update_id"], timeout=3)
        await emu.state.wait_for(lambda: emu.callback_answer(pressed["callback_query"]["id"]), 2)
        assert emu.callback_answer(pressed["callback_query"]["id"])["text"] == "Iawn"
    finally:
        await dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await polling


# -- limits and failures -------------------------------------------------------------------


async def test_flooding_one_chat_gets_429_and_pacing_does_not(
    emu: TelegramEmulator, bot: Bot
) -> None:
    clock = FakeClock()
    emu.limiter = RateLimiter(enabled=True, clock=clock)
    for _ in range(3):  # a short burst is tolerated
        await bot.send_message(ANN, "update")
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(ANN, "update")
    assert refused.value.retry_after >= 1
    assert emu.stats.rejected_429 == 1

    clock.now += refused.value.retry_after
    for _ in range(10):  # one message a second is always fine
        await bot.send_message(ANN, "paced")
        clock.now += 1
    assert emu.stats.rejected_429 == 1


async def test_more_than_30_messages_a_second_overall_gets_429(
    emu: TelegramEmulator, bot: Bot
) -> None:
    emu.limiter = RateLimiter(enabled=True, clock=FakeClock())
    for user_id in range(2000, 2030):
        emu.user(user_id)
        await bot.send_message(user_id, "reminder")
    emu.user(2030)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(2030, "reminder")
    assert emu.sent_count == 30


async def test_injected_faults_fail_like_telegram(emu: TelegramEmulator, bot: Bot) -> None:
    emu.inject_fault("sendMessage", kind="403", chat_id=ANN)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(ANN, "hi")
    emu.inject_fault("sendMessage", kind="500")
    with pytest.raises(TelegramServerError):
        await bot.send_message(ANN, "hi")
    emu.inject_fault("sendMessage", kind="429", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(ANN, "hi")
    assert refused.value.retry_after == 7
    emu.inject_fault("sendMessage", kind="timeout", delay=5)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(ANN, "hi", request_timeout=0.3)

    await bot.send_message(ANN, "finally")  # faults are used up
    assert [m.text for m in emu.user(ANN).messages] == ["finally"]
    codes = [r.error_code for r in emu.requests if r.method == "sendMessage"]
    assert codes[:3] == [403, 500, 429]


async def test_a_user_who_blocks_the_bot_gets_nothing_and_the_bot_is_told(
    emu: TelegramEmulator, bot: Bot
) -> None:
    update = emu.block(ANN)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(ANN, "reminder")
    emu.unblock(ANN)
    await bot.send_message(ANN, "reminder")


# -- webhook -------------------------------------------------------------------------------


async def test_webhook_delivery_carries_the_secret_and_retries_until_accepted(
    emu: TelegramEmulator, bot: Bot
) -> None:
    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=500 if len(received) == 1 else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()
        sent = await emu.user(ANN).send_text("hello")
        assert await emu.wait_until_confirmed(sent["update_id"], timeout=3)
        assert len(received) == 2  # the first delivery got a 500 and was retried
        assert received[1] == ("s3cret", sent)
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0 and "500" in info.last_error_message
        await bot.delete_webhook()
        assert await bot.get_updates(timeout=0) == []
    finally:
        await runner.cleanup()


# -- commands and the control API ----------------------------------------------------------


async def test_commands_are_kept_per_scope_and_language(emu: TelegramEmulator, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands(
        [BotCommand(command="dechrau", description="Dechrau")],
        scope=BotCommandScopeChat(chat_id=ANN),
        language_code="cy",
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    welsh = await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=ANN), language_code="cy")
    assert [c.command for c in welsh] == ["dechrau"]
    assert emu.commands() == [{"command": "start", "description": "Start"}]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start", description="Start")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == []


async def test_another_process_can_act_as_a_user(emu: TelegramEmulator, bot: Bot) -> None:
    await bot.send_message(ANN, "Ready?", reply_markup=keyboard(("Yes", "ready:yes")))
    async with aiohttp.ClientSession(base_url=emu.api_url) as http:
        async with http.post(f"/_emulator/users/{ANN}/press", json={"label": "Yes"}) as r:
            assert (await r.json())["result"]["callback_query"]["data"] == "ready:yes"
        async with http.post(f"/_emulator/users/{ANN}/text", json={"text": "hi"}) as r:
            assert r.status == 200
        async with http.get(f"/_emulator/chats/{ANN}/messages") as r:
            assert [m["text"] for m in (await r.json())["result"]] == ["Ready?"]


# -- contract violations ---------------------------------------------------------------------


async def test_each_contract_refusal_is_recorded_in_telegrams_words(
    emu: TelegramEmulator, bot: Bot
) -> None:
    ann = emu.user(ANN)
    sent = await bot.send_message(ANN, "Menu", reply_markup=keyboard(("Help", "help")))
    query = (await ann.press("Help"))["callback_query"]
    await bot.answer_callback_query(query["id"])
    own = (await ann.send_text("hello"))["message"]["message_id"]
    refusals = [
        bot.answer_callback_query(query["id"], text="again"),
        bot.edit_message_text(
            "Menu", chat_id=ANN, message_id=sent.message_id, reply_markup=keyboard(("Help", "help"))
        ),
        bot.edit_message_text("x", chat_id=ANN, message_id=9999),
        bot.edit_message_text("x", chat_id=ANN, message_id=own),
        bot.delete_message(ANN, 9999),
    ]
    for call in refusals:
        with pytest.raises(TelegramBadRequest):
            await call
    status, _body = await raw_call(
        emu, "sendMessage", data={"chat_id": ANN, "text": "hi", "reply_markup": "[1]"}
    )
    assert status == 400
    status, _body = await raw_call(emu, "sendTelepathy", data={"chat_id": ANN})
    assert status == 404
    assert [(v.method, v.description) for v in emu.violations] == [
        ("answerCallbackQuery", errors.QUERY_TOO_OLD),
        ("editMessageText", errors.NOT_MODIFIED),
        ("editMessageText", errors.MESSAGE_TO_EDIT_NOT_FOUND),
        ("editMessageText", errors.MESSAGE_CANT_BE_EDITED),
        ("deleteMessage", errors.MESSAGE_TO_DELETE_NOT_FOUND),
        ("sendMessage", emu.requests[-2].description),
        ("sendTelepathy", "Not Found"),
    ]
    assert len(emu.requests) > len(emu.violations)  # the log of every call stays as it was


async def test_faults_limits_and_blocked_users_are_not_violations(
    emu: TelegramEmulator, bot: Bot
) -> None:
    for kind in ("400", "403", "409", "500", "429"):
        emu.inject_fault("sendMessage", kind=kind)  # type: ignore[arg-type]
        with pytest.raises(Exception):  # noqa: B017 - each fault has its own aiogram error
            await bot.send_message(ANN, "hi")
    emu.block(ANN)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(ANN, "hi")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "hi")
    assert emu.violations == []
