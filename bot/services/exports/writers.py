"""Files that open cleanly: CSV (UTF-8 with a byte-order mark, so Excel shows Welsh, Polish and
Arabic as written), XLSX (one sheet per kind and an "About" sheet explaining every column) and
JSON Lines. Every writer takes rows a batch at a time and keeps none of them.

CSV and JSON Lines can be cut into parts of at most `max_bytes` (Telegram takes files up to
50 MB), each part a whole file with its own header. XLSX cannot be cut; a sheet that reaches
Excel's row limit goes on in a new sheet.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from xml.sax.saxutils import quoteattr

from bot.services.exports.cells import (
    Cell,
    csv_converters,
    csv_text,
    for_json,
    moment,
    xlsx_string,
    yes_no,
)

BOM = "\ufeff"
# Excel's rows per sheet, the header row included.
XLSX_MAX_ROWS = 1_048_576


class Format(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSONL = "jsonl"


class PartedFile:
    """A text file that starts a new part (with the same header) before it would grow past
    `max_bytes`: data.csv, data-part2.csv, ..."""

    def __init__(self, path: Path, header: str, max_bytes: int | None) -> None:
        self.path, self.header, self.max_bytes = path, header.encode("utf-8"), max_bytes
        self.paths: list[Path] = []
        self._file = None
        self._size = 0
        self._open_next()

    def _open_next(self) -> None:
        if self._file is not None:
            self._file.close()
        number = len(self.paths) + 1
        path = self.path if number == 1 else self.path.with_stem(f"{self.path.stem}-part{number}")
        self.paths.append(path)
        self._file = path.open("wb", buffering=1 << 20)
        self._file.write(self.header)
        self._size = len(self.header)
        self._rows_in_part = 0

    def write(self, data: bytes, rows: int) -> None:
        """Whole lines: a part ends before them if they would not fit (each row alone, so a
        part ends between two rows, when there is a limit)."""
        fits = self.max_bytes is None or self._size + len(data) <= self.max_bytes
        if not fits and self._rows_in_part:
            self._open_next()
        self._file.write(data)
        self._size += len(data)
        self._rows_in_part += rows

    def append(self, source: Path, rows: int) -> None:
        """Add a file of whole lines (only in a file with no size limit: one part)."""
        assert self.max_bytes is None
        with source.open("rb") as part:
            shutil.copyfileobj(part, self._file, 1 << 20)
        self._size += source.stat().st_size
        self._rows_in_part += rows

    def close(self) -> list[Path]:
        self._file.close()
        return self.paths


class CsvTable:
    """One kind as CSV: `<kind>.csv`, UTF-8 with a byte-order mark. Every cell but numbers and
    empty ones is quoted, and text made safe for any separator (cells.csv_text); the header
    holds only our fixed column names."""

    def __init__(self, path: Path, header: Sequence[str], zone: tzinfo, max_bytes: int | None):
        self._convert = csv_converters(zone).get
        heading = io.StringIO()
        csv.writer(heading).writerow(header)
        self._file = PartedFile(path, BOM + heading.getvalue(), max_bytes)

    def write(self, rows: Iterable[Sequence[Cell]]) -> None:
        convert = self._convert
        lines = [
            ",".join(["" if cell is None else convert(type(cell), str)(cell) for cell in row])
            for row in rows
        ]
        if not lines:
            return
        if self._file.max_bytes is None:
            self._file.write(("\r\n".join(lines) + "\r\n").encode("utf-8"), len(lines))
            return
        for line in lines:  # row by row, so that a part ends between two rows
            self._file.write((line + "\r\n").encode("utf-8"), 1)

    def write_lines(self, lines: Sequence[bytes]) -> None:
        """Lines already written as CSV in UTF-8 (cells.line_maker), no endings."""
        _write_lines(self._file, lines, b"\r\n")

    def append_lines(self, source: Path, rows: int) -> None:
        """A file of lines as `write_lines` writes them (with their endings), when no size
        limit was set."""
        self._file.append(source, rows)

    def close(self) -> list[Path]:
        return self._file.close()


class JsonLinesTable:
    """One kind as JSON Lines: one object per line, keys as the column names."""

    def __init__(self, path: Path, header: Sequence[str], zone: tzinfo, max_bytes: int | None):
        self.zone, self.header = zone, tuple(header)
        self._file = PartedFile(path, "", max_bytes)

    def write(self, rows: Iterable[Sequence[Cell]]) -> None:
        zone, header = self.zone, self.header
        lines = [
            json.dumps(
                dict(zip(header, (for_json(cell, zone) for cell in row), strict=True)),
                ensure_ascii=False,
            )
            for row in rows
        ]
        if self._file.max_bytes is None:
            if lines:
                self._file.write(("\n".join(lines) + "\n").encode("utf-8"), len(lines))
            return
        for line in lines:  # row by row, so that a part ends between two rows
            self._file.write((line + "\n").encode("utf-8"), 1)

    def write_lines(self, lines: Sequence[bytes]) -> None:
        """Lines already written as JSON in UTF-8 (cells.line_maker), no endings."""
        _write_lines(self._file, lines, b"\n")

    def append_lines(self, source: Path, rows: int) -> None:
        self._file.append(source, rows)

    def close(self) -> list[Path]:
        return self._file.close()


def _write_lines(file: PartedFile, lines: Sequence[bytes], ending: bytes) -> None:
    if not lines:
        return
    if file.max_bytes is None:
        file.write(ending.join(lines) + ending, len(lines))
        return
    for line in lines:  # row by row, so that a part ends between two rows
        file.write(line + ending, 1)


def write_columns_csv(path: Path, about: Sequence[Sequence[str]]) -> Path:
    """The explanations, for CSV and JSON Lines exports (XLSX has them as a sheet); quoted
    and made safe as every text cell is (the project's name is typed by staff)."""
    lines = [",".join(csv_text(cell) for cell in row) + "\r\n" for row in about]
    path.write_text("".join(lines), encoding="utf-8-sig", newline="")
    return path


# The parts of an XLSX file (Office Open XML), written by hand: a sheet is streamed straight into
# the zip file a row at a time, each row one line of XML (an inline string or a number per
# cell, <c/> for an empty one), so nothing of a sheet is kept in memory and a million rows
# take seconds (openpyxl spends microseconds on each cell). Cells and rows carry no "r"
# reference: the format makes it optional and readers count them.
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/>'
    '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
    '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border>'
    '<left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


class XlsxBook:
    """One workbook written as it goes: one sheet open at a time, streamed into the file."""

    def __init__(self, path: Path, zone: tzinfo) -> None:
        self.path, self.zone = path, zone
        # Deflate's fastest level: a tenth bigger than the default and three times quicker.
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._titles: list[str] = []
        self._sheet = None

    def about(self, rows: Sequence[Sequence[str]], title: str = "About") -> None:
        widths = "".join(
            f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
            for n, width in enumerate((24, 24, 90), start=1)
        )
        sheet = self.start_sheet(_sheet_title(title), f"<cols>{widths}</cols>")
        sheet.write(b"".join(_xlsx_row(row) for row in rows))

    def table(self, name: str, header: Sequence[str]) -> XlsxTable:
        return XlsxTable(self, name, header, self.zone)

    def start_sheet(self, title: str, before_rows: str = ""):
        """A new sheet, the one written from now on (the one before it is finished)."""
        self._end_sheet()
        self._titles.append(title)
        name = f"xl/worksheets/sheet{len(self._titles)}.xml"
        self._sheet = self._zip.open(name, "w", force_zip64=True)
        self._sheet.write(f'{_HEAD}<worksheet xmlns="{_MAIN}">{before_rows}<sheetData>'.encode())
        return self._sheet

    def _end_sheet(self) -> None:
        if self._sheet is not None:
            self._sheet.write(b"</sheetData></worksheet>")
            self._sheet.close()
            self._sheet = None

    def close(self) -> list[Path]:
        self._end_sheet()
        count = len(self._titles)
        sheets = "".join(
            f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"/>'
            for n, title in enumerate(self._titles, start=1)
        )
        relations = "".join(
            f'<Relationship Id="rId{n}" Type="{_RELATIONS}/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, count + 1)
        )
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_SHEET_TYPE}"/>'
            for n in range(1, count + 1)
        )
        content_types = (
            f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>"
        )
        parts = {
            "[Content_Types].xml": content_types,
            "_rels/.rels": (
                f'{_HEAD}<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" '
                f'Type="{_RELATIONS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": (
                f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONS}">'
                f"<sheets>{sheets}</sheets></workbook>"
            ),
            "xl/_rels/workbook.xml.rels": (
                f'{_HEAD}<Relationships xmlns="{_PACKAGE}">{relations}'
                f'<Relationship Id="rId{count + 1}" Type="{_RELATIONS}/styles" '
                'Target="styles.xml"/></Relationships>'
            ),
            "xl/styles.xml": _STYLES,
        }
        for name, content in parts.items():
            self._zip.writestr(name, content)
        self._zip.close()
        return [self.path]


def _xlsx_cell(value: Cell, zone: tzinfo) -> str:
    """One typed cell as XML, as cells.line_maker writes it from the database's own values."""
    if value is None:
        return "<c/>"
    if isinstance(value, bool):
        return xlsx_string(yes_no(value))
    if isinstance(value, int | float):
        return f"<c><v>{value!r}</v></c>"
    if isinstance(value, datetime):
        return xlsx_string(moment(value, zone))
    if isinstance(value, date):
        return xlsx_string(value.isoformat())
    return xlsx_string(value)


def _xlsx_row(row: Sequence[Cell], zone: tzinfo | None = None) -> bytes:
    return ("<row>" + "".join(_xlsx_cell(cell, zone) for cell in row) + "</row>\n").encode()


class XlsxTable:
    """One kind as sheets of a book: a sheet that reaches Excel's row limit goes on in a new
    one ("feedback (2)"), with the header again."""

    def __init__(self, book: XlsxBook, name: str, header: Sequence[str], zone: tzinfo) -> None:
        self._book, self.name, self.header, self.zone = book, name, list(header), zone
        self._sheets = 0
        self._new_sheet()

    def _new_sheet(self) -> None:
        self._sheets += 1
        title = self.name if self._sheets == 1 else f"{self.name} ({self._sheets})"
        self._sheet = self._book.start_sheet(_sheet_title(title))
        self._sheet.write(_xlsx_row(self.header))
        self._rows = 1

    def write(self, rows: Iterable[Sequence[Cell]]) -> None:
        """Typed cells (the way every database can read)."""
        zone = self.zone
        self.write_lines([_xlsx_row(row, zone)[:-1] for row in rows])

    def write_lines(self, lines: Sequence[bytes]) -> None:
        """Rows already written as XML (cells.line_maker), no endings."""
        while lines:
            if self._rows >= XLSX_MAX_ROWS:
                self._new_sheet()
            room = XLSX_MAX_ROWS - self._rows
            self._sheet.write(b"\n".join(lines[:room]) + b"\n")
            self._rows += len(lines[:room])
            lines = lines[room:]

    def append_lines(self, source: Path, rows: int) -> None:
        """A file of rows as `write_lines` writes them (one a line)."""
        if self._rows + rows <= XLSX_MAX_ROWS:
            with source.open("rb") as part:
                shutil.copyfileobj(part, self._sheet, 1 << 20)
            self._rows += rows
            return
        with source.open("rb") as part:  # it crosses into a new sheet: line by line
            batch = []
            for line in part:
                batch.append(line[:-1])
                if len(batch) == 10_000:
                    self.write_lines(batch)
                    batch = []
            self.write_lines(batch)

    def close(self) -> list[Path]:
        return []


def _sheet_title(title: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)
    return cleaned[:31] or "Sheet"
