"""Per-update context and the checks every update passes.

`ContextMiddleware` is outer middleware on the dispatcher's `update` observer, so it wraps real
updates and the background updates aiogram-dialog sends through the dispatcher (scheduled jobs);
and on `errors`, so error handlers also answer in the participant's language. It gives each
update one database session, the participant and their language.

`StaffGuard` and `ConsentGate` are inner middlewares on messages and callbacks, registered after
`setup_dialogs` so they see aiogram-dialog's context: the one place that decides whether an
update may reach a staff dialog, and whether someone must first agree to a changed consent text.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import CallbackQuery, ErrorEvent, Message, TelegramObject, Update
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.api.internal import CONTEXT_KEY
from aiogram_dialog.utils import CB_SEP
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.i18n import suggest_locale
from bot.services import consent, people
from dialogs.states import STAFF_STATE_GROUPS, STAFF_WIDGET_PREFIX, MainMenu, Onboarding
from storage import audit, participants, updates
from storage.db import update_session
from storage.fsm import flush_dialog_state, forget_user_dialogs
from storage.models import Participant
from storage.outage import is_storage_outage

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
log = logging.getLogger(__name__)


def _is_telegram_update(event: TelegramObject) -> bool:
    # aiogram-dialog's background updates subclass Update but come from us, not from Telegram.
    return type(event) is Update


class TimeUpdates(BaseMiddleware):
    """The update handling latency histogram (bot/metrics.py): outermost, so it measures all."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        with metrics.UPDATE_SECONDS.time():
            return await handler(event, data)


class EndOfUpdate:
    """Work that must run after every handler and dialog saved their state, before the commit."""

    def __init__(self) -> None:
        self._forget: list[int] = []
        self._after_commit: list[Callable[[], Any]] = []

    def forget_dialogs(self, telegram_id: int) -> None:
        self._forget.append(telegram_id)

    def after_commit(self, callback: Callable[[], Any]) -> None:
        """Run once the update's writes are committed (e.g. wake the delivery engine)."""
        self._after_commit.append(callback)

    def committed(self) -> None:
        for callback in self._after_commit:
            callback()

    async def run(self, storage: BaseStorage | None) -> None:
        for telegram_id in self._forget:
            if storage is not None:
                await forget_user_dialogs(storage, telegram_id)


class ContextMiddleware(BaseMiddleware):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        i18n: I18n,
        default_locale: str,
        isolation: BaseEventIsolation | None = None,
    ) -> None:
        self.sessions = sessions
        self.i18n = i18n
        self.default_locale = default_locale
        self.isolation = isolation or SimpleEventIsolation()

    @staticmethod
    def _chat_key(bot: Any, data: dict[str, Any]) -> StorageKey | None:
        user, chat = data.get("event_from_user"), data.get("event_chat")
        if user is None:
            return None
        # Not aiogram's FSM key: its middleware locks that one inside ours.
        return StorageKey(
            bot_id=bot.id if bot else 0,
            chat_id=chat.id if chat else user.id,
            user_id=user.id,
            destiny="coproduce:update",
        )

    async def _participant(
        self, session: AsyncSession, found: Participant | None, telegram_id: int
    ) -> Participant | None:
        """Only a person's own message creates their record: a job never brings back someone
        who was erased."""
        if found is not None:
            participants.touch(found)
            return found
        # A newcomer's row is committed at once, so the rest of the update holds no write lock
        # (SQLite has one) until its end. Nothing else is pending in the session yet.
        await participants.add_if_missing(session, telegram_id)
        await session.commit()
        return await participants.get_by_telegram_id(session, telegram_id)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, ErrorEvent) and is_storage_outage(event.exception):
            # Nobody is answered and nothing is confirmed: the update is handled again later.
            raise event.exception
        key = self._chat_key(data.get("bot"), data)
        if key is None:
            return await self._handle(handler, event, data)
        # One update of a chat at a time, from reading its state to committing what it wrote:
        # a double tap (two webhook requests at once) is then handled once, not twice.
        async with self.isolation.lock(key):
            return await self._handle(handler, event, data)

    async def _handle(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        update_id = event.update_id if _is_telegram_update(event) else None
        async with self.sessions() as session:
            user = data.get("event_from_user")
            if user is not None and not user.is_bot:
                # One round trip: handled before?, and the sender's record.
                handled, participant = await updates.handled_and_sender(session, update_id, user.id)
            else:
                participant = None
                handled = update_id is not None and bool(
                    await updates.already_processed(session, [update_id])
                )
            if handled:
                log.debug("update %s was handled before; skipped", update_id)
                return UNHANDLED
            locale = self.default_locale
            if user is not None and not user.is_bot:
                if participant is not None or update_id is not None:
                    participant = await self._participant(session, participant, user.id)
                if update_id is not None and participant.unreachable_since is not None:
                    participant.unreachable_since = None  # they wrote to us: reachable again
                own = participant.locale if participant is not None else None
                locale = own or suggest_locale(user.language_code, self.default_locale)
            end_of_update = EndOfUpdate()
            data.update(
                session=session,
                participant=participant,
                locale=locale,
                i18n=self.i18n,
                end_of_update=end_of_update,
            )
            with update_session(session), self.i18n.context(), self.i18n.use_locale(locale):
                try:
                    result = await handler(event, data)
                except TelegramAPIError:
                    # Write first, then talk: a failed reply keeps what the person did.
                    await self._commit(session, update_id, end_of_update, data)
                    raise
                await flush_dialog_state(session)
                await end_of_update.run(data.get("fsm_storage"))
            await self._commit(session, update_id, end_of_update, data, flushed=True)
            return result

    @staticmethod
    async def _commit(
        session: AsyncSession,
        update_id: int | None,
        end_of_update: EndOfUpdate,
        data: dict[str, Any],
        *,
        flushed: bool = False,
    ) -> None:
        if not flushed:
            await flush_dialog_state(session)
            await end_of_update.run(data.get("fsm_storage"))
        if update_id is not None:
            # Marked in the same transaction as the handler's writes: both land, or neither.
            await updates.mark_processed(session, [update_id])
        try:
            await session.commit()
        except IntegrityError:
            # The same update handled twice at once (a webhook retry racing the first try).
            await session.rollback()
            log.warning("update %s was handled concurrently; kept the first", update_id)
        else:
            end_of_update.committed()


def _widget(event: TelegramObject) -> tuple[str, str]:
    """aiogram-dialog callback data is "<intent id>\\x1d<widget id>[:<item id>]"."""
    if not isinstance(event, CallbackQuery) or not event.data or CB_SEP not in event.data:
        return "", ""
    widget, _sep, item = event.data.split(CB_SEP, 1)[1].partition(":")
    return widget, item


class StaffGuard(BaseMiddleware):
    """Every update that would reach a staff dialog, or press a staff button, is checked against
    the sender's role (in the project the button names, when it names one). Callback data is
    never trusted: a forged or replayed staff button gets a refusal and changes nothing.
    Commands pass: each checks what it needs, and /forget or /mydata must always work."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Message) and (event.text or "").startswith("/"):
            return await handler(event, data)
        context = data.get(CONTEXT_KEY)
        widget, item = _widget(event)
        in_staff_dialog = context is not None and context.state.group in STAFF_STATE_GROUPS
        staff_button = widget.startswith(STAFF_WIDGET_PREFIX)
        if not (in_staff_dialog or staff_button):
            return await handler(event, data)
        session, participant = data["session"], data["participant"]
        if staff_button and widget.endswith("_project") and item.isdigit():
            allowed = await people.is_staff_in(session, participant, int(item))
        else:
            allowed = bool(await people.staff_projects(session, participant))
        if allowed:
            return await handler(event, data)
        await audit.record(
            session,
            "access.denied",
            actor_id=participant.id if participant else None,
            detail=(widget or (context.state.state if context else ""))[:255],
        )
        text = _("Sorry, this is not available to you.")
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message):
            await event.answer(text)
        if in_staff_dialog and not staff_button:
            # Someone whose role ended with a staff screen open: take them home, not round again.
            manager: DialogManager = data["dialog_manager"]
            await manager.start(MainMenu.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
        return None  # handled: no other handler may act on it


class ConsentGate(BaseMiddleware):
    """Someone who agreed to an older consent text is asked again at their next contact."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        participant = data.get("participant")
        if not consent.needs_renewal(participant):
            return await handler(event, data)
        context = data.get(CONTEXT_KEY)
        if context is not None and context.state.group is Onboarding:
            return await handler(event, data)
        if isinstance(event, CallbackQuery):
            await event.answer()
        manager: DialogManager = data["dialog_manager"]
        await manager.start(
            Onboarding.consent,
            data={"renewal": True},
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.SEND,
        )
        return None
