"""Logs never hold personal data, at any level: a whole journey at DEBUG, logged through the
handler `setup_logging` installs (its filters included), leaves no Telegram id, typed word, name,
invite code or token in the output."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logging_setup import setup_logging
from bot.services import invites
from storage import projects
from storage.models import Role
from tests.conftest import (
    FEEDBACK_TOPICS,
    TOKEN,
    give_feedback,
    join,
    make_team,
    no_quiet_hours,
    press,
    say,
)

ADA = 7_319_044_286
FAY = 5_550_123_987
NAME = "Ada Quillfeather"
WORDS = "The xylocarp ramp by the marmalade door is broken"


@pytest.fixture
def debug_log():
    """The root logger at DEBUG through setup_logging's own handler, writing to a buffer;
    the logging set-up of the test run comes back afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    setup_logging("DEBUG")
    buffer = io.StringIO()
    [handler] = root.handlers
    handler.setStream(buffer)
    yield buffer
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    for name, level in saved_levels.items():
        logging.getLogger(name).setLevel(level)


async def test_a_journey_at_debug_logs_no_id_words_name_code_or_token(
    emulator, start_bot, debug_log
):
    running = await start_bot()
    app = running.app
    project_id, participant_code = await make_team(app, feedback_topics=FEEDBACK_TOPICS)
    async with app.sessions() as session:
        project = await projects.get_project(session, project_id)
        staff_code = (await invites.create_invite(session, project, Role.FACILITATOR)).code
        await session.commit()

    fay = await join(emulator, FAY, code=staff_code)
    ada = await join(emulator, ADA, name=NAME, code=participant_code)
    await no_quiet_hours(app, FAY, ADA)
    await give_feedback(emulator, ada, "Waiting times", "🙁 Bad", WORDS, named=True)
    await say(emulator, ada, "/mydata")
    assert ada.messages[-1].document
    await press(emulator, fay, "Team tools")
    await running.stop()

    logged = debug_log.getvalue()
    assert "DEBUG aiogram_dialog.window: Show window" in logged, "logged at DEBUG, usefully"
    secrets = {
        "participant's id": str(ADA),
        "facilitator's id": str(FAY),
        "name": "Quillfeather",
        "typed words": "xylocarp",
        "participant invite": participant_code,
        "facilitator invite": staff_code,
        "token": TOKEN.split(":")[1],
    }
    leaks = {what: logged.count(secret) for what, secret in secrets.items() if secret in logged}
    examples = [
        line[:200]
        for line in logged.splitlines()
        if any(secret in line for secret in secrets.values())
    ][:5]
    assert leaks == {}, "\n".join(examples)
