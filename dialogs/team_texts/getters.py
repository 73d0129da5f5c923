"""What the "Ground rules and topics" windows show. Getters only read."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager

from bot.services import meetings, team_texts
from dialogs.common import language_name, version_button, version_lines
from storage import audience, projects
from storage.models import Project, ProjectText

PROJECT_ID = "project_id"
TOPIC = "topic"  # the chosen topic's original words
LOCALE = "locale"  # the language being written


async def _team(manager: DialogManager) -> tuple[Project, dict[str, ProjectText]]:
    session = manager.middleware_data["session"]
    project_id = manager.dialog_data[PROJECT_ID]
    project = await projects.get_project(session, project_id)
    assert project is not None, "the project was checked when chosen"
    return project, await projects.texts_of(session, project_id)


def _language_lines(project: Project, have: set[str], by_language: dict[str, int]) -> str:
    """Each language the team's members read, and whether it has its own version or gets the
    original instead: the same words as the broadcast and poll screens."""
    source = project.default_locale
    lines = team_texts.language_lines(source, have, by_language)
    return "\n".join(version_lines(lines, source, source))


def _version_buttons(project: Project, have: set[str]) -> list[tuple[str, str]]:
    """A button to write or change the version in each language the bot speaks (a team may
    write one before anyone reading that language joins)."""
    return [
        version_button(code, code in have)
        for code in team_texts.other_languages(project.default_locale)
    ]


async def _by_language(session, project: Project) -> dict[str, int]:
    return await audience.count_by_language(session, audience.AudienceQuery(project_id=project.id))


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def _rules_versions(texts: dict[str, ProjectText]) -> set[str]:
    return {code for code, text in texts.items() if team_texts.rule_lines(text.ground_rules)}


def _topic_versions(texts: dict[str, ProjectText], topic: str) -> dict[str, str]:
    found = {}
    for code, text in texts.items():
        words = team_texts.load_topics(text.feedback_topics).get(topic)
        if words:
            found[code] = words
    return found


async def get_projects(session, participant, **_kw: Any) -> dict[str, Any]:
    found = await meetings.staff_projects(session, participant)
    return {"projects": [(project.id, project.name) for project in found]}


async def get_overview(session, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    project, texts = await _team(dialog_manager)
    rules = team_texts.rule_lines(project.ground_rules)
    topics = team_texts.topics_of(project)
    return {
        "project": project.name,
        "rules": _bullets(rules),
        "has_rules": bool(rules),
        "no_rules": not rules,
        "topics": _bullets(topics),
        "topic_items": [(str(index), topic) for index, topic in enumerate(topics)],
        "has_topics": bool(topics),
        "no_topics": not topics,
        "languages": _language_lines(
            project, _rules_versions(texts), await _by_language(session, project)
        ),
    }


async def get_rules(session, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    project, texts = await _team(dialog_manager)
    have = _rules_versions(texts)
    rules = team_texts.rule_lines(project.ground_rules)
    return {
        "original": language_name(project.default_locale),
        "rules": _bullets(rules),
        "has_rules": bool(rules),
        "no_rules": not rules,
        "languages": _language_lines(project, have, await _by_language(session, project)),
        "languages_to_write": [
            (project.default_locale, _("Change the original")),
            *_version_buttons(project, have),
        ],
    }


async def get_rules_text(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    project, texts = await _team(dialog_manager)
    code = dialog_manager.dialog_data.get(LOCALE, project.default_locale)
    is_original = code == project.default_locale
    now = team_texts.rule_lines(
        project.ground_rules if is_original else getattr(texts.get(code), "ground_rules", "")
    )
    return {
        "language": language_name(code),
        "original": _bullets(team_texts.rule_lines(project.ground_rules)),
        "show_original": not is_original and bool(team_texts.rule_lines(project.ground_rules)),
        "now": _bullets(now),
        "has_now": bool(now),
        "has_version": not is_original and bool(now),
    }


async def get_topic(session, dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    project, texts = await _team(dialog_manager)
    topic = dialog_manager.dialog_data.get(TOPIC, "")
    versions = _topic_versions(texts, topic)
    return {
        "topic": topic,
        "versions": "\n".join(
            f"• {language_name(code)}: {words}" for code, words in sorted(versions.items())
        ),
        "has_versions": bool(versions),
        "languages": _language_lines(project, set(versions), await _by_language(session, project)),
        "languages_to_write": _version_buttons(project, set(versions)),
    }


async def get_topic_version(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    _project, texts = await _team(dialog_manager)
    topic = dialog_manager.dialog_data.get(TOPIC, "")
    code = dialog_manager.dialog_data.get(LOCALE, "")
    now = _topic_versions(texts, topic).get(code, "")
    return {
        "language": language_name(code),
        "topic": topic,
        "now": now,
        "has_version": bool(now),
    }


async def get_original_language(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    project, _texts = await _team(dialog_manager)
    return {
        "original": language_name(project.default_locale),
        "topic": dialog_manager.dialog_data.get(TOPIC, ""),
    }
