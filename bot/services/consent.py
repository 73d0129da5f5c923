"""Consent: what a person agreed to, and asking again when the text changes.

CONSENT_VERSION names the consent text in dialogs/onboarding. Change it whenever that text
changes in meaning: everyone who agreed to an older version is asked again at their next contact.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage import consents, erasure, participants
from storage.models import ConsentDecision, Participant
from storage.types import utcnow

CONSENT_VERSION = "2026-11-22"


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
