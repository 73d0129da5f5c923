"""What goes into one cell: safe text, numbers that stay numbers, times in ISO 8601 with a zone.

Formula injection: a spreadsheet runs a cell that starts with =, +, - or @ (and some read on after
a tab or carriage return), so a participant who types "=HYPERLINK(...)" could make a
coordinator's Excel call out. Such text gets a leading single quote and stays plain text.
Numbers are never changed: -3 stays the number -3.

A CSV file has a second way in: the reader may split it at another character than the one it
was written with. Excel takes ";" in Polish, German and many other locales, a tab or "|" on
request, and then "x;=1+1" (one cell to us, with a comma between cells) is the cell "x" and a
formula "=1+1". Double quotes do not stop that: a reader honours a quote only at the start of
one of its own cells, and a cell after our first is never at the start of one of its cells.
So in CSV every text cell is quoted (every cell but numbers and empty ones: a reader that
splits at our comma keeps each whole) and a quote goes before every place inside a text where
any reader could start a cell: the start, and after each ",", ";", tab, "|" and line break,
when what follows (after spaces and double quotes, which a reader may drop) starts a formula.
Whatever the separator, no cell a reader makes starts with =, +, -, @, a tab or a carriage
return: tests/test_export_csv_safe.py reads the files with each separator.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

from storage.exports import NOT_SHARED as _NOT_SHARED
from storage.exports import SHARED as _SHARED

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters an XLSX file cannot hold (openpyxl refuses them): control characters but tab,
# newline and carriage return.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Where a spreadsheet reading a CSV file may start a cell inside one of our texts: the start,
# and after any separator a reader may split at (comma, semicolon, tab, bar) or a line break;
# and what starts a formula there, after any spaces and double quotes.
_MAY_RUN = re.compile(r"[=+\-@\t\r]").search
_CELL_STARTS_A_FORMULA = re.compile(r'(?:^|(?<=[,;\t|\r\n]))(?=[ "]*[=+\-@\t\r])').sub


Cell = str | int | float | bool | datetime | date | None


def safe_text(text: str) -> str:
    """Text a spreadsheet cell shows as text, never runs (XLSX: one typed cell, no separators)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def for_xlsx(text: str) -> str:
    # Control characters go first: "\x01=1+1" must not become "=1+1", a formula, after the check.
    return safe_text(_NOT_IN_XLSX.sub("", text))


def csv_text(text: str) -> str:
    """One text cell for a CSV file, safe whatever separator the reader splits at: quoted, and
    with a quote before every formula where a reader could start a cell."""
    if _MAY_RUN(text):
        text = _CELL_STARTS_A_FORMULA("'", text)
    return '"' + text.replace('"', '""') + '"'


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


def csv_converters(zone: tzinfo) -> dict[type, Callable]:
    """As `converters`, but each cell as it stands in a CSV line: text safe and quoted, words
    and times quoted, numbers as they are; None is not named (an empty cell)."""
    return {
        str: csv_text,
        bool: lambda value: '"yes"' if value else '"no"',
        datetime: lambda value: f'"{value.astimezone(zone).isoformat(timespec="seconds")}"',
        date: lambda value: f'"{value.isoformat()}"',
        int: str,
        float: repr,
    }


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
# looked up. The result is byte for byte what CsvTable writes from the typed cells
# (tests/test_export.py compares the two).


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
# Every cell but a number or an empty one is quoted (text is quoted by `csv_text`).
_CSV_CELL = {
    "number": (("%b", "(_ if @ is None else b'%a' % @)"), ("%a", "@")),
    "text": (("%b", "T[@]"), ("%b", "T[@]")),
    "moment": (
        ("%b", "(_ if @ is None else b'\"' + M(@) + b'\"')"),
        ('"%b%b%b"', "(h := H[@[:13]])[0], @[13:19] if h[1] else M(@), h[1]"),
    ),
    "day": (("%b", "(_ if @ is None else b'\"' + @ + b'\"')"), ('"%b"', "@")),
    "person": (("%b", "P[@]"), ("%b", "P[@]")),
}
# Small columns (0, 1 or NULL) come folded into one number (storage.exports.packed): each is
# read back from it through a table of its words.
_SMALL_WORDS = {
    "yes_no": (b'"no"', b'"yes"', b""),
    "shared": (f'"{_NOT_SHARED}"'.encode(), f'"{_SHARED}"'.encode(), b""),
}


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
