"""The export dialog's handlers: read the coordinator's choices, ask bot.services.exports for the
files, send them, and delete them. Nothing here decides who may export."""

from __future__ import annotations

import logging
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, FSInputFile, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.widgets.input import MessageInput

from bot.services import exports
from bot.services.delivery import zone
from dialogs.export.getters import DAYS, EVERYTHING, request_of
from dialogs.states import Export
from storage import projects
from storage.types import utcnow

log = logging.getLogger(__name__)
# Telegram takes files up to 50 MB from bots; a test may make it smaller.
FILE_LIMIT = exports.TELEGRAM_FILE_LIMIT


def _refusal() -> str:
    return _("Sorry, only a team's coordinators can export answers.")


async def on_export_command(message: Message, dialog_manager: DialogManager, session, participant):
    """/export: coordinators choose what to export; anyone else is told kindly (and audited)."""
    if not await exports.projects_to_export(session, participant):
        await exports.note_refusal(session, participant, None)
        await message.answer(_refusal())
        return
    await dialog_manager.start(Export.project, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


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
    """Two dates typed, like 2026-01-01 2026-03-31 (first and last day)."""
    typed = message.text if message.content_type == ContentType.TEXT else ""
    parts = (typed or "").replace(",", " ").split()
    try:
        since, until = (date.fromisoformat(part) for part in parts)
    except ValueError:
        await message.answer(
            _("Sorry, I could not read that. Please type two dates like 2026-01-01 2026-03-31.")
        )
        manager.show_mode = ShowMode.SEND
        return
    if until < since:
        since, until = until, since
    manager.dialog_data.update(since=since.isoformat(), until=until.isoformat())
    await manager.switch_to(Export.names, show_mode=ShowMode.SEND)


async def on_names(_c: CallbackQuery, _w: Any, manager: DialogManager, choice: str) -> None:
    if choice in ("codes", "names"):
        manager.dialog_data["names"] = choice == "names"
        await manager.switch_to(Export.confirm)


async def on_make(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    """Write the files to a temporary folder, send them, then delete them."""
    data = manager.middleware_data
    session, person = data["session"], data["participant"]
    request = request_of(manager)
    await callback.answer(_("Making your file. This can take a minute."))
    chat_id = callback.message.chat.id
    with tempfile.TemporaryDirectory(prefix="coproduce-export-") as folder:
        try:
            result = await exports.export(
                session,
                request,
                Path(folder),
                secret=exports.load_secret(data["data_dir"]),
                actor=person,
                max_bytes=FILE_LIMIT,
                translate=_,
            )
        except exports.NotAllowed:
            await callback.message.answer(_refusal())
            await manager.done()
            return
        if any(path.stat().st_size > FILE_LIMIT for path in result.files):
            await callback.message.answer(
                _(
                    "This file is too big for Telegram. Please choose fewer days or CSV, "
                    "or use the command line: coproduce export --project {project}"
                ).format(project=request.project_id)
            )
        else:
            for path in result.files:
                await callback.bot.send_document(chat_id, FSInputFile(path, filename=path.name))
            done = _("Your file is above: {rows} rows. It holds people's answers: keep it safe.")
            await callback.message.answer(done.format(rows=sum(result.rows.values())))
    log.info("export sent: project %s, %s", request.project_id, request.detail())
    await manager.done()
