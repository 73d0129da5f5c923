from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.i18n import LANGUAGE_NAMES
from bot.services import people


async def get_overview(session, participant, **_kwargs: Any) -> dict[str, Any]:
    summaries = await people.team_summaries(session, participant)
    lines = []
    for summary in summaries:
        languages = ", ".join(
            _("{language}: {count}").format(
                language=LANGUAGE_NAMES.get(code) or _("no language chosen yet"), count=count
            )
            for code, count in sorted(summary.by_language.items())
        )
        headcount = ngettext(
            "{project}: {count} person", "{project}: {count} people", summary.people
        ).format(project=summary.project_name, count=summary.people)
        lines.append(f"{headcount} ({languages})" if languages else headcount)
    return {
        "teams": "\n".join(lines),
        "projects": [(summary.project_id, summary.project_name) for summary in summaries],
    }
