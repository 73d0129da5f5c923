"""Behind a webhook the bot answers only Telegram (the secret token), after handling each update."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest

from bot.config import ConfigError
from bot.runner import run_webhook
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
