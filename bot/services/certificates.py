"""A certificate of contribution someone can show an employer: a one-page A4 PDF (it opens on
any phone), drawn with Pillow, in their language, right to left for Arabic.

Whose name goes on it is a rule kept here: their name only if they chose to be named
(`may_use_name` True and a name given); otherwise the certificate is addressed without a name.
The words themselves come from the dialog layer (the catalog), already in their language.
"""

from __future__ import annotations

import io
import logging
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, features

from bot import fonts
from bot.i18n import FSI, ISOLATES, LRI, PDI, RTL_LOCALES, direction
from storage.models import Participant

log = logging.getLogger(__name__)

# A4 at 150 dots per inch: sharp enough to print, small enough to send.
PAGE = (1240, 1754)
MARGIN = 130
RLI = "\u2067"
ACCENT = (38, 84, 124)
INK = (33, 33, 33)


def name_to_print(participant: Participant) -> str | None:
    """Their chosen name, only if they said we may use it (None counts as no)."""
    if participant.may_use_name is True and participant.display_name:
        return participant.display_name.strip() or None
    return None


@dataclass(frozen=True)
class CertificateWords:
    """What the page says, already in the reader's language."""

    heading: str
    paragraphs: list[str]
    footer: str
    locale: str

    @property
    def rtl(self) -> bool:
        return self.locale in RTL_LOCALES

    def text(self) -> str:
        """The words as plain text, in reading order (for tests and accessibility)."""
        return "\n\n".join([self.heading, *self.paragraphs, self.footer])


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return fonts.font(size, bold=bold)


def paragraph_direction(text: str, default: str) -> str:
    """A paragraph's direction, worked out before it is wrapped (UAX #9, rules P2 and P3): its
    first letter with a direction, skipping what sits inside isolates (a name, a team), else
    the language's. Every line of the paragraph then keeps it, so a line that happens to begin
    with an English team name is not turned around on its own."""
    depth = 0
    for char in text:
        if char in (FSI, LRI, RLI):
            depth += 1
        elif char == PDI:
            depth = max(depth - 1, 0)
        elif depth == 0:
            kind = unicodedata.bidirectional(char)
            if kind == "L":
                return "ltr"
            if kind in ("R", "AL"):
                return "rtl"
    return default


def _units(paragraph: str) -> list[str]:
    """Words, with an isolated name or team kept as one unit where it can be."""
    units: list[str] = []
    depth = 0
    for word in paragraph.split():
        if depth and units:
            units[-1] = f"{units[-1]} {word}"
        else:
            units.append(word)
        depth = max(depth + sum(word.count(c) for c in (FSI, LRI, RLI)) - word.count(PDI), 0)
    return units


def _balanced(line: str, open_before: list[str]) -> tuple[str, list[str]]:
    """The line with isolates left open by the line before reopened at its start and its own
    open ones closed at its end, so each drawn line is whole; and what stays open after it."""
    still_open = list(open_before)
    for char in line:
        if char in (FSI, LRI, RLI):
            still_open.append(char)
        elif char == PDI and still_open:
            still_open.pop()
    return "".join(open_before) + line + PDI * len(still_open), still_open


def wrap(text: str, measure, width: float) -> list[str]:
    """The text in lines no wider than `width` (as `measure` says), in logical (reading)
    order: the first words come first, whatever the direction. A name too long for a line is
    broken at its spaces, each part still isolated."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for unit in _units(paragraph):
            pieces = [unit] if measure(unit) <= width else unit.split()
            for piece in pieces:
                attempt = f"{current} {piece}".strip()
                if current and measure(attempt) > width:
                    lines.append(current)
                    current = piece
                else:
                    current = attempt
        lines.append(current)
    balanced, still_open = [], []
    for line in lines:
        drawn, still_open = _balanced(line, still_open if line else [])
        balanced.append(drawn)
    return balanced


def _layout_options(direction: str) -> dict:
    # Arabic needs libraqm to join its letters and run right to left; without it the letters
    # stand apart, left to right (Pillow wheels include it; a system Pillow may not).
    if features.check("raqm"):
        return (
            {"direction": direction, "language": "ar"}
            if direction == "rtl"
            else {"direction": direction}
        )
    if direction == "rtl":
        log.warning("Pillow has no libraqm: Arabic certificates will not be shaped")
    return {}


def _drawable(line: str, options: dict) -> str:
    # Without libraqm the isolate marks would be drawn as boxes.
    return line if options else "".join(c for c in line if c not in ISOLATES)


def render_page(words: CertificateWords) -> Image.Image:
    """The page as an image (what the PDF holds)."""
    image = Image.new("RGB", PAGE, "white")
    draw = ImageDraw.Draw(image)
    width = PAGE[0] - 2 * MARGIN
    language_direction = direction(words.locale)
    # A calm frame and a band of colour at the top.
    draw.rectangle((40, 40, PAGE[0] - 40, PAGE[1] - 40), outline=ACCENT, width=6)
    draw.rectangle((40, 40, PAGE[0] - 40, 90), fill=ACCENT)
    y = 200

    def write(text: str, font, fill, gap: int) -> None:
        nonlocal y
        for paragraph in text.split("\n"):
            # Direction first, for the whole paragraph; then the lines, each drawn that way.
            paragraph_runs = paragraph_direction(paragraph, language_direction)
            options = _layout_options(paragraph_runs)
            rtl = paragraph_runs == "rtl"

            def measure(candidate: str, options=options) -> float:
                return font.getlength(_drawable(candidate, options), **options)

            for line in wrap(paragraph, measure, width):
                drawn = _drawable(line, options)
                length = measure(line) if drawn else 0
                x = PAGE[0] - MARGIN - length if rtl else MARGIN
                if drawn:
                    draw.text((x, y), drawn, font=font, fill=fill, **options)
                y += int(font.size * 1.45) if hasattr(font, "size") else 40
        y += gap

    write(words.heading, _font(True, 64), ACCENT, 60)
    for paragraph in words.paragraphs:
        write(paragraph, _font(False, 34), INK, 34)
    y = max(y, PAGE[1] - 300)
    write(words.footer, _font(False, 26), ACCENT, 0)
    return image


def render_pdf(words: CertificateWords) -> bytes:
    image = render_page(words)
    buffer = io.BytesIO()
    # The words also go in the file's description, so a screen reader or a search finds them.
    image.save(buffer, format="PDF", resolution=150.0, title=words.heading, subject=words.text())
    return buffer.getvalue()
