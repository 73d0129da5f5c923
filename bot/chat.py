"""`coproduce chat`: the real bot, in this process, against the local Telegram emulator.

You type as a participant (or a facilitator); the bot's messages are printed with their buttons
numbered, and typing a number presses that button. No Telegram account and no token are needed.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from pydantic import SecretStr

from bot.app import create_application
from bot.config import Settings
from bot.emulator import BotMessage, TelegramEmulator
from bot.polling import ConfirmingPoller
from storage import participants, projects
from storage.models import Role

DEMO_TOKEN = "123456789:" + "D" * 35  # only the emulator ever sees it
DEMO_USER_ID = 424242
QUIET_SECONDS = 0.15


class ChatScreen:
    """Prints what changed in the conversation since the last look."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._seen: dict[int, tuple] = {}

    def show(self, messages: list) -> list[str]:
        """Print new or edited bot messages; return the labels of the newest buttons."""
        buttons: list[str] = []
        for message in messages:
            rows = message.buttons
            text = message.text or message.caption or ""
            snapshot = (text, tuple(map(tuple, rows)))
            if rows:
                buttons = [label for row in rows for label in row]
            seen = self._seen.get(message.message_id)
            if seen == snapshot or (seen and seen[0] == text and not rows):
                # Unchanged, or only its buttons were taken away when a newer message came.
                self._seen[message.message_id] = snapshot
                continue
            self._seen[message.message_id] = snapshot
            self.out.write("\n" + _render(message, text, rows) + "\n")
        self.out.flush()
        return buttons


def _render(message: BotMessage, text: str, rows: list[list[str]]) -> str:
    lines = ["bot> " + line for line in text.splitlines()] or ["bot>"]
    if message.document:
        lines.append(f"bot> [file: {message.document.get('file_name', 'document')}]")
    number = 0
    for row in rows:
        cells = []
        for label in row:
            number += 1
            cells.append(f"[{number}] {label}")
        lines.append("     " + "   ".join(cells))
    return "\n".join(lines)


async def _settle(emulator: TelegramEmulator, update_id: int) -> None:
    """Wait until the bot confirmed the update and then sent nothing for a moment."""
    await emulator.wait_until_confirmed(update_id, timeout=15)
    count = -1
    while count != len(emulator.requests):
        count = len(emulator.requests)
        await asyncio.sleep(QUIET_SECONDS)


async def _join_demo_team(app, telegram_id: int, role: Role) -> None:
    """You are part of a demo team (with feedback topics), so every menu item has something."""
    async with app.sessions() as session:
        person = await participants.get_or_create(session, telegram_id)
        project = await projects.create_project(session, "Demo team")
        project.feedback_topics = "Waiting times\nTransport\nHow staff treat you"
        session.add(project)
        await projects.set_role(session, project, person, role)
        await session.commit()


async def _read_line(stdin: TextIO) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, stdin.readline)


async def run_chat(
    settings: Settings,
    *,
    role: str = "participant",
    language: str = "en",
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> None:
    emulator = TelegramEmulator()
    await emulator.start()
    with tempfile.TemporaryDirectory(prefix="coproduce-chat-") as folder:
        demo_settings = settings.model_copy(
            update={
                "bot_token": SecretStr(DEMO_TOKEN),
                "telegram_api_url": emulator.api_url,
                "database_url": f"sqlite+aiosqlite:///{Path(folder) / 'chat.db'}",
                "redis_url": None,
            }
        )
        app = await create_application(demo_settings)
        await app.start_background_work()
        await _join_demo_team(
            app, DEMO_USER_ID, Role.FACILITATOR if role == "facilitator" else Role.PARTICIPANT
        )
        poller = ConfirmingPoller(app.dispatcher, app.bot, timeout=1)
        polling = asyncio.create_task(poller.run())
        you = emulator.user(DEMO_USER_ID, first_name="You", language_code=language)
        screen = ChatScreen(stdout)
        stdout.write(
            "Coproduce demo: you are chatting with the real bot on a local Telegram emulator.\n"
            "Type a message, or the number of a button to press it. Ctrl-D or /quit leaves.\n"
        )
        try:
            update = await you.send_text("/start")
            await _settle(emulator, update["update_id"])
            buttons = screen.show(you.messages)
            while True:
                stdout.write("you> ")
                stdout.flush()
                line = await _read_line(stdin)
                if not line or line.strip() == "/quit":
                    break
                line = line.strip()
                if not line:
                    continue
                if line.isdigit() and 1 <= int(line) <= len(buttons):
                    update = await you.press(buttons[int(line) - 1])
                else:
                    update = await you.send_text(line)
                await _settle(emulator, update["update_id"])
                buttons = screen.show(you.messages)
        finally:
            stdout.write("\nBye.\n")
            polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)
            await app.close()
            await emulator.stop()
