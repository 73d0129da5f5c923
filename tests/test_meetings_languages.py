"""Every meetings window renders in English, Welsh, Polish and Arabic (dates through Babel,
right-to-left included). Buttons are found by their widget ids, so the walk works whatever the
words on them say."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram_dialog.widgets.kbd.calendar_kbd import raw_from_date
from sqlalchemy import update

from storage.models import AvailabilityPoll, Meeting
from storage.types import utcnow
from tests.conftest import (
    button_data,
    join,
    make_staff,
    make_team,
    no_quiet_hours,
    settle,
    tap,
    update_person,
)

LANGUAGES = {"en": "English", "cy": "Cymraeg", "pl": "Polski", "ar": "العربية"}


def _shows(person, widget: str) -> None:
    button_data(person, widget)  # the window rendered, with its buttons


@pytest.mark.parametrize("code", list(LANGUAGES))
async def test_every_meetings_window_renders_in_each_language(emulator, start_bot, code):
    running = await start_bot()
    app = running.app
    project_id, invite = await make_team(app)
    await make_staff(app, 7000, project_id)
    fay = await join(emulator, 7000, language=LANGUAGES[code], language_code=code)
    ann = await join(emulator, 7001, language=LANGUAGES[code], language_code=code, code=invite)
    await no_quiet_hours(app, 7000, 7001)
    await update_person(app, 7001, display_name="Ann")
    day = utcnow().astimezone(ZoneInfo("Europe/London")).date() + timedelta(days=3)

    await settle(emulator, await fay.send_text("/team"))
    await tap(emulator, fay, "staff_meetings")
    await tap(emulator, fay, "staff_new_poll")
    _shows(fay, "title_back")
    await settle(emulator, await fay.send_text("Plan"))
    await settle(emulator, await fay.send_text("Room 4"))
    _shows(fay, "day_back")
    for minutes in ("1080", "1140"):
        await _calendar_day(emulator, fay, day)
        await tap(emulator, fay, "poll_time", minutes)
        _shows(fay, "slots_back")
        if minutes == "1080":
            await tap(emulator, fay, "add_slot")
    await tap(emulator, fay, "slots_next")
    await tap(emulator, fay, "poll_duration", "60")
    await tap(emulator, fay, "poll_deadline")
    await tap(emulator, fay, "poll_audience", "project")
    await tap(emulator, fay, "publish")
    _shows(fay, "__cancel__")

    await app.delivery.run_until_idle()
    await settle(emulator, await ann.press_data("mt_poll:1", ann.last_message.message_id))
    await tap(emulator, ann, "availability_slot")
    await tap(emulator, ann, "needs")
    await tap(emulator, ann, "availability_need", "other")
    _shows(ann, "note_skip")
    await tap(emulator, ann, "note_skip")
    await tap(emulator, ann, "needs_done")
    await tap(emulator, ann, "answers_done")
    _shows(ann, "thanks_done")
    await settle(emulator, await ann.send_text("/menu"))
    await tap(emulator, ann, "my_meetings")
    await tap(emulator, ann, "my_poll")
    _shows(ann, "answers_done")

    await settle(emulator, await fay.send_text("/team"))
    await tap(emulator, fay, "staff_meetings")
    await tap(emulator, fay, "staff_poll")
    await tap(emulator, fay, "staff_choose_slot")
    await tap(emulator, fay, "decide")
    assert any(m.document for m in fay.messages)
    await tap(emulator, fay, "move")
    _shows(fay, "move_back")
    await tap(emulator, fay, "move_back")
    await tap(emulator, fay, "cancel")
    await tap(emulator, fay, "cancel_back")
    async with app.sessions() as session:  # the meeting took place; answers have closed
        await session.execute(update(Meeting).values(starts_at=utcnow() - timedelta(hours=2)))
        await session.execute(
            update(AvailabilityPoll).values(deadline=utcnow() - timedelta(days=1))
        )
        await session.commit()
    await tap(emulator, fay, "meeting_back")
    await tap(emulator, fay, "staff_meeting")
    await tap(emulator, fay, "attendance")
    await tap(emulator, fay, "staff_attended")
    assert "✅" in " ".join(fay.buttons)

    await settle(emulator, await ann.send_text("/menu"))
    await tap(emulator, ann, "my_meetings")
    _shows(ann, "__cancel__")
    # (A handler that answered a tap kindly is answered once more by aiogram-dialog, and a window
    # drawn again with the same words is refused as "not modified", which aiogram-dialog expects.)
    refused = [
        (r.method, r.error_code, r.description)
        for r in emulator.requests
        if not r.ok
        and r.method != "answerCallbackQuery"
        and "message is not modified" not in r.description
    ]
    assert refused == []


async def _calendar_day(emulator, fay, day) -> None:
    try:
        await tap(emulator, fay, "poll_day", str(raw_from_date(day)))
    except AssertionError:  # another month is showing: move on one month first
        data, message_id = next(
            (d, m.message_id)
            for m in reversed(fay.messages)
            for row in m.callback_data
            for d in row
            if d and d.endswith("poll_day:+")
        )
        await settle(emulator, await fay.press_data(data, message_id))
        await tap(emulator, fay, "poll_day", str(raw_from_date(day)))
