"""Handlers of "find a meeting time": read what the facilitator did, ask bot.services.meetings,
move the dialog. The draft lives in dialog data as plain values until it is published."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from bot.config import SUPPORTED_LOCALES
from bot.services import broadcasts, meetings, people, team_texts
from bot.services.delivery import zone
from bot.services.meetings import EVERYONE, PollDraft, SlotProblem
from dialogs.polls.getters import draft_of, project_of
from dialogs.states import PollCreate
from storage import meetings as store
from storage.models import Role
from storage.types import utcnow


def _save(manager: DialogManager, draft: PollDraft) -> None:
    manager.dialog_data["draft"] = draft.to_data()


async def _refuse(message: Message, manager: DialogManager, text: str) -> None:
    await message.answer(text)
    manager.show_mode = ShowMode.SEND  # the window again below, buttons in reach


def translator(manager: DialogManager) -> meetings.Translate:
    i18n = manager.middleware_data["i18n"]
    return lambda msgid, locale: i18n.gettext(msgid, locale=locale)


async def _timezone(manager: DialogManager) -> str:
    project = await project_of(manager)
    return project.timezone if project else "Europe/London"


# -- the team, the title, the place ----------------------------------------------------------------


async def on_start(_data: Any, manager: DialogManager) -> None:
    """With only one team to choose from, skip the choice."""
    data = manager.middleware_data
    found = await meetings.staff_projects(data["session"], data["participant"])
    if len(found) == 1:
        draft = PollDraft(found[0].id, source_locale=data["locale"])
        manager.dialog_data.update(draft=draft.to_data(), single_project=True)
        await manager.switch_to(PollCreate.title)


async def on_project(_c: CallbackQuery, _w: Any, manager: DialogManager, project_id: int) -> None:
    data = manager.middleware_data
    if not await people.is_staff_in(data["session"], data["participant"], project_id):
        return  # the staff guard refuses forged buttons first; the rule is held twice
    manager.dialog_data["draft"] = PollDraft(project_id, source_locale=data["locale"]).to_data()
    await manager.switch_to(PollCreate.title)


async def on_title_back(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    if manager.dialog_data.get("single_project"):
        await manager.done()
    else:
        await manager.switch_to(PollCreate.project)


async def _typed(message: Message, manager: DialogManager, limit: int) -> str | None:
    if message.content_type != ContentType.TEXT:
        await _refuse(message, manager, _("Please type it in words."))
        return None
    try:
        return meetings.clean_text(message.text, limit)
    except meetings.InvalidDraft:
        await _refuse(
            message,
            manager,
            _("Sorry, that is too long. It can have up to {limit} characters.").format(limit=limit),
        )
        return None


async def on_title(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    title = await _typed(message, manager, meetings.TITLE_MAX_LENGTH)
    if title is None:
        return
    draft = draft_of(manager)
    if draft.versions and title != draft.title:
        await message.answer(
            _("Your other language versions were removed. Please write them again.")
        )
        draft.versions = {}  # versions of the old title would say something else now
    draft.title = title
    _save(manager, draft)
    await manager.switch_to(PollCreate.place, show_mode=ShowMode.SEND)


async def on_place(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    place = await _typed(message, manager, meetings.PLACE_MAX_LENGTH)
    if place is None:
        return
    draft = draft_of(manager)
    if place != draft.place:
        for version in draft.versions.values():
            version.pop(team_texts.PLACE, None)  # a new place: the old one's versions are wrong
    draft.place = place
    _save(manager, draft)
    await manager.switch_to(_after_place(draft), show_mode=ShowMode.SEND)


def _after_place(draft: PollDraft):
    return PollCreate.slots if draft.slots else PollCreate.day


async def on_place_skip(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    await manager.switch_to(_after_place(draft_of(manager)))


# -- the times -------------------------------------------------------------------------------------


async def on_day(_c: CallbackQuery, _w: Any, manager: DialogManager, day: date) -> None:
    manager.dialog_data["day"] = day.isoformat()
    await manager.switch_to(PollCreate.time)


async def _add(event: CallbackQuery | Message, manager: DialogManager, minute_of_day: int):
    draft = draft_of(manager)
    day = date.fromisoformat(manager.dialog_data["day"])
    moment = meetings.local_moment(day, minute_of_day, await _timezone(manager))
    problem = meetings.add_slot(draft, moment, utcnow())
    texts = {
        SlotProblem.PASSED: _("That time has passed. Please choose a later one."),
        SlotProblem.DUPLICATE: _("You have chosen that time already."),
        SlotProblem.TOO_MANY: _("You can offer up to {most} times.").format(
            most=meetings.MAX_SLOTS
        ),
    }
    if problem is not None:
        if isinstance(event, CallbackQuery):
            await event.answer(texts[problem], show_alert=True)
        else:
            await _refuse(event, manager, texts[problem])
        return
    _save(manager, draft)
    show = ShowMode.SEND if isinstance(event, Message) else ShowMode.AUTO
    await manager.switch_to(PollCreate.slots, show_mode=show)


async def on_time_chosen(callback: CallbackQuery, _w: Any, manager: DialogManager, item: str):
    if item.isdigit() and 0 <= int(item) < 24 * 60:
        await _add(callback, manager, int(item))


async def on_time_typed(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    minute_of_day = meetings.parse_clock(message.text)
    if minute_of_day is None:
        await _refuse(message, manager, _("Please type a time like 18:30, or tap one."))
        return
    await _add(message, manager, minute_of_day)


async def on_remove_slot(_c: CallbackQuery, _w: Any, manager: DialogManager, index: int) -> None:
    draft = draft_of(manager)
    meetings.remove_slot(draft, index)
    _save(manager, draft)


async def on_duration(_c: CallbackQuery, _w: Any, manager: DialogManager, minutes: int) -> None:
    if minutes in meetings.DURATION_CHOICES:
        draft = draft_of(manager)
        draft.duration_minutes = minutes
        _save(manager, draft)
        await manager.switch_to(PollCreate.deadline)


# -- the deadline and who is asked ----------------------------------------------------------------


async def _set_deadline(event, manager: DialogManager, deadline: datetime) -> None:
    draft = draft_of(manager)
    problem = meetings.deadline_problem(deadline, min(draft.slot_times), utcnow())
    if problem is not None:
        text = (
            _("The deadline must be before the first time you offer.")
            if problem == "after_first_time"
            else _("Please give people at least an hour to answer.")
        )
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        else:
            await _refuse(event, manager, text)
        return
    draft.deadline = deadline.isoformat()
    _save(manager, draft)
    show = ShowMode.SEND if isinstance(event, Message) else ShowMode.AUTO
    await manager.switch_to(PollCreate.audience, show_mode=show)


async def on_deadline_chosen(callback: CallbackQuery, _w: Any, manager: DialogManager, item: str):
    try:
        deadline = datetime.fromisoformat(item)
    except ValueError:
        return
    await _set_deadline(callback, manager, deadline)


async def on_deadline_typed(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    try:
        deadline = broadcasts.parse_local_time(
            message.text or "", await _timezone(manager), utcnow()
        )
    except broadcasts.TimeHasPassed:
        await _refuse(message, manager, _("That time has passed. Please choose a later one."))
        return
    except broadcasts.InvalidTime:
        await _refuse(
            message,
            manager,
            _("Sorry, I could not read that. Please type it like 2026-12-01 18:00."),
        )
        return
    await _set_deadline(message, manager, deadline)


async def on_audience(callback: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    if item != EVERYONE and item not in {role.value for role in Role}:
        return
    draft = draft_of(manager)
    draft.audience = item
    _save(manager, draft)
    await send_preview(callback, manager)
    await manager.switch_to(PollCreate.preview, show_mode=ShowMode.SEND)


async def send_preview(
    event: CallbackQuery | Message, manager: DialogManager, locale: str | None = None
) -> None:
    """The invitation as people reading `locale` (the facilitator's language) will get it."""
    draft = draft_of(manager)
    project = await project_of(manager)
    locale = locale or manager.middleware_data["locale"]
    tz = zone(project.timezone if project else None, "Europe/London")
    stand_in = meetings.AvailabilityPoll(
        project_id=draft.project_id,
        title=draft.title,
        place=draft.place,
        deadline=draft.deadline_time,
        versions=team_texts.dump_versions(draft.versions),
    )
    text = meetings.invitation_text(stand_in, project, translator(manager), locale, tz)
    message = event.message if isinstance(event, CallbackQuery) else event
    await message.answer(text)


# -- the title and place in other languages ------------------------------------------------------


async def on_version_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, code: str) -> None:
    if code in SUPPORTED_LOCALES and code != draft_of(manager).source_locale:
        manager.dialog_data["version_locale"] = code
        await manager.switch_to(PollCreate.version_title)


async def on_version_title(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    title = await _typed(message, manager, meetings.TITLE_MAX_LENGTH)
    if title is None:
        return
    draft = draft_of(manager)
    code = manager.dialog_data["version_locale"]
    draft.versions.setdefault(code, {})[team_texts.TITLE] = title
    _save(manager, draft)
    if draft.place:
        await manager.switch_to(PollCreate.version_place, show_mode=ShowMode.SEND)
    else:
        await _version_done(message, manager)


async def on_version_place(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    place = await _typed(message, manager, meetings.PLACE_MAX_LENGTH)
    if place is None:
        return
    draft = draft_of(manager)
    draft.versions.setdefault(manager.dialog_data["version_locale"], {})[team_texts.PLACE] = place
    _save(manager, draft)
    await _version_done(message, manager)


async def on_version_same_place(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    draft.versions.get(manager.dialog_data["version_locale"], {}).pop(team_texts.PLACE, None)
    _save(manager, draft)
    await _version_done(callback, manager)


async def on_version_removed(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    draft.versions.pop(manager.dialog_data["version_locale"], None)
    _save(manager, draft)
    await manager.switch_to(PollCreate.preview)


async def _version_done(event: CallbackQuery | Message, manager: DialogManager) -> None:
    """The invitation as that language's readers get it, then the preview window below."""
    await send_preview(event, manager, manager.dialog_data["version_locale"])
    await manager.switch_to(PollCreate.preview, show_mode=ShowMode.SEND)


# -- publishing ------------------------------------------------------------------------------------


async def on_publish(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    data = manager.middleware_data
    try:
        poll = await meetings.publish(
            data["session"],
            data["participant"],
            draft_of(manager),
            now=utcnow(),
            translate=translator(manager),
        )
    except meetings.NotAllowed:
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    except meetings.InvalidDraft as problem:
        if str(problem) == "nobody":
            await callback.answer(_("Nobody would be asked. Please choose who to ask again."))
            await manager.switch_to(PollCreate.audience)
        else:
            await callback.answer(_("Some times have passed. Please check the times again."))
            await manager.switch_to(PollCreate.slots)
        return
    manager.dialog_data.update(poll_id=poll.id, asked=len(await _asked(manager, poll.id)))
    data["end_of_update"].after_commit(data["delivery"].wake)
    await manager.switch_to(PollCreate.published)


async def _asked(manager: DialogManager, poll_id: int) -> list[int]:
    return await store.invitee_ids(manager.middleware_data["session"], poll_id)
