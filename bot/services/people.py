"""Rules about a person: their language, and what their roles let them do."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SUPPORTED_LOCALES
from storage import participants, projects
from storage.models import Participant, Role

STAFF_ROLES = frozenset({Role.FACILITATOR, Role.COORDINATOR})


class UnsupportedLanguage(ValueError):
    pass


async def choose_language(session: AsyncSession, participant: Participant, locale: str) -> None:
    if locale not in SUPPORTED_LOCALES:
        raise UnsupportedLanguage(locale)
    await participants.set_locale(session, participant, locale)


@dataclass(frozen=True)
class TeamSummary:
    project_name: str
    people: int
    by_language: dict[str, int]


async def staff_projects(session: AsyncSession, participant: Participant | None) -> list[int]:
    """Projects where this person may use the team tools (a role decides what one may do)."""
    if participant is None or participant.id is None:
        return []
    return [
        membership.project_id
        for membership in await projects.memberships_of(session, participant.id)
        if membership.role in STAFF_ROLES
    ]


async def team_summaries(
    session: AsyncSession, participant: Participant | None
) -> list[TeamSummary]:
    summaries = []
    for project_id in await staff_projects(session, participant):
        project = await projects.get_project(session, project_id)
        if project is None:
            continue
        member_ids = await projects.member_ids(session, project_id)
        summaries.append(
            TeamSummary(
                project_name=project.name,
                people=len(member_ids),
                by_language=await participants.count_by_locale(session, member_ids),
            )
        )
    return summaries
