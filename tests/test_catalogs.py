"""Every language is complete and every English sentence is plain."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
import textstat
from babel.messages.pofile import read_po

from bot.config import SUPPORTED_LOCALES
from bot.i18n import LOCALES_DIR, compile_catalogs, create_i18n

PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _catalog(locale: str):
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=locale)


def _template():
    with (LOCALES_DIR / "messages.pot").open("rb") as file:
        return read_po(file)


def _placeholders(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def _english_strings() -> list[str]:
    strings = []
    for message in _template():
        if not message.id:
            continue
        strings.extend(message.id if isinstance(message.id, tuple) else [message.id])
    return strings


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_message_is_translated_with_the_same_placeholders(locale):
    catalog = _catalog(locale)
    assert catalog.plural_forms and "nplurals=" in catalog.plural_forms
    assert "Plural-Forms" in dict(catalog.mime_headers)
    template_ids = {message.id for message in _template() if message.id}
    assert template_ids <= {message.id for message in catalog if message.id}, "run i18n update"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        for translated in strings:
            if _placeholders(translated) != _placeholders(ids[-1]):
                problems.append(f"placeholders differ: {ids[0]!r} -> {translated!r}")
    assert not problems, "\n".join(problems)


def test_catalogs_compile_and_every_language_loads(tmp_path):
    for locale in SUPPORTED_LOCALES:
        source = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
        target = tmp_path / locale / "LC_MESSAGES"
        target.mkdir(parents=True)
        (target / "messages.po").write_bytes(source.read_bytes())
    assert len(compile_catalogs(tmp_path)) == len(SUPPORTED_LOCALES)
    assert compile_catalogs(tmp_path) == []  # nothing stale the second time
    i18n = create_i18n("en", tmp_path)
    assert set(i18n.available_locales) == set(SUPPORTED_LOCALES)
    greeting = "Hello! Please choose your language."
    translations = {i18n.gettext(greeting, locale=locale) for locale in SUPPORTED_LOCALES}
    assert len(translations) == len(SUPPORTED_LOCALES)


def _sentences(text: str) -> list[str]:
    text = PLACEHOLDER.sub("it", text)
    parts = re.split(r"(?<=[.!?:])\s+|\n+", text)
    return [part.strip(" •-") for part in parts if part.strip(" •-")]


def test_english_sentences_are_short_and_plain():
    strings = _english_strings()
    assert strings
    long_sentences = [
        sentence for text in strings for sentence in _sentences(text) if len(sentence.split()) > 20
    ]
    assert not long_sentences, long_sentences
    prose = " ".join(
        sentence if sentence.endswith((".", "!", "?")) else sentence + "."
        for text in strings
        for sentence in _sentences(text)
    )
    score = textstat.flesch_reading_ease(prose)
    assert score >= 60, f"Flesch reading ease {score:.0f} is under 60: use shorter, everyday words"


def test_compiled_catalogs_are_not_committed():
    gitignore = (Path(__file__).parent.parent / ".gitignore").read_text()
    assert "*.mo" in gitignore.splitlines()
