"""Facilitators add and stop their project's regular check-ins."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from bot.services import broadcasts, checkins, people
from bot.services.typed_input import read_clock
from dialogs.states import CheckinSchedules
from storage.types import utcnow


def _session_and_actor(manager: DialogManager):
    return manager.middleware_data["session"], manager.middleware_data["participant"]


async def on_start(_data: Any, manager: DialogManager) -> None:
    """With one project, skip the choice."""
    session, actor = _session_and_actor(manager)
    found = await broadcasts.projects_to_broadcast(session, actor)
    if len(found) == 1:
        manager.dialog_data.update(project_id=found[0].id, single_project=True)
        await manager.switch_to(CheckinSchedules.list)


async def on_project(_c: CallbackQuery, _w: Any, manager: DialogManager, project_id: int):
    session, actor = _session_and_actor(manager)
    if await people.is_staff_in(session, actor, project_id):
        manager.dialog_data["project_id"] = project_id
        await manager.switch_to(CheckinSchedules.list)


async def on_list_back(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    if manager.dialog_data.get("single_project"):
        await manager.done()
    else:
        await manager.switch_to(CheckinSchedules.project)


async def on_start_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, start: str):
    if start in ("pulse", "feedback"):
        manager.dialog_data["start"] = start
        await manager.switch_to(CheckinSchedules.every)


async def on_every(_c: CallbackQuery, _w: Any, manager: DialogManager, every: int) -> None:
    if every in checkins.EVERY_WEEKS_CHOICES:
        manager.dialog_data["every_weeks"] = every
        await manager.switch_to(CheckinSchedules.weekday)


async def on_weekday(_c: CallbackQuery, _w: Any, manager: DialogManager, weekday: int) -> None:
    if 0 <= weekday <= 6:
        manager.dialog_data["weekday"] = weekday
        await manager.switch_to(CheckinSchedules.time)


async def _save(manager: DialogManager, minute_of_day: int, answer) -> None:
    session, actor = _session_and_actor(manager)
    data = manager.dialog_data
    if not all(key in data for key in ("project_id", "start", "every_weeks", "weekday")):
        await manager.switch_to(CheckinSchedules.list)
        return
    added = await checkins.add(
        session,
        actor,
        project_id=data["project_id"],
        start=data["start"],
        every_weeks=data["every_weeks"],
        weekday=data["weekday"],
        minute_of_day=minute_of_day,
        now=utcnow(),
    )
    if added.replaced:
        await answer(_("Saved. It takes the place of the last one like it. Nobody gets it twice."))
    else:
        await answer(_("Saved. The team will get this check-in from now on."))
    manager.show_mode = ShowMode.SEND
    await manager.switch_to(CheckinSchedules.list)


async def on_time_chosen(callback: CallbackQuery, _w: Any, manager: DialogManager, minute: int):
    if minute in checkins.TIME_CHOICES:
        await _save(manager, minute, callback.message.answer)


async def on_time_typed(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    minute_of_day = read_clock(message.text)
    if minute_of_day is None:
        await message.answer(_("Please type a time like 18:00, or tap a button."))
        manager.show_mode = ShowMode.SEND
        return
    await _save(manager, minute_of_day, message.answer)


async def on_stop_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, schedule_id: int):
    manager.dialog_data["schedule_id"] = schedule_id
    await manager.switch_to(CheckinSchedules.stop)


async def on_stop_confirmed(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    session, actor = _session_and_actor(manager)
    data = manager.dialog_data
    if await checkins.stop(session, actor, data["project_id"], data.get("schedule_id", -1)):
        await callback.answer(_("Stopped. Nobody will get this check-in any more."))
    else:
        await callback.answer(_("This check-in was already stopped."))
    await manager.switch_to(CheckinSchedules.list)
