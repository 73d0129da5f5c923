"""Catalog messages the engine renders in each recipient's language at send time."""

from __future__ import annotations


def __(message: str) -> str:
    """Marks a message for `coproduce i18n extract`; it is translated when sent."""
    return message


CATALOG: dict[str, str] = {
    "checkin_pulse": __("Check-in time for {project}. How are things going for you?"),
    "checkin_feedback": __(
        "Check-in time for {project}. Is there something you want to tell the team?"
    ),
}
