from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import ManagedTextInput

from bot.services import people
from dialogs.common import ask_for_a_known_timezone, ask_for_a_shorter_name
from dialogs.states import Settings


def _session_and_person(manager: DialogManager):
    return manager.middleware_data["session"], manager.middleware_data["participant"]


async def _saved(callback: CallbackQuery, manager: DialogManager) -> None:
    data = manager.middleware_data
    data["end_of_update"].after_commit(data["delivery"].wake)  # a change may free held messages
    await callback.answer(_("Saved."))
    await manager.switch_to(Settings.main)


def _saving(setter):
    """A picker's on_click: save the chosen value with `setter`; a forged value changes nothing."""

    async def on_click(callback: CallbackQuery, _w: Any, manager: DialogManager, value) -> None:
        try:
            await setter(*_session_and_person(manager), value)
        except people.InvalidChoice:
            return
        await _saved(callback, manager)

    return on_click


on_frequency = _saving(people.set_frequency)
on_quiet_hours = _saving(people.set_quiet_hours)
on_timezone = _saving(people.set_timezone)


async def on_timezone_typed(message: Message, _w: ManagedTextInput, manager: DialogManager, text):
    zone = text.strip().replace(" ", "_")
    try:
        await people.set_timezone(*_session_and_person(manager), zone)
    except people.InvalidChoice:
        await ask_for_a_known_timezone(message, manager)
        return
    await manager.switch_to(Settings.main, show_mode=ShowMode.SEND)


async def on_toggle_quote(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    session, participant = _session_and_person(manager)
    await people.set_quoting(
        session,
        participant,
        may_quote=not participant.may_quote,
        may_use_name=participant.may_use_name,
    )


async def on_toggle_use_name(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    session, participant = _session_and_person(manager)
    await people.set_quoting(
        session,
        participant,
        may_quote=participant.may_quote,
        may_use_name=not participant.may_use_name,
    )


async def on_name_typed(message: Message, _w: ManagedTextInput, manager: DialogManager, text):
    name = people.clean_name(text)
    if name is None:
        await ask_for_a_shorter_name(message, manager, people.NAME_MAX_LENGTH)
        return
    await people.set_display_name(*_session_and_person(manager), name)
    await manager.switch_to(Settings.main, show_mode=ShowMode.SEND)


async def on_forget_name(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    await people.set_display_name(*_session_and_person(manager), None)
    await _saved(callback, manager)
