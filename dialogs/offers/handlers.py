"""Staff post thank-you offers and review the requests: read what they did, ask
bot.services.reciprocity (which checks they are staff in the offer's project), move the dialog."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from bot.config import SUPPORTED_LOCALES
from bot.services import delivery, people, reciprocity
from bot.services.reciprocity import Decision, OfferDraft
from dialogs.common import button_id
from dialogs.offers import words
from dialogs.offers.getters import NO_LIMIT, draft_of
from dialogs.states import Offers
from storage import projects
from storage.models import OfferKind
from storage.types import utcnow


def _staff(manager: DialogManager):
    return manager.middleware_data["session"], manager.middleware_data["participant"]


async def _refuse(message: Message, manager: DialogManager, text: str) -> None:
    await message.answer(text)
    manager.show_mode = ShowMode.SEND  # the window again below, so its buttons are in reach


def _save(manager: DialogManager, draft: OfferDraft) -> None:
    manager.dialog_data["draft"] = draft.to_data()


def _typed(message: Message) -> str | None:
    return message.text if message.content_type == ContentType.TEXT else None


def _too_long(error: reciprocity.TooLong) -> str:
    return _(
        "Sorry, that is too long. It can have up to {limit} characters. Yours has {length}."
    ).format(limit=error.limit, length=error.length)


# -- which project, which offer ----------------------------------------------------------------


async def on_start(start_data: Any, manager: DialogManager) -> None:
    """From a button on "someone asked" (checked there): straight to that offer's requests.
    Otherwise, with only one team, skip the choice."""
    session, staff = _staff(manager)
    if isinstance(start_data, dict) and start_data.get("offer_id"):
        try:
            offer = await reciprocity.offer_for_staff(session, staff, int(start_data["offer_id"]))
        except reciprocity.NotAllowed:
            await manager.done()
            return
        manager.dialog_data.update(offer_id=offer.id, project_id=offer.project_id)
        await manager.switch_to(Offers.claims)
        return
    found = await people.staff_projects(session, staff)
    if len(found) == 1:
        manager.dialog_data.update(project_id=found[0], single_project=True)
        await manager.switch_to(Offers.list)


async def on_project(_c: CallbackQuery, _w: Any, manager: DialogManager, project_id: int):
    session, staff = _staff(manager)
    if not await people.is_staff_in(session, staff, project_id):
        return  # the staff guard refuses forged buttons first; the rule is held twice
    manager.dialog_data["project_id"] = project_id
    await manager.switch_to(Offers.list)


async def on_list_back(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    if manager.dialog_data.get("single_project"):
        await manager.done()
    else:
        await manager.switch_to(Offers.project)


async def on_offer(callback: CallbackQuery, _w: Any, manager: DialogManager, offer_id: int):
    session, staff = _staff(manager)
    try:
        offer = await reciprocity.offer_for_staff(session, staff, offer_id)
    except reciprocity.NotAllowed:
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    manager.dialog_data.update(offer_id=offer.id, project_id=offer.project_id)
    await manager.switch_to(Offers.offer)


async def on_close_offer(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    session, staff = _staff(manager)
    try:
        await reciprocity.withdraw_offer(
            session, staff, manager.dialog_data["offer_id"], now=utcnow()
        )
    except reciprocity.NotAllowed:
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    await callback.answer(_("Closed. Nobody new can ask for it."))
    await manager.switch_to(Offers.offer)


# -- reviewing requests ------------------------------------------------------------------------


async def on_claim(callback: CallbackQuery, _w: Any, manager: DialogManager, claim_id: int):
    session, staff = _staff(manager)
    try:
        await reciprocity.claim_for_staff(session, staff, claim_id)
    except reciprocity.NotAllowed:
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    manager.dialog_data["claim_id"] = claim_id
    await manager.switch_to(Offers.claim)


async def on_show_receipt(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    session, staff = _staff(manager)
    try:
        found = await reciprocity.claim_for_staff(session, staff, manager.dialog_data["claim_id"])
    except reciprocity.NotAllowed:
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    if not found.claim.receipt_file_id:
        return
    file_id, is_file = reciprocity.receipt_file(found.claim.receipt_file_id)
    if is_file:
        await callback.message.answer_document(file_id)
    else:
        await callback.message.answer_photo(file_id)
    manager.show_mode = ShowMode.SEND


async def _decide(
    event: CallbackQuery | Message,
    manager: DialogManager,
    decision: Decision,
    reason: str | None = None,
) -> bool:
    data = manager.middleware_data
    session, staff = _staff(manager)
    notice = words.in_language(data["i18n"], words.claim_notice)
    try:
        moved = await reciprocity.review(
            session,
            staff,
            manager.dialog_data["claim_id"],
            decision,
            notice,
            now=utcnow(),
            reason=reason,
        )
    except reciprocity.NotAllowed:
        moved = False
    if moved:
        data["end_of_update"].after_commit(data["delivery"].wake)
    return moved


async def on_approve(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    if await _decide(callback, manager, Decision.APPROVE):
        await callback.answer(_("Approved. We will tell them."))
    else:
        await callback.answer(_("This request was already answered."))


async def on_fulfil(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    if await _decide(callback, manager, Decision.FULFIL):
        await callback.answer(_("Marked as given. We will tell them."))
    else:
        await callback.answer(_("This request was already answered."))


async def on_decline_reason(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    typed = _typed(message)
    try:
        reciprocity.check_text(typed, reciprocity.REASON_LIMIT)
    except reciprocity.TooLong as error:
        await _refuse(message, manager, _too_long(error))
        return
    except reciprocity.InvalidValue:
        await _refuse(message, manager, _("Please type a short reason. They will read it."))
        return
    if await _decide(message, manager, Decision.DECLINE, typed):
        await message.answer(_("Declined. We will tell them, kindly, with your reason."))
    else:
        await message.answer(_("This request was already answered."))
    await manager.switch_to(Offers.claim, show_mode=ShowMode.SEND)


# -- posting an offer --------------------------------------------------------------------------


async def on_new_offer(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    draft = OfferDraft(
        project_id=manager.dialog_data["project_id"],
        source_locale=manager.middleware_data["locale"],
    )
    _save(manager, draft)
    manager.dialog_data["version_locale"] = None
    await manager.switch_to(Offers.kind)


async def on_kind(_c: CallbackQuery, _w: Any, manager: DialogManager, kind: str) -> None:
    if kind not in {k.value for k in OfferKind}:
        return
    draft = draft_of(manager)
    draft.kind = kind
    _save(manager, draft)
    await manager.switch_to(Offers.title)


def _version_being_written(manager: DialogManager) -> str | None:
    """The language of the version on screen; None while writing the original."""
    state = manager.current_context().state
    if state in (Offers.version_title, Offers.version_description):
        return manager.dialog_data.get("version_locale")
    return None


async def on_title(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    try:
        title = reciprocity.check_text(_typed(message), reciprocity.TITLE_LIMIT)
    except reciprocity.TooLong as error:
        await _refuse(message, manager, _too_long(error))
        return
    except reciprocity.InvalidValue:
        await _refuse(message, manager, _("Please type a short title in words."))
        return
    draft = draft_of(manager)
    version = _version_being_written(manager)
    code = version or draft.source_locale
    pair = draft.texts.get(code) or ["", ""]
    draft.texts[code] = [title, pair[1]]
    _save(manager, draft)
    next_state = Offers.version_description if version else Offers.description
    await manager.switch_to(next_state, show_mode=ShowMode.SEND)


async def on_description(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    try:
        description = reciprocity.check_text(_typed(message), reciprocity.DESCRIPTION_LIMIT)
    except reciprocity.TooLong as error:
        await _refuse(message, manager, _too_long(error))
        return
    except reciprocity.InvalidValue:
        await _refuse(message, manager, _("Please type a few words, or tap Skip."))
        return
    draft = draft_of(manager)
    version = _version_being_written(manager)
    code = version or draft.source_locale
    draft.texts[code] = [draft.texts.get(code, ["", ""])[0], description]
    _save(manager, draft)
    await manager.switch_to(Offers.versions if version else Offers.places, show_mode=ShowMode.SEND)


async def on_skip_description(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    await manager.switch_to(Offers.places)


async def _set_places(manager: DialogManager, places: int) -> None:
    draft = draft_of(manager)
    draft.places = None if places == NO_LIMIT else places
    _save(manager, draft)


async def on_places_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, choice: str):
    places = button_id(choice)
    if places is not None and places <= reciprocity.PLACES_LIMIT:
        await _set_places(manager, places)
        await manager.switch_to(Offers.closes)


async def on_places_typed(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    try:
        places = reciprocity.parse_whole_number(
            _typed(message) or "", low=1, high=reciprocity.PLACES_LIMIT
        )
    except reciprocity.InvalidValue:
        await _refuse(message, manager, _("Please type a whole number, like 8, or tap a button."))
        return
    await _set_places(manager, places)
    await manager.switch_to(Offers.closes, show_mode=ShowMode.SEND)


async def _project_today(manager: DialogManager):
    project = await projects.get_project(
        manager.middleware_data["session"], manager.dialog_data["project_id"]
    )
    zone = delivery.zone(project.timezone if project else None, "Europe/London")
    return utcnow().astimezone(zone).date()


async def on_closes_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, choice: str):
    days = button_id(choice)
    if days is None or days > reciprocity.LATEST_CLOSING.days:
        return
    draft = draft_of(manager)
    today = await _project_today(manager)
    draft.closes_on = (today + timedelta(days=days)).isoformat() if days else None
    _save(manager, draft)
    await manager.switch_to(Offers.eligibility)


async def on_closes_typed(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    try:
        day = reciprocity.parse_day(_typed(message) or "")
        reciprocity.check_closing_day(day, await _project_today(manager))
    except reciprocity.InvalidValue:
        await _refuse(
            message,
            manager,
            _("Please type a day from today to a year ahead, like 2026-12-31, or tap a button."),
        )
        return
    draft = draft_of(manager)
    draft.closes_on = day.isoformat()
    _save(manager, draft)
    await manager.switch_to(Offers.eligibility, show_mode=ShowMode.SEND)


async def _set_eligibility(manager: DialogManager, count: int) -> None:
    draft = draft_of(manager)
    draft.min_meetings = count
    _save(manager, draft)


async def on_eligibility_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, choice: str):
    count = button_id(choice)
    if count is not None and count <= reciprocity.MIN_MEETINGS_LIMIT:
        await _set_eligibility(manager, count)
        await manager.switch_to(Offers.versions)


async def on_eligibility_typed(message: Message, _w: MessageInput, manager: DialogManager):
    try:
        count = reciprocity.parse_whole_number(
            _typed(message) or "", low=0, high=reciprocity.MIN_MEETINGS_LIMIT
        )
    except reciprocity.InvalidValue:
        await _refuse(message, manager, _("Please type a number of meetings, like 2."))
        return
    await _set_eligibility(manager, count)
    await manager.switch_to(Offers.versions, show_mode=ShowMode.SEND)


async def on_version_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, code: str):
    if code in SUPPORTED_LOCALES and code != draft_of(manager).source_locale:
        manager.dialog_data["version_locale"] = code
        await manager.switch_to(Offers.version_title)


async def on_versions_next(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    manager.dialog_data["version_locale"] = None
    await manager.switch_to(Offers.confirm)


async def on_version_removed(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    draft.texts.pop(manager.dialog_data.get("version_locale") or "", None)
    _save(manager, draft)
    manager.dialog_data["version_locale"] = None
    await manager.switch_to(Offers.versions)


async def on_version_back(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    manager.dialog_data["version_locale"] = None
    await manager.switch_to(Offers.versions)


async def _post(callback: CallbackQuery, manager: DialogManager, *, announce: bool) -> None:
    data = manager.middleware_data
    session, staff = _staff(manager)
    now = utcnow()
    try:
        offer = await reciprocity.post_offer(session, staff, draft_of(manager), now=now)
        told = None
        if announce:
            told = await reciprocity.announce_offer(
                session,
                staff,
                offer,
                words.in_language(data["i18n"], words.announcement),
                now=now,
            )
    except reciprocity.NotAllowed:
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    if told is not None:
        data["end_of_update"].after_commit(data["delivery"].wake)
        await callback.answer(_("Posted. We are telling the team."))
    else:
        await callback.answer(_("Posted."))
    manager.dialog_data.update(draft=None, offer_id=offer.id)
    await manager.switch_to(Offers.offer)


async def on_post(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    await _post(callback, manager, announce=False)


async def on_post_and_tell(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    await _post(callback, manager, announce=True)
