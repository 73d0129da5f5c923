"""A message queued for someone goes out in the language they have when it is sent, not the one
they had when it was queued: text and buttons alike."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.services import meetings
from bot.services.meetings import PollDraft
from dialogs.meetings.taps import CANT_COME_NOW
from storage import meetings as store
from storage import participants
from storage.models import AnswerChoice
from storage.types import utcnow
from tests.conftest import join, make_staff, make_team, no_quiet_hours, press, say, tr

LONDON = ZoneInfo("Europe/London")


def _translate(msgid: str, locale: str) -> str:
    return tr(msgid, locale)


async def _meeting_ann_said_yes_to(app, ann_id: int, fay_id: int):
    """A poll Ann answered Yes to, sent; then its time chosen: the news is queued, not sent."""
    now = utcnow()
    day = now.astimezone(LONDON).date() + timedelta(days=3)
    draft = PollDraft(project_id=1, title="Planning day", place="Room 4")
    for hour in (18, 19):
        assert (
            meetings.add_slot(draft, meetings.local_moment(day, hour * 60, LONDON.key), now) is None
        )
    draft.deadline = (now + timedelta(days=1)).isoformat()
    async with app.sessions() as session:
        fay = await participants.get_by_telegram_id(session, fay_id)
        poll = await meetings.publish(session, fay, draft, now=now, translate=_translate)
        await session.commit()
    await app.delivery.run_until_idle()  # the invitation
    async with app.sessions() as session:
        ann = await participants.get_by_telegram_id(session, ann_id)
        slots = await store.slots_of(session, poll.id)
        await meetings.answer(session, ann, poll.id, slots[0].id, AnswerChoice.YES, utcnow())
        await meetings.answer(session, ann, poll.id, slots[1].id, AnswerChoice.NO, utcnow())
        fay = await participants.get_by_telegram_id(session, fay_id)
        decided = await meetings.decide(session, fay, poll.id, slots[0].id, utcnow())
        await meetings.announce(
            session,
            decided,
            meetings.News.CONFIRMED,
            document_file_id=None,
            translate=_translate,
            now=utcnow(),
        )
        await session.commit()
    return decided.meeting


@pytest.mark.parametrize(("language", "code"), [("Cymraeg", "cy"), ("العربية", "ar")])
async def test_meeting_news_queued_in_english_arrives_wholly_in_the_new_language(
    emulator, start_bot, language, code
):
    app = (await start_bot()).app
    project_id, invite = await make_team(app)
    await make_staff(app, 8100, project_id)
    fay = await join(emulator, 8100)
    ann = await join(emulator, 8101, code=invite)  # in English
    await no_quiet_hours(app, 8100, 8101)
    meeting = await _meeting_ann_said_yes_to(app, 8101, 8100)

    await say(emulator, ann, "/language")  # before the news goes out
    await press(emulator, ann, language)
    await app.delivery.run_until_idle()

    news = ann.last_message
    assert news.text == meetings.meeting_text(meetings.CONFIRMED, meeting, _translate, code, LONDON)
    assert news.text != meetings.meeting_text(meetings.CONFIRMED, meeting, _translate, "en", LONDON)
    assert news.buttons == [[tr(CANT_COME_NOW, code)]]
    assert fay.last_message.text  # the facilitator's own screen is untouched by Ann's change
