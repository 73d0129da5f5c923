"""The bot's own background updates of a screen (a broadcast's live progress) never reach a
dialog the person has closed since: they did nothing, so nothing appears in their chat."""

from __future__ import annotations

import asyncio
import logging

from aiogram.types import Chat, User
from aiogram_dialog.manager.bg_manager import BgManager
from aiogram_dialog.utils import CB_SEP

from tests.conftest import press, team_with_people

FAY = 5100


class _Seen(logging.Handler):
    """Set when the fallback handler logs what it did with an update (its last step)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.handled = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.handled.set()


async def test_a_background_redraw_of_a_closed_dialog_sends_nothing(emulator, start_bot, caplog):
    caplog.set_level(logging.INFO, logger="dialogs.fallback")
    running = await start_bot()
    _project_id, fay, _people = await team_with_people(emulator, running.app, {}, facilitator=FAY)
    await press(emulator, fay, "Team tools", "Send a message")
    intent_id = next(
        data.split(CB_SEP, 1)[0]
        for row in fay.last_message.callback_data
        for data in row
        if data and CB_SEP in data
    )
    await press(emulator, fay, "Back", "Back")  # the broadcast dialog is closed: Team tools
    on_screen = list(fay.messages)

    redraw = BgManager(
        user=User(**fay.profile),
        chat=Chat(id=fay.id, type="private"),
        bot=running.app.bot,
        router=running.app.dispatcher,
        intent_id=intent_id,  # the closed dialog's, as a watcher started in it would hold
        stack_id="",
        thread_id=None,
        business_connection_id=None,
    )
    seen = _Seen()
    logging.getLogger("dialogs.fallback").addHandler(seen)
    try:
        await redraw.update({})
        await asyncio.wait_for(seen.handled.wait(), 10)  # the error handler has finished
    finally:
        logging.getLogger("dialogs.fallback").removeHandler(seen)
    assert [m.text for m in fay.messages] == [m.text for m in on_screen]
    assert not any("stale dialog button" in r.getMessage() for r in caplog.records)
