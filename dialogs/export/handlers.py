"""The export dialog's handlers: read the coordinator's choices and start the export, which is
made, sent and deleted in the background (dialogs/export/making.py). Nothing here decides who
may export: bot.services.exports does."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from bot.services import exports
from bot.services.delivery import zone
from bot.services.typed_input import find_days
from dialogs.common import open_from_button
from dialogs.export import making
from dialogs.export.getters import DAYS, EVERYTHING, request_of
from dialogs.states import Export
from storage import projects
from storage.types import utcnow

# Nothing is older than this: an earlier first day means "from the start".
EARLIEST = date(2000, 1, 1)
_refusal = making.refusal


async def on_export_command(message: Message, dialog_manager: DialogManager, session, participant):
    """/export: coordinators choose what to export; anyone else is told kindly (and audited)."""
    if not await exports.projects_to_export(session, participant):
        await exports.note_refusal(session, participant, None)
        await message.answer(_refusal())
        return
    await open_from_button(dialog_manager, Export.project)  # Back from it lands on the menu


async def on_start(_start_data: Any, manager: DialogManager) -> None:
    """With one team to choose from, skip the choice."""
    data = manager.middleware_data
    found = await exports.projects_to_export(data["session"], data["participant"])
    if len(found) == 1:
        manager.dialog_data.update(project_id=found[0].id, single_project=True)
        await manager.switch_to(Export.what)


async def on_project(callback: CallbackQuery, _w: Any, manager: DialogManager, project_id: int):
    data = manager.middleware_data
    if not await exports.may_export(data["session"], data["participant"], project_id):
        await exports.note_refusal(data["session"], data["participant"], project_id)
        await callback.answer(_refusal(), show_alert=True)
        return
    manager.dialog_data["project_id"] = project_id
    await manager.switch_to(Export.what)


async def on_what_back(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    if manager.dialog_data.get("single_project"):
        await manager.done()
    else:
        await manager.switch_to(Export.project)


async def on_what(_c: CallbackQuery, _w: Any, manager: DialogManager, what: str) -> None:
    if what == EVERYTHING or what in exports.KINDS:
        manager.dialog_data["what"] = what
        await manager.switch_to(Export.format)


async def on_format(_c: CallbackQuery, _w: Any, manager: DialogManager, fmt: str) -> None:
    if fmt in {f.value for f in exports.Format}:
        manager.dialog_data["format"] = fmt
        await manager.switch_to(Export.dates)


async def _project_today(manager: DialogManager) -> date:
    project = await projects.get_project(
        manager.middleware_data["session"], manager.dialog_data["project_id"]
    )
    return utcnow().astimezone(zone(project.timezone if project else None, "Europe/London")).date()


async def on_days(_c: CallbackQuery, _w: Any, manager: DialogManager, days: str) -> None:
    if days not in DAYS:
        return
    if days == "all":
        manager.dialog_data.update(since=None, until=None)
    else:
        today = await _project_today(manager)
        since = today - timedelta(days=int(days) - 1)
        manager.dialog_data.update(since=since.isoformat(), until=today.isoformat())
    await manager.switch_to(Export.names)


async def on_days_typed(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    """A first and last day typed, like 2026-01-01 2026-03-31, in either order; one day alone
    means from that day to today. A last day after today counts as today."""
    typed = message.text if message.content_type == ContentType.TEXT else ""
    days = sorted(find_days(typed) or [])  # none if a day does not exist, like 2026-02-30
    if len(days) not in (1, 2):
        await message.answer(
            _("Sorry, I could not read that. Please type two dates like 2026-01-01 2026-03-31.")
        )
        manager.show_mode = ShowMode.SEND
        return
    today = await _project_today(manager)
    since, until = days[0], days[-1] if len(days) == 2 else None
    if since > today:
        await message.answer(_("That is after today. Please type days up to today."))
        manager.show_mode = ShowMode.SEND
        return
    manager.dialog_data.update(
        since=since.isoformat() if since >= EARLIEST else None,
        until=until.isoformat() if until and until < today else None,
    )
    await manager.switch_to(Export.names, show_mode=ShowMode.SEND)


async def on_names(_c: CallbackQuery, _w: Any, manager: DialogManager, choice: str) -> None:
    if choice in ("codes", "names"):
        manager.dialog_data["names"] = choice == "names"
        await manager.switch_to(Export.confirm)


async def on_make(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    """Check, say the file is on its way, and make it in the background once this update is
    saved: the chat stays free meanwhile. One export at a time per person."""
    data = manager.middleware_data
    session, person = data["session"], data["participant"]
    request = request_of(manager)
    if not await exports.may_export(session, person, request.project_id):
        await exports.note_refusal(session, person, request.project_id)
        await callback.answer(_refusal(), show_alert=True)
        await manager.done()
        return
    if making.is_making(person.id):
        await callback.answer(
            _("Your last file is still being made. Please wait for it first."), show_alert=True
        )
        return
    chat_id = callback.message.chat.id if callback.message else callback.from_user.id
    job = making.ExportJob(request, person.id, chat_id, data["locale"])
    tasks, sessions = data["background_tasks"], data["sessions"]
    data["end_of_update"].after_commit(
        lambda: making.start(
            tasks,
            job,
            bot=callback.bot,
            sessions=sessions,
            i18n=data["i18n"],
            data_dir=data["data_dir"],
        )
    )
    await callback.answer()
    await callback.bot.send_message(
        chat_id,
        _(
            "I am making your file. It will arrive here when it is ready. "
            "You can keep using the bot meanwhile."
        ),
    )
    await manager.done()
