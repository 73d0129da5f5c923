"""People type numbers, days and times with the digits their keyboard has: an Arabic speaker
types "٦ م" or "١٢٫٥٠", a Persian or Urdu keyboard gives "۱۸:۳۰". Every place that reads a typed
number, amount, day or time reads what the bot itself writes, and still every form it took."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from babel.dates import format_time
from sqlalchemy import select

from bot.i18n import babel_locale
from bot.services import broadcasts, contributions, meetings, reciprocity, typed_input, we_did
from storage.models import CheckinSchedule
from tests.conftest import join, make_staff, make_team, press, settle, tr

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        # every form read before
        ("18:30", 18 * 60 + 30),
        ("18.30", 18 * 60 + 30),
        ("18h30", 18 * 60 + 30),
        ("1830", 18 * 60 + 30),
        ("18", 18 * 60),
        ("6pm", 18 * 60),
        ("6:30 pm", 18 * 60 + 30),
        ("6:30 p.m.", 18 * 60 + 30),
        ("12am", 0),
        # what Arabic, Persian and Urdu keyboards give, and what the bot writes in Arabic
        ("٦ م", 18 * 60),
        ("6 م", 18 * 60),
        ("٦:٣٠ م", 18 * 60 + 30),
        ("6:00\u00a0م", 18 * 60),
        ("٩ ص", 9 * 60),
        ("١٨:٣٠", 18 * 60 + 30),
        ("۱۸:۳۰", 18 * 60 + 30),
        ("\u2066١٨:٠٠\u2069", 18 * 60),
    ],
)
def test_a_typed_time_is_read_in_any_digits_and_with_arabic_am_pm(typed, minutes):
    assert typed_input.read_clock(typed) == minutes
    assert meetings.parse_clock(typed) == minutes


@pytest.mark.parametrize("typed", ["", "six-ish", "25:00", "13 م", "18:75", "٦ x", "0 pm"])
def test_what_is_not_a_time_is_still_refused(typed):
    assert typed_input.read_clock(typed) is None


@pytest.mark.parametrize("locale", ["en", "cy", "pl", "ar"])
def test_every_time_the_bot_writes_it_reads_back(locale):
    for minute in range(0, 24 * 60, 15):
        written = format_time(time(minute // 60, minute % 60), "short", locale=babel_locale(locale))
        assert typed_input.read_clock(written) == minute, written


def test_amounts_in_arabic_digits_and_with_the_arabic_decimal_separator():
    assert reciprocity.parse_amount("١٢٫٥٠") == 1250
    assert reciprocity.parse_amount("٣٫٢") == 320
    assert reciprocity.parse_amount("£۳,۲۰") == 320
    # every form read before
    assert [reciprocity.parse_amount(t) for t in ("12.50", "£12.50", "12,5", "12", " 3 ")] == [
        1250,
        1250,
        1250,
        1200,
        300,
    ]
    for refused in ("", "0", "١٢٫٥٠٥", "twelve", "1.2.3", "-5"):
        with pytest.raises(reciprocity.InvalidValue):
            reciprocity.parse_amount(refused)
    assert typed_input.read_decimal("١٫٥") == Decimal("1.5")


def test_whole_numbers_days_and_durations_in_arabic_digits():
    assert reciprocity.parse_whole_number("٣", low=1, high=10) == 3
    assert reciprocity.parse_whole_number("۱۰", low=1, high=10) == 10
    with pytest.raises(reciprocity.InvalidValue):
        reciprocity.parse_whole_number("١١", low=1, high=10)
    assert reciprocity.parse_day("٣٠/١١/٢٠٢٦") == date(2026, 11, 30)
    assert contributions.parse_day("٢٠٢٦-٠٣-١٤") == date(2026, 3, 14)
    assert contributions.parse_day("14.03.2026") == date(2026, 3, 14)
    assert contributions.parse_duration("١٫٥") == 90
    assert contributions.parse_duration("١:٣٠") == 90
    assert contributions.parse_duration("90m") == 90


def test_a_due_date_and_a_broadcast_time_in_arabic_digits():
    assert we_did.parse_due("٢٠٢٦-١٢-٠١", date(2026, 11, 20)) == date(2026, 12, 1)
    assert we_did.parse_due("2026-12-01", date(2026, 11, 20)) == date(2026, 12, 1)
    with pytest.raises(ValueError):
        we_did.parse_due("٢٠٢٦-١١-٠١", date(2026, 11, 20))  # in the past
    expected = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # London is on UTC in December
    for typed in ("2026-12-01 18:00", "٢٠٢٦-١٢-٠١ ١٨:٠٠", "٢٠٢٦-١٢-٠١ ٦ م", "2026-12-01  6:00 م"):
        assert broadcasts.parse_local_time(typed, "Europe/London", NOW) == expected, typed
    with pytest.raises(broadcasts.InvalidTime):
        broadcasts.parse_local_time("tomorrow", "Europe/London", NOW)


def test_export_days_in_any_digits():
    assert typed_input.find_days("٢٠٢٦-٠١-٠١ ٢٠٢٦-٠٣-٣١") == [date(2026, 1, 1), date(2026, 3, 31)]
    assert typed_input.find_days("2026-01-01 to 2026-3-31") == [date(2026, 1, 1), date(2026, 3, 31)]
    assert typed_input.find_days("2026-02-30") is None


async def test_an_arabic_facilitator_types_six_in_the_evening_for_a_check_in(emulator, start_bot):
    running = await start_bot()
    project_id, _code = await make_team(running.app, "Recovery college")
    await make_staff(running.app, 6300, project_id)
    fay = await join(emulator, 6300, language="العربية", language_code="ar")

    await press(emulator, fay, tr("Team tools", "ar"), tr("Regular check-ins", "ar"))
    await press(emulator, fay, tr("Add a check-in", "ar"))
    await press(emulator, fay, tr("Is there something you want to tell the team?", "ar"))
    await press(emulator, fay, tr("Every week", "ar"))
    await press(emulator, fay, fay.buttons[4])  # Friday
    await settle(emulator, await fay.send_text("٦ م"))
    assert tr("Please type a time like 18:00, or tap a button.", "ar") not in fay.messages[-2].text

    async with running.app.sessions() as session:
        (schedule,) = (await session.execute(select(CheckinSchedule))).scalars()
    assert schedule.minute_of_day == 18 * 60
