"""Run the emulator on its own until cancelled, for a bot in another process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .emulator import TelegramEmulator


async def serve(
    host: str = "127.0.0.1",
    port: int = 8081,
    rate_limits: bool = False,
    username: str = "coproduce_bot",
    *,
    on_started: Callable[[str], None] | None = None,
) -> None:
    """Serve until the task is cancelled; `on_started` gets the api_url once listening."""
    emulator = TelegramEmulator(host, port, rate_limits=rate_limits, username=username)
    await emulator.start()
    if on_started is not None:
        on_started(emulator.api_url)
    try:
        await asyncio.Event().wait()  # until cancelled (Ctrl-C)
    finally:
        await emulator.stop()
