"""`coproduce chat`: the real bot, in this process, against the local Telegram emulator.

You join a demo team as a participant, a facilitator or a coordinator, through an invite, as a
real person would. Four simulated people are in the team already, in English, Welsh, Polish and
Arabic (`bot/demo_crowd.py`): they gave some feedback, and they answer a meeting poll, a
check-in or a "you said, we did" update, and ask for a thank-you offer, when one reaches them,
through the same emulator. So every journey can be tried with nobody but you at the keyboard.

The bot's messages are printed with their buttons as `[#1] Yes`. Typing `#1`, or the button's
words (`yes`), presses it; anything else is a message to the bot, so a button labelled with a
number (a rating, a day in a calendar) is never confused with a position. Pop-up answers are
printed as `[pop-up] ...` (an alert the person must close) or `[note] ...` (a brief notice);
photos and files as their caption and the path where the demo saved them.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pydantic import SecretStr

from bot.app import Application, create_application
from bot.config import Settings
from bot.demo_crowd import Crowd
from bot.emulator import BotMessage, TelegramEmulator
from bot.polling import ConfirmingPoller
from bot.services import invites
from storage import projects
from storage import reciprocity as offers
from storage.models import OfferKind, ReciprocityOffer, Role

DEMO_TOKEN = "123456789:" + "D" * 35  # only the emulator ever sees it
DEMO_USER_ID = 424242
QUIET_SECONDS = 0.15
ROLES = ("participant", "facilitator", "coordinator")

TEAM_NAME = "Demo team"
TEAM_TOPICS = "Waiting times\nTransport\nHow staff treat you"
TEAM_RULES = (
    "Listen when others speak.\nEvery voice counts the same.\nBe kind, even when you disagree."
)
# A thank-you offer that is open already, so participants can ask for one.
TEAM_OFFER = {
    "en": ("Free first aid course", "A one-day course in town. Lunch is included."),
    "cy": ("Cwrs cymorth cyntaf am ddim", "Cwrs undydd yn y dref. Mae cinio wedi'i gynnwys."),
    "pl": ("Bezpłatny kurs pierwszej pomocy", "Jednodniowy kurs w mieście. Obiad w cenie."),
    "ar": ("دورة إسعافات أولية مجانية", "دورة ليوم واحد في المدينة. الغداء مشمول."),
}

HELP = (
    "Type a message, or press a button: type # and its number (#2), or its words (Yes).\n"
    "[pop-up] is a pop-up answer, [note] a brief notice; files and photos are saved on your\n"
    "disk and shown by their path. Lines starting with '·' are the simulated people.\n"
    "/quit (or Ctrl-D) leaves; /buttons shows the buttons again."
)


@dataclass(frozen=True)
class Button:
    message_id: int
    label: str
    data: str | None  # None: a link button, it sends nothing to the bot
    url: str | None


def _words(label: str) -> str:
    """A label as someone would type it: no marks or emoji around it, any case."""
    return re.sub(r"^\W+|\W+$", "", label.casefold()).strip()


class ChatScreen:
    """Prints what changed in the conversation since the last look."""

    def __init__(self, out: TextIO, save_file: Callable[[BotMessage], Path | None]) -> None:
        self.out = out
        self._save_file = save_file
        self._seen: dict[int, tuple] = {}
        self.buttons: list[Button] = []

    def show(self, messages: list[BotMessage]) -> bool:
        """Print new or edited bot messages; the buttons of the newest message that has any
        become the numbered ones. True if anything was printed."""
        printed = False
        newest_with_buttons: BotMessage | None = None
        for message in messages:
            rows = message.buttons
            if rows:
                newest_with_buttons = message
            text = message.body
            snapshot = (text, tuple(map(tuple, rows)))
            seen = self._seen.get(message.message_id)
            if seen == snapshot or (seen and seen[0] == text and not rows):
                # Unchanged, or only its buttons were taken away when a newer message came.
                self._seen[message.message_id] = snapshot
                continue
            first_look = seen is None
            self._seen[message.message_id] = snapshot
            self.out.write("\n" + self._render(message, text, rows, first_look) + "\n")
            printed = True
        self.buttons = _buttons_of(newest_with_buttons)
        last = messages[-1] if messages else None
        if printed and newest_with_buttons is not None and last is not newest_with_buttons:
            # The numbers press buttons that are not on the last message: say so, never hide it.
            self.out.write("     Buttons still on an earlier message:\n" + self._numbered() + "\n")
        self.out.flush()
        return printed

    def repeat_buttons(self) -> None:
        self.out.write((self._numbered() if self.buttons else "     (no buttons)") + "\n")
        self.out.flush()

    def _numbered(self) -> str:
        return "     " + "   ".join(
            f"[#{number}] {button.label}" for number, button in enumerate(self.buttons, 1)
        )

    def _render(
        self, message: BotMessage, text: str, rows: list[list[str]], first_look: bool
    ) -> str:
        lines = ["bot> " + line for line in text.splitlines()]
        if message.photo or message.document or message.voice:
            kind = "photo" if message.photo else "voice note" if message.voice else "file"
            name = (message.document or {}).get("file_name")
            described = f"{kind} {name}" if name else kind
            if first_look:
                described += f", saved to {self._save_file(message)}"
            lines.insert(0, f"bot> [{described}]")
        lines = lines or ["bot>"]
        number = 0
        for row in rows:
            cells = []
            for label in row:
                number += 1
                cells.append(f"[#{number}] {label}")
            lines.append("     " + "   ".join(cells))
        return "\n".join(lines)


def _buttons_of(message: BotMessage | None) -> list[Button]:
    if message is None:
        return []
    rows = message.raw.get("reply_markup", {}).get("inline_keyboard", [])
    return [
        Button(message.message_id, b["text"], b.get("callback_data"), b.get("url"))
        for row in rows
        for b in row
    ]


async def _settle(emulator: TelegramEmulator, update_id: int) -> None:
    """Wait until the bot confirmed the update and then sent nothing for a moment."""
    await emulator.wait_until_confirmed(update_id, timeout=15)
    await _quiet(emulator)


async def _quiet(emulator: TelegramEmulator) -> None:
    count = -1
    while count != len(emulator.requests):
        count = len(emulator.requests)
        await asyncio.sleep(QUIET_SECONDS)


class ChatDemo:
    """One demo session: the bot, the emulator, you and the simulated people. `type()` is what
    a line typed at the prompt does; tests call it too and read what was printed."""

    def __init__(
        self,
        emulator: TelegramEmulator,
        app: Application,
        folder: Path,
        files: Path,
        out: TextIO,
        role: str,
        language: str,
    ) -> None:
        self.emulator = emulator
        self.app = app
        self.folder = folder
        self.files = files
        self.out = out
        self.role = role
        self.language = language
        self.you = emulator.user(DEMO_USER_ID, first_name="You", language_code=language)
        self.screen = ChatScreen(out, self._save_file)
        self.crowd = Crowd(emulator, app, self._narrate)
        self.prompt = ""  # written again after output that arrives while you are typing
        self.project_id = 0
        self._lock = asyncio.Lock()
        self._printed = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._shown_seq = 0
        self._held: list[str] = []  # lines about the simulated people, held during your turn

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        role: str = "participant",
        language: str = "en",
        out: TextIO = sys.stdout,
        folder: Path | None = None,
    ) -> ChatDemo:
        """`folder` holds the demo's database in `state/` (removed at the end) and what the bot
        sent you in `files/` (kept); by default a new folder in the system's temporary folder."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        folder = folder or Path(tempfile.mkdtemp(prefix="coproduce-chat-"))
        files, state = folder / "files", folder / "state"
        files.mkdir(parents=True, exist_ok=True)
        state.mkdir(exist_ok=True)
        emulator = TelegramEmulator()
        await emulator.start()
        demo_settings = settings.model_copy(
            update={
                "bot_token": SecretStr(DEMO_TOKEN),
                "telegram_api_url": emulator.api_url,
                "database_url": f"sqlite+aiosqlite:///{(state / 'chat.db').as_posix()}",
                "data_dir": state,
                "redis_url": None,
            }
        )
        try:
            app = await create_application(demo_settings)
        except BaseException:
            await emulator.stop()
            raise
        demo = cls(emulator, app, folder, files, out, role, language)
        try:
            await demo._begin()
        except BaseException:
            await demo.close()
            raise
        return demo

    async def _begin(self) -> None:
        await self.app.start_background_work()
        code = await self._make_team()
        poller = ConfirmingPoller(self.app.dispatcher, self.app.bot, timeout=1)
        self._tasks.append(asyncio.create_task(poller.run()))
        self._write(
            "Coproduce demo: you are chatting with the real bot on a local Telegram emulator.\n"
            f"You join the {TEAM_NAME} as a {self.role}. "
            + self.crowd.introduction()
            + "\n"
            + HELP
            + f"\nFiles the bot sends are saved in {self.files}\n"
        )
        await self.crowd.give_feedback(self.project_id)
        self._tasks.append(asyncio.create_task(self.crowd.run()))
        self._tasks.append(asyncio.create_task(self._watch()))
        update = await self.you.send_text(f"/start {code}")
        async with self._lock:
            await _settle(self.emulator, update["update_id"])
            self._show()

    async def _make_team(self) -> str:
        """The demo team, the simulated people in it, and your invite (in your role)."""
        async with self.app.sessions() as session:
            project = await projects.create_project(session, TEAM_NAME, timezone="Europe/London")
            project.feedback_topics = TEAM_TOPICS
            project.ground_rules = TEAM_RULES
            session.add(project)
            await session.flush()
            self.project_id = project.id
            await self.crowd.join(session, project)
            offer = ReciprocityOffer(
                project_id=project.id, kind=OfferKind.TRAINING, places=3, source_locale="en"
            )
            await offers.add_offer(session, offer, TEAM_OFFER)
            invite = await invites.create_invite(session, project, Role(self.role), max_uses=1)
            await session.commit()
            return invite.code

    # -- what you do ---------------------------------------------------------------------------

    async def type(self, line: str) -> bool:
        """What a line typed at the prompt does. False when it asks to leave."""
        line = line.strip()
        if line in ("/quit", "/exit"):
            return False
        if not line:
            return True
        async with self._lock:
            try:
                await self._do(line)
            finally:
                self._release_held()
        return True

    async def _do(self, line: str) -> None:
        if line == "/buttons":
            self.screen.repeat_buttons()
            return
        button, problem = self._button_for(line)
        if problem:
            self._write(problem + "\n")
            return
        if button is not None:
            update = await self.you.press_data(button.data, message_id=button.message_id)
        else:
            update = await self.you.send_text(line)
        await _settle(self.emulator, update["update_id"])
        if button is not None:
            self._show_answer(update["callback_query"]["id"])
        self._show()

    def _button_for(self, line: str) -> tuple[Button | None, str]:
        """The button a line presses (None: it is a message), or why it presses none."""
        buttons = self.screen.buttons
        if re.fullmatch(r"#\s*\d+", line):
            number = int(line.lstrip("#").strip())
            if not 1 <= number <= len(buttons):
                return None, f"There is no button #{number}. Type /buttons to see them."
            button = buttons[number - 1]
        else:
            typed = _words(line)
            matches = [b for b in buttons if typed and _words(b.label) == typed]
            if not matches:
                return None, ""
            if len({b.data for b in matches}) > 1:
                return None, "Several buttons say that: type # and the number of the one you mean."
            button = matches[0]
        if button.data is None:
            return None, f"That button opens a link: {button.url}"
        return button, ""

    def _show_answer(self, query_id: str) -> None:
        answer = self.emulator.callback_answer(query_id) or {}
        if answer.get("text"):
            kind = "pop-up" if answer.get("show_alert") else "note"
            self._write(f"\n[{kind}] {answer['text']}\n")

    # -- what you see --------------------------------------------------------------------------

    def _show(self) -> bool:
        """Your screen, then what the simulated people did meanwhile; held by the lock."""
        printed = self.screen.show(self.you.messages)
        if printed:
            self._printed_now()
        self._shown_seq = self._your_seq()
        printed = printed or bool(self._held)
        self._release_held()
        return printed

    def _your_seq(self) -> int:
        return max((m.seq for m in self.emulator.state.bot_messages(DEMO_USER_ID)), default=0)

    async def _watch(self) -> None:
        """Show what reaches you while you are not typing (a reminder, news of a request)."""
        state = self.emulator.state
        while True:
            await state.wait_for(lambda: self._your_seq() > self._shown_seq, None)
            await _quiet(self.emulator)
            async with self._lock:
                if self._show() and self.prompt:
                    self._write(self.prompt)

    def _narrate(self, line: str) -> None:
        """A line about the simulated people: at once while you wait at the prompt (then the
        prompt again), or after the bot's answer to what you just did."""
        if self._lock.locked():
            self._held.append(line)
        else:
            self._write(f"\n· {line}\n" + self.prompt)

    def _release_held(self) -> None:
        lines, self._held = self._held, []
        for line in lines:
            self._write(f"\n· {line}\n")

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
        self._printed_now()

    def _printed_now(self) -> None:
        self._printed.set()
        self._printed = asyncio.Event()

    async def wait_for_output(
        self,
        text: str,
        since: int = 0,
        count: int = 1,
        timeout: float = 20,  # noqa: ASYNC109 - read as "within 20 s"
    ) -> str:
        """Wait until `text` was printed `count` times after position `since`; return all that
        was printed so far."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.printed[since:].count(text) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{text!r} was not printed {count} time(s) within {timeout}s")
            try:
                await asyncio.wait_for(self._printed.wait(), remaining)
            except TimeoutError:
                continue
        return self.printed

    @property
    def printed(self) -> str:
        getvalue = getattr(self.out, "getvalue", None)
        return getvalue() if getvalue else ""

    def _save_file(self, message: BotMessage) -> Path | None:
        """Save a photo, file or voice note the bot sent you, so you can open it."""
        if message.photo:
            file_id, name = message.photo[-1]["file_id"], "photo.png"
        elif message.document:
            file_id = message.document["file_id"]
            name = message.document.get("file_name") or "file"
        elif message.voice:
            file_id, name = message.voice["file_id"], "voice.ogg"
        else:
            return None
        stored = self.emulator.state.files.get(file_id)
        if stored is None:
            return None
        path = self.files / f"{message.message_id}-{Path(name).name}"
        path.write_bytes(stored.content)
        return path

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.app.close()
        await self.emulator.stop()
        # The database goes; what you were sent stays in `files/`.
        shutil.rmtree(self.folder / "state", ignore_errors=True)


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
    demo = await ChatDemo.start(settings, role=role, language=language, out=stdout)
    try:
        while True:
            demo.prompt = "you> "
            stdout.write(demo.prompt)
            stdout.flush()
            line = await _read_line(stdin)
            demo.prompt = ""
            if not line or not await demo.type(line):
                break
    finally:
        stdout.write("\nBye.\n")
        stdout.flush()
        await demo.close()
