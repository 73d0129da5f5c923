"""The button under the weekly digest: "See the rating chart". The delivery engine sends photos
by file id only, so the chart is drawn when a reader taps and sent as the reply to the tap: the
same weeks as the latest digest, in the reader's language. The callback data names the
project; it is checked against the reader's role there (facilitators and coordinators)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.services import people, reports
from storage import projects
from storage.types import utcnow

PREFIX = "digest_chart:"


def digest_buttons(argument: str, translate) -> InlineKeyboardMarkup | None:
    if not argument.isdigit():
        return None
    button = InlineKeyboardButton(
        text=translate(reports.CHART_BUTTON), callback_data=PREFIX + argument
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


async def on_chart(callback: CallbackQuery, session, participant, i18n: I18n, locale: str) -> None:
    argument = (callback.data or "")[len(PREFIX) :]
    project = await projects.get_project(session, int(argument)) if argument.isdigit() else None
    if project is None or not await people.is_staff_in(session, participant, project.id):
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    await callback.answer()  # at once: drawing takes a moment
    end = reports.digest_end(utcnow(), project.timezone)
    digest = await reports.build_digest(session, project, end)
    chart = reports.rating_chart(
        digest, lambda msgid, code: i18n.gettext(msgid, locale=code), locale
    )
    await callback.message.answer_photo(
        BufferedInputFile(chart, filename="rating-trend.png"),
        caption=_(reports.CHART_CAPTION).format(project=project.name),
    )


def router() -> Router:
    digest_router = Router(name="digest")
    digest_router.callback_query.register(on_chart, F.data.startswith(PREFIX))
    return digest_router
