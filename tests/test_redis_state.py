"""With REDIS_URL set, dialog state lives in Redis (aiogram's RedisStorage) and outlives us."""

from __future__ import annotations

import uuid

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.app import _state_storage
from bot.config import Settings
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set COPRODUCE_TEST_REDIS_URL")


async def test_dialog_state_in_redis_outlives_the_connection():
    settings = Settings(_env_file=None, redis_url=REDIS_URL)
    key = StorageKey(bot_id=1, chat_id=9, user_id=9, destiny=f"aiogd_stack-{uuid.uuid4()}")
    storage, isolation = _state_storage(settings, sessions=None)
    await storage.set_state(key, "MainMenu:help")
    await storage.set_data(key, {"stack": ["x"], "name": "Łukasz"})
    await storage.close()

    storage, isolation = _state_storage(settings, sessions=None)
    assert await storage.get_state(key) == "MainMenu:help"
    assert await storage.get_data(key) == {"stack": ["x"], "name": "Łukasz"}
    plain = StorageKey(bot_id=1, chat_id=9, user_id=9)
    assert await storage.get_data(plain) == {}  # destiny is part of the key
    await storage.redis.delete(storage.key_builder.build(key, "state"))
    await storage.redis.delete(storage.key_builder.build(key, "data"))
    await storage.close()
    await isolation.close()


async def test_forgetting_a_person_removes_their_dialogs_from_redis():
    from storage.fsm import forget_user_dialogs

    settings = Settings(_env_file=None, redis_url=REDIS_URL)
    storage, isolation = _state_storage(settings, sessions=None)
    person, other = 7_100_000 + uuid.uuid4().int % 1000, 7_200_000
    keys = [
        StorageKey(bot_id=1, chat_id=person, user_id=person, destiny="aiogd:stack"),
        StorageKey(bot_id=1, chat_id=person, user_id=person, destiny="aiogd:context:abc"),
    ]
    kept = StorageKey(bot_id=1, chat_id=other, user_id=other, destiny="aiogd:stack")
    for key in [*keys, kept]:
        await storage.set_data(key, {"name": "Quillfeather"})
    assert await forget_user_dialogs(storage, person) == 2
    assert [await storage.get_data(key) for key in keys] == [{}, {}]
    assert await storage.get_data(kept) == {"name": "Quillfeather"}
    await forget_user_dialogs(storage, other)
    await storage.close()
    await isolation.close()
