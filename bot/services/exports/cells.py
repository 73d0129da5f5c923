"""What goes into one cell: safe text, numbers that stay numbers, times in ISO 8601 with a zone.

Formula injection: a spreadsheet runs a cell that starts with =, +, - or @ (and some read on after
a tab or carriage return), so a participant who types "=HYPERLINK(...)" could make a
coordinator's Excel call out. Such text gets a leading single quote and stays plain text.
Numbers are never changed: -3 stays the number -3.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

from storage.exports import NOT_SHARED as _NOT_SHARED
from storage.exports import SHARED as _SHARED

NOT_SHARED, SHARED = _NOT_SHARED.encode(), _SHARED.encode()

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


# -- CSV lines straight from SQLite's own values ----------------------------------------------
#
# A big export is millions of cells, so on SQLite each kind gets one small function, written
# from its columns' kinds, that turns a batch of the driver's rows (text read as UTF-8 bytes,
# so nothing is decoded or encoded again) into CSV lines with one %-format per row. Everything
# that repeats (a person, an hour's time zone offset, a topic) is worked out once and then
# looked up. The result is byte for byte what the csv module writes from the typed cells
# (tests/test_export.py compares the two).

_NEEDS_QUOTES = re.compile(r'[,"\r\n]').search  # as csv.QUOTE_MINIMAL with the "\r\n" ending


def csv_text(text: str) -> str:
    """One safe text cell as the csv module writes it."""
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    if _NEEDS_QUOTES(text):
        return '"' + text.replace('"', '""') + '"'
    return text


class Remembered(dict):
    """`make(key)` for each key, worked out once and then looked up; at most `keep` are kept,
    and only keys up to `longest` long (a topic, a name; not a paragraph, which rarely comes
    twice), so memory stays small whatever the rows hold."""

    def __init__(
        self, make: Callable, keep: int, known: dict | None = None, longest: int | None = None
    ) -> None:
        super().__init__(known or {})
        self._make, self._keep, self._longest = make, keep, longest

    def __missing__(self, key):
        value = self._make(key)
        if len(self) < self._keep and (self._longest is None or len(key) <= self._longest):
            self[key] = value
        return value


def _hour_in_zone(key: bytes, zone: tzinfo) -> tuple[bytes, bytes]:
    """For a stored UTC hour (b"2026-07-01 14"): the local b"2026-07-01T15" and b"+01:00", when
    every second of that hour has the same whole-hour offset; else empty, and each time in that
    hour is worked out on its own (a zone at +05:30, or a change of offset mid-hour)."""
    if len(key) != 13 or key[10:11] not in (b" ", b"T"):
        return b"", b""
    start = datetime.fromisoformat(f"{key[:10].decode()}T{key[11:13].decode()}:00:00+00:00")
    local = start.astimezone(zone)
    offset = local.utcoffset()
    end_offset = (start + timedelta(seconds=3599)).astimezone(zone).utcoffset()
    if offset != end_offset or offset % timedelta(hours=1):
        return b"", b""
    return local.strftime("%Y-%m-%dT%H").encode(), local.isoformat(timespec="seconds")[19:].encode()


def _csv_moments(zone: tzinfo) -> tuple[Remembered, Callable[[bytes], bytes]]:
    hours = Remembered(lambda key: _hour_in_zone(key, zone), 100_000)  # eleven years

    def one(stored: bytes) -> bytes:
        """A time as SQLite keeps it (UTC text) in ISO 8601 in the zone."""
        start, offset = hours[stored[:13]]
        if offset:
            return start + stored[13:19] + offset
        at = datetime.fromisoformat(stored.decode()).replace(tzinfo=UTC)
        return moment(at, zone).encode()

    return hours, one


# For each kind of value: its %-format, and the expression that fills it (`@` is the cell),
# when the cell may be NULL and when it never is. A stored time "2026-07-01 14:05:09.123456"
# becomes the hour's local start, ":05:09" and the hour's offset, looked up once per hour.
_CSV_CELL = {
    "number": (("%b", "(_ if @ is None else b'%a' % @)"), ("%a", "@")),
    "text": (("%b", "T[@]"), ("%b", "T[@]")),
    "moment": (
        ("%b", "(_ if @ is None else M(@))"),
        ("%b%b%b", "(h := H[@[:13]])[0], @[13:19] if h[1] else M(@), h[1]"),
    ),
    "day": (("%b", "(_ if @ is None else @)"), ("%b", "@")),
    "person": (("%b", "P[@]"), ("%b", "P[@]")),
}
# Small columns (0, 1 or NULL) come folded into one number (storage.exports.packed): each is
# read back from it through a table of its words.
_SMALL_WORDS = {"yes_no": (b"no", b"yes", b""), "shared": (NOT_SHARED, SHARED, b"")}


def small_columns(values: Sequence[str]) -> list[int]:
    """Which columns a fast CSV reads folded into one number."""
    return [i for i, value in enumerate(values) if value in _SMALL_WORDS]


def csv_lines_from_sqlite(
    values: Sequence[str],
    zone: tzinfo,
    people: Mapping[int | None, str | None],
    never_null: Sequence[bool] = (),
) -> Callable[[Sequence[Sequence]], list[bytes]]:
    """A function from a batch of SQLite rows to CSV lines in UTF-8, without their endings.
    The rows hold the columns of these kinds, in order (text as UTF-8 bytes), but the small
    ones (`small_columns`), which come folded into one last number. `never_null[i]`: column i
    is never NULL (a cheaper line)."""
    text = Remembered(lambda raw: csv_text(raw.decode()).encode(), 10_000, {None: b""}, longest=200)
    hours, one_moment = _csv_moments(zone)
    names = {
        "_": b"",
        "T": text,
        "H": hours,
        "M": one_moment,
        "P": Remembered(lambda person: text[_utf8(people[person])], 200_000),
    }
    small = small_columns(values)
    never_null = list(never_null) + [False] * (len(values) - len(never_null))
    formats, fills, read = [], [], []
    for i, (value, solid) in enumerate(zip(values, never_null, strict=True)):
        if i in small:
            k = small.index(i)
            names[f"S{i}"] = tuple(
                _SMALL_WORDS[value][n // 3**k % 3] for n in range(3 ** len(small))
            )
            formats.append("%b")
            fills.append(f"S{i}[f]")
            continue
        form, fill = _CSV_CELL[value][solid]
        formats.append(form)
        fills.append(fill.replace("@", f"v{i}"))
        read.append(f"v{i}")
    if small:
        read.append("f")
    line = ",".join(formats).encode()
    source = (
        f"def lines(batch):\n"
        f"    return [{line!r} % ({', '.join(fills)}) for ({', '.join(read)},) in batch]\n"
    )
    exec(compile(source, "<csv lines>", "exec"), names)  # only our own fixed snippets
    return names["lines"]


def _utf8(text: str | None) -> bytes | None:
    return None if text is None else text.encode()
