"""A load balancer asks the webhook server whether it is alive and whether it can do its work;
it hears which part failed, and nothing else (no address, no error text, nothing personal)."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from bot.runner import run_webhook
from bot.webhook import add_health_routes
from storage.db import create_engine
from tests.conftest import REDIS_URL, bot_settings

SECRET = "s3cret-token_for-tests-only"
# Nothing listens on port 1: a database and a Redis that do not answer.
DEAD_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"
DEAD_REDIS = "redis://127.0.0.1:1/0"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _ask(engine, redis, path: str) -> tuple[int, str, dict | None]:
    web_app = web.Application()
    add_health_routes(web_app, engine=engine, redis=redis)
    async with TestClient(TestServer(web_app)) as client:
        response = await client.get(path)
        body = await response.text()
        data = await response.json() if response.content_type == "application/json" else None
        return response.status, body, data


async def test_a_bot_whose_database_answers_is_alive_and_ready(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    try:
        assert (await _ask(engine, None, "/healthz"))[:2] == (200, "ok")
        status, _body, data = await _ask(engine, None, "/readyz")
        assert status == 200
        assert data == {"status": "ready", "checks": {"database": "ok"}}
    finally:
        await engine.dispose()


async def test_a_database_that_does_not_answer_makes_it_not_ready_but_still_alive(caplog):
    engine = create_engine(DEAD_DATABASE)
    try:
        assert (await _ask(engine, None, "/healthz"))[0] == 200
        status, body, data = await _ask(engine, None, "/readyz")
        assert status == 503
        assert data == {"status": "not ready", "checks": {"database": "failed"}}
        assert "127.0.0.1" not in body and "postgres" not in body
        assert any("database does not answer" in r.getMessage() for r in caplog.records)
    finally:
        await engine.dispose()


async def test_a_redis_that_does_not_answer_makes_it_not_ready(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    redis = Redis.from_url(DEAD_REDIS)
    try:
        status, body, data = await _ask(engine, redis, "/readyz")
        assert status == 503
        assert data["checks"] == {"database": "ok", "redis": "failed"}
        assert "127.0.0.1" not in body
    finally:
        await redis.aclose()
        await engine.dispose()


@pytest.mark.skipif(not REDIS_URL, reason="COPRODUCE_TEST_REDIS_URL not set")
async def test_a_redis_that_answers_is_checked_too(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    redis = Redis.from_url(REDIS_URL)
    try:
        status, _body, data = await _ask(engine, redis, "/readyz")
        assert status == 200
        assert data["checks"] == {"database": "ok", "redis": "ok"}
    finally:
        await redis.aclose()
        await engine.dispose()


async def test_the_running_webhook_server_answers_health_and_readiness(emulator, tmp_path):
    port = _free_port()
    settings = bot_settings(
        emulator,
        tmp_path,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret=SECRET,
        webhook_port=port,
    )
    stop = asyncio.Event()
    server = asyncio.create_task(run_webhook(settings, stop))
    try:
        for _ in range(200):  # until the server is up and registered with "Telegram"
            if emulator.state.webhook is not None or server.done():
                break
            await asyncio.sleep(0.05)
        assert emulator.state.webhook is not None
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200 and await response.text() == "ok"
            async with http.get(f"{base}/readyz") as response:
                assert response.status == 200
                body = await response.json()
            assert body["checks"] == {"database": "ok"}
            assert body["outbox"] == {"backlog": 0, "oldest_due_seconds_ago": None}
            # A webhook worker runs no sweeps: an operator sees they are not being run.
            assert body["sweeps"]["unjoined-sweep"]["late"] is True

            person = emulator.user(4242)
            update = await person.send_text("/start")
            assert await emulator.wait_until_confirmed(update["update_id"], timeout=10)
            async with http.get(f"{base}/metrics") as response:
                assert response.status == 200
                metrics = await response.text()
        handled = [
            line
            for line in metrics.splitlines()
            if line.startswith("coproduce_update_handling_seconds_count")
        ]
        assert handled and float(handled[0].split()[-1]) >= 1
        for name in ("coproduce_outbox_backlog", "coproduce_telegram_429_total"):
            assert name in metrics
        assert "4242" not in metrics  # nothing about a person
    finally:
        stop.set()
        await server
