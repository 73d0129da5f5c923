"""The delivery engine: sends what waits in the outbox, at Telegram's pace, and survives crashes.

Each delivery goes pending -> sending -> sent (or deferred / failed / blocked). Telegram has no
idempotency key, so a message whose request was in flight when the process died is ambiguous;
the engine keeps that window to one message:

* 'sending' is committed before the request, and the answer is written in the same commit as
  the next message's 'sending', made before waiting for that one's turn (one commit per
  message, and never a lock held while waiting), so an answered message is never left
  unrecorded while the pacer waits;
* only one request is in flight at a time, so one crash leaves at most one 'sending' row, and
  that row is sent again on restart: no one lost, at most one duplicate per crash.

One request at a time is enough for Telegram's 30/s when a round trip takes under ~30 ms; the
pacer, not the database, sets the pace (one small commit per message, WAL on SQLite).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.delivery.middleware import already_paced
from bot.delivery.pacer import Pace
from bot.delivery.texts import CATALOG
from bot.services import delivery as rules
from bot.services.delivery import CapUsage, Reason, Recipient
from storage import outbox
from storage.models import DeliveryState, OutboxMessage, Participant, Project
from storage.outage import is_storage_outage
from storage.types import utcnow

log = logging.getLogger(__name__)

MarkupFactory = Callable[[str, str], InlineKeyboardMarkup | None]


@dataclass(frozen=True)
class _Content:
    message: OutboxMessage
    texts: dict[str, str]
    project_name: str
    project_locale: str | None


@dataclass
class _Lease:
    """Until when this engine holds the rows of the batch it claimed (all share one time)."""

    until: datetime


@dataclass(frozen=True)
class _Outcome:
    state: DeliveryState
    reason: str | None = None
    telegram_message_id: int | None = None
    retryable: bool = False


class DeliveryEngine:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        i18n: I18n,
        *,
        pacer: Pace,
        default_locale: str = "en",
        default_timezone: str = "Europe/London",
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = 50,
        lease: timedelta = timedelta(seconds=30),
        max_attempts: int = 5,
        request_timeout: float = 20.0,
        # Messages may be queued by another process (a webhook worker): look this often.
        idle_poll: float = 2.0,
        markup_for: MarkupFactory | None = None,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.i18n = i18n
        self.pacer = pacer
        self.default_locale = default_locale
        self.default_timezone = default_timezone
        self.clock = clock
        self.batch_size = batch_size
        self.lease = lease
        self.max_attempts = max_attempts
        self.request_timeout = request_timeout
        self.idle_poll = idle_poll
        self.markup_for = markup_for
        self.retry_after_received = 0
        self._content: dict[int, _Content] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def recover(self, *, earlier_engines_dead: bool = False) -> int:
        """On start: let go of rows whose lease ran out (their engine died). Rows another live
        engine holds stay its own: it renews its lease every third of it while it works, so
        a dead engine's rows come back within one lease (30 s) and a live one's never do. When
        the caller knows every earlier engine is dead (its election proves it), all come back."""
        async with self.sessions() as session:
            if earlier_engines_dead:
                released = await outbox.release_all_claims(session)
            else:
                released = await outbox.release_expired_claims(session, self.clock())
            await session.commit()
        if released:
            log.info("resuming %d deliveries whose engine stopped", released)
        return released

    async def start(self, *, exclusive: bool = True, earlier_engines_dead: bool = False) -> None:
        if exclusive:
            await self.recover(earlier_engines_dead=earlier_engines_dead)
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="delivery-engine")

    async def stop(self) -> None:
        """Finish the message in flight, record it, and stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self) -> None:
        """Something new may be due: look now rather than at the next poll."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()  # before looking, so a wake-up during the round is not lost
            try:
                if await self.run_once():
                    continue
                delay = await self._idle_delay()
            except Exception as error:
                if is_storage_outage(error):  # expected while the database restarts: no traceback
                    log.warning("delivery waits: the database is out of reach")
                else:
                    log.exception("delivery round failed; trying again shortly")
                delay = 5.0
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass

    async def _idle_delay(self) -> float:
        async with self.sessions() as session:
            due = await outbox.next_due_at(session)
        if due is None:
            return self.idle_poll
        # Due but not claimable (another engine holds it): do not spin.
        return min(self.idle_poll, max(1.0, (due - self.clock()).total_seconds()))

    async def run_until_idle(self) -> int:
        """Send everything due now (tests, the benchmark's worker); how many were handled."""
        handled = 0
        while n := await self.run_once():
            handled += n
        return handled

    # -- one round -------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim a batch of due deliveries and handle each; how many were claimed."""
        now = self.clock()
        lease = _Lease(now + self.lease)
        async with self.sessions() as session:
            claimed = await outbox.claim_due(session, now, lease.until, self.batch_size)
            if not claimed:
                await session.commit()
                return 0
            await session.commit()
            ids = [item.delivery_id for item in claimed]
            keeper = asyncio.create_task(self._keep_lease(ids, lease), name="delivery-lease")
            try:
                await self._handle_batch(session, now, claimed)
            finally:  # a crash (or cancel) stops renewing: the rows come back when it runs out
                keeper.cancel()
                await asyncio.gather(keeper, return_exceptions=True)
        return len(claimed)

    async def _keep_lease(self, ids: list[int], lease: _Lease) -> None:
        """Renew the batch's lease while we work through it (a 429 pause, a slow pacer)."""
        interval = max(0.01, self.lease.total_seconds() / 3)
        while True:
            await asyncio.sleep(interval)
            await self.renew_lease(ids, lease)

    async def renew_lease(self, ids: list[int], lease: _Lease) -> int:
        """Hold the rows of the batch we still work on for one more lease; how many."""
        new_until = self.clock() + self.lease
        try:
            async with self.sessions() as session:
                renewed = await outbox.renew_claims(session, ids, lease.until, new_until)
                await session.commit()
        except Exception as error:
            log.warning("delivery lease not renewed: %s", type(error).__name__)
            return 0
        lease.until = new_until
        return renewed

    async def _handle_batch(
        self, session: AsyncSession, now: datetime, claimed: list[outbox.Claimed]
    ) -> None:
        people = list({item.participant.id for item in claimed})
        sent = await outbox.sent_since(session, people, now - rules.CAP_WINDOW)
        waiting = await outbox.waiting_by_priority(session, people, now + rules.CAP_WINDOW)
        for item in claimed:
            if item.message_id not in self._content:
                await self._load_content(session, item.message_id)
        await session.commit()
        usage = {
            pid: CapUsage(list(sent.get(pid, [])), dict(waiting.get(pid, {}))) for pid in people
        }
        pending_writes: list[Callable[[AsyncSession], Any]] = []
        handled = 0
        for item in claimed:
            if self._stopping:
                break
            handled += 1
            await self._handle(session, item, usage[item.participant.id], pending_writes)
        await self._flush(session, pending_writes)
        if handled < len(claimed):
            await outbox.release(session, [i.delivery_id for i in claimed[handled:]])
        await session.commit()

    async def _handle(
        self,
        session: AsyncSession,
        item: outbox.Claimed,
        usage: CapUsage,
        writes: list[Callable[[AsyncSession], Any]],
    ) -> None:
        now = self.clock()
        person = _recipient(item.participant)
        if person.telegram_id <= 0:  # a group's or channel's id: we write to people only
            writes.append(_mark(item.delivery_id, DeliveryState.FAILED, Reason.BAD_REQUEST))
            return
        if person.unreachable_since is not None:
            writes.append(_mark(item.delivery_id, DeliveryState.BLOCKED, Reason.BLOCKED))
            return
        content = self._content[item.message_id]
        expires_at = content.message.expires_at
        if expires_at is not None and now >= expires_at:
            writes.append(_mark(item.delivery_id, DeliveryState.FAILED, Reason.EXPIRED))
            return
        hold = rules.next_allowed_time(person, now, self.default_timezone) or rules.cap_hold(
            content.message.kind, item.priority, person.messages_per_week, usage, now
        )
        if hold is not None:
            if expires_at is not None and hold.until >= expires_at:
                # It could only reach them too late (after the meeting, after the deadline).
                writes.append(_mark(item.delivery_id, DeliveryState.FAILED, Reason.EXPIRED))
            else:
                writes.append(
                    _mark(item.delivery_id, DeliveryState.DEFERRED, hold.reason, hold.until)
                )
            return
        # The answer to the previous message and this one's 'sending', in one commit, before
        # waiting for this one's turn (up to a second per chat, or a 429's retry_after): a crash
        # in that wait must not send again a message Telegram already answered.
        writes.append(lambda s, d=item.delivery_id: outbox.mark_sending(s, d))
        await self._flush(session, writes)
        await session.commit()
        outcome = None
        while outcome is None:  # None: 429, the pace is paused; same message, once it may go
            async with self.pacer.turn(person.telegram_id):
                outcome = await self._send(person, content)
        attempts = item.attempts + 1
        metrics.MESSAGES.labels(outcome=_outcome_label(outcome, item)).inc()
        if outcome.state == DeliveryState.SENT:
            at = self.clock()
            message_id = outcome.telegram_message_id or 0
            resent = Reason.RESENT if item.tried_unanswered else None
            writes.append(
                lambda s, d=item.delivery_id: outbox.mark_sent(s, d, message_id, at, reason=resent)
            )
            usage.record_sent(at)
            if usage.waiting_by_priority.get(item.priority):
                usage.waiting_by_priority[item.priority] -= 1
        elif outcome.state == DeliveryState.BLOCKED:
            pid, at = item.participant.id, self.clock()
            writes.append(lambda s: outbox.mark_unreachable(s, pid, at))
            writes.append(_mark(item.delivery_id, DeliveryState.BLOCKED, Reason.BLOCKED))
            # Later messages to them in this batch see it too.
            item.participant.unreachable_since = at
        elif outcome.retryable and attempts < self.max_attempts:
            retry_at = self.clock() + rules.retry_delay(attempts)
            writes.append(_mark(item.delivery_id, DeliveryState.DEFERRED, Reason.RETRY, retry_at))
        else:
            # An earlier try (attempts > 0) or this last one ended without an answer: it may
            # have reached them, and the report must not say it did not.
            unknown = outcome.retryable or item.attempts > 0
            reason = Reason.MAY_HAVE_ARRIVED if unknown else outcome.reason
            writes.append(_mark(item.delivery_id, DeliveryState.FAILED, reason))

    async def _flush(
        self, session: AsyncSession, writes: list[Callable[[AsyncSession], Any]]
    ) -> None:
        for write in writes:
            await write(session)
        writes.clear()

    # -- talking to Telegram ---------------------------------------------------------------

    async def _send(self, person: Recipient, content: _Content) -> _Outcome | None:
        """One attempt; None means Telegram said 429 and the pacer is paused."""
        locale = person.locale or content.project_locale or self.default_locale
        message = content.message
        try:
            text = self._render(content, locale)
            markup = None
            if self.markup_for is not None and message.action:
                markup = self.markup_for(message.action, locale)
        except Exception:
            # A message we cannot build fails alone; it must not stall the rest of the batch.
            log.exception("message %s could not be built for participant", message.id)
            return _Outcome(DeliveryState.FAILED, Reason.CANNOT_RENDER)
        token = already_paced.set(True)
        try:
            async with asyncio.timeout(self.request_timeout + 5):
                if message.photo_file_id:
                    sent = await self.bot.send_photo(
                        person.telegram_id,
                        message.photo_file_id,
                        caption=text or None,
                        reply_markup=markup,
                        request_timeout=int(self.request_timeout),
                    )
                elif message.document_file_id:
                    sent = await self.bot.send_document(
                        person.telegram_id,
                        message.document_file_id,
                        caption=text or None,
                        reply_markup=markup,
                        request_timeout=int(self.request_timeout),
                    )
                else:
                    sent = await self.bot.send_message(
                        person.telegram_id,
                        text,
                        reply_markup=markup,
                        request_timeout=int(self.request_timeout),
                    )
        except TelegramRetryAfter as error:
            self.retry_after_received += 1
            await self.pacer.pause(error.retry_after)
            log.warning("Telegram asked us to wait %s s; all sending paused", error.retry_after)
            return None
        except TelegramForbiddenError:
            log.info("participant %s blocked the bot; marked unreachable", person.participant_id)
            return _Outcome(DeliveryState.BLOCKED, Reason.BLOCKED)
        except (TelegramServerError, TelegramNetworkError, TimeoutError) as error:
            log.warning(
                "message %s to participant %s: %s; will retry",
                message.id,
                person.participant_id,
                type(error).__name__,
            )
            return _Outcome(DeliveryState.FAILED, type(error).__name__[:32], retryable=True)
        except TelegramBadRequest as error:
            # Telegram's description names the problem, never the text we sent.
            log.warning(
                "message %s to participant %s refused: %s",
                message.id,
                person.participant_id,
                error.message,
            )
            return _Outcome(DeliveryState.FAILED, Reason.BAD_REQUEST)
        except TelegramAPIError as error:
            log.warning(
                "message %s to participant %s refused: %s",
                message.id,
                person.participant_id,
                type(error).__name__,
            )
            return _Outcome(DeliveryState.FAILED, type(error).__name__[:32])
        finally:
            already_paced.reset(token)
        return _Outcome(DeliveryState.SENT, telegram_message_id=sent.message_id)

    def _render(self, content: _Content, locale: str) -> str:
        key = content.message.text_key
        if key:
            msgid = CATALOG.get(key)
            if msgid is None:
                raise LookupError(f"no catalog text {key!r}")
            return self.i18n.gettext(msgid, locale=locale).format(project=content.project_name)
        return rules.choose_text(content.texts, locale, content.message.source_locale)

    async def _load_content(self, session: AsyncSession, message_id: int) -> None:
        if len(self._content) > 256:
            self._content.clear()
        message = await outbox.get_message(session, message_id)
        assert message is not None
        project = await session.get(Project, message.project_id) if message.project_id else None
        self._content[message_id] = _Content(
            message=message,
            texts=outbox.message_texts(message),
            project_name=project.name if project else "",
            project_locale=project.default_locale if project else None,
        )


def _outcome_label(outcome: _Outcome, item: outbox.Claimed) -> str:
    if outcome.state == DeliveryState.SENT:
        return "resent" if item.tried_unanswered else "sent"
    if outcome.state == DeliveryState.BLOCKED:
        return "blocked"
    return "no_answer" if outcome.retryable else "failed"


def _mark(
    delivery_id: int, state: DeliveryState, reason: str | None, due_at: datetime | None = None
) -> Callable[[AsyncSession], Any]:
    return lambda session: outbox.mark(session, delivery_id, state, reason, due_at)


def _recipient(participant: Participant) -> Recipient:
    return rules.recipient_of(participant)
