"""Team-written texts everyone reads, in each reader's language: the ground rules, the feedback
topics, and poll and meeting titles and places.

The rule is the broadcasts' rule: a reader gets the version in their language, or else the
original (the language it was written in). A version may leave the place out: the original
place is shown (an address or a link often reads the same in every language).

A feedback answer keeps the topic's original words whichever version the person saw, so staff
review and exports group answers by topic whatever the language. Plain rules, no aiogram.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SUPPORTED_LOCALES
from bot.services import people
from bot.services.broadcasts import VersionState
from bot.services.feedback import NotAllowed, check_words, topics_of
from storage import audit, projects
from storage.models import AvailabilityPoll, Meeting, Participant, Project, ProjectText

TITLE = "title"
PLACE = "place"


# -- versions of a poll or a meeting ---------------------------------------------------------------


def load_versions(raw: str | None) -> dict[str, dict[str, str]]:
    """{locale: {"title": ..., "place": ...}} from the stored JSON; {} if unreadable."""
    try:
        found = json.loads(raw or "{}")
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {
        str(locale): {key: str(value) for key, value in fields.items() if value}
        for locale, fields in found.items()
        if isinstance(fields, dict)
    }


def dump_versions(versions: dict[str, dict[str, str]]) -> str:
    kept = {
        locale: {key: value for key, value in fields.items() if value}
        for locale, fields in versions.items()
    }
    return json.dumps({k: v for k, v in kept.items() if v.get(TITLE)}, ensure_ascii=False)


def _field(row: AvailabilityPoll | Meeting, locale: str, key: str, original: str) -> str:
    return load_versions(row.versions).get(locale, {}).get(key) or original


def title_for(row: AvailabilityPoll | Meeting, locale: str) -> str:
    """A poll's or meeting's title in the reader's language, or else the original."""
    return _field(row, locale, TITLE, row.title)


def place_for(row: AvailabilityPoll | Meeting, locale: str) -> str:
    """Where, in the reader's language; the original place when the version has none."""
    if not row.place:
        return ""
    return _field(row, locale, PLACE, row.place)


# -- which languages have a version, and what the others get ---------------------------------------


@dataclass(frozen=True)
class LanguageLine:
    locale: str
    people: int
    state: VersionState


def language_lines(
    source_locale: str, have: set[str], people_by_language: dict[str, int]
) -> list[LanguageLine]:
    """Each language in the audience, most people first: the original, their own version, or
    the original instead (the same words as the broadcast screen uses)."""
    lines = []
    for locale, count in sorted(people_by_language.items(), key=lambda item: (-item[1], item[0])):
        if locale == source_locale:
            state = VersionState.ORIGINAL
        elif locale in have:
            state = VersionState.OWN
        else:
            state = VersionState.GETS_ORIGINAL
        lines.append(LanguageLine(locale, count, state))
    return lines


def other_languages(source_locale: str) -> list[str]:
    """The languages a version can be written in: every one the bot speaks but the original's."""
    return [code for code in SUPPORTED_LOCALES if code != source_locale]


# -- the team's ground rules and topics ------------------------------------------------------------


def rule_lines(text: str) -> list[str]:
    """One rule a line; blank lines left out."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def load_topics(raw: str | None) -> dict[str, str]:
    try:
        found = json.loads(raw or "{}")
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): str(v).strip() for k, v in found.items() if str(v).strip()}


def dump_topics(topics: dict[str, str]) -> str:
    return json.dumps({k: v for k, v in topics.items() if v.strip()}, ensure_ascii=False)


def version_of(texts: dict[str, ProjectText], project: Project, locale: str) -> ProjectText | None:
    """The reader's version of the team's texts, or None (the original is theirs)."""
    if locale == project.default_locale:
        return None
    return texts.get(locale)


def rules_for(project: Project, texts: dict[str, ProjectText], locale: str) -> list[str]:
    """The ground rules in the reader's language, or else the original ones."""
    version = version_of(texts, project, locale)
    if version is not None and rule_lines(version.ground_rules):
        return rule_lines(version.ground_rules)
    return rule_lines(project.ground_rules)


def topic_for(
    project: Project | None, texts: dict[str, ProjectText], topic: str, locale: str
) -> str:
    """One topic (its original words, as answers keep it) in the reader's language."""
    if project is None or not topic:
        return topic
    version = version_of(texts, project, locale)
    if version is None:
        return topic
    return load_topics(version.feedback_topics).get(topic) or topic


def topics_for(
    project: Project | None, texts: dict[str, ProjectText], locale: str
) -> list[tuple[str, str]]:
    """(original, as the reader sees it) for each of the team's topics, in order."""
    return [(topic, topic_for(project, texts, topic, locale)) for topic in topics_of(project)]


async def set_rules(session: AsyncSession, project: Project, locale: str, text: str) -> None:
    """The rules in one language (the original's language changes the original)."""
    rules = "\n".join(rule_lines(text))
    if locale == project.default_locale:
        project.ground_rules = rules
        session.add(project)
        await session.flush()
        return
    version = await projects.text_version(session, project.id, locale)
    version.ground_rules = rules
    await projects.save_text_version(session, version)


async def set_topic(
    session: AsyncSession, project: Project, locale: str, topic: str, words: str
) -> None:
    """One topic's words in another language ("" removes them: the original is shown)."""
    if locale == project.default_locale:
        raise ValueError("the original topic is changed, not given a version")
    version = await projects.text_version(session, project.id, locale)
    topics = load_topics(version.feedback_topics)
    topics[topic] = words.strip()
    version.feedback_topics = dump_topics(topics)
    await projects.save_text_version(session, version)


# -- facilitators change the texts (Team tools) ----------------------------------------------------
# Every change is audited by what changed and in which language, never by its words.

RULES_LIMIT = 3000  # the joining screen shows them whole, well inside one Telegram message
TOPIC_LIMIT = 200  # as an answer keeps it (feedback.topic)


class TopicTaken(ValueError):
    """The team has a topic with these words already."""


class NoSuchTopic(LookupError):
    """The topic is not (or no longer) one of the team's: someone changed it meanwhile."""


async def _staff_project(session: AsyncSession, actor: Participant | None, project_id: int):
    if not await people.is_staff_in(session, actor, project_id):
        raise NotAllowed()
    project = await projects.get_project(session, project_id)
    if project is None:
        raise NotAllowed()
    return project


async def _audit(session, action: str, actor: Participant, project: Project, detail: str):
    await audit.record(session, action, actor_id=actor.id, project_id=project.id, detail=detail)


def _topic_index(project: Project, topic: str) -> int:
    try:
        return topics_of(project).index(topic)
    except ValueError:
        raise NoSuchTopic() from None


async def change_rules(
    session: AsyncSession, actor: Participant, project_id: int, locale: str, text: str
) -> None:
    """New ground rules in one language: the original's language changes the original.
    (Asking people to agree again is issue #16's work: here the change is only stored.)"""
    project = await _staff_project(session, actor, project_id)
    if locale not in SUPPORTED_LOCALES:
        raise ValueError("unknown language")
    rules = "\n".join(rule_lines(check_words(text, RULES_LIMIT)))
    await set_rules(session, project, locale, rules)
    await _audit(session, "team_texts.rules_changed", actor, project, f"locale={locale}")


async def remove_rules_version(
    session: AsyncSession, actor: Participant, project_id: int, locale: str
) -> None:
    """That language's readers get the original rules again."""
    project = await _staff_project(session, actor, project_id)
    if locale == project.default_locale or locale not in SUPPORTED_LOCALES:
        raise ValueError("the original is changed, not removed")
    await set_rules(session, project, locale, "")
    await _audit(session, "team_texts.rules_version_removed", actor, project, f"locale={locale}")


def _checked_topic(project: Project, words: str) -> str:
    topic = check_words(" ".join(words.split()), TOPIC_LIMIT)  # one line, as topics are kept
    if topic in topics_of(project):
        raise TopicTaken()
    return topic


async def add_topic(session: AsyncSession, actor: Participant, project_id: int, words: str) -> str:
    """A new feedback topic, last in the list; its words as kept."""
    project = await _staff_project(session, actor, project_id)
    topic = _checked_topic(project, words)
    project.feedback_topics = "\n".join([*topics_of(project), topic])
    session.add(project)
    await session.flush()
    await _audit(
        session, "team_texts.topic_added", actor, project, f"topic={len(topics_of(project))}"
    )
    return topic


async def _rekey_versions(session: AsyncSession, project_id: int, old: str, new: str | None):
    """Each language's words for a topic follow it to its new words (or go with it)."""
    for version in (await projects.texts_of(session, project_id)).values():
        topics = load_topics(version.feedback_topics)
        if old not in topics:
            continue
        words = topics.pop(old)
        if new is not None:
            topics[new] = words
        version.feedback_topics = dump_topics(topics)
        await projects.save_text_version(session, version)


async def rename_topic(
    session: AsyncSession, actor: Participant, project_id: int, topic: str, words: str
) -> str:
    """New words for a topic. Answers keep a topic's original words, and staff review, exports
    and reports group by them: so the earlier answers take the new words in the same
    transaction, and the versions in other languages follow. Returns the new words."""
    project = await _staff_project(session, actor, project_id)
    index = _topic_index(project, topic)
    new = _checked_topic(project, words)
    kept = topics_of(project)
    kept[index] = new
    project.feedback_topics = "\n".join(kept)
    session.add(project)
    moved = await projects.rename_feedback_topic(session, project.id, topic, new)
    await _rekey_versions(session, project.id, topic, new)
    await _audit(
        session, "team_texts.topic_renamed", actor, project, f"topic={index + 1} answers={moved}"
    )
    return new


async def remove_topic(
    session: AsyncSession, actor: Participant, project_id: int, topic: str
) -> None:
    """People can no longer choose it. Earlier answers stay as they are, under its words, so
    staff still find them together in review and exports."""
    project = await _staff_project(session, actor, project_id)
    index = _topic_index(project, topic)
    project.feedback_topics = "\n".join(t for t in topics_of(project) if t != topic)
    session.add(project)
    await session.flush()
    await _rekey_versions(session, project.id, topic, None)
    await _audit(session, "team_texts.topic_removed", actor, project, f"topic={index + 1}")


async def change_topic_version(
    session: AsyncSession, actor: Participant, project_id: int, topic: str, locale: str, words: str
) -> None:
    """A topic's words in another language ("" removes them: that language gets the original)."""
    project = await _staff_project(session, actor, project_id)
    index = _topic_index(project, topic)
    if locale == project.default_locale or locale not in SUPPORTED_LOCALES:
        raise ValueError("the original topic is renamed, not given a version")
    text = " ".join(check_words(words, TOPIC_LIMIT).split()) if words else ""
    await set_topic(session, project, locale, topic, text)
    action = "team_texts.topic_version_changed" if text else "team_texts.topic_version_removed"
    await _audit(session, action, actor, project, f"topic={index + 1} locale={locale}")
