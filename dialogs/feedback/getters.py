"""What the feedback windows show. Getters only read."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram_dialog import DialogManager

from bot.i18n import local_day, reader_zone
from bot.services import feedback, team_texts
from storage import projects

OTHER = "other"
# Five faces with words, from 1 (very bad) to 5 (very good): a face alone can be misread.
FACES = {1: "😞", 2: "🙁", 3: "😐", 4: "🙂", 5: "😄"}
RATING_WORDS = {
    1: __("Very bad"),
    2: __("Bad"),
    3: __("Okay"),
    4: __("Good"),
    5: __("Very good"),
}


def rating_label(rating: int) -> str:
    return f"{FACES[rating]} {RATING_WORDS[rating]}"


def rating_items() -> list[tuple[int, str]]:
    return [(rating, rating_label(rating)) for rating in sorted(FACES, reverse=True)]


def topic_label(topic: str) -> str:
    return topic or _("Something else")


async def get_projects(session, participant, **_kw: Any) -> dict[str, Any]:
    found = await feedback.projects_of(session, participant)
    return {"projects": [(p.id, p.name) for p in found], "no_projects": not found}


async def topic_in_language(session, project_id: int | None, topic: str, locale: str) -> str:
    """A topic as the reader sees it: their language's words for it, or the team's own."""
    if not topic or project_id is None:
        return topic_label(topic)
    project = await projects.get_project(session, project_id)
    texts = await projects.texts_of(session, project_id) if project else {}
    return team_texts.topic_for(project, texts, topic, locale)


async def get_topics(
    session, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    project = await projects.get_project(session, dialog_manager.dialog_data["project_id"])
    texts = await projects.texts_of(session, project.id) if project else {}
    # The button carries the topic's place; the answer keeps the team's own words for it.
    topics = team_texts.topics_for(project, texts, locale)
    items = [(str(index), shown) for index, (_topic, shown) in enumerate(topics)]
    items.append((OTHER, _("Something else")))
    return {"topics": items, "project": project.name if project else ""}


async def get_rating(
    session, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    return {
        "ratings": rating_items(),
        "topic": await topic_in_language(
            session, data.get("project_id"), data.get("topic", ""), locale
        ),
    }


async def get_words(participant, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    return {
        "may_name": feedback.may_be_named(participant),
        "limit": feedback.TEXT_LIMIT,
        "text": data.get("text") or "",
        "has_text": bool(data.get("text")),
        "seconds": data.get("voice_duration") or 0,
        "has_voice": bool(data.get("voice_file_id")),
    }


async def get_done(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    return {"named": bool(dialog_manager.dialog_data.get("named"))}


# -- my feedback -----------------------------------------------------------------------------------


def _day(answer, participant, locale: str) -> str:
    """The day they said it, where they are (not the UTC day)."""
    return local_day(answer.created_at, reader_zone(participant.timezone), locale)


async def get_my_answers(session, participant, locale: str, **_kw: Any) -> dict[str, Any]:
    answers = await feedback.own_answers(session, participant)
    items, shown = [], {}
    for answer in answers:
        key = (answer.project_id, answer.topic)
        if key not in shown:  # one look-up per topic, not per answer
            shown[key] = await topic_in_language(session, answer.project_id, answer.topic, locale)
        day = _day(answer, participant, locale)
        items.append((answer.id, f"{day} · {shown[key]} · {FACES[answer.rating]}"))
    return {"answers": items, "none": not items}


async def get_my_answer(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    answer = await feedback.own_answer(
        session, participant, dialog_manager.dialog_data.get("feedback_id", 0)
    )
    if answer is None:
        return {
            "gone": True,
            "found": False,
            "named": False,
            "may_add_name": False,
            "ratings": rating_items(),
            "limit": 0,
        }
    return {
        "gone": False,
        "found": True,
        "day": _day(answer, participant, locale),
        "topic": await topic_in_language(session, answer.project_id, answer.topic, locale),
        "rating": rating_label(answer.rating),
        "text": answer.text or "",
        "has_text": bool(answer.text),
        "has_voice": bool(answer.voice_file_id),
        "seconds": answer.voice_duration or 0,
        "anonymous": answer.anonymous,
        "named": not answer.anonymous,
        "may_add_name": answer.anonymous and feedback.may_be_named(participant),
        "ratings": rating_items(),
        "limit": feedback.TEXT_LIMIT,
    }
