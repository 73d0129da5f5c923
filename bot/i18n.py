"""Translations: compile the gettext catalogs and choose a participant's language.

Catalogs (`locales/<lang>/LC_MESSAGES/messages.po`) are compiled to `.mo` on start whenever a `.po`
is newer, so compiled files are never stale and never committed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from aiogram.utils.i18n import I18n
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


def compile_catalogs(locales_dir: Path = LOCALES_DIR) -> list[Path]:
    """Compile every stale catalog; return the `.mo` files written."""
    written = []
    for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        written.append(mo_path)
    if written:
        log.info("compiled %d translation catalogs", len(written))
    return written


def create_i18n(default_locale: str = "en", locales_dir: Path = LOCALES_DIR) -> I18n:
    compile_catalogs(locales_dir)
    return I18n(path=locales_dir, default_locale=default_locale, domain=DOMAIN)


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
