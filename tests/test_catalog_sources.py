"""Every text the bot shows reaches the translators: Babel only extracts a literal string, so a
text widget or a translation marker given a constant, or any gettext call given an f-string,
shows English to everyone (as the consent screen once did). `_(variable)` stays allowed: it
translates at run time a text marked with `__("...")` where it is defined."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.catalogs import KEYWORDS

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = {keyword.split(":")[0] for keyword in KEYWORDS}
# Where the msgid is written: these must be given the text itself.
MARKERS = {"I18nFormat", "__", "lazy_gettext"}


def _literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def test_every_translated_text_is_a_literal_babel_can_extract():
    found = []
    for folder in ("bot", "dialogs", "storage"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call) or _name(node) not in FUNCTIONS:
                    continue
                if not node.args:
                    continue
                first = node.args[0]
                built = isinstance(first, ast.JoinedStr | ast.BinOp)  # f"..." or "..." % x
                if built or (_name(node) in MARKERS and not _literal(first)):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, "texts the catalog never sees: " + ", ".join(found)


def _entries(path: Path) -> list[str]:
    """Each entry's msgctxt and msgid, as written (Babel merges duplicates when it reads;
    GNU msgfmt and translation tools refuse them)."""
    keys = []
    for block in path.read_text().split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        head = "\n".join(lines).split("msgstr")[0]
        if "msgid" in head:
            keys.append(head)
    return keys


def test_each_catalog_defines_each_message_once():
    catalogs = sorted(ROOT.glob("locales/*/LC_MESSAGES/*.po"))
    for path in [ROOT / "locales" / "messages.pot", *catalogs]:
        keys = _entries(path)
        repeated = {key for key in keys if keys.count(key) > 1}
        assert not repeated, f"{path.relative_to(ROOT)} defines twice: {sorted(repeated)[:3]}"
