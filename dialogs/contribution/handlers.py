"""/mycontribution and its certificate; staff logging time someone gave outside meetings."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from bot.services import certificates, contributions, delivery, people
from dialogs.contribution import words
from dialogs.contribution.getters import ALL_TEAMS, project_today
from dialogs.states import LogActivity, MyContribution
from storage import projects
from storage.types import utcnow

CERTIFICATE_FILENAME = "certificate-of-contribution.pdf"


async def on_certificate(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    """In one team: the certificate at once. In more: they choose the team first, so an
    employer sees only the group they chose to show."""
    data = manager.middleware_data
    teams = await contributions.teams_of(data["session"], data["participant"])
    if len(teams) > 1:
        await manager.switch_to(MyContribution.team)
        return
    await _send_certificate(callback, manager, teams[0][0] if teams else None)


async def on_certificate_team(
    callback: CallbackQuery, _w: Any, manager: DialogManager, project_id: int
) -> None:
    data = manager.middleware_data
    teams = {
        team for team, _name in await contributions.teams_of(data["session"], data["participant"])
    }
    if project_id != ALL_TEAMS and project_id not in teams:
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    await _send_certificate(callback, manager, None if project_id == ALL_TEAMS else project_id)
    await manager.switch_to(MyContribution.main, show_mode=ShowMode.SEND)


async def _send_certificate(
    callback: CallbackQuery, manager: DialogManager, project_id: int | None
) -> None:
    """They asked for it: the PDF goes straight back as a reply, in their language."""
    data = manager.middleware_data
    session, participant, locale = data["session"], data["participant"], data["locale"]
    contribution = await contributions.contribution_of(session, participant, project_id=project_id)
    zone = participant.timezone or await _first_project_zone(session, participant)
    today = utcnow().astimezone(delivery.zone(zone, "Europe/London")).date()
    page = words.certificate(contribution, certificates.name_to_print(participant), today, locale)
    await callback.answer(_("Making your certificate…"))
    await callback.message.answer_document(
        BufferedInputFile(certificates.render_pdf(page), filename=CERTIFICATE_FILENAME),
        caption=_("Your certificate. You can show it to an employer or a college."),
    )
    manager.show_mode = ShowMode.SEND


async def _first_project_zone(session, participant) -> str | None:
    for membership in await projects.memberships_of(session, participant.id):
        project = await projects.get_project(session, membership.project_id)
        if project is not None:
            return project.timezone
    return None


# -- logging an activity (staff) -------------------------------------------------------------------


def _staff(manager: DialogManager):
    return manager.middleware_data["session"], manager.middleware_data["participant"]


async def _refuse(message: Message, manager: DialogManager, text: str) -> None:
    await message.answer(text)
    manager.show_mode = ShowMode.SEND


async def on_log_start(_start_data: Any, manager: DialogManager) -> None:
    session, staff = _staff(manager)
    found = await people.staff_projects(session, staff)
    if len(found) == 1:
        manager.dialog_data.update(project_id=found[0], single_project=True)
        await manager.switch_to(LogActivity.person)


async def on_project(_c: CallbackQuery, _w: Any, manager: DialogManager, project_id: int):
    session, staff = _staff(manager)
    if await people.is_staff_in(session, staff, project_id):
        manager.dialog_data["project_id"] = project_id
        await manager.switch_to(LogActivity.person)


async def on_person_back(_c: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    if manager.dialog_data.get("single_project"):
        await manager.done()
    else:
        await manager.switch_to(LogActivity.project)


async def on_person(callback: CallbackQuery, _w: Any, manager: DialogManager, person_id: int):
    session, staff = _staff(manager)
    try:
        members = await contributions.people_to_log_for(
            session, staff, manager.dialog_data["project_id"]
        )
    except contributions.NotAllowed:
        members = []
    if person_id not in {person.id for person in members}:
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    manager.dialog_data["person_id"] = person_id
    await manager.switch_to(LogActivity.duration)


async def on_duration_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, choice: str):
    if choice.isdigit() and 0 < int(choice) <= contributions.ACTIVITY_MINUTES_LIMIT:
        manager.dialog_data["minutes"] = int(choice)
        await manager.switch_to(LogActivity.day)


async def on_duration_typed(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    try:
        minutes = contributions.parse_duration(
            message.text if message.content_type == ContentType.TEXT else ""
        )
    except contributions.InvalidActivity:
        await _refuse(
            message, manager, _("Please type the hours, like 2 or 1.5 or 1:30 (up to 12 hours).")
        )
        return
    manager.dialog_data["minutes"] = minutes
    await manager.switch_to(LogActivity.day, show_mode=ShowMode.SEND)


async def on_day_chosen(_c: CallbackQuery, _w: Any, manager: DialogManager, choice: str):
    if choice not in ("0", "1"):
        return
    today = await project_today(
        manager.middleware_data["session"], manager.dialog_data["project_id"]
    )
    manager.dialog_data["day"] = (today - timedelta(days=int(choice))).isoformat()
    await manager.switch_to(LogActivity.description)


async def on_day_typed(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    today = await project_today(
        manager.middleware_data["session"], manager.dialog_data["project_id"]
    )
    try:
        day = contributions.parse_day(
            message.text if message.content_type == ContentType.TEXT else ""
        )
        contributions.check_activity_day(day, today)
    except contributions.InvalidActivity:
        await _refuse(
            message,
            manager,
            _("Please type a day in the past year, like 2026-03-14, or tap a button."),
        )
        return
    manager.dialog_data["day"] = day.isoformat()
    await manager.switch_to(LogActivity.description, show_mode=ShowMode.SEND)


async def on_description(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    text = (message.text or "").strip() if message.content_type == ContentType.TEXT else ""
    if not text:
        await _refuse(message, manager, _("Please type a few words about what they did."))
        return
    limit = contributions.ACTIVITY_DESCRIPTION_LIMIT
    if len(text) > limit:
        await _refuse(
            message,
            manager,
            _(
                "Sorry, that is too long. It can have up to {limit} characters. Yours has {length}."
            ).format(limit=limit, length=len(text)),
        )
        return
    manager.dialog_data["description"] = text
    await manager.switch_to(LogActivity.confirm, show_mode=ShowMode.SEND)


async def on_save(callback: CallbackQuery, _w: Any, manager: DialogManager) -> None:
    session, staff = _staff(manager)
    data = manager.dialog_data
    try:
        await contributions.log_activity(
            session,
            staff,
            project_id=data["project_id"],
            participant_id=data["person_id"],
            minutes=data["minutes"],
            day=date.fromisoformat(data["day"]),
            description=data["description"],
            today=await project_today(session, data["project_id"]),
        )
    except (contributions.NotAllowed, contributions.InvalidActivity):
        await callback.answer(_("Sorry, this is not available to you."), show_alert=True)
        return
    await callback.answer(_("Saved. Thank you for recording it."))
    await manager.done()
