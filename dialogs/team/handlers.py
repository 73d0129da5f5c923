from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager

from bot.services import invites, people
from storage import projects
from storage.models import Role

PARTICIPANT_INVITE_LIFETIME = timedelta(days=30)


async def on_invite(callback: CallbackQuery, _w: Any, manager: DialogManager, project_id: int):
    """Make a participant invite for one of their projects and send its link and QR code."""
    data = manager.middleware_data
    session, participant = data["session"], data["participant"]
    if not await people.is_staff_in(session, participant, project_id):
        return  # the staff guard stops forged buttons first; this is the rule, held twice
    project = await projects.get_project(session, project_id)
    invite = await invites.create_invite(
        session,
        project,
        Role.PARTICIPANT,
        created_by=participant,
        expires_in=PARTICIPANT_INVITE_LIFETIME,
    )
    me = await callback.bot.me()
    link = invites.deep_link(me.username, invite.code)
    await callback.message.answer_photo(
        BufferedInputFile(invites.qr_png(link), filename="invite.png"),
        caption=_(
            "Invite for {project}. Share this link or the picture. It works for 30 days.\n{link}"
        ).format(project=project.name, link=link),
    )
    await callback.answer()
