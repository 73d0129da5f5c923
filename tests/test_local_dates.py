"""Days and times are shown where the person is: near midnight the UTC day is the wrong day for
someone in Dubai or Warsaw. And a time a person reads never has seconds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from babel.dates import format_date
from sqlalchemy import select

from storage.models import Feedback
from tests.conftest import (
    FEEDBACK_TOPICS,
    give_feedback,
    join,
    make_staff,
    make_team,
    press,
    say,
    tr,
    update_person,
)

# 23:30 UTC on 14 March 2030: already 15 March in Dubai (UTC+4).
LATE = datetime(2030, 3, 14, 23, 30, tzinfo=UTC)
SECONDS = re.compile(r"\d:\d\d:\d\d")


async def test_paused_until_shows_the_day_where_they_are(emulator, start_bot):
    running = await start_bot()
    dewi = await join(emulator, 6400, language="Cymraeg", language_code="cy")
    await update_person(
        running.app,
        6400,
        timezone="Asia/Dubai",
        paused_at=datetime(2026, 1, 1, tzinfo=UTC),
        paused_until=LATE,
    )
    await say(emulator, dewi, "/pause")
    text = dewi.last_message.text
    assert format_date(date(2030, 3, 15), "long", locale="cy_GB") in text
    assert format_date(date(2030, 3, 14), "long", locale="cy_GB") not in text


async def test_my_feedback_shows_the_day_where_they_are(emulator, start_bot):
    running = await start_bot()
    _project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    amy = await join(emulator, 6401, code=code, language="Cymraeg", language_code="cy")
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", "The bus is late.", locale="cy")
    await update_person(running.app, 6401, timezone="Asia/Dubai")
    async with running.app.sessions() as session:
        (answer,) = (await session.execute(select(Feedback))).scalars()
        answer.created_at = LATE
        session.add(answer)
        await session.commit()

    await press(emulator, amy, tr("My feedback", "cy"))  # on the "thank you" screen
    [label] = [b for b in amy.buttons if "Transport" in b]
    assert label.startswith(format_date(date(2030, 3, 15), "medium", locale="cy_GB"))
    await press(emulator, amy, label)
    text = amy.last_message.text
    assert format_date(date(2030, 3, 15), "medium", locale="cy_GB") in text
    assert format_date(date(2030, 3, 14), "medium", locale="cy_GB") not in text


async def test_the_check_in_screen_shows_no_seconds(emulator, start_bot):
    running = await start_bot()
    project_id, _code = await make_team(running.app, "Recovery college")
    await make_staff(running.app, 6402, project_id)
    fay = await join(emulator, 6402, language="Cymraeg", language_code="cy")
    await press(emulator, fay, tr("Team tools", "cy"), tr("Regular check-ins", "cy"))
    await press(emulator, fay, tr("Add a check-in", "cy"))
    await press(emulator, fay, tr("How are things going? (three answers)", "cy"))
    await press(emulator, fay, tr("Every week", "cy"))
    await press(emulator, fay, fay.buttons[1])  # Tuesday
    await say(emulator, fay, "18:00")
    listing = fay.last_message.text
    assert "18:00" in listing
    assert not SECONDS.search(listing), listing
