"""The composition root: the one place that builds the bot, used by the CLI and by the tests."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.utils.i18n import I18n
from aiogram_dialog import BgManagerFactory, setup_dialogs
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.commands import set_bot_commands
from bot.config import Settings
from bot.delivery import DeliveryEngine, Pacer, PacerRequestMiddleware
from bot.delivery.pacer import Pace
from bot.i18n import create_i18n
from bot.middlewares import ConsentGate, ContextMiddleware, StaffGuard, TimeUpdates
from bot.private_chats import private_chats_only
from bot.reply_faults import KeepWritesOnReplyFailure, RetryReplies
from bot.tasks import BackgroundTasks
from bot.telegram_contract import ContractGuard
from bot.telegram_session import BotSession
from dialogs.actions import actions_router, markup_factory
from dialogs.availability.dialog import availability_dialog
from dialogs.broadcast.dialog import broadcast_dialog
from dialogs.checkins.dialog import checkins_dialog
from dialogs.commands import commands_router
from dialogs.common import AnswerOnceMessageManager, add_language_switch
from dialogs.contribution.dialog import contribution_dialog, log_activity_dialog
from dialogs.export.dialog import export_dialog
from dialogs.fallback import fallback_router
from dialogs.feedback.dialog import feedback_dialog, my_feedback_dialog
from dialogs.meetings.dialog import meetings_staff_dialog, my_meetings_dialog
from dialogs.menu.dialog import menu_dialog
from dialogs.messageless import messageless_router
from dialogs.offers.dialog import offers_dialog
from dialogs.onboarding.dialog import onboarding_dialog
from dialogs.polls.dialog import poll_create_dialog
from dialogs.privacy.dialog import forget_dialog, pause_dialog
from dialogs.pulse.dialog import pulse_dialog
from dialogs.review.dialog import review_dialog
from dialogs.rewards.dialog import rewards_dialog
from dialogs.settings.dialog import settings_dialog
from dialogs.team.dialog import team_dialog
from dialogs.team_texts.dialog import team_texts_dialog
from dialogs.wedid.dialog import editor_dialog, updates_dialog
from storage.db import create_engine, create_session_factory, redis_connection_pool, upgrade
from storage.fsm import SQLStorage

log = logging.getLogger(__name__)
DIALOG_STATE_TTL = timedelta(days=60)
PACE_CONNECTIONS = 2  # the shared pace on PostgreSQL: one short transaction per message


def dialogs_router() -> Router:
    """A new router each call: routers and dialogs attach to one parent only."""
    router = Router(name="dialogs")
    router.include_routers(
        onboarding_dialog(),
        menu_dialog(),
        settings_dialog(),
        pause_dialog(),
        forget_dialog(),
        team_dialog(),
        team_texts_dialog(),
        broadcast_dialog(),
        checkins_dialog(),
        feedback_dialog(),
        my_feedback_dialog(),
        pulse_dialog(),
        updates_dialog(),
        review_dialog(),
        editor_dialog(),
        offers_dialog(),
        rewards_dialog(),
        contribution_dialog(),
        log_activity_dialog(),
        export_dialog(),
        poll_create_dialog(),
        availability_dialog(),
        my_meetings_dialog(),
        meetings_staff_dialog(),
    )
    add_language_switch(router.sub_routers)  # the globe on every participant screen
    return router


def create_dispatcher(
    *,
    storage: BaseStorage,
    sessions: async_sessionmaker[AsyncSession],
    i18n: I18n,
    default_locale: str,
    default_timezone: str = "Europe/London",
    events_isolation: BaseEventIsolation | None = None,
) -> tuple[Dispatcher, BgManagerFactory]:
    # The FSM middleware is registered below, after ours, so that it reads dialog state
    # through the update's own session.
    dispatcher = Dispatcher(
        storage=storage,
        events_isolation=events_isolation,
        disable_fsm=True,
        default_timezone=default_timezone,
    )
    dispatcher.update.outer_middleware(TimeUpdates())  # first: it times everything below
    private_chats_only(dispatcher, i18n, default_locale)  # first: a group reaches nothing else
    # Commands first so they work inside any dialog; the fallback last catches what is left.
    dispatcher.include_routers(
        messageless_router(),  # a press with no chat: answered before anything expects one
        commands_router(),
        actions_router(),
        dialogs_router(),
        fallback_router(),
    )
    bg_factory = setup_dialogs(
        dispatcher, events_isolation=events_isolation, message_manager=AnswerOnceMessageManager()
    )
    # After setup_dialogs, so background dialog updates from jobs get a session and a language too.
    context = ContextMiddleware(sessions, i18n, default_locale, events_isolation)
    dispatcher.update.outer_middleware(context)
    dispatcher.update.outer_middleware(dispatcher.fsm)
    dispatcher.errors.outer_middleware(context)
    # Inner, so they run after aiogram-dialog found the dialog an update belongs to.
    for observer in (dispatcher.message, dispatcher.callback_query):
        observer.middleware(KeepWritesOnReplyFailure())  # first: it also covers the two below
        observer.middleware(ConsentGate())
        observer.middleware(StaffGuard())
    return dispatcher, bg_factory


def create_bot(token: str, api_url: str) -> Bot:
    session = BotSession(api=TelegramAPIServer.from_base(api_url))
    session.middleware(ContractGuard())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=None))


@dataclass
class Application:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    storage: BaseStorage
    i18n: I18n
    bot: Bot
    dispatcher: Dispatcher
    bg_factory: BgManagerFactory
    delivery: DeliveryEngine
    tasks: BackgroundTasks
    scheduler: AsyncIOScheduler | None = None

    async def start_background_work(self, *, earlier_holders_dead: bool = False) -> None:
        """The delivery engine and the scheduler's sweeps: for the one elected background
        process (bot/leadership.py), not for webhook workers or tools. When the election proves
        the earlier leader dead, its outbox claims come back at once, not after their lease."""
        from bot.scheduler import start_scheduler

        await self.delivery.start(earlier_engines_dead=earlier_holders_dead)
        self.scheduler = start_scheduler(sessions=self.sessions, delivery=self.delivery)

    async def stop_background_work(self) -> None:
        if self.scheduler is not None:
            from bot.scheduler import stop_scheduler

            stop_scheduler(self.scheduler)
            self.scheduler = None
        await self.delivery.stop()

    async def close(self) -> None:
        await self.stop_background_work()
        await self.tasks.close()
        await self.bot.session.close()
        await self.dispatcher.storage.close()
        await self.dispatcher.fsm.events_isolation.close()
        await self.delivery.pacer.close()
        await self.engine.dispose()


def _pace(settings: Settings, engine: AsyncEngine, storage: BaseStorage) -> Pace:
    """Shared in Redis, or in PostgreSQL; in this process's memory on SQLite (one process)."""
    from bot.delivery.shared_pace import DatabasePace, RedisPace

    key = settings.token().encode()  # every process of the bot has it; chat ids are hashed
    if settings.redis_url:
        return RedisPace(storage.redis, key=key)  # the dialog state's client (RedisStorage)
    if engine.dialect.name == "postgresql":
        # Its own two connections: an update holding one of the pool's must never wait for a
        # second from the same pool to take its turn (a full pool would deadlock).
        return DatabasePace(
            create_engine(settings.resolved_database_url, pool_size=PACE_CONNECTIONS),
            key=key,
            owns_engine=True,
        )
    return Pacer()


def _state_storage(settings: Settings, sessions) -> tuple[BaseStorage, BaseEventIsolation]:
    if not settings.redis_url:
        return SQLStorage(sessions), SimpleEventIsolation()
    from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
    from redis.asyncio import Redis

    pool = redis_connection_pool(
        settings.redis_url,
        size=settings.database_pool_size,
        timeout=settings.database_pool_timeout,
    )
    storage = RedisStorage(
        Redis(connection_pool=pool),
        key_builder=DefaultKeyBuilder(with_destiny=True),
        # Dialog state nobody touched for this long is dropped: Redis keeps no one forever.
        state_ttl=DIALOG_STATE_TTL,
        data_ttl=DIALOG_STATE_TTL,
    )
    return storage, RedisEventIsolation(storage.redis, key_builder=storage.key_builder)


async def create_application(settings: Settings, *, set_commands: bool = True) -> Application:
    """Build everything, apply migrations, and (optionally) tell Telegram our command menu."""
    token = settings.token()
    engine = create_engine(
        settings.resolved_database_url,
        pool_size=settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
    )
    await upgrade(engine)
    sessions = create_session_factory(engine)
    storage, isolation = _state_storage(settings, sessions)
    i18n = create_i18n(settings.default_locale)
    dispatcher, bg_factory = create_dispatcher(
        storage=storage,
        sessions=sessions,
        i18n=i18n,
        default_locale=settings.default_locale,
        default_timezone=settings.timezone,
        events_isolation=isolation,
    )
    bot = create_bot(token, settings.telegram_api_url)
    # One pace for the bot token: every process's replies and the engine's messages take turns.
    pacer = _pace(settings, engine, storage)
    bot.session.middleware(RetryReplies())  # outside the pacer, so it counts every attempt
    bot.session.middleware(PacerRequestMiddleware(pacer))
    delivery = DeliveryEngine(
        bot,
        sessions,
        i18n,
        pacer=pacer,
        default_locale=settings.default_locale,
        default_timezone=settings.timezone,
        markup_for=markup_factory(i18n),
    )
    dispatcher["delivery"] = delivery
    dispatcher["sessions"] = sessions  # for work that outlives an update (a background export)
    dispatcher["data_dir"] = settings.data_dir  # an old pseudonym-secret file moves to the db
    dispatcher["background_tasks"] = tasks = BackgroundTasks()
    app = Application(
        settings, engine, sessions, storage, i18n, bot, dispatcher, bg_factory, delivery, tasks
    )
    if set_commands:
        try:
            await set_bot_commands(bot, i18n)
        except TelegramAPIError as error:  # the "/" menu is a convenience: never a reason to stop
            log.warning("could not set the command menu (%s); going on", type(error).__name__)
    return app
