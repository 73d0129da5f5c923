"""What facilitators' taps and typing do on "Ground rules and topics": each change goes through
bot/services/team_texts.py (staff of the team only, audited) and the screen moves on."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from bot.config import SUPPORTED_LOCALES
from bot.services import people, team_texts
from bot.services.feedback import Empty, NotAllowed, TooLong
from dialogs.states import TeamTexts
from dialogs.team_texts.getters import LOCALE, PROJECT_ID, TOPIC
from storage import projects


def _who(manager: DialogManager):
    data = manager.middleware_data
    return data["session"], data["participant"]


async def _say(event: Message | CallbackQuery, manager: DialogManager, text: str) -> None:
    """A word to the facilitator, then the screen again below it."""
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
        return
    await event.answer(text)
    manager.show_mode = ShowMode.SEND


async def _typed(message: Message, manager: DialogManager) -> str | None:
    if message.content_type != ContentType.TEXT or not (message.text or "").strip():
        await _say(message, manager, _("Please type it in words."))
        return None
    return message.text


async def _change(event, manager: DialogManager, change, *args) -> tuple[bool, Any]:
    """Run one change: (True, what it returned), or tell the facilitator kindly why it did not
    happen: (False, None)."""
    session, participant = _who(manager)
    try:
        return True, await change(session, participant, manager.dialog_data[PROJECT_ID], *args)
    except TooLong as error:
        text = _("Sorry, that is too long. It can have up to {limit} characters.")
        await _say(event, manager, text.format(limit=error.limit))
    except Empty:
        await _say(event, manager, _("Please type it in words."))
    except team_texts.TopicTaken:
        await _say(event, manager, _("The team has a topic with these words already."))
    except team_texts.NoSuchTopic:
        await _say(event, manager, _("Someone changed this topic meanwhile. Please look again."))
        await manager.switch_to(TeamTexts.overview, show_mode=ShowMode.SEND)
    except (NotAllowed, ValueError):
        await _say(event, manager, _("Sorry, this is not available to you."))
    return False, None


async def on_project(_c: CallbackQuery, _w: Any, manager: DialogManager, project_id: int):
    session, participant = _who(manager)
    if not await people.is_staff_in(session, participant, project_id):
        return  # the staff guard stops forged buttons first; this is the rule, held twice
    if await projects.get_project(session, project_id) is None:
        return
    manager.dialog_data[PROJECT_ID] = project_id
    await manager.switch_to(TeamTexts.overview)


# -- the ground rules ------------------------------------------------------------------------------


async def on_rules_language(_c: CallbackQuery, _w: Any, manager: DialogManager, code: str):
    if code in SUPPORTED_LOCALES:
        manager.dialog_data[LOCALE] = code
        await manager.switch_to(TeamTexts.rules_text)


async def on_rules_typed(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    text = await _typed(message, manager)
    if text is None:
        return
    code = manager.dialog_data.get(LOCALE, "")
    done, _none = await _change(message, manager, team_texts.change_rules, code, text)
    if done:
        await message.answer(_("Saved."))
        await manager.switch_to(TeamTexts.rules, show_mode=ShowMode.SEND)


async def on_rules_removed(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    code = manager.dialog_data.get(LOCALE, "")
    await _change(callback, manager, team_texts.remove_rules_version, code)
    await manager.switch_to(TeamTexts.rules)


# -- the feedback topics ---------------------------------------------------------------------------


async def on_topic(callback: CallbackQuery, _w: Any, manager: DialogManager, index: str) -> None:
    session, _participant = _who(manager)
    project = await projects.get_project(session, manager.dialog_data[PROJECT_ID])
    topics = team_texts.topics_of(project)
    if not index.isdigit() or int(index) >= len(topics):
        await _say(callback, manager, _("Someone changed this topic meanwhile. Please look again."))
        return
    manager.dialog_data[TOPIC] = topics[int(index)]
    await manager.switch_to(TeamTexts.topic)


async def on_topic_added(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    text = await _typed(message, manager)
    if text is None:
        return
    done, topic = await _change(message, manager, team_texts.add_topic, text)
    if done:
        manager.dialog_data[TOPIC] = topic
        await message.answer(_("Saved."))
        await manager.switch_to(TeamTexts.topic, show_mode=ShowMode.SEND)


async def on_topic_renamed(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    text = await _typed(message, manager)
    if text is None:
        return
    old = manager.dialog_data.get(TOPIC, "")
    done, topic = await _change(message, manager, team_texts.rename_topic, old, text)
    if done:
        manager.dialog_data[TOPIC] = topic
        await message.answer(
            _("Saved. Earlier answers now have the new words. Please check the other languages.")
        )
        await manager.switch_to(TeamTexts.topic, show_mode=ShowMode.SEND)


async def on_topic_removed(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    topic = manager.dialog_data.get(TOPIC, "")
    session, participant = _who(manager)
    try:
        await team_texts.remove_topic(session, participant, manager.dialog_data[PROJECT_ID], topic)
    except team_texts.NoSuchTopic:
        pass  # gone already: the list shows how it is now
    except NotAllowed:
        await _say(callback, manager, _("Sorry, this is not available to you."))
        return
    manager.dialog_data.pop(TOPIC, None)
    await manager.switch_to(TeamTexts.overview)


async def on_topic_language(_c: CallbackQuery, _w: Any, manager: DialogManager, code: str):
    if code in SUPPORTED_LOCALES:
        manager.dialog_data[LOCALE] = code
        await manager.switch_to(TeamTexts.topic_version)


async def on_topic_version(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    text = await _typed(message, manager)
    if text is None:
        return
    topic, code = manager.dialog_data.get(TOPIC, ""), manager.dialog_data.get(LOCALE, "")
    changed = team_texts.change_topic_version
    done, _none = await _change(message, manager, changed, topic, code, text)
    if done:
        await message.answer(_("Saved."))
        await manager.switch_to(TeamTexts.topic, show_mode=ShowMode.SEND)


async def on_topic_version_removed(callback: CallbackQuery, _w: Any, manager: DialogManager):
    topic, code = manager.dialog_data.get(TOPIC, ""), manager.dialog_data.get(LOCALE, "")
    await _change(callback, manager, team_texts.change_topic_version, topic, code, "")
    await manager.switch_to(TeamTexts.topic)
