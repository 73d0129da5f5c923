"""What the review windows show: one answer at a time, never a name the person did not give."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram_dialog import DialogManager

from bot.services import feedback
from dialogs.feedback.getters import rating_label, topic_label
from storage import feedback as store
from storage import projects

CHOSEN = "✓ "


def filters_of(manager: DialogManager) -> dict[str, Any]:
    data = manager.dialog_data
    return {"topic": data.get("topic"), "unreviewed_only": data.get("unreviewed_only", True)}


async def get_projects(session, participant, **_kw: Any) -> dict[str, Any]:
    items = []
    for project, new in await feedback.review_overview(session, participant):
        items.append(
            (
                project.id,
                ngettext("{project}: {count} new", "{project}: {count} new", new).format(
                    project=project.name, count=new
                ),
            )
        )
    return {"projects": items}


def _author(item: feedback.ReviewItem) -> str:
    if not item.named:
        return _("From: anonymous")
    if item.author:
        return _("From: {name}").format(name=item.author)
    return _("From: a team member who shared their name but gave none")


async def get_page(
    session, participant, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    filters = filters_of(dialog_manager)
    page = await feedback.review_page(
        session, participant, data["project_id"], index=data.get("index", 0), **filters
    )
    data["index"] = page.index
    project = await projects.get_project(session, data["project_id"])
    shown = {
        "project": project.name if project else "",
        "empty": page.item is None,
        "found": page.item is not None,
        "which": _("Only new answers") if filters["unreviewed_only"] else _("All answers"),
        "topic_filter": topic_label(filters["topic"]) if filters["topic"] is not None else "",
        "has_topic_filter": filters["topic"] is not None,
        "has_prev": page.index > 0,
        "has_next": page.index + 1 < page.total,
    }
    item = page.item
    if item is None:
        return shown
    lines = [
        _("Answer {number} of {total}").format(number=page.index + 1, total=page.total),
        _("Topic: {topic}").format(topic=topic_label(item.topic)),
        _("Rating: {rating}").format(rating=rating_label(item.rating)),
    ]
    if item.text:
        lines += ["", item.text, ""]
        if not item.quotable:
            lines.append(_("Not to be quoted: they did not agree to quotes."))
    if item.has_voice:
        lines.append(
            _("A voice note ({seconds} seconds).").format(seconds=item.voice_duration or 0)
        )
    if not item.text and not item.has_voice:
        lines.append(_("No words given."))
    lines.append(_author(item))
    if item.theme:
        lines.append(_("Theme: {theme}").format(theme=item.theme))
    lines.append(_("Reviewed.") if item.reviewed else _("New."))
    shown.update(
        answer="\n".join(lines),
        has_voice=item.has_voice,
        not_reviewed=not item.reviewed,
    )
    return shown


async def get_filters(session, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    filters = filters_of(dialog_manager)
    topics = await store.topics_in_use(session, dialog_manager.dialog_data["project_id"])
    items = [("all", (CHOSEN if filters["topic"] is None else "") + _("All topics"))]
    items += [
        (str(index), (CHOSEN if filters["topic"] == topic else "") + topic_label(topic))
        for index, topic in enumerate(topics)
    ]
    only_new = filters["unreviewed_only"]
    which = [
        ("new", (CHOSEN if only_new else "") + _("Only new answers")),
        ("all", ("" if only_new else CHOSEN) + _("All answers")),
    ]
    return {"topics": items, "which": which}


async def get_themes(
    session, participant, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    found = await feedback.themes(session, participant, dialog_manager.dialog_data["project_id"])
    items = [
        (
            theme.id,
            ngettext("{theme} ({count} answer)", "{theme} ({count} answers)", count).format(
                theme=theme.name, count=count
            ),
        )
        for theme, count in found
    ]
    return {"themes": items, "limit": feedback.THEME_LIMIT}
