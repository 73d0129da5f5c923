"""The yardstick for bench/dialog_throughput.py: a minimal aiogram-dialog bot doing Coproduce's
/feedback round (topic, then a face), and nothing else.

It shows the same three screens with the same texts and buttons as Coproduce does for a member
of one team with two feedback topics, and makes the same Bot API calls per step:

* /feedback: the keyboard is taken off the previous screen (editMessageReplyMarkup) and
  "What is it about?" is sent (sendMessage);
* a topic: the screen becomes "<topic>. How is it going?" (editMessageText), the press is
  answered (answerCallbackQuery);
* a face: the screen becomes "Do you want to tell us more? ..." (editMessageText), the press is
  answered (answerCallbackQuery).

What it leaves out is what the comparison measures: no database (dialog state in aiogram's
MemoryStorage), no translations (the English texts are written here), no middlewares, no record
of handled updates, no background work; aiogram's own long polling rather than Coproduce's
confirm-after-handling poller. The buttons it never gets pressed (Back, Send, the language
globe) are there so each screen's keyboard is as long as Coproduce's, and do nothing.

    .venv/bin/python bench/dialog_peer.py --api http://127.0.0.1:PORT --token 123:ABC...
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import operator
import sys
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window, setup_dialogs
from aiogram_dialog.widgets.kbd import Button, Column, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

# What Coproduce shows a member of a team whose feedback topics are these two (see
# bench/dialog_throughput.py, which makes that team).
TOPICS = ("Waiting times", "Transport")
OTHER = "other"
FACES = {5: "😄 Very good", 4: "🙂 Good", 3: "😐 Okay", 2: "🙁 Bad", 1: "😞 Very bad"}
GLOBE = "🌐 English · Cymraeg · Polski · العربية"


class FeedbackRound(StatesGroup):
    topic = State()
    rating = State()
    words = State()


async def get_topics(**_kwargs: Any) -> dict[str, Any]:
    items = [(str(index), topic) for index, topic in enumerate(TOPICS)]
    return {"topics": [*items, (OTHER, "Something else")]}


async def get_rating(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    return {"topic": dialog_manager.dialog_data["topic"], "ratings": list(FACES.items())}


async def on_topic(_c: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    manager.dialog_data["topic"] = "Something else" if item == OTHER else TOPICS[int(item)]
    await manager.switch_to(FeedbackRound.rating)


async def on_rating(_c: CallbackQuery, _w: Any, manager: DialogManager, rating: int) -> None:
    manager.dialog_data["rating"] = rating
    await manager.switch_to(FeedbackRound.words)


def globe() -> Button:
    return Button(Const(GLOBE), id="language_switch")


def feedback_round() -> Dialog:
    return Dialog(
        Window(
            Const("What is it about?"),
            Column(
                Select(
                    Format("{item[1]}"),
                    id="feedback_topic",
                    item_id_getter=operator.itemgetter(0),
                    items="topics",
                    on_click=on_topic,
                )
            ),
            Button(Const("Back"), id="topic_back"),
            globe(),
            state=FeedbackRound.topic,
            getter=get_topics,
        ),
        Window(
            Format("{topic}. How is it going?"),
            Column(
                Select(
                    Format("{item[1]}"),
                    id="feedback_rating",
                    item_id_getter=operator.itemgetter(0),
                    items="ratings",
                    on_click=on_rating,
                    type_factory=int,
                )
            ),
            Button(Const("Back"), id="rating_back"),
            globe(),
            state=FeedbackRound.rating,
            getter=get_rating,
        ),
        Window(
            Const("Do you want to tell us more? Type it, or send a voice note."),
            Const("Or just send your answer now."),
            Row(
                Button(Const("Send without my name"), id="send_anonymous"),
                Button(Const("Send with my name"), id="send_named"),
            ),
            SwitchTo(Const("Back"), id="words_back", state=FeedbackRound.rating),
            globe(),
            state=FeedbackRound.words,
        ),
    )


async def on_feedback(_message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(
        FeedbackRound.topic, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND
    )


def create_dispatcher() -> Dispatcher:
    # aiogram-dialog needs one update at a time per chat, as Coproduce has it: without it a press
    # made as soon as the screen changed reads the dialog state from before that change.
    dispatcher = Dispatcher(storage=MemoryStorage(), events_isolation=SimpleEventIsolation())
    commands = Router(name="commands")
    commands.message.register(on_feedback, Command("feedback"))
    dispatcher.include_routers(commands, feedback_round())
    setup_dialogs(dispatcher)
    return dispatcher


async def serve(api_url: str, token: str) -> None:
    """Poll until SIGTERM or SIGINT (aiogram's polling stops on either)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    bot = Bot(token, session=session)
    dispatcher = create_dispatcher()
    # 25 s long polls, as Coproduce's poller makes them.
    await dispatcher.start_polling(bot, polling_timeout=25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", required=True, help="Bot API base URL, e.g. the emulator's")
    parser.add_argument("--token", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(args.api, args.token))
    return 0


if __name__ == "__main__":
    sys.exit(main())
