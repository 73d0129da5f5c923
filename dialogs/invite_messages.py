"""What we say about an invite link that cannot be used, in plain words."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot.services.invites import InviteProblem


def invite_problem_text(problem: InviteProblem) -> str:
    if problem is InviteProblem.EXPIRED:
        return _("Sorry, this invite link has expired. Please ask your team for a new one.")
    if problem is InviteProblem.USED_UP:
        return _("Sorry, this invite link has been used too many times. Please ask for a new one.")
    if problem is InviteProblem.REVOKED:
        return _("Sorry, this invite link was turned off. Please ask your team for a new one.")
    return _("Sorry, I do not know this invite link. Please check it, or ask for a new one.")
