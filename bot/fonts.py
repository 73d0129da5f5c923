"""The typeface for pictures the bot draws (certificates, charts): DejaVu Sans, shipped with the
package (bot/assets/fonts, Bitstream Vera licence beside it), because it has Welsh ŵ ŷ, Polish
ł ż and Arabic letters on any machine; Pillow's own font would draw them as empty boxes."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import ImageFont

FONTS = Path(__file__).parent / "assets" / "fonts"
REGULAR = FONTS / "DejaVuSans.ttf"
BOLD = FONTS / "DejaVuSans-Bold.ttf"


@cache
def font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BOLD if bold else REGULAR), size)
