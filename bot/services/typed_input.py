"""Reading what people type: whole numbers, amounts, days and times, in any of our languages.

The bot writes Arabic times as "6:00 م" and people type digits their keyboard has: Arabic-Indic
(٠-٩), Persian and Urdu (۰-۹) or any other Unicode decimal digit, and the Arabic decimal
separator "٫". Everything the bot writes in a language, it reads back. Every place that reads a
typed number, amount, day or time comes here, so a rule about reading is kept in one place.

Each reader returns None for what it cannot read; the caller says so kindly.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

# Marks a copied text may carry around words: direction marks and isolates (invisible).
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e"), None)
_INVISIBLE.update(dict.fromkeys(range(0x2066, 0x206A), None))
_SEPARATORS = {
    ord("\u066b"): ".",  # Arabic decimal separator
    ord("\u066c"): "",  # Arabic thousands separator
    ord("\u060c"): ",",  # Arabic comma
    ord("\u00a0"): " ",  # no-break space (Babel puts one before "م" and "pm")
    ord("\u202f"): " ",  # narrow no-break space
    ord("\uff1a"): ":",  # full-width colon
}
# Morning and afternoon after a time: "am", "pm" (with or without dots), and the Arabic
# "ص" (morning) and "م" (afternoon and evening) that Babel writes.
_AFTERNOON = ("p", "م")
_CLOCK = re.compile(r"^(\d{1,2})(?:\s*[:.h ]\s*(\d{2}))?(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?|ص|م)?$")
_CLOCK_DIGITS = re.compile(r"^(\d{1,2})(\d{2})\s*(a\.?m\.?|p\.?m\.?|ص|م)?$")
_ISO_DAY = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")
_DECIMAL = re.compile(r"^(\d{1,12})(?:[.,](\d{1,6}))?$")


def normalise(typed: str | None) -> str:
    """The text with every Unicode decimal digit as 0-9, local separators as "." and ",",
    invisible direction marks gone and spaces collapsed; everything else as typed."""
    text = (typed or "").translate(_INVISIBLE).translate(_SEPARATORS)
    if not text.isascii():
        text = "".join(str(unicodedata.digit(char)) if char.isdecimal() else char for char in text)
    return " ".join(text.split())


def read_whole_number(typed: str | None) -> int | None:
    """ "12", "١٢", "۱۲" as 12; None for anything else."""
    text = normalise(typed)
    if not text.isascii() or not text.isdigit():
        return None
    return int(text)


def read_decimal(typed: str | None) -> Decimal | None:
    """ "12.50", "12,5", "١٢٫٥" or "12" as a number; spaces inside are ignored."""
    text = normalise(typed).replace(" ", "")
    match = _DECIMAL.match(text)
    if match is None:
        return None
    try:
        return Decimal(f"{match[1]}.{match[2] or '0'}")
    except InvalidOperation:
        return None


def read_clock(typed: str | None) -> int | None:
    """A typed time as minutes after midnight: "18:30", "18.30", "18h30", "1830", "18",
    "6pm", "6:30 pm", "6:00 م", "٦ م", "18:30:00"; None for anything else."""
    text = normalise(typed).lower()
    found = _CLOCK_DIGITS.match(text)
    if found:
        hour, minute, suffix = int(found[1]), int(found[2]), found[3]
    else:
        found = _CLOCK.match(text)
        if not found or (found[3] and found[3] != "00"):
            return None
        hour, minute, suffix = int(found[1]), int(found[2] or 0), found[4]
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix.startswith(_AFTERNOON) else 0)
    if hour > 23 or minute > 59:
        return None
    return hour * 60 + minute


def read_day(typed: str | None) -> date | None:
    """A typed day: 2026-03-14, 14/03/2026, 14.03.2026 or 14-03-2026, in any digits."""
    text = normalise(typed)
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    for pattern in _DAY_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def find_days(typed: str | None) -> list[date] | None:
    """Every day written like 2026-01-01 in a text, in order; None if one does not exist
    (like 2026-02-30)."""
    try:
        return [date(*map(int, found)) for found in _ISO_DAY.findall(normalise(typed))]
    except ValueError:
        return None


def read_day_and_time(typed: str | None) -> datetime | None:
    """A day and a time, "2026-12-01 18:00" or "٢٠٢٦-١٢-٠١ ٦ م", as a wall-clock time (no zone)."""
    day_text, _, clock_text = normalise(typed).partition(" ")
    day = read_day(day_text)
    minute = read_clock(clock_text)
    if day is None or minute is None:
        return None
    return datetime.combine(day, time(minute // 60, minute % 60))
