"""Per-update context: one database session, the participant, and their language.

Registered as outer middleware on the dispatcher's `update` observer, so it wraps real updates and
the background updates aiogram-dialog sends through the dispatcher (scheduled jobs); and on the
`errors` observer, so error handlers also answer in the participant's language.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from aiogram.utils.i18n import I18n
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import suggest_locale
from storage import participants, updates
from storage.db import update_session

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
log = logging.getLogger(__name__)


def _is_telegram_update(event: TelegramObject) -> bool:
    # aiogram-dialog's background updates subclass Update but come from us, not from Telegram.
    return type(event) is Update


class ContextMiddleware(BaseMiddleware):
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], i18n: I18n, default_locale: str
    ) -> None:
        self.sessions = sessions
        self.i18n = i18n
        self.default_locale = default_locale

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        update_id = event.update_id if _is_telegram_update(event) else None
        async with self.sessions() as session:
            if update_id is not None and await updates.already_processed(session, [update_id]):
                log.debug("update %s was handled before; skipped", update_id)
                return UNHANDLED
            user = data.get("event_from_user")
            participant = None
            locale = self.default_locale
            if user is not None and not user.is_bot:
                participant = await participants.get_or_create(session, user.id)
                locale = participant.locale or suggest_locale(
                    user.language_code, self.default_locale
                )
            data.update(session=session, participant=participant, locale=locale, i18n=self.i18n)
            with update_session(session), self.i18n.context(), self.i18n.use_locale(locale):
                result = await handler(event, data)
            if update_id is not None:
                # Marked in the same transaction as the handler's writes: both land, or neither.
                await updates.mark_processed(session, [update_id])
            try:
                await session.commit()
            except IntegrityError:
                # The same update handled twice at once (a webhook retry racing the first try).
                await session.rollback()
                log.warning("update %s was handled concurrently; kept the first", update_id)
            return result
