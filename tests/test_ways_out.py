"""Every way out leads somewhere: Back, Cancel, Done and their kin, pressed from every screen a
command opens, from the screens one tap further on, from the menu's own buttons and from
buttons on messages nobody asked for, never leave a last message without buttons.

How: a Welsh coordinator of a team (so the staff commands and /export work, and the labels are
not the English ones) opens each screen for real through the emulator and presses each way out
it shows, opening the screen afresh before each press. A screen is found by what is on it, not
by a list kept here: a new dialog, command or button is walked the day it is added.
"""

from __future__ import annotations

from datetime import timedelta

from bot.services import meetings
from dialogs.meetings.taps import DECIDE, POLL
from storage import participants
from storage.models import Role
from storage.types import utcnow
from tests.conftest import (
    add_offer,
    join,
    make_staff,
    make_team,
    no_quiet_hours,
    ntr,
    press,
    say,
    settle,
    tr,
    untranslated,
)

LOCALE = "cy"
# The labels that leave a screen or a dialog rather than choose something in it.
WAY_OUT = ("Back", "Back to the menu", "Done", "No, keep it", "Cancel", "Main menu", "No, thanks")
# Every command that opens a screen (/mydata sends a summary and a file, /start is joining).
COMMANDS = (
    "/menu",
    "/help",
    "/language",
    "/settings",
    "/pause",
    "/feedback",
    "/meetings",
    "/updates",
    "/offers",
    "/mycontribution",
    "/forget",
    "/team",
    "/export",
)
# Buttons one tap on that the walk does not press: they delete, send to people or change the
# language the walk reads. What they lead to has stories of its own.
NOT_PRESSED = ("Delete now", "Make the file", "Send", "Send it now", "I agree")
LANGUAGE_BUTTONS = ("English", "Cymraeg", "Polski", "العربية")


def _changes_language(label: str) -> bool:
    return label in LANGUAGE_BUTTONS or label.startswith("🌐")


def _labels(*msgids: str) -> set[str]:
    return {tr(msgid, LOCALE) for msgid in msgids}


WAYS_OUT = _labels(*WAY_OUT)
SKIPPED = _labels(*NOT_PRESSED) | set(LANGUAGE_BUTTONS)


async def _welsh_coordinator(emulator, app):
    project_id, code = await make_team(app, feedback_topics="Waiting times\nTransport")
    await make_staff(app, 8100, project_id, role=Role.COORDINATOR)
    gwen = await join(emulator, 8100, language="Cymraeg", language_code="cy")
    await join(emulator, 8101, code=code, language="العربية", language_code="ar")
    await no_quiet_hours(app, 8100, 8101)
    await add_offer(app, project_id, "Free training day", places=3)
    return project_id, gwen


def _stuck(person, how: str) -> list[str]:
    last = person.last_message
    if last is not None and last.labels:
        return []
    return [f"{how}: {(last.body if last else '')[:60]!r} has no buttons"]


async def _press_each_way_out(emulator, person, open_screen, how: str) -> list[str]:
    """Open the screen, then for each way out on it: open it afresh and press that one.
    (A screen a tap changed for good, like /pause once paused, is left at that.)"""
    if await open_screen() is False:
        return []
    ways = [label for label in person.last_message.labels if label in WAYS_OUT]
    problems = []
    for label in ways:
        if await open_screen() is False:
            continue
        await press(emulator, person, label)
        problems += _stuck(person, f"{how} -> {label}")
    return problems


async def _one_tap_on(emulator, person, open_screen, how: str) -> list[str]:
    """Each button of the screen that does not delete, send or change the language, then each
    way out of the screen it opens."""
    await open_screen()
    onward = [
        label
        for label in person.last_message.labels
        if label not in WAYS_OUT | SKIPPED and not _changes_language(label)
    ]
    problems = []
    for label in onward:

        async def then_tap(label=label) -> bool:
            await open_screen()
            if label not in person.last_message.labels:
                return False
            await press(emulator, person, label)
            return True

        problems += await _press_each_way_out(emulator, person, then_tap, f"{how} -> {label}")
    return problems


async def test_every_way_out_of_every_command_screen_lands_on_a_screen_with_buttons(
    emulator, start_bot
):
    """Eight command screens (/settings, /pause, /offers, /meetings, /mycontribution, /team,
    /forget then "No, keep it", /export) left an empty message on Back before."""
    running = await start_bot()
    await _welsh_coordinator(emulator, running.app)
    gwen = emulator.user(8100)
    problems: list[str] = []
    for command in COMMANDS:

        async def by_command(command=command):
            await say(emulator, gwen, command)

        problems += await _press_each_way_out(emulator, gwen, by_command, command)
        # One tap on: from /menu, that is every screen the main menu's buttons open.
        problems += await _one_tap_on(emulator, gwen, by_command, command)
    assert problems == [], "\n".join(problems)


async def test_forget_kept_at_either_step_lands_on_the_menu(emulator, start_bot):
    running = await start_bot()
    await _welsh_coordinator(emulator, running.app)
    gwen = emulator.user(8100)
    menu = tr("Main menu. What would you like to do?", LOCALE)
    await say(emulator, gwen, "/forget")
    await press(emulator, gwen, tr("No, keep it", LOCALE))
    assert menu in gwen.last_message.text and gwen.last_message.labels
    await say(emulator, gwen, "/forget")
    await press(emulator, gwen, tr("Yes, delete my data", LOCALE), tr("No, keep it", LOCALE))
    assert menu in gwen.last_message.text and gwen.last_message.labels


async def test_ways_out_of_screens_opened_from_a_meeting_invitation_and_its_decide_button(
    emulator, start_bot
):
    """A poll's invitation (a participant) and "choose the time" (its facilitator) open dialogs
    from buttons on messages nobody asked for: their Back and Done lead on too."""
    running = await start_bot()
    app = running.app
    project_id, _gwen = await _welsh_coordinator(emulator, app)
    now = utcnow()
    first = (now + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    draft = meetings.PollDraft(
        project_id=project_id,
        title="Planning day",
        place="Room 4",
        slots=[first.isoformat(), (first + timedelta(hours=2)).isoformat()],
        deadline=(now + timedelta(days=1)).isoformat(),
    )
    async with app.sessions() as session:
        gwen_row = await participants.get_by_telegram_id(session, 8100)
        poll = await meetings.publish(session, gwen_row, draft, now=now, translate=untranslated)
        await session.commit()
    amal = emulator.user(8101)
    gwen = emulator.user(8100)
    problems = []
    for person, data in ((amal, f"{POLL}{poll.id}"), (gwen, f"{DECIDE}{poll.id}")):
        ways = _labels(*WAY_OUT) if person is gwen else {tr(m, "ar") for m in WAY_OUT}

        async def tap_it(person=person, data=data):
            await settle(emulator, await person.press_data(data))

        await tap_it()
        for label in [label for label in person.last_message.labels if label in ways]:
            await tap_it()
            await press(emulator, person, label)
            problems += _stuck(person, f"{data.split(':')[0]} -> {label}")
    assert problems == [], "\n".join(problems)


async def test_a_button_of_a_closed_screen_is_old_and_records_nothing(emulator, start_bot):
    """Back from /pause closes it: its "Pause for 2 weeks", pressed later from the old message,
    pauses nothing. The person is told the button is old and gets the menu again."""
    running = await start_bot()
    await _welsh_coordinator(emulator, running.app)
    gwen = emulator.user(8100)
    await say(emulator, gwen, "/pause")
    pause_screen = gwen.last_message
    two_weeks = pause_screen.data_for(
        ntr("Pause for {count} week", "Pause for {count} weeks", 2, LOCALE)
    )
    back = next(label for label in pause_screen.labels if label in WAYS_OUT)
    await press(emulator, gwen, back)
    await settle(emulator, await gwen.press_data(two_weeks, pause_screen.message_id))
    answer = list(emulator.state.callback_answers.values())[-1]
    assert answer["text"] == tr("Sorry, that button is old. Here is the menu again.", LOCALE)
    assert gwen.last_message.labels
    async with running.app.sessions() as session:
        person = await participants.get_by_telegram_id(session, 8100)
    assert person.paused_until is None


async def test_a_finished_export_ends_with_a_way_to_the_menu(emulator, start_bot):
    running = await start_bot()
    await _welsh_coordinator(emulator, running.app)
    gwen = emulator.user(8100)
    await say(emulator, gwen, "/export")
    for _step in ("what", "format", "days", "names"):
        await press(emulator, gwen, gwen.buttons[0])  # everything, CSV, all days, codes
    await press(emulator, gwen, tr("Make the file", LOCALE))
    done = await gwen.wait_for_message(lambda m: m.labels == [tr("Main menu", LOCALE)], timeout=30)
    assert gwen.last_message.message_id == done.message_id
    await press(emulator, gwen, tr("Main menu", LOCALE))
    assert tr("Main menu. What would you like to do?", LOCALE) in gwen.last_message.text


async def test_when_even_the_menu_fails_the_last_word_has_a_button_to_try_it_again(
    emulator, start_bot, monkeypatch
):
    """An error, then the menu itself fails: the plain "something went wrong" answer comes with
    a Main menu button, and the next tap brings the menu (Arabic)."""
    import dialogs.commands
    import dialogs.fallback

    async def broken(*_args, **_kwargs):
        raise RuntimeError("a failure for the story")

    running = await start_bot()
    _project_id, code = await make_team(running.app)
    hala = await join(emulator, 8300, code=code, language="العربية", language_code="ar")
    monkeypatch.setattr(dialogs.commands, "on_help", broken)
    monkeypatch.setattr(dialogs.fallback, "show_home", broken)
    await running.stop()
    await start_bot()  # routers are built at start: this one has the broken pieces
    await say(emulator, hala, "/help")
    assert hala.last_message.text == tr("Sorry, something went wrong. Please type /start.", "ar")
    assert hala.last_message.labels == [tr("Main menu", "ar")]
    await press(emulator, hala, tr("Main menu", "ar"))
    assert tr("Main menu. What would you like to do?", "ar") in hala.last_message.text
