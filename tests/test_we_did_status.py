"""'Status changes reach the same people again': a whole-team "you said, we did" update, changed
twice, reaches each of the people who were told it once per change, in their own language;
someone who joined the team after it was published gets no news of something never told them
(they can read it with /updates)."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import OutboxDelivery, OutboxMessage
from tests.conftest import (
    FEEDBACK_TOPICS,
    give_feedback,
    join,
    make_staff,
    make_team,
    no_quiet_hours,
    press,
    say,
    tr,
)

CHANGED = "News about something you told us. The status has changed."
FIRST = "You said, we did. This is about something people told us."
PEOPLE = {7201: ("English", "en"), 7202: ("Cymraeg", "cy"), 7203: ("Polski", "pl")}
PEOPLE[7204] = ("العربية", "ar")


def status_line(status: str, locale: str) -> str:
    return tr("Status: {status}", locale, status=tr(status, locale))


def changes(person, locale: str) -> list[str]:
    """The status each change they were sent shows, oldest first."""
    return [
        line
        for m in person.messages
        if m.body.startswith(tr(CHANGED, locale))
        for line in m.body.splitlines()
        if line.startswith(tr("Status: {status}", locale, status=""))
    ]


async def _publish_to_the_whole_team_as_not_possible(emulator, fay) -> None:
    await say(emulator, fay, "/team")
    await press(emulator, fay, "You said, we did updates", "Write a new update")
    await say(emulator, fay, "The lift at the day centre is broken.")
    await say(emulator, fay, "We asked the council to mend it.")
    await press(emulator, fay, "Not possible")
    await say(emulator, fay, "The council has no money for it this year.")
    await press(emulator, fay, "Skip", "Skip", "None: send it to the whole team")
    await press(emulator, fay, "Preview", "Publish")


async def _change_status(emulator, running, fay, status: str) -> None:
    await press(emulator, fay, "Change the status", status)
    await running.app.delivery.run_until_idle()


async def test_a_whole_team_update_changed_twice_reaches_each_person_told_once_per_change(
    emulator, start_bot
):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 7200, project_id)
    fay = await join(emulator, 7200)
    people = {
        telegram_id: (await join(emulator, telegram_id, language=name, code=code), locale)
        for telegram_id, (name, locale) in PEOPLE.items()
    }
    amy = people[7201][0]
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", "The lift is broken again.")
    await no_quiet_hours(running.app, 7200, *PEOPLE)

    await _publish_to_the_whole_team_as_not_possible(emulator, fay)
    await running.app.delivery.run_until_idle()
    for person, locale in people.values():
        first = await person.wait_for_message(lambda m, lc=locale: m.body.startswith(tr(FIRST, lc)))
        assert status_line("Not possible", locale) in first.body

    # Someone joins after it was published: they were never told, so they get no news of it.
    newcomer = await join(emulator, 7205, code=code)
    await no_quiet_hours(running.app, 7205)

    await _change_status(emulator, running, fay, "In progress")
    await _change_status(emulator, running, fay, "Done")

    for person, locale in people.values():
        await person.wait_for_message(lambda m, lc=locale: tr("Done", lc) in m.body)
        assert changes(person, locale) == [
            status_line("In progress", locale),
            status_line("Done", locale),
        ], person.id
    assert not [m for m in newcomer.messages if CHANGED in m.body or FIRST in m.body]
    # Fay is in the team too: she was told it when it was published, so she hears each change.
    assert changes(fay, "en") == [status_line("In progress", "en"), status_line("Done", "en")]

    async with running.app.sessions() as session:
        rows = (
            await session.execute(
                select(OutboxDelivery.participant_id, OutboxMessage.id)
                .join(OutboxMessage, OutboxMessage.id == OutboxDelivery.message_id)
                .where(OutboxMessage.action.like("wedid:%"))
            )
        ).all()
    per_person: dict[int, int] = {}
    for participant_id, _message in rows:
        per_person[participant_id] = per_person.get(participant_id, 0) + 1
    assert list(per_person.values()) == [3] * 5  # published, and two changes: once each


async def test_a_status_change_of_a_linked_only_update_still_goes_to_those_it_answers(
    emulator, start_bot
):
    """Only people whose feedback it answers were told it: the rest of the team hears no news."""
    from tests.test_we_did import _publish_through_the_dialog, _theme_of_everything

    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await make_staff(running.app, 7210, project_id)
    fay = await join(emulator, 7210)
    amy = await join(emulator, 7211, code=code)
    carl = await join(emulator, 7212, code=code)
    await no_quiet_hours(running.app, 7210, 7211, 7212)
    await give_feedback(emulator, amy, "Transport", "🙁 Bad", "Buses are late.")
    await _theme_of_everything(running.app, project_id, 7210)
    await _publish_through_the_dialog(emulator, fay, "Late buses (1 answer)")
    await running.app.delivery.run_until_idle()

    await _change_status(emulator, running, fay, "Done")
    again = await amy.wait_for_message(lambda m: CHANGED in m.body)
    assert "Status: Done" in again.body
    assert not [m for m in carl.messages if "You said" in m.body or CHANGED in m.body]
