"""After a pulse answer: an optional comment, typed or skipped."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ContentType
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Start

from bot.services import feedback
from dialogs.common import I18nFormat, unexpected_input
from dialogs.feedback.handlers import too_long_text
from dialogs.states import MainMenu, PulseComment


async def on_comment(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    if message.content_type != ContentType.TEXT:
        await message.answer(_("Please type your words, or tap No, thanks."))
        manager.show_mode = ShowMode.SEND
        return
    data = manager.middleware_data
    try:
        await feedback.comment_on_pulse(
            data["session"], data["participant"], manager.start_data["pulse_id"], message.text
        )
    except feedback.TooLong as error:
        await message.answer(too_long_text(error))
        manager.show_mode = ShowMode.SEND
        return
    except (feedback.Empty, feedback.NotAllowed):
        await message.answer(_("Please type your words, or tap No, thanks."))
        manager.show_mode = ShowMode.SEND
        return
    await manager.switch_to(PulseComment.thanks, show_mode=ShowMode.SEND)


async def get_limit(**_kw: Any) -> dict[str, Any]:
    return {"limit": feedback.COMMENT_LIMIT}


def pulse_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Thank you. Do you want to add a few words? Type them, or tap No, thanks."),
            MessageInput(on_comment),
            Start(
                I18nFormat("No, thanks"),
                id="no_comment",
                state=MainMenu.main,
                mode=StartMode.RESET_STACK,
            ),
            state=PulseComment.comment,
            getter=get_limit,
        ),
        Window(
            I18nFormat("Thank you. The team will read it."),
            Start(
                I18nFormat("Main menu"),
                id="to_menu",
                state=MainMenu.main,
                mode=StartMode.RESET_STACK,
            ),
            unexpected_input(),
            state=PulseComment.thanks,
        ),
    )
