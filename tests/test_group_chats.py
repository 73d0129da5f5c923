"""Private chats only: anyone can add the bot to a group, and everything shown there is read by
everyone in it. So in a group the bot says once, kindly and in the sender's language, that it
works in a private chat, and leaves; no command, text or button ever runs there, and nothing
personal (feedback words, names, Telegram ids) is sent to the group or stored from it."""

from __future__ import annotations

from itertools import count

import pytest
from aiogram.exceptions import TelegramForbiddenError
from sqlalchemy import func, select

from bot.commands import PARTICIPANT_COMMANDS, STAFF_COMMANDS
from bot.private_chats import NOTICE, OPEN_PRIVATE_CHAT
from storage.models import OutboxKind, Participant, Role
from tests.conftest import (
    FEEDBACK_TOPICS,
    give_feedback,
    join,
    make_staff,
    make_team,
    no_quiet_hours,
    settle,
    tr,
)

LINK = "https://t.me/coproduce_bot"
WORDS = "The night bus never comes and I am scared waiting."
EVERY_COMMAND = [name for name, _ in PARTICIPANT_COMMANDS + STAFF_COMMANDS]
_group_ids = count(1)


def notice(locale: str = "en") -> str:
    return tr(NOTICE, locale).format(link=LINK)


def new_group(emulator, chat_type: str = "group"):
    """A group with the bot already in it (added before it stopped working in groups)."""
    return a_chat_without_the_bot(emulator, chat_type).with_bot_in_it()


def a_chat_without_the_bot(emulator, chat_type: str = "group"):
    chat_id = -(10**12 if chat_type != "group" else 10**5) - next(_group_ids)
    return emulator.group(chat_id, "Carers' chat", chat_type=chat_type)


def sent_to(emulator, chat_id: int) -> list:
    """Every call the bot made about this chat, as the emulator recorded it."""
    return [r for r in emulator.requests if r.params.get("chat_id") == chat_id]


def assert_only_the_notice(emulator, group, locale: str = "en") -> None:
    """The group got the kind words with a button to a private chat, and the bot left."""
    [message] = group.messages
    assert message.text == notice(locale)
    assert message.buttons == [[tr(OPEN_PRIVATE_CHAT, locale)]]
    assert message.raw["reply_markup"]["inline_keyboard"][0][0]["url"] == LINK
    assert [r.method for r in sent_to(emulator, group.id)] == ["sendMessage", "leaveChat"]
    assert not group.bot_is_member


async def participants_count(app) -> int:
    async with app.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Participant))


async def a_team_with_words(emulator, app):
    """A coordinator (who may use every staff command) and a participant who gave feedback."""
    project_id, code = await make_team(app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(app, 8100, project_id, role=Role.COORDINATOR)
    cora = await join(emulator, 8100, name="Cora Jones")
    amy = await join(emulator, 8001, code=code, name="Amy Price")
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", WORDS, named=True)
    return project_id, cora, amy


async def test_every_command_in_a_group_gets_only_the_kind_notice(emulator, start_bot):
    running = await start_bot()
    _project_id, cora, amy = await a_team_with_words(emulator, running.app)
    people_before = await participants_count(running.app)
    private_before = {person.id: len(person.messages) for person in (cora, amy)}

    for command in EVERY_COMMAND:
        for person in (cora, amy):
            group = new_group(emulator)
            await settle(emulator, await group.send_text(person, f"/{command}"))
            assert_only_the_notice(emulator, group)

    assert not [r for r in emulator.requests if r.method == "sendDocument"]  # no /mydata file
    assert {person.id: len(person.messages) for person in (cora, amy)} == private_before
    assert await participants_count(running.app) == people_before


async def test_mydata_in_a_group_leaks_nothing_personal(emulator, start_bot):
    running = await start_bot()
    _project_id, _cora, amy = await a_team_with_words(emulator, running.app)
    group = new_group(emulator, "supergroup")
    await settle(emulator, await group.send_text(amy, "/mydata"))

    assert_only_the_notice(emulator, group)
    about_the_group = str([r.params for r in sent_to(emulator, group.id)])
    for personal in (WORDS, "Amy Price", str(amy.id)):
        assert personal not in about_the_group


async def test_a_facilitators_team_tools_in_a_group_show_nothing(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 8101, project_id)
    fay = await join(emulator, 8101)
    amy = await join(emulator, 8002, code=code)
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", WORDS)
    group = new_group(emulator)

    first = await group.send_text(fay, "/team")
    second = await group.send_text(fay, "Review feedback")  # before the bot saw the first
    await settle(emulator, first)
    await settle(emulator, second)

    assert_only_the_notice(emulator, group)  # said once, though it had two messages
    assert not [m for m in fay.messages if "Review feedback" in m.labels]


async def test_adding_the_bot_to_a_group_says_it_once_and_leaves(emulator, start_bot):
    running = await start_bot()
    stranger = emulator.user(8200, first_name="Sid", language_code="en")
    group = a_chat_without_the_bot(emulator)

    for update in group.add_bot(by=stranger):  # "added the bot" and the service message
        await settle(emulator, update)

    assert "my_chat_member" in emulator.state.allowed_updates
    assert_only_the_notice(emulator, group)
    assert await participants_count(running.app) == 0  # a stranger in a group: no record
    assert not stranger.messages
    with pytest.raises(TelegramForbiddenError, match="not a member of the group chat"):
        await running.app.bot.send_message(group.id, "anything")

    for update in group.add_bot(by=stranger):  # added again: it says so again, and goes
        await settle(emulator, update)
    assert [m.text for m in group.messages] == [notice(), notice()]
    assert not group.bot_is_member


async def test_a_stranger_writing_in_a_group_leaves_no_record(emulator, start_bot):
    running = await start_bot()
    stranger = emulator.user(8201, first_name="Sid", language_code="pl")
    group = new_group(emulator)
    await settle(emulator, await group.send_text(stranger, "/start"))
    later = await group.send_text(stranger, "Hello everyone")  # the bot is gone: not sent it

    assert "update_id" not in later

    assert_only_the_notice(emulator, group, "pl")
    assert await participants_count(running.app) == 0


@pytest.mark.parametrize(("language_code", "locale"), [("cy", "cy"), ("ar", "ar")])
async def test_the_notice_is_in_the_senders_language(emulator, start_bot, language_code, locale):
    await start_bot()
    person = emulator.user(8300, first_name="Nia", language_code=language_code)
    group = new_group(emulator)
    await settle(emulator, await group.send_text(person, "/mydata"))

    assert notice(locale) != notice("en")
    assert_only_the_notice(emulator, group, locale)


async def test_a_button_pressed_in_a_group_is_answered_kindly_and_changes_nothing(
    emulator, start_bot
):
    """A bot message with buttons in a group (say, from before the bot stopped working in
    groups): pressing any of its buttons, staff or not, only gets the kind words."""
    running = await start_bot()
    project_id, _code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 8102, project_id)
    fay = await join(emulator, 8102)
    await settle(emulator, await fay.send_text("/team"))
    team_tools = fay.last_message
    buttons = [data for row in team_tools.callback_data for data in row if data]
    assert buttons
    welsh = emulator.user(8103, first_name="Nia", language_code="cy")
    private_before = len(fay.messages)

    for data in buttons:
        group = new_group(emulator)
        stale = emulator.state.add_message(
            group.id,
            {"text": team_tools.text, "reply_markup": team_tools.raw["reply_markup"]},
            from_bot=True,
        )
        for person, locale in ((fay, "en"), (welsh, "cy")):  # Nia's after the bot left
            tap = await group.press_data(person, data, stale["message_id"])
            await settle(emulator, tap)
            answer = emulator.callback_answer(tap["callback_query"]["id"])
            assert (answer["text"], answer["show_alert"]) == (notice(locale), True)
        [still] = group.messages
        assert (still.text, still.edited) == (team_tools.text, False)
        assert [r.method for r in sent_to(emulator, group.id)] == ["leaveChat"]
        assert not group.bot_is_member

    assert len(fay.messages) == private_before
    assert await participants_count(running.app) == 1  # Fay only: Nia pressed in a group


async def test_a_channel_is_left_without_a_word_and_its_posts_are_ignored(emulator, start_bot):
    running = await start_bot()
    owner = emulator.user(8400, first_name="Oli", language_code="en")
    channel = new_group(emulator, "channel")
    [added] = channel.add_bot(by=owner)
    await settle(emulator, added)
    assert [r.method for r in sent_to(emulator, channel.id)] == ["leaveChat"]
    assert not channel.bot_is_member and not channel.messages

    # Telegram sends channel posts only to a bot that asks; were one to come, nothing happens.
    assert "channel_post" not in emulator.state.allowed_updates
    await running.app.dispatcher.feed_raw_update(
        running.app.bot, {"update_id": 10**6, "channel_post": _post(channel.chat)}
    )
    assert [r.method for r in sent_to(emulator, channel.id)] == ["leaveChat"]
    assert await participants_count(running.app) == 0


def _post(chat: dict) -> dict:
    return {"message_id": 1, "date": 0, "chat": chat, "sender_chat": chat, "text": "/mydata"}


async def test_the_delivery_engine_writes_only_to_people(emulator, start_bot):
    """The outbox writes to a person's own chat (their user id); a record that somehow holds
    a group's id gets nothing sent to that group."""
    from bot.services import delivery
    from storage import participants
    from storage.types import utcnow

    running = await start_bot()
    group = new_group(emulator)  # the bot is in it, so Telegram would take a message there
    amy = await join(emulator, 8500)
    await no_quiet_hours(running.app, 8500)  # the story must not depend on the hour
    async with running.app.sessions() as session:
        wrong = await participants.get_or_create(session, group.id)
        real = await participants.get_by_telegram_id(session, amy.id)
        await delivery.enqueue_message(
            session,
            kind=OutboxKind.BROADCAST,
            recipients=[wrong.id, real.id],
            now=utcnow(),
            source_locale="en",
            texts={"en": "The meeting moved to Room 4."},
        )
        await session.commit()
    await running.app.delivery.run_until_idle()

    assert sent_to(emulator, group.id) == []
    assert [m.text for m in amy.messages][-1] == "The meeting moved to Room 4."
