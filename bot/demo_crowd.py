"""The simulated people of the terminal demo (`coproduce chat`): four members of the demo team,
in English, Welsh, Polish and Arabic, who use the real bot through the same emulator as you.

They joined before you (the same services the joining dialog calls, so they start with no quiet
hours and the most messages a week), give some feedback through /feedback, then answer what
reaches them: a meeting poll (times, and an access need), a check-in, a "you said, we did"
update, and a thank-you offer they ask for. Each reacts by the buttons' callback data and the
dialogs' widget ids, never by words, so any language works. What they get and do is told in one
line each, so a facilitator sees per-language versions and who answered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiogram_dialog.utils import CB_SEP

from bot.app import Application
from bot.emulator import BotMessage, TelegramEmulator
from bot.emulator.users import SimulatedUser
from bot.services import consent, people
from dialogs.availability.dialog import NEED, SLOT
from dialogs.feedback.dialog import PROJECT, RATING, SEND_ANONYMOUS, SEND_NAMED, TOPIC
from dialogs.meetings.taps import POLL
from dialogs.pulse.taps import PREFIX as CHECKIN
from dialogs.rewards.dialog import ASK, CONFIRM, SKIP_RECEIPT
from dialogs.rewards.taps import OFFER_PREFIX
from dialogs.wedid.taps import PREFIX as WE_DID
from storage import participants, projects
from storage.models import AccessNeedKind, Project, Role

log = logging.getLogger(__name__)

STEP_SECONDS = 15  # the longest a simulated person waits for the bot to handle one tap


@dataclass(frozen=True)
class Neighbour:
    """One simulated member of the demo team."""

    telegram_id: int
    name: str
    locale: str
    language: str  # the language's name in its own script, as the bot shows it
    timezone: str
    named: bool  # agreed that their name may be shown
    topic: str  # the feedback topic they give feedback on (its index)
    rating: int  # 1 to 5
    feedback: str  # what they say, in their language
    need: AccessNeedKind | None = None  # what would help them come to a meeting


PEOPLE = (
    Neighbour(
        700001, "Ann", "en", "English", "Europe/London", True, "0", 2,
        "The waiting room is loud. I could not hear my name being called.",
        AccessNeedKind.STEP_FREE,
    ),
    Neighbour(
        700002, "Bethan", "cy", "Cymraeg", "Europe/London", True, "1", 3,
        "Mae'r bws olaf yn gadael cyn i'r cyfarfod orffen.",
    ),
    Neighbour(
        700003, "Piotr", "pl", "Polski", "Europe/Warsaw", False, "2", 4,
        "Pielęgniarka wszystko mi spokojnie wyjaśniła. Dziękuję.",
        AccessNeedKind.ONLINE,
    ),
    Neighbour(
        700004, "Amira", "ar", "العربية", "Asia/Amman", True, "0", 2,
        "انتظرت ساعتين ولم يخبرني أحد بالسبب.",
        AccessNeedKind.INTERPRETER,
    ),
)  # fmt: skip


class CrowdStuck(RuntimeError):
    """The bot did not show what a simulated person expected (or did not answer in time)."""


def widget_data(message: BotMessage, widget: str) -> list[str]:
    """Callback data of the buttons of one aiogram-dialog widget on a message, in order."""
    found = []
    for row in message.callback_data:
        for data in row:
            if data and CB_SEP in data and data.split(CB_SEP, 1)[1].partition(":")[0] == widget:
                found.append(data)
    return found


def _is_window(message: BotMessage) -> bool:
    """A dialog's window (an answer to something the person did), not an unprompted message."""
    return any(data and CB_SEP in data for row in message.callback_data for data in row)


def _first_line(message: BotMessage) -> str:
    line = next((part for part in message.body.splitlines() if part.strip()), "")
    return line if len(line) <= 90 else line[:89] + "…"


class Crowd:
    def __init__(
        self, emulator: TelegramEmulator, app: Application, narrate: Callable[[str], None]
    ) -> None:
        self._emulator = emulator
        self._app = app
        self._narrate = narrate
        self.users: dict[int, SimulatedUser] = {
            n.telegram_id: emulator.user(n.telegram_id, first_name=n.name, language_code=n.locale)
            for n in PEOPLE
        }
        self._seen: dict[int, set[int]] = {n.telegram_id: set() for n in PEOPLE}
        self._asked: dict[int, set[str]] = {n.telegram_id: set() for n in PEOPLE}

    def introduction(self) -> str:
        names = [f"{n.name} ({n.language})" for n in PEOPLE]
        return (
            f"{', '.join(names[:-1])} and {names[-1]} are in it already: they answer polls,\n"
            "check-ins and updates, and ask for thank-you offers, when they get them."
        )

    # -- joining and first feedback ------------------------------------------------------------

    async def join(self, session, project: Project) -> None:
        """Members who went through joining: consent, choices, a name, a time zone."""
        for n in PEOPLE:
            person = await participants.get_or_create(session, n.telegram_id)
            await people.choose_language(session, person, n.locale)
            await projects.set_role(session, project, person, Role.PARTICIPANT)
            await consent.give(session, person, project.id)
            await people.set_quoting(session, person, may_quote=True, may_use_name=n.named)
            await people.set_display_name(session, person, n.name)
            await people.set_frequency(session, person, max(people.FREQUENCY_CHOICES))
            await people.set_quiet_hours(session, person, people.QUIET_HOURS_CHOICES.index(None))
            await people.set_timezone(session, person, n.timezone)
            await people.finish_onboarding(session, person)

    async def give_feedback(self, _project_id: int) -> None:
        """Each gives one piece of feedback through /feedback, as the demo starts."""
        for n in PEOPLE:
            user = self.users[n.telegram_id]
            try:
                await self._feedback(n, await user.send_text("/feedback"))
            except CrowdStuck as problem:
                log.warning("a simulated person could not give feedback: %s", problem)
            self._mark_seen(n)

    async def _feedback(self, n: Neighbour, opening: dict) -> None:
        user = self.users[n.telegram_id]
        await self._done(user, opening)
        if self._window(user, PROJECT)[0] is not None:
            await self._tap(user, PROJECT)
        message, topics = self._window(user, TOPIC)
        if message is None:
            raise CrowdStuck("no feedback topics")
        chosen = next((d for d in topics if d.endswith(f":{n.topic}")), topics[0])
        await self._done(user, await user.press_data(chosen, message.message_id))
        await self._tap(user, RATING, item=str(n.rating))
        await self._done(user, await user.send_text(n.feedback))
        if n.named and self._window(user, SEND_NAMED)[0] is not None:
            await self._tap(user, SEND_NAMED)
        else:
            await self._tap(user, SEND_ANONYMOUS)

    # -- what they do with what reaches them ---------------------------------------------------

    async def run(self) -> None:
        """React to every unprompted message, one at a time, for as long as the demo runs."""
        state = self._emulator.state
        while True:
            await state.wait_for(self._has_news, None)
            for n in PEOPLE:
                for message in self._news(n):
                    self._seen[n.telegram_id].add(message.message_id)
                    await self._react(n, message)

    def _has_news(self) -> bool:
        return any(self._news(n) for n in PEOPLE)

    def _news(self, n: Neighbour) -> list[BotMessage]:
        seen = self._seen[n.telegram_id]
        return [
            m
            for m in self.users[n.telegram_id].messages
            if m.message_id not in seen and not _is_window(m)
        ]

    def _mark_seen(self, n: Neighbour) -> None:
        """What came while they gave their first feedback answered them: not news."""
        self._seen[n.telegram_id].update(m.message_id for m in self.users[n.telegram_id].messages)

    async def _react(self, n: Neighbour, message: BotMessage) -> None:
        who = f"{n.name} ({n.language})"
        attached = " [a file]" if message.document else " [a photo]" if message.photo else ""
        self._narrate(f"{who} got: {_first_line(message)}{attached}")
        data = next((d for row in message.callback_data for d in row if d), None)
        if data is None:
            return
        try:
            done = await self._answer(n, message, data)
        except CrowdStuck as problem:
            log.warning("a simulated person stopped: %s", problem)
            done = "stopped: the bot showed something they did not expect"
        except Exception as error:  # one person's surprise never stops the others or the demo
            log.warning("a simulated person stopped on %s", type(error).__name__)
            done = "stopped: something went wrong in the demo"
        if done:
            self._narrate(f"{who} {done}.")

    async def _answer(self, n: Neighbour, message: BotMessage, data: str) -> str:
        user = self.users[n.telegram_id]
        index = PEOPLE.index(n)
        if data.startswith(POLL):
            return await self._answer_poll(n, message, data)
        if data.startswith(OFFER_PREFIX):
            offer = data.removeprefix(OFFER_PREFIX)
            if offer in self._asked[n.telegram_id]:
                return ""  # news about their request: nothing to do
            self._asked[n.telegram_id].add(offer)
            return await self._ask_for_offer(n, message, data)
        if data.startswith(CHECKIN + "p:"):
            choices = [d for row in message.callback_data for d in row if d]
            await self._done(
                user, await user.press_data(choices[index % len(choices)], message.message_id)
            )
            await self._tap(user, "no_comment", required=False)
            return "answered the check-in"
        if data.startswith(CHECKIN + "f:"):
            await self._feedback(n, await user.press_data(data, message.message_id))
            return "gave feedback"
        if data.startswith(WE_DID):
            choices = [d for row in message.callback_data for d in row if d]
            await self._done(
                user, await user.press_data(choices[index % len(choices)], message.message_id)
            )
            await self._tap(user, "no_comment", required=False)
            return "replied to the update"
        return ""

    async def _answer_poll(self, n: Neighbour, message: BotMessage, data: str) -> str:
        user = self.users[n.telegram_id]
        await self._done(user, await user.press_data(data, message.message_id))
        _window, slots = self._window(user, SLOT)
        if not slots:
            return "could not answer: the poll has closed"
        index = PEOPLE.index(n)
        for position in range(len(slots)):
            # One tap is yes, two if need be, three no; each says yes or if need be to one time.
            taps = 1 + (index + position) % 3 if position else 1 + index % 2
            for _ in range(taps):
                window, slots = self._window(user, SLOT)
                await self._done(user, await user.press_data(slots[position], window.message_id))
        if n.need is not None:
            await self._tap(user, "needs")
            await self._tap(user, NEED, item=n.need.value)
            await self._tap(user, "needs_done")
        await self._tap(user, "answers_done")
        return "answered the meeting poll"

    async def _ask_for_offer(self, n: Neighbour, message: BotMessage, data: str) -> str:
        user = self.users[n.telegram_id]
        await self._done(user, await user.press_data(data, message.message_id))
        if not await self._tap(user, ASK, required=False):
            return "read the offer (they could not ask: it is full, or not open to them yet)"
        if self._window(user, CONFIRM)[0] is None:  # travel expenses: the amount first
            await self._done(user, await user.send_text("5"))
            await self._tap(user, SKIP_RECEIPT)
        await self._tap(user, CONFIRM)
        return "asked for the thank-you offer"

    # -- one step at a time --------------------------------------------------------------------

    async def _done(self, user: SimulatedUser, update: dict) -> None:
        """Wait until the bot handled what they did. Its windows are answers, not news, even
        once a newer window takes their buttons away."""
        if not await self._emulator.wait_until_confirmed(update["update_id"], STEP_SECONDS):
            raise CrowdStuck("the bot did not handle a tap in time")
        self._seen[user.id].update(m.message_id for m in user.messages if _is_window(m))

    def _window(self, user: SimulatedUser, widget: str) -> tuple[BotMessage | None, list[str]]:
        """The newest message showing this widget, and the widget's buttons' data on it."""
        for message in reversed(user.messages):
            if data := widget_data(message, widget):
                return message, data
        return None, []

    async def _tap(
        self, user: SimulatedUser, widget: str, *, item: str | None = None, required: bool = True
    ) -> bool:
        message, data = self._window(user, widget)
        if item is not None:
            data = [d for d in data if d.endswith(f":{item}")]
        if message is None or not data:
            if required:
                raise CrowdStuck(f"no {widget} button")
            return False
        await self._done(user, await user.press_data(data[0], message.message_id))
        return True
