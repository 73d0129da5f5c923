"""Running the bot: long polling or a webhook server, on one dispatcher."""

from __future__ import annotations

import asyncio
import logging
import signal
from urllib.parse import urlparse

from aiohttp import web

from bot.app import create_application
from bot.config import ConfigError, Settings
from bot.polling import ConfirmingPoller
from bot.webhook import UpdateRequestHandler, add_health_routes

log = logging.getLogger(__name__)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not in the main thread, or Windows
            pass


async def run_polling(settings: Settings, stop: asyncio.Event | None = None) -> None:
    app = await create_application(settings)
    await app.start_background_work()
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    poller = ConfirmingPoller(app.dispatcher, app.bot)
    task = asyncio.create_task(poller.run(stop))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait((task, stopping), return_when=asyncio.FIRST_COMPLETED)
        if task.done() and not stop.is_set():
            # Polling retries every error itself; if it ever ends, end the process loudly so a
            # supervisor restarts it, rather than stay up and answer nobody.
            task.result()
            raise RuntimeError("polling stopped unexpectedly")
    finally:
        task.cancel()
        stopping.cancel()
        await asyncio.gather(task, stopping, return_exceptions=True)
        await app.close()


async def run_webhook(settings: Settings, stop: asyncio.Event | None = None) -> None:
    if not settings.webhook_url:
        raise ConfigError("WEBHOOK_URL is missing: the public https address Telegram should call.")
    if not settings.webhook_secret or len(settings.webhook_secret.get_secret_value()) < 16:
        raise ConfigError(
            "WEBHOOK_SECRET is missing or shorter than 16 characters. "
            "Set it to a long random string (letters, digits, _ and -)."
        )
    secret = settings.webhook_secret.get_secret_value()
    app = await create_application(settings)
    await app.start_background_work()
    # Telegram gets its 200 only after the update was handled (503 if handling raised), so a
    # crash mid-update means Telegram sends it again (and the handled-ids record dedups);
    # anything that is not an update gets 400 (bot/webhook.py).
    handler = UpdateRequestHandler(dispatcher=app.dispatcher, bot=app.bot, secret_token=secret)
    web_app = web.Application()
    handler.register(web_app, path=urlparse(settings.webhook_url).path or "/")
    # /healthz and /readyz for the load balancer; Redis is checked only when the bot uses it.
    redis = getattr(app.storage, "redis", None) if settings.redis_url else None
    add_health_routes(web_app, engine=app.engine, redis=redis)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    await app.bot.set_webhook(
        settings.webhook_url,
        secret_token=secret,
        allowed_updates=app.dispatcher.resolve_used_update_types(),
    )
    log.info("webhook listening on %s:%s", settings.webhook_host, settings.webhook_port)
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await app.close()
