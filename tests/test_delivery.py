"""The delivery engine against the Telegram emulator: pace, faults, crashes, and people's wishes
(pause, quiet hours in their own zone, their weekly cap). Time is a fake clock where it matters."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import create_bot
from bot.delivery import (
    DeliveryEngine,
    Pacer,
    delivery_progress,
    delivery_report,
    enqueue_message,
)
from bot.i18n import create_i18n
from storage.models import DeliveryState, OutboxDelivery, OutboxKind, Participant
from tests.conftest import TOKEN

START = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # a Thursday, no DST anywhere near


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


class Harness:
    """People in the database and in the emulator, and engines that send to them."""

    def __init__(self, sessions, emulator, clock: Clock) -> None:
        self.sessions = sessions
        self.emulator = emulator
        self.clock = clock
        self.i18n = create_i18n()
        self.bots = []

    async def people(self, count: int, **fields) -> list[Participant]:
        async with self.sessions() as session:
            people = []
            for _ in range(count):
                telegram_id = 500_000 + len(self.emulator.users)
                self.emulator.user(telegram_id)
                person = Participant(telegram_id=telegram_id, **fields)
                session.add(person)
                people.append(person)
            await session.commit()
        return people

    def engine(self, **options) -> DeliveryEngine:
        bot = create_bot(TOKEN, self.emulator.api_url)
        self.bots.append(bot)
        options.setdefault("pacer", Pacer())
        return DeliveryEngine(bot, self.sessions, self.i18n, clock=self.clock, **options)

    async def broadcast(self, people, texts=None, kind=OutboxKind.BROADCAST, **options) -> int:
        async with self.sessions() as session:
            message_id = await enqueue_message(
                session,
                kind=kind,
                recipients=[p.id for p in people],
                now=self.clock(),
                source_locale="en",
                texts=texts or {"en": "Hello from the team"},
                **options,
            )
            await session.commit()
        return message_id

    def received(self, person: Participant) -> list[str]:
        return [m.body for m in self.emulator.user(person.telegram_id).messages]

    def sends_to(self, person: Participant) -> list[int | None]:
        """Error codes of every send to them, None for a success."""
        return [
            r.error_code
            for r in self.emulator.requests
            if r.method == "sendMessage" and r.params.get("chat_id") == person.telegram_id
        ]

    async def states(self, message_id: int) -> Counter:
        async with self.sessions() as session:
            rows = await session.execute(
                select(OutboxDelivery.state, OutboxDelivery.reason).where(
                    OutboxDelivery.message_id == message_id
                )
            )
            return Counter((state, reason) for state, reason in rows.all())

    async def close(self) -> None:
        for bot in self.bots:
            await bot.session.close()


@pytest.fixture
async def harness(sessions, emulator):
    h = Harness(sessions, emulator, Clock())
    yield h
    await h.close()


async def test_a_broadcast_reaches_everyone_once_in_their_own_language(harness):
    welsh = await harness.people(1, locale="cy")
    polish = await harness.people(1, locale="pl")  # no Polish version: gets the original
    english = await harness.people(2)
    message_id = await harness.broadcast(
        welsh + polish + english, texts={"en": "Meeting moved", "cy": "Cyfarfod wedi symud"}
    )
    engine = harness.engine()
    assert await engine.run_until_idle() == 4
    assert harness.received(welsh[0]) == ["Cyfarfod wedi symud"]
    assert harness.received(polish[0]) == ["Meeting moved"]
    assert all(harness.received(p) == ["Meeting moved"] for p in english)
    async with harness.sessions() as session:
        report = await delivery_report(session, message_id)
        sent = (await session.execute(select(OutboxDelivery))).scalars().all()
    assert report.sent == report.total == 4 and report.finished
    assert all(d.telegram_message_id and d.state == DeliveryState.SENT for d in sent)


async def test_a_429_pauses_all_sending_and_loses_nothing(harness):
    people = await harness.people(5)
    await harness.broadcast(people)
    waits: list[float] = []

    async def recording_sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    harness.emulator.inject_fault(method="sendMessage", kind="429", retry_after=1)
    engine = harness.engine(pacer=Pacer(sleep=recording_sleep))
    started = asyncio.get_running_loop().time()
    await engine.run_until_idle()
    assert asyncio.get_running_loop().time() - started >= 0.9
    assert engine.retry_after_received == 1 and max(waits) >= 0.9
    sends = [r for r in harness.emulator.requests if r.method == "sendMessage"]
    # The refused message is the very next one sent: nothing else went while paused.
    assert sends[0].error_code == 429
    assert sends[1].params["chat_id"] == sends[0].params["chat_id"] and sends[1].ok
    assert all(harness.received(p) == ["Hello from the team"] for p in people)


async def test_a_person_who_blocked_the_bot_is_marked_and_skipped(harness):
    ann, bob, cat = await harness.people(3)
    harness.emulator.block(bob.telegram_id)
    first = await harness.broadcast([ann, bob, cat])
    engine = harness.engine()
    await engine.run_until_idle()
    assert harness.sends_to(bob) == [403]  # tried once, not retried
    async with harness.sessions() as session:
        assert (await session.get(Participant, bob.id)).unreachable_since is not None
        assert (await delivery_report(session, first)).blocked == 1
    second = await harness.broadcast([ann, bob, cat], texts={"en": "Second news"})
    await engine.run_until_idle()
    assert harness.sends_to(bob) == [403]  # not even asked about again
    assert harness.received(ann) == ["Hello from the team", "Second news"]
    async with harness.sessions() as session:
        report = await delivery_report(session, second)
    assert (report.sent, report.blocked, report.total) == (2, 1, 3)


async def test_a_restart_mid_broadcast_delivers_each_remaining_recipient_once(harness):
    people = await harness.people(40)
    message_id = await harness.broadcast(people)
    first = harness.engine(batch_size=10)
    task = asyncio.create_task(first.run_until_idle())
    while harness.emulator.sent_count < 12:  # noqa: ASYNC110 - the emulator's counter
        await asyncio.sleep(0.005)
    task.cancel()  # as abrupt as a kill: mid-request, mid-commit or mid-wait
    await asyncio.gather(task, return_exceptions=True)
    before = harness.emulator.sent_count
    assert 12 <= before < 40

    harness.clock.advance(seconds=31)  # the dead engine's 30 s lease runs out
    second = harness.engine(batch_size=10)  # a new process on the same database
    await second.recover()
    await second.run_until_idle()
    per_person = Counter(
        r.params["chat_id"] for r in harness.emulator.requests if r.method == "sendMessage" and r.ok
    )
    assert set(per_person) == {p.telegram_id for p in people}  # nobody lost
    assert sum(n - 1 for n in per_person.values()) <= 1  # at most one duplicate per crash
    async with harness.sessions() as session:
        assert (await delivery_report(session, message_id)).sent == 40


async def test_a_message_in_flight_at_a_crash_is_sent_again_after_restart(harness):
    (ann,) = await harness.people(1)
    message_id = await harness.broadcast([ann])
    async with harness.sessions() as session:
        delivery = (await session.execute(select(OutboxDelivery))).scalar_one()
        delivery.state = DeliveryState.SENDING  # committed, then the process died
        delivery.claimed_until = harness.clock() + timedelta(minutes=2)
        await session.commit()
    engine = harness.engine()
    assert await engine.run_until_idle() == 0  # still held by the dead engine's lease
    assert await engine.recover() == 0  # nobody frees a claim whose lease has not run out
    harness.clock.advance(minutes=2)  # it runs out: the message is taken again
    await engine.run_until_idle()
    assert harness.received(ann) == ["Hello from the team"]
    async with harness.sessions() as session:
        assert (await delivery_report(session, message_id)).sent == 1


async def test_quiet_hours_wait_until_they_end_in_each_persons_time_zone(harness):
    clock = harness.clock
    clock.now = datetime(2026, 1, 15, 22, 30, tzinfo=UTC)
    quiet = {"quiet_start": 22 * 60, "quiet_end": 7 * 60}
    (london,) = await harness.people(1, timezone="Europe/London", **quiet)
    (new_york,) = await harness.people(1, timezone="America/New_York", **quiet)
    engine = harness.engine()
    first = await harness.broadcast([london, new_york], texts={"en": "First"})
    await engine.run_until_idle()
    assert harness.received(london) == [] and harness.received(new_york) == ["First"]

    clock.now = datetime(2026, 1, 16, 3, 30, tzinfo=UTC)  # 03:30 London, 22:30 New York
    second = await harness.broadcast([london, new_york], texts={"en": "Second"})
    await engine.run_until_idle()
    assert harness.received(london) == [] and harness.received(new_york) == ["First"]
    async with harness.sessions() as session:
        report = await delivery_report(session, second)
    assert report.quiet_hours == 2 and report.total == 2

    clock.now = datetime(2026, 1, 16, 7, 0, tzinfo=UTC)  # 07:00 London, 02:00 New York
    await engine.run_until_idle()
    assert harness.received(london) == ["First", "Second"]
    assert harness.received(new_york) == ["First"]

    clock.now = datetime(2026, 1, 16, 12, 0, tzinfo=UTC)  # 07:00 New York
    await engine.run_until_idle()
    assert harness.received(new_york) == ["First", "Second"]
    async with harness.sessions() as session:
        assert (await delivery_report(session, first)).sent == 2
        assert (await delivery_report(session, second)).sent == 2


async def test_a_paused_participant_gets_nothing_until_they_resume(harness):
    (paused,) = await harness.people(1, paused_at=START - timedelta(days=1))
    (until_monday,) = await harness.people(
        1, paused_at=START - timedelta(days=1), paused_until=START + timedelta(days=4)
    )
    message_id = await harness.broadcast([paused, until_monday])
    engine = harness.engine()
    await engine.run_until_idle()
    harness.clock.advance(days=3)
    await engine.run_until_idle()
    assert harness.received(paused) == [] and harness.received(until_monday) == []
    async with harness.sessions() as session:
        assert (await delivery_report(session, message_id)).paused == 2
    harness.clock.advance(days=1, minutes=1)
    await engine.run_until_idle()
    assert harness.received(paused) == [] and harness.received(until_monday) != []


async def test_the_weekly_cap_keeps_the_most_important_messages(harness):
    (ann,) = await harness.people(1, messages_per_week=2)
    kinds = [OutboxKind.CHECKIN, OutboxKind.BROADCAST, OutboxKind.WE_DID, OutboxKind.REMINDER]
    for kind in kinds:  # queued least important first
        await harness.broadcast([ann], texts={"en": kind.value}, kind=kind)
    engine = harness.engine(pacer=Pacer(chat_interval=0.01))  # the fake week is not real time
    await engine.run_until_idle()
    # The reminder for a meeting she said yes to, then "we did" on her feedback; the cap is full.
    assert harness.received(ann) == ["reminder", "we_did"]

    harness.clock.advance(days=2)
    await harness.broadcast([ann], texts={"en": "second reminder"}, kind=OutboxKind.REMINDER)
    await engine.run_until_idle()
    # A reminder is never held back by the cap, but it counts.
    assert harness.received(ann) == ["reminder", "we_did", "second reminder"]

    harness.clock.advance(days=5, minutes=1)  # the first two left the rolling 7 days
    await engine.run_until_idle()
    assert harness.received(ann)[3:] == ["broadcast"]  # the check-in still waits behind it
    harness.clock.advance(days=2)
    await engine.run_until_idle()
    assert harness.received(ann)[3:] == ["broadcast", "checkin"]


async def test_progress_and_report_add_up_to_the_audience(harness):
    sent_to = await harness.people(4)
    (blocked,) = await harness.people(1)
    (paused,) = await harness.people(1, paused_at=START)
    (sleeping,) = await harness.people(1, quiet_start=11 * 60, quiet_end=13 * 60, timezone="UTC")
    (full,) = await harness.people(1, messages_per_week=0)
    audience = [*sent_to, blocked, paused, sleeping, full]
    harness.emulator.block(blocked.telegram_id)
    harness.emulator.inject_fault(method="sendMessage", kind="500", chat_id=sent_to[0].telegram_id)
    message_id = await harness.broadcast(audience)
    engine = harness.engine()
    async with harness.sessions() as session:
        before = await delivery_progress(session, message_id, engine.pacer.rate)
    assert (before.sent, before.total) == (0, 8) and before.eta_seconds == pytest.approx(8 / 30)

    await engine.run_until_idle()
    async with harness.sessions() as session:
        report = await delivery_report(session, message_id)
    figures = (report.sent, report.blocked, report.failed, report.quiet_hours, report.paused)
    assert figures == (3, 1, 0, 1, 1) and (report.over_cap, report.queued) == (1, 1)
    assert sum((*figures, report.over_cap, report.queued)) == report.total == len(audience)

    harness.clock.advance(seconds=3)  # the retry after the 500 is due
    await engine.run_until_idle()
    async with harness.sessions() as session:
        report = await delivery_report(session, message_id)
        progress = await delivery_progress(session, message_id, engine.pacer.rate)
    assert (report.sent, report.queued) == (4, 0) and (progress.sent, progress.total) == (4, 8)
    assert progress.eta_seconds is None


async def test_server_errors_are_retried_with_backoff_then_given_up(harness):
    (ann,) = await harness.people(1)
    harness.emulator.inject_fault(method="sendMessage", kind="502", times=10)
    message_id = await harness.broadcast([ann])
    engine = harness.engine(max_attempts=3, pacer=Pacer(chat_interval=0.01))
    for wait in (0, 2, 4):  # 2 s after the first failure, 4 s after the second
        harness.clock.advance(seconds=wait)
        assert await engine.run_until_idle() == 1
    assert harness.sends_to(ann) == [502, 502, 502]
    async with harness.sessions() as session:
        delivery = (await session.execute(select(OutboxDelivery))).scalar_one()
        assert (delivery.state, delivery.reason) == (DeliveryState.FAILED, "may_have_arrived")
        report = await delivery_report(session, message_id)
    assert (report.failed, report.may_have_arrived) == (0, 1)  # a 502 may come after sending


@pytest.mark.contract_violations(reason="a photo with a file id Telegram does not know")
async def test_a_refused_message_fails_without_retrying(harness):
    (ann,) = await harness.people(1)
    message_id = await harness.broadcast([ann], photo_file_id="no-such-file")
    engine = harness.engine()
    await engine.run_until_idle()
    harness.clock.advance(minutes=10)
    assert await engine.run_until_idle() == 0
    async with harness.sessions() as session:
        delivery = (await session.execute(select(OutboxDelivery))).scalar_one()
    assert (delivery.state, delivery.reason) == (DeliveryState.FAILED, "bad_request")
    assert [r.method for r in harness.emulator.requests].count("sendPhoto") == 1
    async with harness.sessions() as session:
        assert (await delivery_report(session, message_id)).failed == 1


async def test_the_running_engine_sends_what_is_queued_as_soon_as_it_is_woken(harness):
    (ann,) = await harness.people(1)
    engine = harness.engine(idle_poll=60)
    await engine.start()
    try:
        await harness.broadcast([ann], texts={"en": "Straight away"})
        engine.wake()
        user = harness.emulator.user(ann.telegram_id)
        assert (await user.wait_for_message(timeout=3)).body == "Straight away"
    finally:
        await engine.stop()


async def test_the_bots_own_replies_count_against_the_pace_and_a_429_pauses_the_engine(harness):
    from bot.delivery import PacerRequestMiddleware

    (ann,) = await harness.people(1)
    moment = [100.0]  # the pacer's clock stands still: the test does not race a busy machine
    pacer = Pacer(clock=lambda: moment[0])
    engine = harness.engine(pacer=pacer)
    engine.bot.session.middleware(PacerRequestMiddleware(pacer))
    await engine.bot.send_message(ann.telegram_id, "a reply to something Ann wrote")
    assert pacer.wait_time(ann.telegram_id) == pytest.approx(1.0)  # her chat's second is taken
    harness.emulator.inject_fault(method="sendMessage", kind="429", retry_after=2)
    with pytest.raises(Exception, match="retry after"):
        await engine.bot.send_message(ann.telegram_id, "another reply")
    assert pacer.paused_for == pytest.approx(2.0)


async def test_a_message_that_cannot_be_built_fails_alone(harness):
    people = await harness.people(2)
    bad = await harness.broadcast(people[:1], texts=None, text_key="no.such.text")
    good = await harness.broadcast(people[1:])
    await harness.engine().run_until_idle()
    assert harness.received(people[1]) == ["Hello from the team"]
    assert (await harness.states(bad)) == Counter({(DeliveryState.FAILED, "cannot_render"): 1})
    assert (await harness.states(good)) == Counter({(DeliveryState.SENT, None): 1})


async def test_a_meeting_time_reaches_each_person_in_their_own_language_and_time_zone(harness):
    from bot.services.delivery import enqueue_per_person
    from storage.projects import create_project

    (london,) = await harness.people(1, locale="en", timezone="Europe/London")
    warsaw_people = await harness.people(1, locale="pl", timezone="Europe/Warsaw")
    unset_people = await harness.people(1)
    meeting = datetime(2026, 3, 3, 18, 0, tzinfo=UTC)
    async with harness.sessions() as session:
        project = await create_project(session, "Crisis care", timezone="Europe/London")
        ids = await enqueue_per_person(
            session,
            kind=OutboxKind.REMINDER,
            recipients=[london.id, warsaw_people[0].id, unset_people[0].id],
            now=harness.clock(),
            project_id=project.id,
            render=lambda locale, zone: f"{locale} {meeting.astimezone(zone):%H:%M}",
        )
        await session.commit()
    assert len(ids) == 2  # the person who chose nothing gets the project's language and zone
    await harness.engine().run_until_idle()
    said = {
        person.telegram_id: harness.emulator.user(person.telegram_id).last_message.text
        for person in (london, warsaw_people[0], unset_people[0])
    }
    assert said == {
        london.telegram_id: "en 18:00",
        warsaw_people[0].telegram_id: "pl 19:00",
        unset_people[0].telegram_id: "en 18:00",
    }


async def test_a_reminder_that_could_only_arrive_after_the_meeting_is_not_sent(harness):
    clock = harness.clock
    clock.now = datetime(2026, 1, 15, 22, 30, tzinfo=UTC)  # 22:30 in London
    quiet = {"quiet_start": 22 * 60, "quiet_end": 7 * 60}
    (asleep,) = await harness.people(1, timezone="Europe/London", **quiet)
    (awake,) = await harness.people(1, timezone="Europe/London")
    meeting_starts = datetime(2026, 1, 16, 6, 0, tzinfo=UTC)  # before their quiet hours end
    message_id = await harness.broadcast(
        [asleep, awake],
        texts={"en": "Your meeting is at 06:00."},
        kind=OutboxKind.REMINDER,
        expires_at=meeting_starts,
    )
    engine = harness.engine()
    await engine.run_until_idle()
    assert harness.received(awake) == ["Your meeting is at 06:00."]
    clock.now = datetime(2026, 1, 16, 7, 0, tzinfo=UTC)  # quiet hours over, meeting begun
    await engine.run_until_idle()
    assert harness.received(asleep) == []
    async with harness.sessions() as session:
        report = await delivery_report(session, message_id)
        reasons = (
            await session.execute(
                select(OutboxDelivery.reason).where(OutboxDelivery.message_id == message_id)
            )
        ).scalars()
    assert (report.sent, report.failed, report.quiet_hours, report.total) == (1, 1, 0, 2)
    assert "expired" in set(reasons)


async def test_a_message_whose_moment_passed_while_the_bot_was_down_is_not_sent(harness):
    (person,) = await harness.people(1)
    message_id = await harness.broadcast(
        [person],
        texts={"en": "Answer the poll by 12:00."},
        expires_at=harness.clock() + timedelta(minutes=30),
    )
    harness.clock.advance(hours=1)  # the bot was down past the deadline
    await harness.engine().run_until_idle()
    assert harness.received(person) == []
    async with harness.sessions() as session:
        assert (await delivery_report(session, message_id)).failed == 1
