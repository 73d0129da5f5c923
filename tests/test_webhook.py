"""Behind a webhook the bot answers only Telegram (the secret token), after handling each update;
anything that is not an update gets 400 and leaves nothing it held in the logs."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import warnings
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Message
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.exc import OperationalError

from bot.config import ConfigError
from bot.runner import run_webhook
from bot.webhook import UpdateRequestHandler
from tests.conftest import bot_settings, settle

SECRET = "s3cret-token_for-tests-only"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_webhook_needs_a_secret_token(emulator, tmp_path):
    settings = bot_settings(emulator, tmp_path, webhook_url="http://127.0.0.1:9/telegram")
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET"):
        await run_webhook(settings)


async def test_webhook_serves_telegram_and_refuses_a_wrong_secret(emulator, tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = bot_settings(
        emulator,
        tmp_path,
        webhook_url=url,
        webhook_secret=SECRET,
        webhook_port=port,
    )
    stop = asyncio.Event()
    server = asyncio.create_task(run_webhook(settings, stop))
    try:
        for _ in range(100):  # until the webhook is registered with "Telegram"
            if emulator.state.webhook is not None:
                break
            await asyncio.sleep(0.05)
        ann = emulator.user(3001, first_name="Ann", language_code="cy")
        await settle(emulator, await ann.send_text("/start"))
        assert ann.buttons[0] == "Cymraeg"

        forged = {
            "update_id": 999_999,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 3002, "type": "private"},
                "from": {"id": 3002, "is_bot": False, "first_name": "Mallory"},
                "text": "/start",
            },
        }
        async with aiohttp.ClientSession() as http:
            for secret in (None, "wrong-secret"):
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                async with http.post(url, json=forged, headers=headers) as response:
                    assert response.status == 401
        await asyncio.sleep(0.2)
        assert not emulator.user(3002).messages
    finally:
        stop.set()
        await server


# A value only the bad bodies hold: it must appear in no log line and no warning.
MARKER = "Mallory-7391-typed-this"


def _update(update_id: int, user_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Ann"},
            "text": text,
        },
    }


def _deep(depth: int) -> str:
    return '{"update_id": 7, "x": ' + "[" * depth + json.dumps(MARKER) + "]" * depth + "}"


def _nested_replies(depth: int) -> str:
    """A message replying to a message replying to ... none with a date: pydantic reads deep."""
    head = '{"message_id": 2, "chat": {"id": 1, "type": "private"}, "reply_to_message": '
    inner = json.dumps({"message_id": 2, "chat": {"id": 1, "type": "private"}, "text": MARKER})
    message = head * depth + inner + "}" * depth
    return '{"update_id": 15, "message": ' + message + "}"


JSON = "application/json"
BAD_BODIES = {
    "malformed JSON": (json.dumps(_update(11, 3101, MARKER))[:-7].encode(), JSON),
    "an empty body": (b"", JSON),
    "an empty list": (b"[]", JSON),
    "a list of updates": (json.dumps([_update(12, 3101, MARKER)]).encode(), JSON),
    "null": (b"null", JSON),
    "a string": (json.dumps(MARKER).encode(), JSON),
    "an object that is no update": (json.dumps({"hello": MARKER}).encode(), JSON),
    "an update with no event": (json.dumps({"update_id": 13, "note": MARKER}).encode(), JSON),
    "fields of the wrong type": (
        json.dumps({"update_id": MARKER, "message": {"text": MARKER}}).encode(),
        JSON,
    ),
    "a message with no chat": (
        json.dumps({"update_id": 14, "message": {"message_id": 1, "text": MARKER}}).encode(),
        JSON,
    ),
    "an id beyond 64 bits": (json.dumps(_update(2**64, 3101, MARKER)).encode(), JSON),
    "deep nesting": (_deep(100_000).encode(), JSON),
    "replies nested in replies": (_nested_replies(400).encode(), JSON),
    "not UTF-8": (b'{"update_id": 16, "x": "\xff\xfe' + MARKER.encode() + b'"}', JSON),
    "text/plain": (json.dumps(_update(17, 3101, MARKER)).encode(), "text/plain"),
}


@asynccontextmanager
async def _running_webhook(emulator, tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = bot_settings(
        emulator, tmp_path, webhook_url=url, webhook_secret=SECRET, webhook_port=port
    )
    stop = asyncio.Event()
    server = asyncio.create_task(run_webhook(settings, stop))
    try:
        for _ in range(200):  # until the webhook is registered with "Telegram"
            if emulator.state.webhook is not None:
                break
            await asyncio.sleep(0.05)
        yield url
    finally:
        stop.set()
        await server


async def test_a_body_that_is_not_an_update_gets_400_and_leaves_no_trace_of_itself(
    emulator, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    async with _running_webhook(emulator, tmp_path) as url:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            async with aiohttp.ClientSession() as http:
                for what, (body, content_type) in BAD_BODIES.items():
                    headers = {
                        "X-Telegram-Bot-Api-Secret-Token": SECRET,
                        "Content-Type": content_type,
                    }
                    async with http.post(url, data=body, headers=headers) as response:
                        assert response.status == 400, what
                        assert MARKER not in await response.text(), what
        refused = [r for r in caplog.records if r.name == "bot.webhook"]
        assert len(refused) == len(BAD_BODIES)  # one plain line each
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
        assert not any(r.exc_info for r in caplog.records)
        for record in caplog.records:
            assert MARKER not in record.getMessage(), record.name
        assert not any(MARKER in str(warning.message) for warning in caught)
        assert not emulator.user(3101).messages

        # A real update is still handled, after all that.
        ann = emulator.user(3001, first_name="Ann", language_code="cy")
        await settle(emulator, await ann.send_text("/start"))
        assert ann.buttons[0] == "Cymraeg"


async def test_an_update_whose_handling_failed_is_not_confirmed_and_comes_back(caplog):
    """The database is down while an update is handled: 503, so Telegram sends it again; once
    the database is back, the same update is handled and confirmed with 200."""
    dispatcher = Dispatcher()
    database_up, handled = False, []

    @dispatcher.message()
    async def on_message(message: Message) -> None:
        if not database_up:
            raise OperationalError("INSERT", {}, ConnectionRefusedError("database is down"))
        if message.text == "boom":
            raise RuntimeError("a bug")
        handled.append(message.text)

    bot = Bot("42:TEST")
    handler = UpdateRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=SECRET)
    app = web.Application()
    handler.register(app, path="/telegram")
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    caplog.set_level(logging.WARNING, logger="bot.webhook")
    async with TestClient(TestServer(app)) as client:
        update = _update(21, 3201, "hello")
        response = await client.post("/telegram", json=update, headers=headers)
        assert response.status == 503 and handled == []
        (waits,) = [r for r in caplog.records if r.name == "bot.webhook"]
        assert waits.levelno == logging.WARNING and not waits.exc_info  # an outage, not a bug
        database_up = True
        response = await client.post("/telegram", json=update, headers=headers)
        assert response.status == 200 and handled == ["hello"]
        response = await client.post("/telegram", json=update, headers={})
        assert response.status == 401  # and the secret still guards it
        # Any other failure is not confirmed either, and is logged with its traceback.
        response = await client.post("/telegram", json=_update(22, 3201, "boom"), headers=headers)
        assert response.status == 500
        failed = caplog.records[-1]
        assert failed.levelno == logging.ERROR and failed.exc_info is not None
    assert handled == ["hello"]
