"""The translation pipeline: extract -> update -> (translate) -> compile.

    coproduce i18n extract   # sources -> locales/messages.pot
    coproduce i18n update    # .pot -> every locales/<lang>/LC_MESSAGES/messages.po
    coproduce i18n compile   # .po -> .mo (also done on every start when a .po is newer)

English is the source language: its catalog's translations are the msgids themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from bot.config import SUPPORTED_LOCALES
from bot.i18n import DOMAIN, LOCALES_DIR, compile_catalogs

ROOT = LOCALES_DIR.parent
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
# Functions and widgets whose first argument (and second, for plurals) is a msgid.
KEYWORDS = ["_", "__", "gettext", "lazy_gettext", "ngettext:1,2", "I18nFormat"]


def _babel(*args: str) -> None:
    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        CommandLineInterface().run(["pybabel", "-q", *args])
    finally:
        os.chdir(previous)


def extract() -> None:
    """Paths in the template are relative to the project, whatever the current folder."""
    keyword_args = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    _babel(
        "extract",
        "--no-default-keywords",
        *keyword_args,
        "-F",
        str(LOCALES_DIR / "babel.cfg"),
        "-o",
        str(TEMPLATE),
        "--project=Coproduce",
        "--sort-by-file",
        "--no-wrap",
        "--msgid-bugs-address=https://github.com/coproduce/coproduce/issues",
        ".",
    )


def _po_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def update() -> None:
    for locale in SUPPORTED_LOCALES:
        path = _po_path(locale)
        command = "update" if path.exists() else "init"
        _babel(
            command,
            "-i",
            str(TEMPLATE),
            "-d",
            str(LOCALES_DIR),
            "-D",
            DOMAIN,
            "-l",
            locale,
            *(["--no-wrap", "--ignore-obsolete"] if command == "update" else ["--no-wrap"]),
        )
    _fill_source_language()


def _fill_source_language() -> None:
    path = _po_path("en")
    with path.open("rb") as file:
        catalog = read_po(file, locale="en")
    for message in catalog:
        if message.id:
            message.string = message.id
            message.flags.discard("fuzzy")
    with path.open("wb") as file:
        write_po(file, catalog, width=0, ignore_obsolete=True)


def main(action: str) -> int:
    if action == "extract":
        extract()
    elif action == "update":
        update()
    else:
        for path in compile_catalogs():
            print(path)
    return 0
