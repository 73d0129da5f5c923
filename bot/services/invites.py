"""Invites: who may join which project, with which role, and for how long."""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import qrcode
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, invites, projects
from storage.models import Invite, Participant, Project, Role
from storage.types import utcnow

# Telegram's /start payload: up to 64 of A-Z, a-z, 0-9, _ and -.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Joined:
    project: Project
    role: Role


def new_code() -> str:
    """16 random bytes: 22 url-safe characters, unguessable, well inside Telegram's 64.
    It starts with a letter or digit, so it reads as a value, never an option, when typed."""
    while not (code := secrets.token_urlsafe(16))[0].isalnum():
        pass
    return code


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def qr_png(link: str) -> bytes:
    image = qrcode.make(link, box_size=10, border=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class InvalidLimits(ValueError):
    """An invite nobody could use: no uses at all, or a life that ended before it began."""


def limits_problem(*, expires_in: timedelta | None, max_uses: int | None) -> str | None:
    """Why these limits would make a dead link (plain words for the command line), or None."""
    if max_uses is not None and max_uses < 1:
        return "--max-uses takes 1 or more (leave it out for no limit): 0 uses admits nobody"
    if expires_in is not None and expires_in <= timedelta(0):
        return (
            "--expires-days takes 1 or more (leave it out for a link that does not expire): "
            "the link would not work even once"
        )
    return None


async def create_invite(
    session: AsyncSession,
    project: Project,
    role: Role,
    *,
    created_by: Participant | None = None,
    expires_in: timedelta | None = None,
    max_uses: int | None = None,
    now: datetime | None = None,
) -> Invite:
    problem = limits_problem(expires_in=expires_in, max_uses=max_uses)
    if problem:
        raise InvalidLimits(problem)
    now = now or utcnow()
    invite = Invite(
        code=new_code(),
        project_id=project.id,
        role=role,
        created_by=created_by.id if created_by else None,
        expires_at=now + expires_in if expires_in else None,
        max_uses=max_uses,
    )
    await invites.add(session, invite)
    await audit.record(
        session,
        "invite.create",
        actor_id=created_by.id if created_by else None,
        project_id=project.id,
        detail=f"role={role.value} invite={invite.id}",
    )
    return invite


async def revoke(session: AsyncSession, code: str, *, by: Participant | None = None) -> bool:
    invite = await invites.by_code(session, code)
    if invite is None:
        return False
    invite.revoked_at = invite.revoked_at or utcnow()
    session.add(invite)
    await audit.record(
        session,
        "invite.revoke",
        actor_id=by.id if by else None,
        project_id=invite.project_id,
        detail=f"invite={invite.id}",
    )
    return True


async def project_id_for(session: AsyncSession, code: str) -> int | None:
    invite = await invites.by_code(session, code) if CODE_PATTERN.match(code or "") else None
    return invite.project_id if invite else None


def problem_with(invite: Invite | None, now: datetime) -> InviteProblem | None:
    if invite is None:
        return InviteProblem.UNKNOWN
    if invite.revoked_at is not None:
        return InviteProblem.REVOKED
    if invite.expires_at is not None and invite.expires_at <= now:
        return InviteProblem.EXPIRED
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        return InviteProblem.USED_UP
    return None


async def check(
    session: AsyncSession, code: str, now: datetime | None = None
) -> InviteProblem | None:
    """Whether a code could be used now, without using it."""
    if not CODE_PATTERN.match(code or ""):
        return InviteProblem.UNKNOWN
    return problem_with(await invites.by_code(session, code), now or utcnow())


async def redeem(
    session: AsyncSession, code: str, participant: Participant, now: datetime | None = None
) -> Joined | InviteProblem:
    """Join the invite's project with its role. Someone already in the project keeps the higher
    of the two roles, so a participant invite never demotes a facilitator."""
    now = now or utcnow()
    invite = await invites.by_code(session, code) if CODE_PATTERN.match(code or "") else None
    problem = problem_with(invite, now)
    if problem is not None:
        return problem
    project = await projects.get_project(session, invite.project_id)
    role = Role(invite.role)
    current = await projects.role_in(session, project.id, participant.id)
    if current is not None and _rank(Role(current)) >= _rank(role):
        return Joined(project, Role(current))
    if not await invites.count_use(session, invite):
        return InviteProblem.USED_UP
    await projects.set_role(session, project, participant, role)
    if role != Role.PARTICIPANT:
        await audit.record(
            session,
            "role.grant",
            actor_id=invite.created_by,
            project_id=project.id,
            subject_id=participant.id,
            detail=f"role={role.value} via invite={invite.id}",
        )
    return Joined(project, role)


def _rank(role: Role) -> int:
    return {Role.PARTICIPANT: 0, Role.FACILITATOR: 1, Role.COORDINATOR: 2}[role]
