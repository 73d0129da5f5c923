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

import json
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


# -- lines straight from the database's own values --------------------------------------------
#
# A big export is millions of cells, so each kind gets one small function, written from its
# columns' kinds, that turns a batch of plain rows into the file's lines (CSV lines, JSON
# objects or XLSX rows) with one %-format per row. The rows come as the database keeps them:
# times as UTC text (2026-07-01 14:05:09.123456), days as text, booleans folded into one
# number (storage.exports.packed); on SQLite text stays UTF-8 bytes, so nothing is decoded
# or encoded again. Everything that repeats (a person, an hour's time zone offset, a topic) is
# worked out once and then looked up. The result is byte for byte what the writers make from
# typed cells (tests/test_export.py and tests/test_export_ways.py compare them).

TARGETS = ("csv", "jsonl", "xlsx")


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


def _utc(stored: str) -> datetime:
    """A stored time (UTC text, with or without an offset) as an aware datetime."""
    at = datetime.fromisoformat(stored)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _hour_in_zone(key: str, zone: tzinfo) -> tuple[str, str]:
    """For a stored UTC hour ("2026-07-01 14"): the local "2026-07-01T15" and "+01:00", when
    every second of that hour has the same whole-hour offset; else empty, and each time in that
    hour is worked out on its own (a zone at +05:30, or a change of offset mid-hour)."""
    if len(key) != 13 or key[10:11] not in (" ", "T"):
        return "", ""
    start = datetime.fromisoformat(f"{key[:10]}T{key[11:13]}:00:00+00:00")
    local = start.astimezone(zone)
    offset = local.utcoffset()
    end_offset = (start + timedelta(seconds=3599)).astimezone(zone).utcoffset()
    if offset != end_offset or offset % timedelta(hours=1):
        return "", ""
    return local.strftime("%Y-%m-%dT%H"), local.isoformat(timespec="seconds")[19:]


def _moments(zone: tzinfo, raw: type) -> tuple[Remembered, Callable]:
    """The hours' table and the one-time function, for text of type `raw` (bytes or str)."""
    if raw is bytes:

        def hour(key: bytes) -> tuple[bytes, bytes]:
            start, offset = _hour_in_zone(key.decode(), zone)
            return start.encode(), offset.encode()

        def one(stored: bytes) -> bytes:
            return moment(_utc(stored.decode()), zone).encode()

    else:

        def hour(key: str) -> tuple[str, str]:
            return _hour_in_zone(key, zone)

        def one(stored: str) -> str:
            return moment(_utc(stored), zone)

    return Remembered(hour, 100_000), one  # 100,000 hours: eleven years


# For each kind of value and each target: its %-format and the expression that fills it (`@`
# is the cell), when the cell may be NULL and when it never is. `Q` marks a literal of the
# rows' text type. A time "2026-07-01 14:05:09.123456" that is never NULL becomes the hour's
# local start, ":05:09" and the hour's offset, looked up once per hour (`MOMENT`).
_MOMENT = "(h := H[@[:13]])[0], @[13:19] if h[1] else M(@), h[1]"
_CELLS = {
    "csv": {
        # Every cell but a number or an empty one is quoted (text is quoted by `csv_text`).
        "number": (("%s", "(E if @ is None else Q'%a' % @)"), ("%a", "@")),
        "text": (("%s", "T[@]"), ("%s", "T[@]")),
        "moment": (("%s", "(E if @ is None else Q'\"' + M(@) + Q'\"')"), ('"%s%s%s"', _MOMENT)),
        "day": (("%s", "(E if @ is None else Q'\"' + @ + Q'\"')"), ('"%s"', "@")),
        "person": (("%s", "P[@]"), ("%s", "P[@]")),
    },
    "jsonl": {
        "number": (("%s", "(N if @ is None else Q'%r' % @)"), ("%r", "@")),
        "text": (("%s", "T[@]"), ("%s", "T[@]")),
        "moment": (("%s", "(N if @ is None else Q'\"' + M(@) + Q'\"')"), ('"%s%s%s"', _MOMENT)),
        "day": (("%s", "(N if @ is None else Q'\"' + @ + Q'\"')"), ('"%s"', "@")),
        "person": (("%s", "P[@]"), ("%s", "P[@]")),
    },
    "xlsx": {
        # A number is a number cell, anything else an inline string; an empty cell is <c/>.
        "number": (
            ("%s", "(C if @ is None else Q'<c><v>%r</v></c>' % @)"),
            ("<c><v>%r</v></c>", "@"),
        ),
        "text": (("%s", "T[@]"), ("%s", "T[@]")),
        "moment": (
            ("%s", "(C if @ is None else Q'<c t=\"inlineStr\"><is><t>' + M(@) + Q'</t></is></c>')"),
            ('<c t="inlineStr"><is><t>%s%s%s</t></is></c>', _MOMENT),
        ),
        "day": (
            ("%s", "(C if @ is None else Q'<c t=\"inlineStr\"><is><t>' + @ + Q'</t></is></c>')"),
            ('<c t="inlineStr"><is><t>%s</t></is></c>', "@"),
        ),
        "person": (("%s", "P[@]"), ("%s", "P[@]")),
    },
}
_SEPARATOR = {"csv": ",", "jsonl": ", ", "xlsx": ""}
# Small columns (0, 1 or NULL) come folded into one number (storage.exports.packed): each is
# read back from it through a table of its words.
_SMALL_WORDS = {
    "csv": {
        "yes_no": ('"no"', '"yes"', ""),
        "shared": (f'"{_NOT_SHARED}"', f'"{_SHARED}"', ""),
    },
    "jsonl": {
        "yes_no": ("false", "true", "null"),
        "shared": (f'"{_NOT_SHARED}"', f'"{_SHARED}"', "null"),
    },
}


def xlsx_string(text: str) -> str:
    """An inline string cell: safe text (cells.for_xlsx), XML-escaped."""
    text = for_xlsx(text)
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Line breaks as references: a row stays one line of the sheet's XML (exports.parallel
    # adds parts line by line), and a carriage return survives (a reader turns a bare one
    # into a line feed).
    escaped = escaped.replace("\n", "&#10;").replace("\r", "&#13;")
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c t="inlineStr"><is><t{space}>{escaped}</t></is></c>'


_SMALL_WORDS["xlsx"] = {
    value: (xlsx_string(no), xlsx_string(yes), "<c/>")
    for value, (no, yes) in {"yes_no": ("no", "yes"), "shared": (_NOT_SHARED, _SHARED)}.items()
}

# How one text cell is written, by target; None (no text) first.
_TEXT = {
    "csv": ("", csv_text),
    "jsonl": ("null", lambda text: json.dumps(text, ensure_ascii=False)),
    "xlsx": ("<c/>", xlsx_string),
}


def small_columns(values: Sequence[str]) -> list[int]:
    """Which columns a line function reads folded into one number."""
    return [i for i, value in enumerate(values) if value in _SMALL_WORDS["csv"]]


def line_maker(
    target: str,
    values: Sequence[str],
    zone: tzinfo,
    people: Mapping[int | None, str | None],
    never_null: Sequence[bool] = (),
    raw: type = bytes,
    header: Sequence[str] = (),
) -> Callable[[Sequence[Sequence]], list[bytes]]:
    """A function from a batch of plain rows to the `target`'s lines in UTF-8, without their
    endings. The rows hold the columns of these kinds, in order (text as `raw`: bytes or
    str), but the small ones (`small_columns`), which come folded into one last number.
    `never_null[i]`: column i is never NULL (a cheaper line). JSON Lines take the `header`
    (the keys)."""

    def typed(word: str) -> bytes | str:
        return word.encode() if raw is bytes else word

    empty, make_text = _TEXT[target]
    if raw is bytes:
        text = Remembered(lambda value: make_text(value.decode()).encode(), 10_000, longest=200)
    else:
        text = Remembered(make_text, 10_000, longest=200)
    text[None] = typed(empty)
    hours, one_moment = _moments(zone, raw)

    def shown(person: int | None) -> bytes | str:
        who = people[person]
        return text[None if who is None else typed(who)]

    names = {
        "E": typed(""),
        "N": typed("null"),
        "C": typed("<c/>"),
        "T": text,
        "H": hours,
        "M": one_moment,
        "P": Remembered(shown, 200_000),
    }
    small = small_columns(values)
    never_null = list(never_null) + [False] * (len(values) - len(never_null))
    formats, fills, read = [], [], []
    for i, (value, solid) in enumerate(zip(values, never_null, strict=True)):
        if i in small:
            k = small.index(i)
            words = _SMALL_WORDS[target][value]
            names[f"S{i}"] = tuple(typed(words[n // 3**k % 3]) for n in range(3 ** len(small)))
            formats.append("%s")
            fills.append(f"S{i}[f]")
            continue
        form, fill = _CELLS[target][value][solid]
        if raw is str:  # text from any database: a time may come in another shape
            fill = fill.replace("if h[1] else", "if h[1] and len(@) in (19, 26) else")
        formats.append(form)
        fills.append(fill.replace("@", f"v{i}").replace("Q'", "b'" if raw is bytes else "'"))
        read.append(f"v{i}")
    if small:
        read.append("f")
    if target == "jsonl":
        # A key is fixed text in the line: a % in it must not read as a placeholder.
        keys = [json.dumps(key).replace("%", "%%") for key in header]
        formats = [f"{key}: {form}" for key, form in zip(keys, formats, strict=True)]
        line = "{" + ", ".join(formats) + "}"
    elif target == "xlsx":
        line = "<row>" + "".join(formats) + "</row>"
    else:
        line = ",".join(formats)
    row = f"{', '.join(fills)},"
    each = f"for ({', '.join(read)},) in batch"
    if raw is bytes:
        body = f"[{line.replace('%s', '%b').encode()!r} % ({row}) {each}]"
    else:  # the writers take UTF-8
        body = f"[({line!r} % ({row})).encode() {each}]"
    source = f"def lines(batch):\n    return {body}\n"
    exec(compile(source, f"<{target} lines>", "exec"), names)  # only our own fixed snippets
    return names["lines"]
