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
from collections.abc import Iterable, Sequence
from datetime import tzinfo
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from bot.services.exports.cells import (
    Cell,
    converters,
    csv_converters,
    csv_text,
    for_json,
    for_xlsx,
)

if TYPE_CHECKING:
    from openpyxl import Workbook

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
        """Lines already written as CSV in UTF-8 (cells.csv_lines_from_sqlite), no endings."""
        if not lines:
            return
        if self._file.max_bytes is None:
            self._file.write(b"\r\n".join(lines) + b"\r\n", len(lines))
            return
        for line in lines:  # row by row, so that a part ends between two rows
            self._file.write(line + b"\r\n", 1)

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

    def close(self) -> list[Path]:
        return self._file.close()


def write_columns_csv(path: Path, about: Sequence[Sequence[str]]) -> Path:
    """The explanations, for CSV and JSON Lines exports (XLSX has them as a sheet); quoted
    and made safe as every text cell is (the project's name is typed by staff)."""
    lines = [",".join(csv_text(cell) for cell in row) + "\r\n" for row in about]
    path.write_text("".join(lines), encoding="utf-8-sig", newline="")
    return path


class XlsxBook:
    """One workbook written as it goes (openpyxl's write-only mode keeps no rows in memory)."""

    def __init__(self, path: Path, zone: tzinfo) -> None:
        from openpyxl import Workbook  # only XLSX needs it (a tenth of a second to import)

        self.path, self.zone = path, zone
        self._book = Workbook(write_only=True)

    def about(self, rows: Sequence[Sequence[str]], title: str = "About") -> None:
        sheet = self._book.create_sheet(_sheet_title(title))
        sheet.column_dimensions["A"].width = 24
        sheet.column_dimensions["B"].width = 24
        sheet.column_dimensions["C"].width = 90
        for row in rows:
            sheet.append([for_xlsx(cell) for cell in row])

    def table(self, name: str, header: Sequence[str]) -> XlsxTable:
        return XlsxTable(self._book, name, header, self.zone)

    def close(self) -> list[Path]:
        self._book.save(self.path)
        return [self.path]


class XlsxTable:
    def __init__(self, book: Workbook, name: str, header: Sequence[str], zone: tzinfo) -> None:
        self._book, self.name, self.header = book, name, list(header)
        self._convert = converters(zone, for_xlsx).get
        self._sheets = 0
        self._new_sheet()

    def _new_sheet(self) -> None:
        self._sheets += 1
        title = self.name if self._sheets == 1 else f"{self.name} ({self._sheets})"
        self._sheet = self._book.create_sheet(_sheet_title(title))
        self._sheet.append(self.header)
        self._rows = 1

    def write(self, rows: Iterable[Sequence[Cell]]) -> None:
        convert, sheet = self._convert, self._sheet
        for row in rows:
            if self._rows >= XLSX_MAX_ROWS:
                self._new_sheet()
                sheet = self._sheet
            sheet.append(
                [change(cell) if (change := convert(type(cell))) else cell for cell in row]
            )
            self._rows += 1

    def close(self) -> list[Path]:
        return []


def _sheet_title(title: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)
    return cleaned[:31] or "Sheet"
