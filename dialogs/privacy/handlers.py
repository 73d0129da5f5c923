from __future__ import annotations

import json
from typing import Any

from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager

from bot.i18n import LANGUAGE_NAMES, local_day, reader_zone
from bot.services import people, privacy


async def on_pause(callback: CallbackQuery, _w: Any, manager: DialogManager, weeks: int) -> None:
    data = manager.middleware_data
    try:
        await people.pause(data["session"], data["participant"], weeks)
    except people.InvalidChoice:
        return
    await callback.answer(_("Paused. We will not send you messages."))


async def on_pause_open(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    data = manager.middleware_data
    await people.pause(data["session"], data["participant"], None)
    await callback.answer(_("Paused. We will not send you messages."))


async def on_resume(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    data = manager.middleware_data
    await people.resume(data["session"], data["participant"])
    data["end_of_update"].after_commit(data["delivery"].wake)
    await callback.answer(_("Welcome back. Messages are on again."))


async def on_forget_confirmed(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    data = manager.middleware_data
    participant = data["participant"]
    await privacy.erase(data["session"], participant)
    data["end_of_update"].forget_dialogs(participant.telegram_id)
    await callback.message.answer(
        _(
            "Your data is deleted. Thank you for the time you gave. "
            "If you want to take part again, type /start."
        )
    )
    await manager.reset_stack()


async def send_my_data(message: Message, session, participant, locale: str) -> None:
    """/mydata: a readable summary, and a file with everything we hold about them."""
    held = await privacy.collect(session, participant)
    zone = reader_zone(participant.timezone)
    summary = _(
        "This is what we keep about you.\n"
        "• Name: {name}\n"
        "• Language: {language}\n"
        "• Teams: {teams}\n"
        "• You agreed to our terms on: {agreed}\n"
        "The file has all of it. To delete it, type /forget."
    ).format(
        name=participant.display_name or _("not given"),
        language=LANGUAGE_NAMES.get(participant.locale or locale, locale),
        teams=", ".join(held.projects) or _("none yet"),
        agreed=local_day(participant.consented_at, zone, locale, "long")
        if participant.consented_at
        else _("not yet"),
    )
    await message.answer(summary)
    document = json.dumps(held.document, ensure_ascii=False, indent=2).encode("utf-8")
    await message.answer_document(
        BufferedInputFile(document, filename="my-coproduce-data.json"),
        caption=_("Everything we keep about you."),
    )
