"""A participant who presses forged staff buttons again and again is refused kindly every time,
and the audit log keeps a count of it in a few rows, not a row a press."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from storage import audit
from storage.models import AuditEntry
from tests.conftest import join, make_team, settle

PRESSES = 1_000
TEAMS_OF_ATTEMPTS = ("staff_tools", "staff_invite_project:1", "staff_broadcast_project:1")


async def _refusals(app, actor_id: int) -> list[AuditEntry]:
    async with app.sessions() as session:
        query = (
            select(AuditEntry)
            .where(AuditEntry.action == "access.denied", AuditEntry.actor_id == actor_id)
            .order_by(AuditEntry.id)
        )
        return list((await session.execute(query)).scalars())


async def test_a_thousand_forged_presses_are_each_refused_and_counted_in_a_few_rows(
    emulator, start_bot
):
    running = await start_bot()
    _, code = await make_team(running.app)
    pat = await join(emulator, 5301, code=code)
    menu = pat.last_message
    prefix = menu.data_for("Help").rsplit("help", 1)[0]
    # The same few forged buttons again and again, and a new made-up one every tenth press.
    forged = [
        prefix + (f"staff_made_up_{n}" if n % 10 == 9 else TEAMS_OF_ATTEMPTS[n % 3])
        for n in range(PRESSES)
    ]
    started = time.monotonic()
    updates = [await pat.press_data(data, message_id=menu.message_id) for data in forged]
    await settle(emulator, updates[-1], within=120)
    spent = time.monotonic() - started

    answers = [emulator.callback_answer(update["callback_query"]["id"]) for update in updates]
    assert all(a is not None and "not available to you" in a["text"] for a in answers)
    assert pat.last_message.text == menu.text  # nothing changed on screen

    async with running.app.sessions() as session:
        actor_id = (
            await session.execute(
                select(AuditEntry.actor_id).where(AuditEntry.action == "access.denied").limit(1)
            )
        ).scalar_one()
        all_refusals = (
            await session.execute(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "access.denied")
            )
        ).scalar_one()
    rows = await _refusals(running.app, actor_id)
    # The first of each is written in full: the three buttons, two made-up ones, then the rest
    # of the made-up ones counted together.
    assert [row.detail for row in rows] == [
        "staff_tools",
        "staff_invite_project",
        "staff_broadcast_project",
        "staff_made_up_9",
        "staff_made_up_19",
        audit.OTHERS,
    ]
    assert len(rows) == all_refusals == audit.KINDS_AN_HOUR + 1
    assert sum(1 + row.repeats for row in rows) == PRESSES  # not one refusal lost
    assert all(row.last_at >= row.at for row in rows if row.repeats)
    assert spent < 120, f"{PRESSES} presses took {spent:.0f} s"


async def test_an_hour_later_a_refusal_gets_a_row_of_its_own_again(emulator, start_bot):
    running = await start_bot()
    _, code = await make_team(running.app)
    pat = await join(emulator, 5302, code=code)
    menu = pat.last_message
    forged = menu.data_for("Help").rsplit("help", 1)[0] + "staff_tools"
    for _ in range(3):
        await settle(emulator, await pat.press_data(forged, message_id=menu.message_id))
    async with running.app.sessions() as session:
        denied = select(AuditEntry).where(AuditEntry.action == "access.denied")
        (first,) = (await session.execute(denied)).scalars()
        assert first.repeats == 2
        first.at -= audit.REPEAT_WINDOW + timedelta(seconds=1)  # as if it were an hour ago
        await session.commit()
        actor_id = first.actor_id
    await settle(emulator, await pat.press_data(forged, message_id=menu.message_id))
    rows = await _refusals(running.app, actor_id)
    assert [(row.detail, row.repeats) for row in rows] == [("staff_tools", 2), ("staff_tools", 0)]
