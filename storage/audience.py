"""Who a broadcast reaches: one project's members who agreed to our terms and finished joining,
narrowed by the filters an `AudienceQuery` sets: a role, a language, the people who answered
a given availability poll, the people whose claim on a given offer holds a place.

Every filter is one optional field on `AudienceQuery` and one clause in `_conditions`; the
counts below follow with no other change.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Membership,
    Participant,
    PollAnswer,
    Project,
    ReciprocityClaim,
    Role,
)
from storage.reciprocity import HOLDING_STATES

# The language each person is sent: their own, else the project's (as the delivery engine does).
_LANGUAGE = func.coalesce(Participant.locale, Project.default_locale)


@dataclass(frozen=True)
class AudienceQuery:
    project_id: int
    role: Role | None = None
    language: str | None = None
    poll_id: int | None = None
    offer_id: int | None = None


def _conditions(query: AudienceQuery, *, by_role: bool = True, by_language: bool = True):
    conditions: list[ColumnElement[bool]] = [
        Membership.project_id == query.project_id,
        Participant.consent_version.is_not(None),
        Participant.onboarded_at.is_not(None),
    ]
    if by_role and query.role is not None:
        conditions.append(Membership.role == query.role)
    if by_language and query.language is not None:
        conditions.append(_LANGUAGE == query.language)
    if query.poll_id is not None:
        answered = select(PollAnswer.participant_id).where(PollAnswer.poll_id == query.poll_id)
        conditions.append(Participant.id.in_(answered))
    if query.offer_id is not None:
        claimed = select(ReciprocityClaim.participant_id).where(
            ReciprocityClaim.offer_id == query.offer_id,
            ReciprocityClaim.state.in_(HOLDING_STATES),
        )
        conditions.append(Participant.id.in_(claimed))
    return conditions


def _from(*columns):
    return (
        select(*columns)
        .select_from(Membership)
        .join(Participant, Participant.id == Membership.participant_id)
        .join(Project, Project.id == Membership.project_id)
    )


async def member_ids(session: AsyncSession, query: AudienceQuery) -> list[int]:
    statement = _from(Participant.id).where(*_conditions(query)).order_by(Participant.id)
    return list((await session.execute(statement)).scalars())


async def count(session: AsyncSession, query: AudienceQuery) -> int:
    statement = _from(func.count()).where(*_conditions(query))
    return (await session.execute(statement)).scalar_one()


async def count_by_role(session: AsyncSession, query: AudienceQuery) -> dict[Role, int]:
    """People per role, under every filter but the role one."""
    statement = (
        _from(Membership.role, func.count())
        .where(*_conditions(query, by_role=False))
        .group_by(Membership.role)
    )
    return {Role(role): n for role, n in (await session.execute(statement)).all()}


async def count_by_language(session: AsyncSession, query: AudienceQuery) -> dict[str, int]:
    """People per language they are sent, under every filter but the language one."""
    statement = (
        _from(_LANGUAGE, func.count())
        .where(*_conditions(query, by_language=False))
        .group_by(_LANGUAGE)
    )
    return dict((await session.execute(statement)).all())
