"""The local Telegram limits the bot's pace exactly as Telegram does, and counts it so a check
from outside the bot's processes can tell whether the bot kept to it; its proxy spreads
connections over several workers.

Time in the rate stories is a fake clock the emulator reads, so nothing here sleeps.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import BufferedInputFile
from aiohttp import web

from bot.emulator import TelegramEmulator
from bot.emulator.proxy import TcpProxy

TOKEN = "123456:" + "L" * 35
ANN, BEN, CY = 1001, 1002, 1003
CROWD = range(2000, 2040)  # people who each get one message


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def emulator_with(clock: FakeClock, *, rate_limits: bool) -> TelegramEmulator:
    emulator = TelegramEmulator(rate_limits=rate_limits, clock=clock)
    await emulator.start()
    for user_id in (ANN, BEN, CY, *CROWD):
        emulator.user(user_id)
    return emulator


@pytest.fixture
async def limited(clock: FakeClock) -> AsyncIterator[TelegramEmulator]:
    emulator = await emulator_with(clock, rate_limits=True)
    yield emulator
    await emulator.stop()


@pytest.fixture
async def unlimited(clock: FakeClock) -> AsyncIterator[TelegramEmulator]:
    emulator = await emulator_with(clock, rate_limits=False)
    yield emulator
    await emulator.stop()


def bot_for(emulator: TelegramEmulator) -> Bot:
    return Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.api_url)))


# -- the overall limit: 30 in any sliding second ---------------------------------------------


async def test_31_messages_to_31_people_within_one_second_meet_exactly_one_429(
    limited: TelegramEmulator, clock: FakeClock
) -> None:
    bot = bot_for(limited)
    refused = []
    try:
        for user_id in list(CROWD)[:31]:  # 31 people, one message each, over 0.93 s
            try:
                await bot.send_message(user_id, "The meeting is moved to the library.")
            except TelegramRetryAfter as exc:
                refused.append((user_id, exc.retry_after))
            clock.now += 0.03
    finally:
        await bot.session.close()

    assert len(refused) == 1
    who, retry_after = refused[0]
    assert who == CROWD[30], "the 31st message is the one refused"
    assert retry_after >= 1
    traffic = limited.traffic
    assert traffic.too_many_requests == 1 and traffic.flood_refusals == 1
    assert traffic.accepted["sendMessage"] == 30
    assert traffic.max_in_any_second() == 30
    assert CROWD[30] not in traffic.received["The meeting is moved to the library."]


async def test_a_31st_inside_the_sliding_second_waits_until_the_oldest_has_left(
    limited: TelegramEmulator, clock: FakeClock
) -> None:
    # 30 messages spread evenly over 0.9 s. A bucket refilled at 30/s would have about 28
    # tokens back by then and take a 31st; Telegram counts the last second exactly.
    bot = bot_for(limited)
    people = iter(CROWD)
    try:
        for step in range(30):
            clock.now = 1000.0 + step / 32
            await bot.send_message(next(people), "Reminder: bring a cup.")

        clock.now = 1000.0 + 31 / 32  # the first message (at 1000.0) is still inside
        with pytest.raises(TelegramRetryAfter) as refused:
            await bot.send_message(next(people), "Reminder: bring a cup.")
        assert refused.value.retry_after == 1

        clock.now = 1001.0  # the first message has just left the window: one more fits,
        await bot.send_message(next(people), "Reminder: bring a cup.")  # as the refusal took none
        with pytest.raises(TelegramRetryAfter):  # and only one
            await bot.send_message(next(people), "Reminder: bring a cup.")

        clock.now = 1000.0 + 33 / 32  # the second message has left too
        await bot.send_message(next(people), "Reminder: bring a cup.")
    finally:
        await bot.session.close()

    assert limited.traffic.accepted["sendMessage"] == 32
    assert limited.traffic.flood_refusals == 2
    assert limited.traffic.max_in_any_second() == 30


async def test_one_chat_still_gets_a_short_burst_then_one_a_second(
    limited: TelegramEmulator, clock: FakeClock
) -> None:
    bot = bot_for(limited)
    try:
        for _ in range(3):
            await bot.send_message(ANN, "Your check-in")
        with pytest.raises(TelegramRetryAfter) as refused:
            await bot.send_message(ANN, "Your check-in")
        await bot.send_message(BEN, "Your check-in")  # another chat is not held back
        clock.now += refused.value.retry_after
        await bot.send_message(ANN, "Your check-in")
    finally:
        await bot.session.close()
    assert limited.traffic.received["Your check-in"] == {ANN: 4, BEN: 1}


# -- the tally a check from outside reads -----------------------------------------------------


async def test_the_tally_shows_the_busiest_second_and_who_received_each_text(
    unlimited: TelegramEmulator, clock: FakeClock
) -> None:
    bot = bot_for(unlimited)
    try:
        # With the limits off nothing is refused, and the tally shows the bot went too fast.
        for step, user_id in enumerate(CROWD):  # 40 messages within 0.975 s
            clock.now = 1000.0 + step * 0.025
            await bot.send_message(user_id, "Reminder: bring a cup.")
        clock.now = 1010.0
        for user_id in (ANN, BEN, CY):
            await bot.send_message(user_id, "The meeting is moved to the library.")
        clock.now = 1010.5
        await bot.send_message(BEN, "The meeting is moved to the library.")  # Ben gets it twice
        await bot.send_photo(ANN, BufferedInputFile(b"map", "map.jpg"), caption="The map")
        await bot.send_message(CY, "<b>Bring</b> a friend", parse_mode="HTML")
    finally:
        await bot.session.close()

    traffic = unlimited.traffic
    assert traffic.accepted == {"sendMessage": 45, "sendPhoto": 1}
    assert traffic.max_in_any_second() == 40
    assert traffic.max_in_any_second_one_chat() == 2
    assert traffic.too_many_requests == 0
    moved = traffic.received["The meeting is moved to the library."]
    assert moved == {ANN: 1, BEN: 2, CY: 1}
    assert traffic.received["The map"] == {ANN: 1}
    assert traffic.received["Bring a friend"] == {CY: 1}, "the text as the person reads it"

    async with aiohttp.ClientSession() as http:
        stats_url = f"{unlimited.api_url}/_emulator/stats"
        params = {"text": "The meeting is moved to the library."}
        async with http.get(stats_url, params=params) as response:
            one_text = (await response.json())["result"]
        async with http.post(f"{stats_url}/reset") as response:
            assert response.status == 200
        async with http.get(stats_url) as response:
            after_reset = (await response.json())["result"]

    assert one_text["accepted"] == {"sendMessage": 45, "sendPhoto": 1}
    assert one_text["accepted_total"] == 46
    assert one_text["max_in_any_second"] == 40
    assert one_text["too_many_requests"] == 0
    assert one_text["received"] == {
        "The meeting is moved to the library.": {str(ANN): 1, str(BEN): 2, str(CY): 1}
    }
    assert after_reset["accepted_total"] == 0
    assert after_reset["max_in_any_second"] == 0
    assert after_reset["received"] == {}


async def test_every_429_is_counted_and_the_injected_ones_told_apart(
    limited: TelegramEmulator, clock: FakeClock
) -> None:
    limited.inject_fault("sendMessage", kind="429", retry_after=2)
    bot = bot_for(limited)
    try:
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(ANN, "Hello")
        for _ in range(3):
            await bot.send_message(ANN, "Hello")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(ANN, "Hello")
    finally:
        await bot.session.close()
    assert limited.traffic.too_many_requests == 2
    assert limited.traffic.flood_refusals == 1
    assert limited.traffic.received["Hello"] == {ANN: 3}


# -- a proxy in front of several workers -----------------------------------------------------


async def start_worker(name: str) -> web.AppRunner:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(text=name)

    app = web.Application()
    app.router.add_post("/webhook", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


def port_of(runner: web.AppRunner) -> int:
    return runner.addresses[0][1]


def a_port_nobody_listens_on() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def post_through(proxy: TcpProxy, times: int) -> list[str]:
    """Each POST on a new connection, as a balancer sees separate deliveries."""
    answers = []
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as http:
        for _ in range(times):
            async with http.post(f"http://127.0.0.1:{proxy.listen_port}/webhook") as response:
                answers.append(await response.text())
    return answers


@pytest.fixture
async def workers() -> AsyncIterator[tuple[web.AppRunner, web.AppRunner]]:
    first, second = await start_worker("first"), await start_worker("second")
    yield first, second
    await first.cleanup()
    await second.cleanup()


async def test_a_proxy_sends_new_connections_to_each_worker_in_turn(workers) -> None:
    first, second = workers
    proxy = TcpProxy(targets=[("127.0.0.1", port_of(first)), ("127.0.0.1", port_of(second))])
    await proxy.start()
    try:
        assert await post_through(proxy, 4) == ["first", "second", "first", "second"]
    finally:
        await proxy.stop()


async def test_a_proxy_skips_a_worker_that_is_down(workers) -> None:
    first, second = workers
    dead = ("127.0.0.1", a_port_nobody_listens_on())
    proxy = TcpProxy(targets=[("127.0.0.1", port_of(first)), dead, ("127.0.0.1", port_of(second))])
    await proxy.start()
    try:
        answers = await post_through(proxy, 6)
    finally:
        await proxy.stop()
    assert len(answers) == 6, "every delivery found a live worker"
    assert set(answers) == {"first", "second"}
    assert proxy.connections[dead] == 0


async def test_a_proxy_to_one_server_can_be_cut_and_restored_on_the_same_port(workers) -> None:
    first, _ = workers
    proxy = TcpProxy("127.0.0.1", port_of(first))  # as the database-outage stories use it
    await proxy.start()
    try:
        assert await post_through(proxy, 1) == ["first"]
        await proxy.stop()
        with pytest.raises(aiohttp.ClientConnectionError):
            await post_through(proxy, 1)
        await proxy.start()
        assert await post_through(proxy, 1) == ["first"]
    finally:
        await proxy.stop()
