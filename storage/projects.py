"""Queries about projects and who holds which role in them."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Feedback, Membership, Participant, Project, ProjectText, Role


async def create_project(
    session: AsyncSession,
    name: str,
    *,
    description: str = "",
    timezone: str = "Europe/London",
    default_locale: str = "en",
) -> Project:
    project = Project(
        name=name, description=description, timezone=timezone, default_locale=default_locale
    )
    session.add(project)
    await session.flush()
    return project


async def get_project(session: AsyncSession, project_id: int) -> Project | None:
    return await session.get(Project, project_id)


async def set_role(
    session: AsyncSession, project: Project, participant: Participant, role: Role
) -> Membership:
    membership = (
        await session.execute(
            select(Membership).where(
                Membership.project_id == project.id, Membership.participant_id == participant.id
            )
        )
    ).scalar_one_or_none()
    if membership is None:
        membership = Membership(project_id=project.id, participant_id=participant.id, role=role)
    membership.role = role
    session.add(membership)
    await session.flush()
    return membership


async def memberships_of(session: AsyncSession, participant_id: int) -> list[Membership]:
    return list(
        (
            await session.execute(
                select(Membership)
                .where(Membership.participant_id == participant_id)
                .order_by(Membership.project_id)
            )
        ).scalars()
    )


async def member_ids(session: AsyncSession, project_id: int) -> list[int]:
    return list(
        (
            await session.execute(
                select(Membership.participant_id).where(Membership.project_id == project_id)
            )
        ).scalars()
    )


async def role_in(session: AsyncSession, project_id: int, participant_id: int) -> Role | None:
    return (
        await session.execute(
            select(Membership.role).where(
                Membership.project_id == project_id, Membership.participant_id == participant_id
            )
        )
    ).scalar_one_or_none()


async def all_projects(session: AsyncSession) -> list[Project]:
    return list((await session.execute(select(Project).order_by(Project.id))).scalars())


# -- the team's texts in other languages --------------------------------------------------------


async def texts_of(session: AsyncSession, project_id: int) -> dict[str, ProjectText]:
    """The team's ground rules and topics in each language a version was written in."""
    rows = await session.execute(select(ProjectText).where(ProjectText.project_id == project_id))
    return {text.locale: text for text in rows.scalars()}


async def text_version(session: AsyncSession, project_id: int, locale: str) -> ProjectText:
    """The version for this language, made (empty) if there is none yet."""
    found = (
        await session.execute(
            select(ProjectText).where(
                ProjectText.project_id == project_id, ProjectText.locale == locale
            )
        )
    ).scalar_one_or_none()
    if found is None:
        found = ProjectText(project_id=project_id, locale=locale)
        session.add(found)
        await session.flush()
    return found


async def save_text_version(session: AsyncSession, version: ProjectText) -> None:
    session.add(version)
    await session.flush()


async def rename_feedback_topic(session: AsyncSession, project_id: int, old: str, new: str) -> int:
    """The team's answers on a topic take its new words: how many did."""
    result = await session.execute(
        update(Feedback)
        .where(Feedback.project_id == project_id, Feedback.topic == old)
        .values(topic=new)
        .execution_options(synchronize_session="fetch")
    )
    await session.flush()
    return result.rowcount or 0
