"""A person's data: everything we hold about them, and erasing it (UK GDPR articles 15 and 17)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import consent
from storage import audit, consents, dialog_records, outbox, participants, projects
from storage.models import ConsentDecision, Participant

# Someone who wrote to us but never agreed to take part is forgotten after this.
UNJOINED_RETENTION = timedelta(days=30)


async def forget_people_who_never_joined(session: AsyncSession, now: datetime) -> int:
    """Delete the records (and dialog state) of people who never consented, after a while."""
    telegram_ids = await participants.delete_unconsented_since(session, now - UNJOINED_RETENTION)
    await dialog_records.delete_chats(session, telegram_ids)
    return len(telegram_ids)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class PersonalData:
    document: dict[str, Any]
    projects: list[str]
    consent_version: str | None


async def collect(session: AsyncSession, participant: Participant) -> PersonalData:
    """Everything held about this person, and nothing about anyone else."""
    memberships = await projects.memberships_of(session, participant.id)
    project_rows = []
    for membership in memberships:
        project = await projects.get_project(session, membership.project_id)
        project_rows.append(
            {
                "project": project.name if project else None,
                "role": str(membership.role),
                "joined_at": _iso(membership.created_at),
            }
        )
    decisions = [
        {"version": record.version, "decision": str(record.decision), "at": _iso(record.decided_at)}
        for record in await consents.of_participant(session, participant.id)
    ]
    document = {
        "about": "Everything Coproduce holds about you.",
        "you": {
            "telegram_id": participant.telegram_id,
            "name_to_call_you": participant.display_name,
            "language": participant.locale,
            "time_zone": participant.timezone,
            "first_contact": _iso(participant.created_at),
            "last_contact": _iso(participant.last_seen_at),
            "joined_coproduce": _iso(participant.onboarded_at),
            "telegram_said_you_blocked_us": _iso(participant.unreachable_since),
        },
        "choices": {
            "consent_version": participant.consent_version,
            "consented_at": _iso(participant.consented_at),
            "may_quote_you_without_name": participant.may_quote,
            "may_use_your_name": participant.may_use_name,
            "messages_per_week": participant.messages_per_week,
            "quiet_hours": _quiet_hours(participant),
            "paused_since": _iso(participant.paused_at),
            "paused_until": _iso(participant.paused_until),
        },
        "projects": project_rows,
        "consent_decisions": decisions,
        "messages_we_sent_you": [
            {"kind": str(kind), "state": str(state), "due": _iso(due), "sent": _iso(sent)}
            for kind, state, due, sent in await outbox.deliveries_of(session, participant.id)
        ],
        "records_of_team_actions_about_you": [
            {
                "action": entry.action,
                "at": _iso(entry.at),
                "by_you": entry.actor_id == participant.id,
            }
            for entry in await audit.about_person(session, participant.id)
        ],
    }
    return PersonalData(
        document=document,
        projects=[row["project"] for row in project_rows if row["project"]],
        consent_version=participant.consent_version,
    )


def _quiet_hours(participant: Participant) -> str | None:
    if participant.quiet_start is None or participant.quiet_end is None:
        return None
    start, end = participant.quiet_start, participant.quiet_end
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


async def erase(session: AsyncSession, participant: Participant) -> None:
    """Delete the person and everything that names them. What stays is anonymous: consent
    decisions and audit entries lose their link to the person (the foreign keys set it to null),
    and one "withdrawn" decision records that someone left."""
    project_ids = [m.project_id for m in await projects.memberships_of(session, participant.id)]
    await consents.add(
        session,
        ConsentDecision.WITHDRAWN,
        participant.consent_version or consent.CONSENT_VERSION,
        participant_id=None,
        project_id=project_ids[0] if project_ids else None,
    )
    await participants.delete(session, participant)
