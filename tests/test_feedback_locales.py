"""Every feedback, pulse, review and "you said, we did" window renders in each of our languages
(en, cy, pl, ar), for a participant and a facilitator. Buttons are pressed by widget id, not by
label, so the story holds whatever the translations say."""

from __future__ import annotations

import logging

import pytest

from bot.config import SUPPORTED_LOCALES
from bot.services import delivery, we_did
from bot.services import feedback as rules
from storage import participants
from storage.models import OutboxKind
from storage.types import utcnow
from tests.conftest import (
    FEEDBACK_TOPICS,
    join,
    make_staff,
    make_team,
    no_quiet_hours,
    say,
    settle,
    tap,
    untranslated,
    update_person,
)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
async def test_every_feedback_window_renders_in_each_language(emulator, start_bot, caplog, locale):
    caplog.set_level(logging.ERROR)
    running = await start_bot()
    app = running.app
    project_id, code = await make_team(app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(app, 8100, project_id)
    fay = await join(emulator, 8100)
    amy = await join(emulator, 8001, code=code, name="Amira", may_quote=False)
    await update_person(app, 8100, locale=locale)
    await update_person(app, 8001, locale=locale)
    await no_quiet_hours(app, 8100, 8001)  # the check-in below must not depend on the hour

    # A participant gives feedback, then sees, changes and withdraws it.
    await say(emulator, amy, "/feedback")
    await tap(emulator, amy, "feedback_topic", "0")
    await tap(emulator, amy, "feedback_rating", "2")
    await say(emulator, amy, "Buses are late.")
    await tap(emulator, amy, "send_named")
    await tap(emulator, amy, "to_mine")
    await tap(emulator, amy, "my_answer")
    for widget in ("change_rating", "rating_back", "change_words", "words_back", "withdraw"):
        await tap(emulator, amy, widget)
    await tap(emulator, amy, "withdraw_no")
    await tap(emulator, amy, "name_off")
    await say(emulator, amy, "/feedback")
    await tap(emulator, amy, "feedback_topic", "other")
    await tap(emulator, amy, "feedback_rating", "4")
    await settle(emulator, await amy.send_voice(duration=4))
    await tap(emulator, amy, "send_anonymous")

    # A facilitator reviews, filters, groups into a theme and publishes an update.
    await say(emulator, fay, "/team")
    await tap(emulator, fay, "staff_review")
    await tap(emulator, fay, "next")
    await tap(emulator, fay, "play")
    await tap(emulator, fay, "filter")
    await tap(emulator, fay, "review_which", "all")
    await tap(emulator, fay, "filter_done")
    await tap(emulator, fay, "to_theme")
    await say(emulator, fay, "Late buses")
    await tap(emulator, fay, "reviewed")
    await say(emulator, fay, "/team")
    await tap(emulator, fay, "staff_we_did")
    await tap(emulator, fay, "new_update")
    await say(emulator, fay, "Buses are late.")
    await say(emulator, fay, "We asked for an earlier bus.")
    await tap(emulator, fay, "wedid_status", "not_possible")
    await say(emulator, fay, "The company said no.")
    await say(emulator, fay, "Transport lead")
    await say(emulator, fay, "2099-12-01")
    await tap(emulator, fay, "wedid_theme")
    await tap(emulator, fay, "linked_only")
    other = next(code for code in SUPPORTED_LOCALES if code != locale)
    await tap(emulator, fay, "wedid_version", other)
    await say(emulator, fay, "Other words.")
    await say(emulator, fay, "Other deeds.")
    await say(emulator, fay, "Other reasons.")
    await tap(emulator, fay, "preview")
    await tap(emulator, fay, "publish")
    await tap(emulator, fay, "change_status")
    await tap(emulator, fay, "wedid_new_status", "not_possible")
    await say(emulator, fay, "Still no.")
    await tap(emulator, fay, "link_more")
    await tap(emulator, fay, "wedid_more_theme")
    await tap(emulator, fay, "edit_we_did")
    await say(emulator, fay, "We asked for an earlier bus again.")

    # The participant hears of it, answers, and browses past updates.
    await app.delivery.run_until_idle()
    async with app.sessions() as session:
        staff = await participants.get_by_telegram_id(session, 8100)
        draft = we_did.UpdateDraft(
            project_id=project_id,
            source_locale="en",
            you_said="Rooms are cold.",
            we_did="New heaters.",
            due_on="2099-01-01",
            owner="Estates",
            to_whole_project=True,
        )
        await we_did.publish(session, staff, draft, now=utcnow(), translate=untranslated)
        await session.commit()
    await say(emulator, amy, "/updates")
    await tap(emulator, amy, "wedid_update")
    await tap(emulator, amy, "wedid_reply", "partly")
    await say(emulator, amy, "A little warmer.")

    # A pulse check-in, answered in one tap, then a comment.
    async with app.sessions() as session:
        await delivery.enqueue_message(
            session,
            kind=OutboxKind.CHECKIN,
            recipients=[(await participants.get_by_telegram_id(session, 8001)).id],
            now=utcnow(),
            source_locale="en",
            text_key="checkin_pulse",
            project_id=project_id,
            action="checkin:pulse",
        )
        await session.commit()
    await app.delivery.run_until_idle()
    checkin = await amy.wait_for_message(lambda m: len(m.labels) == 3)
    await settle(emulator, await amy.press_data(checkin.callback_data[0][2], checkin.message_id))
    await say(emulator, amy, "Tired.")

    # Stray input everywhere is answered kindly, not with an error.
    await say(emulator, amy, "/feedback")
    await settle(emulator, await amy.send_sticker())
    await say(emulator, amy, "/updates")
    await settle(emulator, await amy.send_sticker())

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    for person in (amy, fay):
        assert not [m for m in person.messages if "something went wrong" in m.body]
    async with app.sessions() as session:
        assert await rules.own_answers(
            session, await participants.get_by_telegram_id(session, 8001)
        )
