"""Every window in every language: no English left on a Welsh, Polish or Arabic screen.

Two checks, because English reaches a screen in two ways:

1. **Every text widget of every window** (walked from `dialogs_router()`, so a new window is
   checked the day it is added). An `I18nFormat` shows its msgid untranslated when the msgid is
   in no catalog (a text added without its catalog entries, or a constant Babel never saw, as
   the consent screen once was) or when a catalog "translates" it as the English. So each msgid
   must be in every catalog, and differ from the English in cy, pl and ar unless the word is
   the same in that language (a short list below). A `Format` or `Const` may hold only
   placeholders and signs: any word in it is English for everyone.
2. **A real render of the main windows** through the emulator: each joining screen and each
   command's screen, drawn for four people (en, cy, pl, ar) of one team. A line or button of a
   non-English screen that is also on the English one, and holds an English word that is not a
   name or team-written sample text, is English left in place: this finds text a getter builds
   (a label from a constant, a word formatted in the wrong language) that check 1 cannot see.

Rendering every window from made-up getter data was the other way. It was not chosen: most
getters read the database through ids in the dialog's data, so made-up data would test the
made-up data. The walk sees every window's texts, and the real render sees the getters' words.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from aiogram_dialog.widgets.text import Const, Format
from babel.messages.pofile import read_po

from bot.app import dialogs_router
from bot.i18n import LOCALES_DIR
from dialogs.common import I18nFormat
from storage import projects
from tests.conftest import make_staff, make_team, no_quiet_hours, ntr, press, say, settle, tr

LOCALES = ("cy", "pl", "ar")
# The same word in English and in that language: not English left in place.
SAME_IN = {
    "cy": {"Help", "OK"},
    "pl": {"OK"},
    "ar": set(),
}
# Names and team-written sample text the stories use: the same in every language.
TEAM = "Carers' voice"
TOPICS = "Waiting times\nTransport"
RULES = "Listen first.\nEvery voice counts."
NAMES = {"Coproduce", "English", "Cymraeg", "Polski", "Sam", "Telegram", "CSV", "JSON"}
SAMPLE_WORDS = set(re.findall(r"[A-Za-z]+", f"{TEAM} {TOPICS} {RULES}"))
# Cities a time zone is shown by: some are spelt the same in Welsh or Polish (Berlin, Dubai).
CITIES = {"London", "Dublin", "Warsaw", "Berlin", "Kyiv", "Cairo", "Dubai", "Karachi"}
ALLOWED_WORDS = NAMES | SAMPLE_WORDS | CITIES
WORD = re.compile(r"[A-Za-z]{3,}")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
COMMAND = re.compile(r"/[a-z]+")


# -- 1. every text widget of every window -----------------------------------------------------


def _texts(widget, seen: set[int]) -> Iterator[object]:
    """Every text widget inside a window's widget tree."""
    if id(widget) in seen:
        return
    seen.add(id(widget))
    if isinstance(widget, I18nFormat | Format | Const):
        yield widget
        return
    children = vars(widget).values() if hasattr(widget, "__dict__") else ()
    for child in children:
        if isinstance(child, list | tuple):
            items = child
        elif isinstance(child, dict):
            items = child.values()
        else:
            items = (child,)
        for item in items:
            if type(item).__module__.startswith(("aiogram_dialog.widgets", "dialogs")):
                yield from _texts(item, seen)


def every_window_text(router=None) -> Iterator[tuple[str, object]]:
    """(state, text widget) for each text of each window of each dialog."""
    for dialog in (router or dialogs_router()).sub_routers:
        for window in dialog.windows.values():
            for name in ("text", "keyboard", "media"):
                part = getattr(window, name, None)
                if part is not None:
                    for text in _texts(part, set()):
                        yield window.get_state().state, text


@functools.cache
def _catalog(locale: str) -> dict[str, str]:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return {
            (m.id[0] if isinstance(m.id, tuple) else m.id): (
                m.string[0] if isinstance(m.string, tuple) else m.string
            )
            for m in read_po(file, locale=locale)
            if m.id
        }


def _words(text: str) -> set[str]:
    """The words of a text, leaving out placeholders and /commands."""
    return set(WORD.findall(COMMAND.sub("", PLACEHOLDER.sub("", text))))


def _has_words(text: str) -> bool:
    return bool(_words(text))


def english_left_in_windows(router=None) -> list[str]:
    found = []
    for state, widget in every_window_text(router):
        if isinstance(widget, I18nFormat):
            msgid = widget.msgid
            if not _has_words(msgid) or msgid in NAMES:
                continue
            if msgid not in _catalog("en"):
                found.append(f"{state}: {msgid[:50]!r} is in no catalog")
                continue
            for locale in LOCALES:
                translated = _catalog(locale).get(msgid)
                if not translated or (translated == msgid and msgid not in SAME_IN[locale]):
                    found.append(f"{state}: {msgid[:50]!r} is English in {locale}")
        else:
            text = widget.text
            if _words(text) - ALLOWED_WORDS:
                found.append(f"{state}: {type(widget).__name__}({text[:50]!r}) is English for all")
    return found


def test_the_walk_finds_the_texts_of_every_window():
    """The walk reaches into rows, columns, pickers and conditional texts: the consent screen's
    texts and a picker's item label are found, so an empty walk cannot pass the check below."""
    texts = list(every_window_text())
    msgids = {widget.msgid for _state, widget in texts if isinstance(widget, I18nFormat)}
    assert "No, thanks" in msgids and "Read more" in msgids
    assert any(msgid.startswith("Before we start, here is what we keep.") for msgid in msgids)
    assert "We have changed what we ask you to agree to." in msgids  # a text shown `when`
    assert any(isinstance(widget, Format) for _state, widget in texts)
    assert len({state for state, _widget in texts}) > 100


def test_every_text_of_every_window_is_in_each_language():
    assert english_left_in_windows() == []


def test_a_text_without_its_catalog_entries_is_found():
    """What check 1 catches: a new window text nobody added to the catalogs, and the consent
    screen as it once was (its msgid a constant Babel never extracted)."""
    from aiogram_dialog import Dialog, Window

    from dialogs.states import MainMenu

    router = dialogs_router()
    router.include_router(
        Dialog(
            Window(
                I18nFormat("Before we start, here is what we keep (a constant)."),
                Format("Tap {name} to go on"),
                state=MainMenu.help,
            )
        )
    )
    found = english_left_in_windows(router)
    assert any("(a constant)" in line and "no catalog" in line for line in found)
    assert any("Tap {name} to go on" in line for line in found)


# -- 2. a real render of the main windows ------------------------------------------------------

LANGUAGE_BUTTON = {"en": "English", "cy": "Cymraeg", "pl": "Polski", "ar": "العربية"}
COMMANDS = (
    "/menu",
    "/help",
    "/language",
    "/settings",
    "/pause",
    "/feedback",
    "/meetings",
    "/updates",
    "/offers",
    "/mycontribution",
    "/forget",
    "/team",
    "/export",
)

ONE_TAP_FROM = ("/menu", "/settings", "/team")


def _screen(person) -> list[str]:
    last = person.last_message
    return [line.strip() for line in (last.body.splitlines() if last else [])] + last.labels


async def _joining_screens(emulator, telegram_id: int, locale: str, code: str) -> list[list[str]]:
    """Join, keeping each screen seen on the way, the consent's "Read more" included."""
    person = emulator.user(telegram_id, first_name="Sam", language_code=locale)
    screens = []

    async def then(*labels: str) -> None:
        await press(emulator, person, *labels)
        screens.append(_screen(person))

    await say(emulator, person, f"/start {code}")
    screens.append(_screen(person))
    await then(LANGUAGE_BUTTON[locale])
    await then(tr("Next", locale))
    await then(tr("Read more", locale))
    await then(tr("Back", locale))
    await then(tr("I agree", locale))  # consent
    await then(tr("Yes", locale))  # quotes
    await then(tr("Yes", locale))  # name shown
    await then(tr("I agree", locale))  # ground rules
    await then(tr("Skip", locale))  # name
    await then(ntr("Up to {count} message a week", "Up to {count} messages a week", 3, locale))
    await settle(emulator, await person.press(person.buttons[0]))  # quiet hours
    screens.append(_screen(person))
    await settle(emulator, await person.press(person.buttons[0]))  # time zone
    screens.append(_screen(person))
    return screens


def _english_left(line: str, english: set[str], locale: str) -> bool:
    if line not in english or line in SAME_IN[locale]:
        return False
    return bool(set(WORD.findall(COMMAND.sub("", line))) - ALLOWED_WORDS)


async def test_the_main_windows_drawn_for_real_hold_no_english_in_cy_pl_ar(emulator, start_bot):
    running = await start_bot()
    app = running.app
    project_id, code = await make_team(app, feedback_topics=TOPICS)
    async with app.sessions() as session:
        project = await projects.get_project(session, project_id)
        project.ground_rules = RULES
        session.add(project)
        await session.commit()
    people = {"en": 8200, "cy": 8201, "pl": 8202, "ar": 8203}
    screens = {}
    for locale, telegram_id in people.items():
        await make_staff(app, telegram_id, project_id)
        screens[locale] = await _joining_screens(emulator, telegram_id, locale, code)
    await no_quiet_hours(app, *people.values())
    for command in COMMANDS:
        for locale, telegram_id in people.items():
            person = emulator.user(telegram_id)
            await say(emulator, person, command)
            screens[locale].append(_screen(person))
    # One tap further from the screens with the most behind them, by each button's place (the
    # same in every language), leaving out the language switch and the ways back.
    english_person = emulator.user(people["en"])
    for command in ONE_TAP_FROM:
        await say(emulator, english_person, command)
        places = [
            place
            for place, label in enumerate(english_person.last_message.labels)
            if not label.startswith("🌐") and label not in ("Back", "Back to the menu")
        ]
        for place in places:
            for locale, telegram_id in people.items():
                person = emulator.user(telegram_id)
                await say(emulator, person, command)
                await press(emulator, person, person.last_message.labels[place])
                screens[locale].append(_screen(person))
    found = []
    for locale in LOCALES:
        for english, theirs in zip(screens["en"], screens[locale], strict=True):
            left = [line for line in theirs if _english_left(line, set(english), locale)]
            found += [f"{locale}: {line[:60]!r}" for line in left]
    assert found == [], "\n".join(found)
