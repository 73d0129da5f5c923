"""Facilitators set their team's regular check-ins in the bot: every second Tuesday at 18:00,
in the team's own time zone; they can stop one; nobody else can touch them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.models import AuditEntry, CheckinSchedule
from tests.conftest import join, make_staff, make_team, press, settle, tr


async def _schedules(app) -> list[CheckinSchedule]:
    async with app.sessions() as session:
        return list((await session.execute(select(CheckinSchedule))).scalars())


async def test_a_facilitator_sets_a_check_in_every_second_tuesday_at_six(emulator, start_bot):
    running = await start_bot()
    project_id, _code = await make_team(running.app, "Recovery college")
    await make_staff(running.app, 6000, project_id)
    fay = await join(emulator, 6000)

    await press(emulator, fay, "Team tools", "Regular check-ins")
    assert "There are none yet." in fay.last_message.text
    await press(
        emulator,
        fay,
        "Add a check-in",
        "How are things going? (three answers)",
        "Every 2 weeks",
        "Tuesday",
    )
    await settle(emulator, await fay.send_text("18:00"))
    assert any("Saved." in m.text for m in fay.messages[-3:])
    listing = fay.last_message.text
    assert "Every 2 weeks on Tuesday at 18:00" in listing

    (schedule,) = await _schedules(running.app)
    assert (schedule.project_id, schedule.start, schedule.every_weeks) == (project_id, "pulse", 2)
    local = schedule.next_run_at.astimezone(ZoneInfo("Europe/London"))
    assert (local.weekday(), local.hour, local.minute) == (1, 18, 0)

    await press(emulator, fay, fay.buttons[1])  # "Stop: Every 2 weeks on Tuesday ..."
    assert "Stop this check-in?" in fay.last_message.text
    await press(emulator, fay, "Yes, stop it")
    assert "There are none yet." in fay.last_message.text
    (schedule,) = await _schedules(running.app)
    assert schedule.active is False
    async with running.app.sessions() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert {"checkin.added", "checkin.stopped"} <= set(actions)


async def test_a_mistyped_time_is_asked_again_and_nothing_is_saved(emulator, start_bot):
    running = await start_bot()
    project_id, _code = await make_team(running.app, "Recovery college")
    await make_staff(running.app, 6100, project_id)
    fay = await join(emulator, 6100)
    await press(emulator, fay, "Team tools", "Regular check-ins", "Add a check-in")
    await press(emulator, fay, "Is there something you want to tell the team?", "Every week")
    await press(emulator, fay, "Friday")
    await settle(emulator, await fay.send_text("six-ish"))
    assert fay.messages[-2].text == "Please type a time like 18:00, or tap a button."
    assert fay.last_message.text.startswith("At what time?")  # asked again, below the answer
    assert await _schedules(running.app) == []
    await settle(emulator, await fay.send_text("25:00"))
    assert await _schedules(running.app) == []


async def test_a_participant_cannot_open_the_check_in_screens(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app, "Recovery college")
    await make_staff(running.app, 6200, project_id)
    sam = await join(emulator, 6201, code=code)
    menu = sam.last_message
    assert "Team tools" not in menu.buttons
    forged = menu.data_for("Help").rsplit("help", 1)[0] + "staff_checkins"
    update = await sam.press_data(forged, message_id=menu.message_id)
    await settle(emulator, update)
    answer = emulator.callback_answer(update["callback_query"]["id"])
    assert answer is not None and "not available to you" in answer["text"]
    assert sam.last_message.text == menu.text


async def test_a_second_check_in_of_a_kind_takes_the_place_of_the_first_in_welsh(
    emulator, start_bot
):
    """Two of a kind would send everyone each check-in twice (as `coproduce checkin` refuses)."""
    running = await start_bot()
    project_id, _code = await make_team(running.app, "Recovery college")
    await make_staff(running.app, 6300, project_id)
    fay = await join(emulator, 6300, language="Cymraeg")
    for day in ("Dydd Mawrth", "Dydd Iau"):  # Tuesday, Thursday: Babel's Welsh day names
        await press(emulator, fay, tr("Team tools", "cy"), tr("Regular check-ins", "cy"))
        await press(
            emulator,
            fay,
            tr("Add a check-in", "cy"),
            tr("How are things going? (three answers)", "cy"),
            tr("Every week", "cy"),
            day,
        )
        await settle(emulator, await fay.send_text("18:00"))
        await press(emulator, fay, tr("Back", "cy"))
        await press(emulator, fay, tr("Back", "cy"))

    replaced = "Saved. It takes the place of the last one like it. Nobody gets it twice."
    assert any(tr(replaced, "cy") == m.text for m in fay.messages)
    running_now = [s for s in await _schedules(running.app) if s.active]
    assert len(running_now) == 1
    local = running_now[0].next_run_at.astimezone(ZoneInfo("Europe/London"))
    assert local.weekday() == 3  # the Thursday one
    async with running.app.sessions() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert "checkin.replaced" in actions
