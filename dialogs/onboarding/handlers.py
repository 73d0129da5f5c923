from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, StartMode
from aiogram_dialog.widgets.input import ManagedTextInput

from bot.commands import refresh_staff_commands
from bot.services import consent, invites, people, privacy
from dialogs.common import ask_for_a_known_timezone, ask_for_a_shorter_name
from dialogs.invite_messages import invite_problem_text
from dialogs.states import MainMenu, Onboarding
from storage import projects


def _data(manager: DialogManager) -> dict[str, Any]:
    return manager.middleware_data


async def on_language_chosen(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, locale: str
) -> None:
    data = _data(manager)
    try:
        await people.choose_language(data["session"], data["participant"], locale)
    except people.UnsupportedLanguage:
        return  # a forged button: nothing changes and the picker stays
    I18n.get_current().current_locale = locale  # speak it from this very screen on
    await manager.next()


async def on_agree(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    data = _data(manager)
    session, participant = data["session"], data["participant"]
    code = (manager.start_data or {}).get("code")
    project_id = None
    if code:
        joined = await invites.redeem(session, code, participant)
        if isinstance(joined, invites.InviteProblem):
            await callback.message.answer(invite_problem_text(joined))
        else:
            project_id = joined.project.id
            manager.dialog_data["project_id"] = project_id
    await consent.give(session, participant, project_id)
    if (manager.start_data or {}).get("renewal"):
        await callback.answer(_("Thank you."))
        await manager.start(MainMenu.main, mode=StartMode.RESET_STACK)
        return
    await manager.switch_to(Onboarding.quote)


async def on_decline(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    """Nothing is kept but the refusal itself. The answer's one button lets them change their
    mind: it carries their language and invite, so joining again reaches the same team."""
    data = _data(manager)
    session, participant = data["session"], data["participant"]
    code = None
    if (manager.start_data or {}).get("renewal"):
        await privacy.erase(session, participant)
    else:
        code = (manager.start_data or {}).get("code")
        project_id = await invites.project_id_for(session, code) if code else None
        await consent.refuse(session, participant, project_id)
    data["end_of_update"].forget_dialogs(participant.telegram_id)
    button = InlineKeyboardButton(
        text=_("I changed my mind"),
        callback_data=consent.changed_my_mind_data(data["locale"], code),
    )
    await callback.message.answer(
        _(
            "That is fine. We have not kept anything about you. "
            "If you change your mind, tap the button below."
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )
    await manager.reset_stack()


async def _choice_then_next(manager: DialogManager, next_state, **choice: bool | None) -> None:
    data = _data(manager)
    participant = data["participant"]
    values = {"may_quote": participant.may_quote, "may_use_name": participant.may_use_name}
    values.update(choice)
    await people.set_quoting(data["session"], participant, **values)
    await manager.switch_to(next_state)


async def _after_use_name(manager: DialogManager) -> Any:
    project_id = manager.dialog_data.get("project_id")
    if project_id:
        project = await projects.get_project(_data(manager)["session"], project_id)
        if project and project.ground_rules.strip():
            return Onboarding.ground_rules
    return Onboarding.name


async def on_quote_yes(_c, _w, manager: DialogManager) -> None:
    await _choice_then_next(manager, Onboarding.use_name, may_quote=True)


async def on_quote_no(_c, _w, manager: DialogManager) -> None:
    await _choice_then_next(manager, Onboarding.use_name, may_quote=False)


async def on_quote_skip(_c, _w, manager: DialogManager) -> None:
    await _choice_then_next(manager, Onboarding.use_name, may_quote=None)


async def on_name_use_yes(_c, _w, manager: DialogManager) -> None:
    await _choice_then_next(manager, await _after_use_name(manager), may_use_name=True)


async def on_name_use_no(_c, _w, manager: DialogManager) -> None:
    await _choice_then_next(manager, await _after_use_name(manager), may_use_name=False)


async def on_name_use_skip(_c, _w, manager: DialogManager) -> None:
    await _choice_then_next(manager, await _after_use_name(manager), may_use_name=None)


async def on_back_from_name(_c, _w, manager: DialogManager) -> None:
    rules_state = await _after_use_name(manager)
    await manager.switch_to(
        Onboarding.ground_rules if rules_state == Onboarding.ground_rules else Onboarding.use_name
    )


async def on_name_typed(
    message: Message, _widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    name = people.clean_name(text)
    if name is None:
        await ask_for_a_shorter_name(message, manager, people.NAME_MAX_LENGTH)
        return
    data = _data(manager)
    await people.set_display_name(data["session"], data["participant"], name)
    await manager.switch_to(Onboarding.frequency)


async def on_frequency(_c, _w, manager: DialogManager, per_week: int) -> None:
    data = _data(manager)
    try:
        await people.set_frequency(data["session"], data["participant"], per_week)
    except people.InvalidChoice:
        return
    await manager.switch_to(Onboarding.quiet_hours)


async def on_quiet_hours(_c, _w, manager: DialogManager, choice: int) -> None:
    data = _data(manager)
    try:
        await people.set_quiet_hours(data["session"], data["participant"], choice)
    except people.InvalidChoice:
        return
    await manager.switch_to(Onboarding.timezone)


async def _finish(manager: DialogManager, zone: str) -> None:
    data = _data(manager)
    session, participant = data["session"], data["participant"]
    await people.set_timezone(session, participant, zone)
    await people.finish_onboarding(session, participant)
    await refresh_staff_commands(manager.event.bot, session, participant, data["i18n"])
    await manager.start(MainMenu.main, mode=StartMode.RESET_STACK)


async def on_timezone(_c, _w, manager: DialogManager, zone: str) -> None:
    if people.valid_timezone(zone):
        await _finish(manager, zone)


async def on_timezone_typed(
    message: Message, _widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    zone = text.strip().replace(" ", "_")
    if not people.valid_timezone(zone):
        await ask_for_a_known_timezone(message, manager)
        return
    await _finish(manager, zone)
