"""Commands that work from anywhere, whatever dialog is open."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot.commands import refresh_staff_commands
from bot.services import consent, invites, people
from dialogs.common import MENU_BUTTON, open_from_button
from dialogs.export.handlers import on_export_command
from dialogs.invite_messages import invite_problem_text
from dialogs.privacy.handlers import send_my_data
from dialogs.states import (
    Forget,
    GiveFeedback,
    MainMenu,
    MyContribution,
    MyMeetings,
    Onboarding,
    Pause,
    Rewards,
    Settings,
    TeamTools,
    WeDidUpdates,
)
from storage.models import Participant


async def _open(manager: DialogManager, state, data: dict | None = None) -> None:
    """A command closes whatever was open. The main menu and joining stand alone; any other
    dialog opens on top of the main menu, so its Back, Cancel or Done lands on the menu."""
    if state.group in (MainMenu, Onboarding):
        await manager.start(state, data=data, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
    else:
        await open_from_button(manager, state, data)


async def _onboard(manager: DialogManager, code: str | None = None) -> None:
    """Start joining, or carry on where they stopped (their place was kept)."""
    if code is None and manager.has_context():
        context = manager.current_context()
        if context.state.group is Onboarding:
            await manager.show(ShowMode.SEND)
            return
    await _open(manager, Onboarding.language, {"code": code} if code else None)


def _joined(participant: Participant | None) -> bool:
    return consent.has_consented(participant) and participant.onboarded_at is not None


async def on_start(
    message: Message,
    command: CommandObject,
    dialog_manager: DialogManager,
    session,
    participant,
    i18n,
) -> None:
    code = (command.args or "").strip() or None
    if code is not None:
        problem = await invites.check(session, code)
        if problem is not None:
            await message.answer(invite_problem_text(problem))
            code = None
    if not _joined(participant):
        await _onboard(dialog_manager, code)
        return
    if code is not None:
        joined = await invites.redeem(session, code, participant)
        if isinstance(joined, invites.InviteProblem):
            await message.answer(invite_problem_text(joined))
        else:
            await message.answer(
                _("You are now part of {project}.").format(project=joined.project.name)
            )
            await refresh_staff_commands(message.bot, session, participant, i18n)
    await _open(dialog_manager, MainMenu.main)


async def on_changed_my_mind(
    callback: CallbackQuery, dialog_manager: DialogManager, session, participant, i18n
) -> None:
    """After "I changed my mind" under a refusal: join again, with the invite and language the
    button carries (we kept nothing, so the button holds them), from the consent screen on."""
    locale, code = consent.read_changed_my_mind(callback.data or "")
    await callback.answer()
    message = callback.message
    if message is None or _joined(participant):
        await show_home(dialog_manager, participant)
        return
    if locale is not None:
        try:
            await people.choose_language(session, participant, locale)
            i18n.current_locale = locale
        except people.UnsupportedLanguage:
            pass  # forged: they keep the language Telegram suggested
    if code is not None and (problem := await invites.check(session, code)) is not None:
        await message.answer(invite_problem_text(problem))
        code = None
    await _open(dialog_manager, Onboarding.consent, {"code": code} if code else None)


async def on_menu_button(callback: CallbackQuery, dialog_manager: DialogManager, participant):
    await callback.answer()
    await show_home(dialog_manager, participant)


def _requires_joining(state):
    async def handler(message: Message, dialog_manager: DialogManager, participant) -> None:
        if not _joined(participant):
            await _onboard(dialog_manager)
            return
        await _open(dialog_manager, state)

    return handler


async def on_language(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(MainMenu.language, show_mode=ShowMode.SEND)  # on top: back there


async def on_help(message: Message, dialog_manager: DialogManager) -> None:
    await _open(dialog_manager, MainMenu.help)


async def on_mydata(message: Message, session, participant, locale: str) -> None:
    await send_my_data(message, session, participant, locale)


async def on_forget(message: Message, dialog_manager: DialogManager) -> None:
    await _open(dialog_manager, Forget.first)


async def on_team(message: Message, dialog_manager: DialogManager, session, participant) -> None:
    if not await people.staff_projects(session, participant):
        await message.answer(_("Sorry, this is not available to you."))
        return
    await _open(dialog_manager, TeamTools.overview)


def commands_router() -> Router:
    router = Router(name="commands")
    router.message.register(on_start, CommandStart())
    router.callback_query.register(on_menu_button, F.data == MENU_BUTTON)
    router.callback_query.register(
        on_changed_my_mind, F.data.startswith(consent.CHANGED_MY_MIND_PREFIX)
    )
    router.message.register(_requires_joining(MainMenu.main), Command("menu"))
    router.message.register(on_help, Command("help"))
    router.message.register(on_language, Command("language"))
    router.message.register(_requires_joining(Settings.main), Command("settings"))
    router.message.register(_requires_joining(Pause.main), Command("pause"))
    router.message.register(_requires_joining(GiveFeedback.project), Command("feedback"))
    router.message.register(_requires_joining(MyMeetings.main), Command("meetings"))
    router.message.register(_requires_joining(WeDidUpdates.list), Command("updates"))
    router.message.register(_requires_joining(Rewards.list), Command("offers"))
    router.message.register(_requires_joining(MyContribution.main), Command("mycontribution"))
    router.message.register(on_mydata, Command("mydata"))
    router.message.register(on_forget, Command("forget"))
    router.message.register(on_team, Command("team"))
    router.message.register(on_export_command, Command("export"))
    return router


async def show_home(manager: DialogManager, participant: Participant | None) -> None:
    """Where someone belongs when they are lost: the main menu, or their place in joining."""
    if _joined(participant):
        await _open(manager, MainMenu.main)
    else:
        await _onboard(manager)
