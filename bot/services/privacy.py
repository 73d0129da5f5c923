"""A person's data: everything we hold about them, and erasing it (UK GDPR articles 15 and 17)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import consent
from storage import audit, consents, dialog_records, erasure, outbox, participants, projects
from storage import feedback as feedback_store
from storage.models import ConsentDecision, Participant

# Someone who wrote to us but never agreed to take part is forgotten after this.
UNJOINED_RETENTION = timedelta(days=30)


async def forget_people_who_never_joined(session: AsyncSession, now: datetime) -> int:
    """Delete the records (and dialog state) of people who never consented, after a while."""
    telegram_ids = await participants.delete_unconsented_since(session, now - UNJOINED_RETENTION)
    await dialog_records.delete_chats(session, telegram_ids)
    if telegram_ids:
        erasure.note(session, now)
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
        **await _feedback_of(session, participant.id),
        **await _reciprocity_of(session, participant.id),
        **await _meetings_of(session, participant.id),
    }
    return PersonalData(
        document=document,
        projects=[row["project"] for row in project_rows if row["project"]],
        consent_version=participant.consent_version,
    )


async def _feedback_of(session: AsyncSession, participant_id: int) -> dict[str, Any]:
    """Their feedback (withdrawn answers too: we keep that they withdrew, not the words),
    pulse answers and replies to "you said, we did" updates."""
    answers = await feedback_store.all_feedback_of(session, participant_id)
    return {
        "feedback_you_gave": [
            {
                "project_id": answer.project_id,
                "topic": answer.topic,
                "rating": answer.rating,
                "text": answer.text,
                "voice_note": bool(answer.voice_file_id),
                "with_your_name": not answer.anonymous,
                "given_at": _iso(answer.created_at),
                "changed_at": _iso(answer.updated_at),
                "withdrawn_at": _iso(answer.withdrawn_at),
            }
            for answer in answers
        ],
        "how_things_were_going": [
            {"answer": str(pulse.answer), "comment": pulse.comment, "at": _iso(pulse.created_at)}
            for pulse in await feedback_store.pulses_of(session, participant_id)
        ],
        "your_answers_to_updates": [
            {"update_id": reply.update_id, "answer": str(reply.answer), "comment": reply.comment}
            for reply in await feedback_store.replies_of(session, participant_id)
        ],
    }


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
    # Their open requests for thank-you offers go with them: free the places they held.
    from storage import reciprocity as reciprocity_store

    await reciprocity_store.release_places_of(session, participant.id)
    await participants.delete(session, participant)
    # Deleted rows leave copies in the database's own files until it cleans up: see there.
    erasure.note(session)


async def _reciprocity_of(session: AsyncSession, participant_id: int) -> dict[str, Any]:
    """What they asked for from thank-you offers, time logged for them, and thank-yous sent.
    (All of it goes with them on erasure: the rows cascade with the participant.)"""
    from storage import reciprocity as reciprocity_store

    return {
        "thank_you_offers_you_asked_for": [
            {
                "offer_id": claim.offer_id,
                "kind": str(offer.kind),
                "state": str(claim.state),
                "amount_pence": claim.amount_pence,
                "receipt_photo": bool(claim.receipt_file_id),
                "asked_at": _iso(claim.requested_at),
                "decided_at": _iso(claim.decided_at),
                "reason_given": claim.reason,
                "given_at": _iso(claim.fulfilled_at),
            }
            for claim, offer in await reciprocity_store.claims_of_participant(
                session, participant_id
            )
        ],
        "time_logged_for_you": [
            {
                "project_id": activity.project_id,
                "minutes": activity.minutes,
                "day": activity.day.isoformat(),
                "what": activity.description,
                "logged_at": _iso(activity.logged_at),
            }
            for activity in await reciprocity_store.activities_of(session, participant_id)
        ],
        "thank_you_messages": [
            {"month": thanks.period, "queued_at": _iso(thanks.queued_at)}
            for thanks in await reciprocity_store.thanks_of(session, participant_id)
        ],
    }


async def _meetings_of(session: AsyncSession, participant_id: int) -> dict[str, Any]:
    """Their answers about meeting times, what they said would help them come, meetings they
    were told of, and whether they came. (All of it cascades with them on erasure.)"""
    from storage import meetings as meetings_store

    records = await meetings_store.personal_records(session, participant_id)
    return {
        "meeting_times_you_answered": [
            {"meeting": title, "time": _iso(starts_at), "answer": str(choice), "at": _iso(at)}
            for title, starts_at, choice, at in records["answers"]
        ],
        "what_would_help_you_come": [
            {"meeting": title, "need": str(kind), "your_words": note}
            for title, kind, note in records["access_needs"]
        ],
        "meetings_we_told_you_about": [
            {
                "meeting": title,
                "time": _iso(starts_at),
                "status": str(status),
                "you_said_you_cannot_come": _iso(cant_come_at),
            }
            for title, starts_at, status, cant_come_at in records["meetings"]
        ],
        "meetings_you_came_to": [
            {"meeting": title, "time": _iso(starts_at), "came": attended}
            for title, starts_at, attended in records["attendance"]
        ],
    }
