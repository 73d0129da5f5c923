"""A certificate of contribution someone can show an employer: a one-page A4 PDF (it opens on
any phone), drawn with Pillow, in their language, right to left for Arabic.

Whose name goes on it is a rule kept here: their name only if they chose to be named
(`may_use_name` True and a name given); otherwise the certificate is addressed without a name.
The words themselves come from the dialog layer (the catalog), already in their language.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, features

from bot import fonts
from storage.models import Participant

log = logging.getLogger(__name__)

# A4 at 150 dots per inch: sharp enough to print, small enough to send.
PAGE = (1240, 1754)
MARGIN = 130
RTL_LOCALES = frozenset({"ar"})
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


def _layout_options(rtl: bool) -> dict:
    # Arabic needs libraqm to join its letters and run right to left; without it the letters
    # stand apart, left to right (Pillow wheels include it; a system Pillow may not).
    if rtl and features.check("raqm"):
        return {"direction": "rtl", "language": "ar"}
    if rtl:
        log.warning("Pillow has no libraqm: Arabic certificates will not be shaped")
    return {}


def _wrap(text: str, font, width: int, options: dict) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
            attempt = f"{current} {word}".strip()
            if current and font.getlength(attempt, **options) > width:
                lines.append(current)
                current = word
            else:
                current = attempt
        lines.append(current)
    return lines


def render_page(words: CertificateWords) -> Image.Image:
    """The page as an image (what the PDF holds)."""
    image = Image.new("RGB", PAGE, "white")
    draw = ImageDraw.Draw(image)
    width = PAGE[0] - 2 * MARGIN
    options = _layout_options(words.rtl)
    # A calm frame and a band of colour at the top.
    draw.rectangle((40, 40, PAGE[0] - 40, PAGE[1] - 40), outline=ACCENT, width=6)
    draw.rectangle((40, 40, PAGE[0] - 40, 90), fill=ACCENT)
    y = 200

    def write(text: str, font, fill, gap: int) -> None:
        nonlocal y
        for line in _wrap(text, font, width, options):
            length = font.getlength(line, **options) if line else 0
            x = PAGE[0] - MARGIN - length if words.rtl else MARGIN
            if line:
                draw.text((x, y), line, font=font, fill=fill, **options)
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
