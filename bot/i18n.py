"""Translations: compile the gettext catalogs and choose a participant's language.

Catalogs (`locales/<lang>/LC_MESSAGES/messages.po`) are compiled to `.mo` on start whenever a `.po`
is newer, so compiled files are never stale and never committed.
"""

from __future__ import annotations

import logging
import os
import re
import string
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram.utils.i18n import I18n
from babel.dates import format_date, format_skeleton, format_time, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.config import SUPPORTED_LOCALES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
log = logging.getLogger(__name__)

# Each language named in itself, so a person finds their own whatever language is showing.
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg", "pl": "Polski", "ar": "العربية"}
# Babel locales for dates and times: our people are mostly in the UK.
_BABEL_LOCALES = {"en": "en_GB", "cy": "cy_GB", "pl": "pl_PL", "ar": "ar"}


def babel_locale(locale: str) -> str:
    return _BABEL_LOCALES.get(locale, locale)


# -- dates and times as a person reads them: in their own zone, never with seconds -----------------

HOME_ZONE = "Europe/London"  # when neither the person nor the team has a zone


def reader_zone(*names: str | None) -> ZoneInfo:
    """The first zone that exists of those given (the person's own, then their team's)."""
    for name in filter(None, names):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo(HOME_ZONE)


def local_day(moment: datetime, zone: ZoneInfo, locale: str, format: str = "medium") -> str:
    """The day a moment falls on where the reader is: 23:30 UTC can be tomorrow there."""
    return format_date(moment.astimezone(zone).date(), format=format, locale=babel_locale(locale))


def local_day_and_time(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    """ "Tue 1 Dec 2026, 18:00" where the reader is: a time people read has no seconds."""
    babel = babel_locale(locale)
    day = format_skeleton("yMMMEd", moment, tzinfo=zone, locale=babel)
    clock = format_time(moment, "short", tzinfo=zone, locale=babel)
    return get_datetime_format("medium", locale=babel).format(clock, day)


# -- direction: right-to-left languages and the words written into them ----------------------------

RTL_LOCALES = frozenset({"ar"})
# Unicode isolates (UAX #9): what sits between them keeps its own direction and does not move
# the words around it. First-strong isolates suit words the team wrote (English or Arabic);
# a left-to-right isolate suits a command, always Latin.
FSI, LRI, PDI = "\u2068", "\u2066", "\u2069"
ISOLATES = frozenset({FSI, LRI, "\u2067", PDI})
# A command such as /settings, not one inside a word, a link or an isolate already.
_COMMAND = re.compile(r"(?<![\w/\u2066\u2068:.])/[A-Za-z][A-Za-z0-9_]*(?![\w/\u2069])")


def direction(locale: str | None) -> str:
    """ "rtl" for a language read right to left, else "ltr"."""
    return "rtl" if locale in RTL_LOCALES else "ltr"


def isolate(value: Any, locale: str | None) -> str:
    """A value put into a translated text, kept apart in a right-to-left text: an English topic
    at the start of an Arabic line no longer turns the line left to right. A value of several
    lines is isolated line by line (an isolate ends with its line). Left-to-right: unchanged."""
    text = str(value)
    if direction(locale) != "rtl":
        return text
    return "\n".join(f"{FSI}{line}{PDI}" if line else line for line in text.split("\n"))


def isolate_commands(text: str, locale: str | None) -> str:
    """Each /command in a right-to-left text kept left to right, so /settings never shows as
    settings/. Commands already isolated by a translator stay as they are."""
    if direction(locale) != "rtl" or "/" not in text:
        return text
    return _COMMAND.sub(lambda found: f"{LRI}{found.group(0)}{PDI}", text)


class _IsolatingFormatter(string.Formatter):
    def __init__(self, locale: str | None) -> None:
        self.locale = locale

    def format_field(self, value: Any, format_spec: str) -> str:
        return isolate(super().format_field(value, format_spec), self.locale)


def fill(template: str, locale: str | None, values: Mapping[str, Any]) -> str:
    """A translated text with its values put in: in a right-to-left language each value is
    isolated and each /command kept left to right. The one place every screen and message
    fills a translated text (`DirectionalI18n` and `I18nFormat` both come here)."""
    if direction(locale) != "rtl":
        return template.format_map(values)
    template = isolate_commands(str(template), locale)
    return _IsolatingFormatter(locale).vformat(template, (), values)


class RightToLeftText(str):
    """A translation into a right-to-left language: its commands are isolated already, and
    `.format()` isolates each value, so every `_("...").format(...)` in the bot is safe."""

    __slots__ = ("locale",)

    def __new__(cls, text: str, locale: str) -> RightToLeftText:
        made = super().__new__(cls, isolate_commands(text, locale))
        made.locale = locale
        return made

    def format(self, *args: Any, **kwargs: Any) -> str:
        if args:
            return _IsolatingFormatter(self.locale).vformat(str(self), args, kwargs)
        return fill(str(self), self.locale, kwargs)

    def format_map(self, mapping: Mapping[str, Any]) -> str:
        return fill(str(self), self.locale, mapping)

    def __reduce__(self):  # copies and pickles keep the language
        return (RightToLeftText, (str(self), self.locale))


class DirectionalI18n(I18n):
    """aiogram's I18n whose right-to-left translations isolate what is written into them."""

    def gettext(
        self, singular: str, plural: str | None = None, n: int = 1, locale: str | None = None
    ) -> str:
        text = super().gettext(singular, plural, n, locale)
        chosen = locale if locale is not None else self.current_locale
        # A text with no translation stays the English original, left to right, as it was.
        if direction(chosen) == "rtl" and text not in (singular, plural):
            return RightToLeftText(text, chosen)
        return text


# A subclass gets its own "current instance" slot; share I18n's, so `I18n.get_current()` (the
# gettext helpers, aiogram-dialog widgets) finds this one.
_SHARED_SLOT = "_ContextInstanceMixin__context_instance"
setattr(DirectionalI18n, _SHARED_SLOT, getattr(I18n, _SHARED_SLOT))


def compile_catalogs(locales_dir: Path = LOCALES_DIR) -> list[Path]:
    """Compile every stale catalog; return the `.mo` files written."""
    written = []
    for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        # Written aside, then moved into place in one step: another process starting at the
        # same moment (a second worker, a parallel test) never reads a half-written file.
        partial = mo_path.with_name(f"{mo_path.stem}.{os.getpid()}.partial.mo")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(partial, mo_path)
        written.append(mo_path)
    if written:
        log.info("compiled %d translation catalogs", len(written))
    return written


def create_i18n(default_locale: str = "en", locales_dir: Path = LOCALES_DIR) -> DirectionalI18n:
    compile_catalogs(locales_dir)
    return DirectionalI18n(path=locales_dir, default_locale=default_locale, domain=DOMAIN)


def suggest_locale(telegram_language_code: str | None, default_locale: str) -> str:
    """Telegram tells us the app's language ("pl", "en-GB"); suggest it when we speak it."""
    if telegram_language_code:
        primary = telegram_language_code.replace("_", "-").split("-")[0].lower()
        if primary in SUPPORTED_LOCALES:
            return primary
    return default_locale


def languages_in_order(suggested: str) -> list[str]:
    """The suggested language first, then the rest in a fixed order."""
    return [suggested, *(code for code in SUPPORTED_LOCALES if code != suggested)]
