"""Arabic reads right to left, but the team writes topics and titles in English and commands are
Latin. Each word the team wrote sits in a first-strong isolate (U+2068 ... U+2069), so a line
that starts with "Transport" stays an Arabic line; each /command sits in a left-to-right
isolate (U+2066 ... U+2069), so /settings never shows as settings/. The certificate works out
each paragraph's direction before it wraps the lines, and keeps them in reading order."""

from __future__ import annotations

import unicodedata

from bot.i18n import FSI, LRI, PDI, fill, isolate, isolate_commands
from bot.services import certificates
from bot.services.certificates import CertificateWords, paragraph_direction, wrap
from storage.models import OfferKind
from tests.conftest import (
    FEEDBACK_TOPICS,
    add_offer,
    join,
    make_team,
    press,
    say,
    tr,
)

ARABIC = {"language": "العربية", "language_code": "ar"}


def _first_strong(text: str) -> str:
    """The direction a phone gives a line: its first letter outside isolates (UAX #9 P2)."""
    depth = 0
    for char in text:
        if char in (FSI, LRI, "\u2067"):
            depth += 1
        elif char == PDI:
            depth -= 1
        elif depth == 0 and unicodedata.bidirectional(char) in ("L", "R", "AL"):
            return "ltr" if unicodedata.bidirectional(char) == "L" else "rtl"
    return "none"


def test_values_and_commands_are_isolated_in_arabic_only():
    assert fill("{topic}. كيف تسير الأمور؟", "ar", {"topic": "Transport"}) == (
        f"{FSI}Transport{PDI}. كيف تسير الأمور؟"
    )
    assert fill("{topic}. How is it going?", "en", {"topic": "Transport"}) == (
        "Transport. How is it going?"
    )
    # format specs and item look-ups still work; each line of a value is isolated on its own
    assert (
        fill("{n:>3} {item[1]}", "ar", {"n": 5, "item": (1, "x")}) == f"{FSI}  5{PDI} {FSI}x{PDI}"
    )
    assert isolate("one\ntwo", "ar") == f"{FSI}one{PDI}\n{FSI}two{PDI}"
    # commands, once, and never a link or a date
    assert isolate_commands("اكتب /settings أو /start.", "ar") == (
        f"اكتب {LRI}/settings{PDI} أو {LRI}/start{PDI}."
    )
    done = f"عبر {LRI}/mydata{PDI}"
    assert isolate_commands(done, "ar") == done
    for left_alone in ("https://example.org/settings", "1/12/2026", "and/or"):
        assert isolate_commands(left_alone, "ar") == left_alone
    assert isolate_commands("type /settings", "en") == "type /settings"


async def test_an_arabic_person_sees_an_english_topic_and_title_isolated(emulator, start_bot):
    running = await start_bot()
    project_id, code = await make_team(running.app, feedback_topics=FEEDBACK_TOPICS)
    await add_offer(running.app, project_id, "Free course", kind=OfferKind.TRAINING)
    await add_offer(running.app, project_id, "Bus fares", kind=OfferKind.TRAVEL)
    sam = await join(emulator, 6500, code=code, **ARABIC)

    await say(emulator, sam, "/feedback")
    await press(emulator, sam, "Transport")
    topic_screen = sam.last_message.text
    assert topic_screen.startswith(f"{FSI}Transport{PDI}")
    assert _first_strong(topic_screen) == "rtl"  # the line stays Arabic

    await say(emulator, sam, "/offers")
    [course] = [label for label in sam.buttons if "Free course" in label]
    await press(emulator, sam, course, tr("Ask for this", "ar"))
    assert f"{FSI}Free course{PDI}" in sam.last_message.text
    assert _first_strong(sam.last_message.text) == "rtl"

    # A travel amount typed the Arabic way is read, and shown isolated.
    await say(emulator, sam, "/offers")
    [fares] = [label for label in sam.buttons if "Bus fares" in label]
    await press(emulator, sam, fares, tr("Ask for this", "ar"))
    await say(emulator, sam, "٣٫٢٠")
    await press(emulator, sam, tr("Skip", "ar"))
    asked = sam.last_message.text
    assert "3.20" in asked.replace("٫", ".") and FSI in asked


async def test_a_command_in_an_arabic_message_stays_left_to_right(emulator, start_bot):
    running = await start_bot()
    _project_id, code = await make_team(running.app)
    sam = await join(emulator, 6501, code=code, name="Sam Smith", **ARABIC)
    await say(emulator, sam, "/mydata")
    summary = next(m.text for m in reversed(sam.messages) if m.text and "Sam Smith" in m.text)
    assert f"{LRI}/forget{PDI}" in summary
    assert f"{FSI}Sam Smith{PDI}" in summary
    assert "forget/" not in summary.replace(LRI, "").replace(PDI, "")


# -- the certificate ---------------------------------------------------------------------------


def test_a_long_arabic_certificate_line_wraps_in_reading_order():
    words = "هذه شهادة شكر إلى {name} على المشاركة في فريق الخدمة طوال العام الماضي مع الزملاء"
    text = fill(words, "ar", {"name": "Sam Smith"})
    lines = wrap(text, len, 24)
    assert len(lines) > 2
    assert lines[0].startswith("هذه شهادة")  # the first words first, whatever the direction
    assert " ".join(line.replace(FSI, "").replace(PDI, "") for line in lines) == (
        words.replace("{name}", "Sam Smith")
    )
    assert all(len(line) <= 24 + 2 for line in lines)
    # The isolated name is never cut between two lines when it fits on one.
    assert any(f"{FSI}Sam Smith{PDI}" in line for line in lines)
    # A name too long for a line is cut, each part still isolated on its own line.
    long_name = wrap(f"إلى {FSI}Alexandra Catherine Montgomery{PDI} شكرا", len, 16)
    assert all(line.count(FSI) == line.count(PDI) for line in long_name)


def test_a_paragraph_s_direction_is_worked_out_before_its_lines():
    arabic = fill("{name} شارك في {teams}.", "ar", {"name": "Sam Smith", "teams": "Leeds"})
    assert paragraph_direction(arabic, "rtl") == "rtl"  # not "ltr" from the English name
    welsh = "Diolch i Sam am gymryd rhan yn " + isolate("فريق الخدمة", "ar")
    assert paragraph_direction(welsh, "ltr") == "ltr"
    assert paragraph_direction("2026", "rtl") == "rtl"  # no letters: the language decides


def test_an_arabic_certificate_with_english_names_is_drawn():
    page = CertificateWords(
        heading="شهادة مساهمة",
        paragraphs=[
            fill(
                "هذه شهادة شكر إلى {name} على المشاركة في {teams}.",
                "ar",
                {
                    "name": "Sam Smith",
                    "teams": "Leeds Recovery College",
                },
            )
            * 3
        ],
        footer=fill("صدرت في {day} عن {teams}.", "ar", {"day": "1", "teams": "Leeds"}),
        locale="ar",
    )
    assert certificates.render_pdf(page).startswith(b"%PDF")
