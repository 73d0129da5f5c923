"""People are asked for informed consent in the language they chose, never in English only."""

from __future__ import annotations

import pytest

from bot.i18n import LANGUAGE_NAMES
from tests.conftest import make_team, press, say, tr

CONSENT = (
    "Before we start, here is what we keep. We keep your answers and the choices you make here. "
    "We use them to make the service better, with you. Only the team that runs your project can "
    "see them. We keep them while you take part. You can see them with /mydata and delete them "
    "with /forget."
)
MORE = (
    "What we keep: a number Telegram gives you (not your phone number), your language, your "
    "answers and your choices.\n"
    "Why: so your team can hear you and tell you what changed.\n"
    "Who sees it: the people who run your project. If you answer without your name, they do not "
    "see your name.\n"
    "How long: while you take part. Type /forget and we delete it at once.\n"
    "Need a break? Type /pause and we will not write to you."
)


@pytest.mark.parametrize("locale", ["cy", "pl", "ar"])
async def test_the_consent_screen_and_its_details_are_in_the_chosen_language(
    emulator, start_bot, locale
):
    running = await start_bot()
    _project_id, code = await make_team(running.app)
    newcomer = emulator.user(7301, language_code=locale)
    await say(emulator, newcomer, f"/start {code}")
    await press(emulator, newcomer, LANGUAGE_NAMES[locale], tr("Next", locale))

    shown = newcomer.last_message.text
    assert tr(CONSENT, locale) != CONSENT, "the consent text is not in the catalog"
    assert tr(CONSENT, locale) in shown
    assert "here is what we keep" not in shown

    await press(emulator, newcomer, tr("Read more", locale))
    assert newcomer.last_message.text == tr(MORE, locale) != MORE
