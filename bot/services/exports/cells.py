"""What goes into one cell: safe text, numbers that stay numbers, times in ISO 8601 with a zone.

Formula injection: a spreadsheet runs a cell that starts with =, +, - or @ (and some read on after
a tab or carriage return), so a participant who types "=HYPERLINK(...)" could make a
coordinator's Excel call out. Such text gets a leading single quote and stays plain text.
Numbers are never changed: -3 stays the number -3.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, tzinfo

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters an XLSX file cannot hold (openpyxl refuses them): control characters but tab,
# newline and carriage return.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Cell = str | int | float | bool | datetime | date | None


def safe_text(text: str) -> str:
    """Text a spreadsheet shows as text, never runs."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def for_xlsx(text: str) -> str:
    return _NOT_IN_XLSX.sub("", safe_text(text))


def moment(value: datetime, zone: tzinfo) -> str:
    """ISO 8601 in the project's zone, with its offset: 2026-07-01T15:00:00+01:00."""
    return value.astimezone(zone).isoformat(timespec="seconds")


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def converters(zone: tzinfo, text: Callable[[str], str] = safe_text) -> dict[type, Callable]:
    """How each type of value becomes a spreadsheet cell; types not named (int, float, None)
    stay as they are. One dictionary lookup per cell: exports run to millions of cells."""
    return {
        str: text,
        bool: yes_no,
        datetime: lambda value: value.astimezone(zone).isoformat(timespec="seconds"),
        date: date.isoformat,
    }


def plain(value: Cell, zone: tzinfo) -> str | int | float | None:
    """A cell for a spreadsheet (CSV or XLSX): text made safe, times as ISO text, yes/no."""
    if value is None:
        return None
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return moment(value, zone)
    if isinstance(value, date):
        return value.isoformat()
    return value


def for_json(value: Cell, zone: tzinfo) -> str | int | float | bool | None:
    """A JSON value: text as typed (JSON runs nothing), times as ISO text, booleans as such."""
    if isinstance(value, datetime):
        return moment(value, zone)
    if isinstance(value, date):
        return value.isoformat()
    return value
