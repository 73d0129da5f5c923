"""Commands that work from anywhere, whatever dialog is open."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message
from aiogram_dialog import DialogManager, ShowMode, StartMode

from dialogs.states import MainMenu, Start
from storage.models import Participant


def _home_state(participant: Participant | None):
    # Someone who never chose a language starts there, whatever they typed.
    return Start.language if participant is None or participant.locale is None else MainMenu.main


async def on_start(message: Message, dialog_manager: DialogManager, participant) -> None:
    await dialog_manager.start(
        _home_state(participant), mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND
    )


async def on_menu(message: Message, dialog_manager: DialogManager, participant) -> None:
    await dialog_manager.start(
        _home_state(participant), mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND
    )


async def on_help(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(MainMenu.help, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def on_language(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(
        MainMenu.language, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND
    )


def commands_router() -> Router:
    router = Router(name="commands")
    router.message.register(on_start, CommandStart())
    router.message.register(on_menu, Command("menu"))
    router.message.register(on_help, Command("help"))
    router.message.register(on_language, Command("language"))
    return router
