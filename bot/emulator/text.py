"""Turn formatted text into what a Telegram user sees: plain text plus entities.

Telegram strips HTML tags before storing a message, measures the 4096-character limit after
that, and returns the plain text with entities; a bot that compares its own HTML with the
returned text (as aiogram-dialog does) must see the same thing here. Only HTML gets a real
parser (the project's parse mode); Markdown is reduced to removing backslash escapes, which is
enough to measure length and show readable text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from .errors import bad_request

_TAG_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}
_MARKDOWN_ESCAPE = re.compile(r"\\([_*\[\]()~`>#+\-=|{}.!\\])")


def utf16_len(text: str) -> int:
    """Entity offsets and lengths are counted in UTF-16 code units, as Telegram does."""
    return len(text.encode("utf-16-le")) // 2


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self.open: list[tuple[str, int, dict[str, str | None]]] = []
        self.entities: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.handle_data("\n")
            return
        if tag not in _TAG_ENTITIES:
            raise bad_request(
                f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset '
                f"{self.getpos()[1]}"
            )
        self.open.append((tag, self.length, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise bad_request(
                f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
            )
        _, start, attrs = self.open.pop()
        if self.length == start:
            return  # Telegram drops empty entities
        entity: dict[str, Any] = {
            "type": _TAG_ENTITIES[tag],
            "offset": start,
            "length": self.length - start,
        }
        if tag == "a":
            entity["url"] = attrs.get("href") or ""
        self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += utf16_len(data)


def render(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities) as Telegram would store them."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        parser = _Html()
        parser.feed(text)
        parser.close()
        if parser.open:
            raise bad_request(
                "can't parse entities: Can't find end tag corresponding to start tag "
                f'"{parser.open[-1][0]}"'
            )
        return "".join(parser.parts), sorted(parser.entities, key=lambda e: e["offset"])
    if mode in ("markdown", "markdownv2"):
        return _MARKDOWN_ESCAPE.sub(r"\1", text), []
    return text, list(entities or [])


def command_entities(text: str) -> list[dict[str, Any]]:
    """A user's "/start payload" carries a bot_command entity; aiogram's Command filter
    does not need it, but other handlers and logs do."""
    match = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?", text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]
