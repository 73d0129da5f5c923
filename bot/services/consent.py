"""Consent: what a person agreed to, and asking again when the text changes.

CONSENT_VERSION names the consent text in dialogs/onboarding. Change it whenever that text
changes in meaning: everyone who agreed to an older version is asked again at their next contact.
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from storage import consents, erasure, participants
from storage.models import ConsentDecision, Participant
from storage.types import utcnow

CONSENT_VERSION = "2026-11-22"

# "I changed my mind", under a refusal. We keep nothing of someone who said no, so the button
# itself carries what joining again needs: their language and the invite they came with.
# Telegram takes up to 64 bytes of button data; our invite codes are 22 characters.
CHANGED_MY_MIND_PREFIX = "rejoin:"
_BUTTON_DATA_LIMIT = 64
_CHANGED_MY_MIND = re.compile(r"rejoin:([a-z]{2,3})?:([A-Za-z0-9_-]{1,64})?")


def needs_renewal(participant: Participant | None) -> bool:
    """They agreed once, to a text that has since changed."""
    return (
        participant is not None
        and participant.consent_version is not None
        and participant.consent_version != CONSENT_VERSION
    )


def has_consented(participant: Participant | None) -> bool:
    return participant is not None and participant.consent_version == CONSENT_VERSION


async def give(session: AsyncSession, participant: Participant, project_id: int | None) -> None:
    version = CONSENT_VERSION
    participant.consent_version = version
    participant.consented_at = utcnow()
    session.add(participant)
    await consents.add(
        session,
        ConsentDecision.GIVEN,
        version,
        participant_id=participant.id,
        project_id=project_id,
    )


async def refuse(session: AsyncSession, participant: Participant, project_id: int | None) -> None:
    """Nothing is kept but the refusal, and the refusal keeps no link to the person: only that
    someone said no, to which text, for which project. Their record (language) is deleted."""
    await consents.add(
        session,
        ConsentDecision.REFUSED,
        CONSENT_VERSION,
        participant_id=None,
        project_id=project_id,
    )
    await participants.delete(session, participant)
    erasure.note(session)


def changed_my_mind_data(locale: str, code: str | None) -> str:
    """The data of the "I changed my mind" button. A code too long to fit is left out (ours
    always fit): the button then starts joining without a team, as /start does."""
    data = f"{CHANGED_MY_MIND_PREFIX}{locale}:{code or ''}"
    if len(data.encode()) > _BUTTON_DATA_LIMIT:
        data = f"{CHANGED_MY_MIND_PREFIX}{locale}:"
    return data


def read_changed_my_mind(data: str) -> tuple[str | None, str | None]:
    """(language, invite code) from the button's data; None for each part that is missing or
    is not what our button would carry (forged data starts joining with neither)."""
    found = _CHANGED_MY_MIND.fullmatch(data)
    if found is None:
        return None, None
    return found.group(1), found.group(2)
