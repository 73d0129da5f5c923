from __future__ import annotations

from typing import Any

from bot.i18n import LANGUAGE_NAMES
from bot.services import people


async def get_overview(session, participant, **_kwargs: Any) -> dict[str, Any]:
    summaries = await people.team_summaries(session, participant)
    lines = []
    for summary in summaries:
        languages = ", ".join(
            f"{LANGUAGE_NAMES.get(code, '?')} {count}"
            for code, count in sorted(summary.by_language.items())
        )
        lines.append(f"{summary.project_name}: {summary.people} ({languages})")
    return {
        "teams": "\n".join(lines),
        "projects": [(summary.project_id, summary.project_name) for summary in summaries],
    }
