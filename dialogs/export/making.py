"""Making an export in the background. A big export takes minutes; made inside the update, it
would hold the coordinator's chat (one update at a time) and leave them waiting on a silent
bot. So "Make the file" only checks and says "I am making your file"; the files are written,
sent and deleted here, with a session of the job's own, and the person is told how it went.

One export at a time per person: a second tap while one is being made is told to wait.
The temporary folder is always deleted: after sending, after an error, and when the bot stops.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot
from aiogram.types import FSInputFile
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import exports
from bot.tasks import BackgroundTasks
from dialogs.common import menu_button
from storage import participants

log = logging.getLogger(__name__)
# Telegram takes files up to 50 MB from bots; a test may make it smaller.
FILE_LIMIT = exports.TELEGRAM_FILE_LIMIT
UPLOAD_SECONDS = 15 * 60  # a 49 MB upload on a slow line: aiogram's 60 s would cut it off


@dataclass(frozen=True)
class ExportJob:
    request: exports.ExportRequest
    participant_id: int
    chat_id: int
    locale: str


def refusal() -> str:
    return _("Sorry, only a team's coordinators can export answers.")


def _task_name(participant_id: int) -> str:
    return f"export-for-{participant_id}"


def is_making(participant_id: int) -> bool:
    """Whether this person's export is still being made (in this process)."""
    name = _task_name(participant_id)
    return any(task.get_name() == name and not task.done() for task in asyncio.all_tasks())


def start(
    tasks: BackgroundTasks,
    job: ExportJob,
    *,
    bot: Bot,
    sessions: async_sessionmaker[AsyncSession],
    i18n: I18n,
    data_dir: Path,
) -> None:
    tasks.spawn(_run(job, bot, sessions, i18n, data_dir), name=_task_name(job.participant_id))


async def _run(
    job: ExportJob,
    bot: Bot,
    sessions: async_sessionmaker[AsyncSession],
    i18n: I18n,
    data_dir: Path,
) -> None:
    with i18n.context(), i18n.use_locale(job.locale):
        try:
            await _make_and_send(job, bot, sessions, data_dir)
        except asyncio.CancelledError:
            raise  # the bot is stopping: the folder is already gone
        except Exception:
            log.exception("export for project %s failed", job.request.project_id)
            try:
                await bot.send_message(
                    job.chat_id,
                    _("Sorry, something went wrong while making your file. Please try again."),
                    reply_markup=menu_button(),
                )
            except Exception:
                log.warning("could not say that the export failed", exc_info=True)


async def _make_and_send(
    job: ExportJob, bot: Bot, sessions: async_sessionmaker[AsyncSession], data_dir: Path
) -> None:
    request = job.request
    # In a session of its own, before this one writes: made once, it is kept whatever happens.
    secret = await exports.load_secret(sessions, data_dir)
    async with sessions() as session:
        actor = await participants.get(session, job.participant_id)
        if actor is None:
            # They used /forget meanwhile. (No actor would mean the command line to the engine.)
            log.info("export for project %s dropped: the person is gone", request.project_id)
            return
        with tempfile.TemporaryDirectory(prefix="coproduce-export-") as folder:
            try:
                result = await exports.export(
                    session,
                    request,
                    Path(folder),
                    secret=secret,
                    actor=actor,
                    max_bytes=FILE_LIMIT,
                    translate=_,
                )
            except exports.NotAllowed:
                await session.commit()  # the refusal's audit entry
                await bot.send_message(job.chat_id, refusal(), reply_markup=menu_button())
                return
            await session.commit()  # the audit entry: what was exported, by whom
            too_big = [path for path in result.files if path.stat().st_size > FILE_LIMIT]
            if too_big:
                await bot.send_message(
                    job.chat_id, _too_big(request.project_id), reply_markup=menu_button()
                )
                return
            for path in result.files:
                await bot.send_document(
                    job.chat_id,
                    FSInputFile(path, filename=path.name),
                    request_timeout=UPLOAD_SECONDS,
                )
    rows = sum(result.rows.values())
    log.info("export sent: project %s, %s", request.project_id, request.detail())
    # The last word of the export has a way on: the person may have left the menu long ago.
    await bot.send_message(job.chat_id, _done(rows, len(result.files)), reply_markup=menu_button())


def _too_big(project_id: int) -> str:
    return _(
        "Sorry, this file is too big for Telegram. "
        "Please choose fewer days, or CSV: it comes in parts. "
        "Or ask whoever runs the bot to use the command line: "
        "coproduce export --project {project}"
    ).format(project=project_id)


def _done(rows: int, files: int) -> str:
    if rows == 0:
        found = _("Done: nothing was found for those days, so the file has only the headings.")
    else:
        found = ngettext("Done: {rows} row.", "Done: {rows} rows.", rows).format(rows=rows)
    keep = ngettext(
        "Your file is above. It holds people's answers: please keep it safe.",
        "Your files are above. They hold people's answers: please keep them safe.",
        files,
    )
    return found + " " + keep
