"""Widgets the feedback, review and "you said, we did" dialogs share."""

from __future__ import annotations

import operator
from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, StartMode
from aiogram_dialog.widgets.kbd import Button, ScrollingGroup, Select
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, button_number
from dialogs.states import MainMenu


def paged(widget_id: str, items_key: str, on_click, pages_id: str) -> ScrollingGroup:
    """A long list of (numeric id, label) items, eight buttons a page, so it fits a phone."""
    return ScrollingGroup(
        Select(
            Format("{item[1]}"),
            id=widget_id,
            item_id_getter=operator.itemgetter(0),
            items=items_key,
            on_click=on_click,
            type_factory=button_number,
        ),
        id=pages_id,
        width=1,
        height=8,
        hide_on_single_page=True,
    )


async def leave(manager: DialogManager) -> None:
    """Back from a dialog's first step: to whatever opened it, or to the main menu when it was
    opened by a command (so the person is never left with a message and no buttons)."""
    if len(manager.current_stack().intents) > 1:
        await manager.done()
    else:
        await manager.start(MainMenu.main, mode=StartMode.RESET_STACK)


async def on_leave(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    await leave(manager)


def back_out(widget_id: str = "leave") -> Button:
    """The Back button of a dialog's first window."""
    return Button(I18nFormat("Back"), id=widget_id, on_click=on_leave)
