"""Telling staff honestly who gets a message later, and why: "It goes to 4 people. 1 is paused
and gets it when they come back." Shared by the broadcast and "you said, we did" confirmations.
The figures come from bot.services.delivery.waiting (the engine's own rules)."""

from __future__ import annotations

from aiogram.utils.i18n import ngettext
from aiogram_dialog import DialogManager

from bot.services.delivery import Waiting, waiting
from storage.types import utcnow

# Telegram's limit for the text of a pop-up answer to a button.
POP_UP_LIMIT = 200


def _length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def later_lines(waiting: Waiting) -> list[str]:
    """One short sentence per reason, in the reader's language (the update's locale)."""
    lines = []
    if waiting.paused:
        lines.append(
            ngettext(
                "{count} is paused and gets it when they come back.",
                "{count} are paused and get it when they come back.",
                waiting.paused,
            ).format(count=waiting.paused)
        )
    if waiting.quiet_hours:
        lines.append(
            ngettext(
                "{count} gets it when their quiet hours end.",
                "{count} get it when their quiet hours end.",
                waiting.quiet_hours,
            ).format(count=waiting.quiet_hours)
        )
    if waiting.over_cap:
        lines.append(
            ngettext(
                "{count} has had this week's messages and gets it later.",
                "{count} have had this week's messages and get it later.",
                waiting.over_cap,
            ).format(count=waiting.over_cap)
        )
    return lines


def with_later(confirmation: str, waiting: Waiting, limit: int = POP_UP_LIMIT) -> str:
    """The confirmation, then who gets it later and why; in one sentence if that is too long
    for a pop-up."""
    if not waiting.total:
        return confirmation
    text = " ".join([confirmation, *later_lines(waiting)])
    if _length(text) <= limit:
        return text
    return " ".join(
        [
            confirmation,
            ngettext(
                "{count} gets it later, when they can.",
                "{count} get it later, when they can.",
                waiting.total,
            ).format(count=waiting.total),
        ]
    )


async def confirmation_with_later(
    manager: DialogManager,
    confirmation: str,
    *,
    action: str | None = None,
    message_ids: list[int] | None = None,
) -> str:
    """`with_later` for what was just queued (in this update's session, before its commit)."""
    data = manager.middleware_data
    found = await waiting(
        data["session"],
        now=utcnow(),
        default_timezone=data["delivery"].default_timezone,
        action=action,
        message_ids=message_ids,
    )
    return with_later(confirmation, found)
