"""Buttons on check-in messages. A pulse check-in carries its three answers as buttons, so a
tired person answers in one tap (then may add a comment); a feedback check-in opens the
feedback dialog. Callback data: "fb_ck:p:<project id>:<answer>" and "fb_ck:f:<project id>";
the project id is 0 on check-ins queued without one. Nothing in it is trusted: the check-in
this person really got, and their membership, are looked up."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager

from bot.services import feedback
from dialogs.common import open_from_button
from dialogs.states import GiveFeedback, PulseComment
from storage import feedback as store
from storage.models import PulseAnswer

PREFIX = "fb_ck:"


def __(message: str) -> str:
    """Marks a message for `coproduce i18n extract`; translated in the recipient's language."""
    return message


PULSE_LABELS = {
    PulseAnswer.GOOD: __("😊 Going well"),
    PulseAnswer.OKAY: __("😐 Okay"),
    PulseAnswer.HARD: __("😟 Hard"),
}
GIVE_FEEDBACK = __("Give feedback")


def checkin_buttons(argument: str, translate) -> InlineKeyboardMarkup | None:
    """`argument` is "pulse" or "feedback", optionally followed by ":<project id>"."""
    start, _sep, project = argument.partition(":")
    project_id = int(project) if project.isdigit() else 0
    if start == "pulse":
        row = [
            InlineKeyboardButton(
                text=translate(label), callback_data=f"{PREFIX}p:{project_id}:{answer.value}"
            )
            for answer, label in PULSE_LABELS.items()
        ]
        return InlineKeyboardMarkup(inline_keyboard=[row])
    if start == "feedback":
        button = InlineKeyboardButton(
            text=translate(GIVE_FEEDBACK), callback_data=f"{PREFIX}f:{project_id}"
        )
        return InlineKeyboardMarkup(inline_keyboard=[[button]])
    return None


async def _checkin_project(callback: CallbackQuery, session, participant, claimed: int):
    """The project of the check-in this person got as this message, if they are still in it.
    A message we cannot find (forged, or long gone) is not trusted."""
    if participant is None or callback.message is None:
        return None, None
    message = await store.checkin_delivered_as(session, participant.id, callback.message.message_id)
    if message is None or not message.project_id:
        return None, None
    if claimed and claimed != message.project_id:
        return None, None  # forged
    if not await feedback.is_member(session, participant, message.project_id):
        return None, None
    return message.project_id, message.id


# What they chose is written under the message: the buttons go when the next window opens.
ANSWERED = "\n\n✓ "


async def show_answer(callback: CallbackQuery, answer: str) -> None:
    """Write "You answered: ..." under the message they tapped (replacing an earlier one), so
    they can still see what they chose once its buttons are gone."""
    message = callback.message
    if not isinstance(message, Message) or not message.text:
        return  # too old for Telegram to show us, or not text: nothing to write under
    before = message.text.split(ANSWERED)[0]
    said = _("You answered: {answer}. Thank you.").format(answer=answer)
    try:
        await message.edit_text(before + ANSWERED + said)
    except TelegramBadRequest:
        pass  # unchanged (the same answer again) or too old to edit: the answer is stored


async def _stale(callback: CallbackQuery) -> None:
    await callback.answer(
        _("Sorry, this button no longer works. Please use /menu."), show_alert=True
    )


async def on_checkin_tap(
    callback: CallbackQuery, dialog_manager: DialogManager, session, participant
) -> None:
    parts = (callback.data or "").removeprefix(PREFIX).split(":")
    kind = parts[0] if parts else ""
    claimed = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    project_id, checkin_id = await _checkin_project(callback, session, participant, claimed)
    if project_id is None:
        await _stale(callback)
        return
    if kind == "f" and len(parts) == 2:
        await callback.answer()
        await open_from_button(dialog_manager, GiveFeedback.project, {"project_id": project_id})
        return
    if kind != "p" or len(parts) != 3 or parts[2] not in {a.value for a in PulseAnswer}:
        await _stale(callback)
        return
    response = await feedback.answer_pulse(
        session,
        participant,
        project_id=project_id,
        checkin_message_id=checkin_id,
        answer=parts[2],
    )
    await callback.answer(_("Thank you. We have saved your answer."))
    await show_answer(callback, _(PULSE_LABELS[PulseAnswer(parts[2])]))
    await open_from_button(dialog_manager, PulseComment.comment, {"pulse_id": response.id})


def router() -> Router:
    router = Router(name="checkin_taps")
    router.callback_query.register(on_checkin_tap, F.data.startswith(PREFIX))
    return router
