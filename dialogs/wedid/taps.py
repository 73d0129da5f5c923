"""Buttons on a "you said, we did" message: "Does this answer what you said? Yes / Partly /
No". Callback data "fb_wd:<update id>:<answer>"; the update and the person's membership in its
project are checked. One reply per person per update; a later tap changes it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager

from bot.services import feedback, we_did
from dialogs.common import open_from_button
from dialogs.pulse.taps import show_answer
from dialogs.states import WeDidUpdates
from storage.models import WeDidAnswer

PREFIX = "fb_wd:"


def reply_markup(update_id: int, translate) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(
            text=translate(label), callback_data=f"{PREFIX}{update_id}:{answer.value}"
        )
        for answer, label in we_did.ANSWER_NAMES.items()
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row])


def wedid_buttons(argument: str, translate) -> InlineKeyboardMarkup | None:
    return reply_markup(int(argument), translate) if argument.isdigit() else None


async def on_reply_tap(
    callback: CallbackQuery, dialog_manager: DialogManager, session, participant
) -> None:
    update_id, _sep, answer = (callback.data or "").removeprefix(PREFIX).partition(":")
    if not update_id.isdigit() or answer not in {a.value for a in WeDidAnswer}:
        await callback.answer(_("Sorry, this button no longer works. Please use /menu."))
        return
    try:
        await we_did.reply(session, participant, int(update_id), answer)
    except feedback.NotAllowed:
        await callback.answer(
            _("Sorry, this button no longer works. Please use /menu."), show_alert=True
        )
        return
    await callback.answer(_("Thank you. We have saved your answer."))
    await show_answer(callback, _(we_did.ANSWER_NAMES[WeDidAnswer(answer)]))
    await open_from_button(dialog_manager, WeDidUpdates.comment, {"update_id": int(update_id)})


def router() -> Router:
    router = Router(name="we_did_taps")
    router.callback_query.register(on_reply_tap, F.data.startswith(PREFIX))
    return router
