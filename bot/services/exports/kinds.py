"""What can be exported: each kind is a streaming query and its columns, every column with one
plain line that says what it holds (the XLSX "About" sheet and columns.csv show them), in
the reader's language through the `translate` function the caller passes in (no aiogram here).

A row function turns one database row into cells, deciding on the way how each person and
their words may appear (see pseudonyms.People). No column ever holds a Telegram id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from bot.services.exports.cells import Cell
from bot.services.exports.pseudonyms import People
from storage import exports as queries

Row = Sequence[Any]


def __(message: str) -> str:
    """Marks a message for the catalog; it is translated for the reader when a file is made."""
    return message


@dataclass(frozen=True)
class Column:
    name: str  # stable, for formulas and scripts: never translated
    explanation: str  # a catalog message, translated when a file is made


@dataclass(frozen=True)
class ExportKind:
    name: str
    title: str  # a catalog message: the dialog's button
    columns: tuple[Column, ...]
    query: Callable[[queries.Window], Select]
    to_cells: Callable[[Row, People], tuple[Cell, ...]]

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


PERSON = Column(
    "person",
    __(
        "Who answered, as a code that stays the same for each person (like P-4KQ2M7AB). "
        "It is their name if you asked for names and they agreed. "
        "Empty if they answered anonymously."
    ),
)


def _words_columns(name: str, what: str) -> tuple[Column, Column]:
    return (
        Column(name, what),
        Column(
            f"{name}_shared",
            __(
                '"shared" if they agreed to be quoted. "not shared" if they did not: their '
                "words are left out. Empty if there were no words."
            ),
        ),
    )


def _person(people: People, row: Row, *, anonymous: bool = False) -> str | None:
    # The last four columns of every statement: id, chosen name, may use name, may quote.
    return people.shown_as(row[-4], row[-3], row[-2], anonymous=anonymous)


# -- the kinds ----------------------------------------------------------------------------------


def _feedback(row: Row, people: People) -> tuple[Cell, ...]:
    (id_, at, topic, rating, anonymous, text, has_voice, theme, reviewed) = row[:9]
    words, shared = people.words(text, row[-1])
    return (
        id_,
        at,
        topic,
        rating,
        _person(people, row, anonymous=anonymous),
        anonymous,
        words,
        shared,
        has_voice,
        theme,
        reviewed,
    )


FEEDBACK = ExportKind(
    "feedback",
    __("Feedback"),
    (
        Column("id", __("The answer's number.")),
        Column("given_at", __("When it was given, with the time zone.")),
        Column("topic", __("The topic they chose. Empty means something else.")),
        Column("rating", __("How they rated it, from 1 (very bad) to 5 (very good).")),
        PERSON,
        Column("anonymous", __('"yes" if they chose to answer anonymously.')),
        *_words_columns("text", __("What they wrote.")),
        Column("voice_note", __('"yes" if they sent a voice note. Play it in the bot.')),
        Column("theme", __("The theme staff grouped it under, if any.")),
        Column("reviewed", __('"yes" once staff have read it.')),
    ),
    queries.feedback,
    _feedback,
)


def _pulse(row: Row, people: People) -> tuple[Cell, ...]:
    id_, at, answer, comment = row[:4]
    words, shared = people.words(comment, row[-1])
    return (id_, at, str(answer), _person(people, row), words, shared)


PULSE = ExportKind(
    "pulse",
    __("Pulse check-ins"),
    (
        Column("id", __("The answer's number.")),
        Column("answered_at", __("When they answered, with the time zone.")),
        Column("answer", __('How things are going: "good", "okay" or "hard".')),
        PERSON,
        *_words_columns("comment", __("What they added in their own words.")),
    ),
    queries.pulse,
    _pulse,
)


def _poll_answer(row: Row, people: People) -> tuple[Cell, ...]:
    id_, at, poll_id, title, starts_at, choice = row[:6]
    return (id_, at, poll_id, title, starts_at, str(choice), _person(people, row))


POLL_ANSWERS = ExportKind(
    "poll_answers",
    __("Meeting time answers"),
    (
        Column("id", __("The answer's number.")),
        Column("answered_at", __("When they answered, with the time zone.")),
        Column("poll", __("The number of the question about meeting times.")),
        Column("meeting", __("What the meeting was called.")),
        Column("time_offered", __("The time they answered about, with the time zone.")),
        Column("answer", __('"yes", "if_need_be" or "no".')),
        PERSON,
    ),
    queries.poll_answers,
    _poll_answer,
)


def _access_need(row: Row, people: People) -> tuple[Cell, ...]:
    id_, at, poll_id, title, kind, note = row[:6]
    words, shared = people.words(note, row[-1])
    return (id_, at, poll_id, title, str(kind), _person(people, row), words, shared)


ACCESS_NEEDS = ExportKind(
    "access_needs",
    __("Access needs"),
    (
        Column("id", __("The number of this need.")),
        Column("told_at", __("When they told us, with the time zone.")),
        Column("poll", __("The number of the question about meeting times.")),
        Column("meeting", __("What the meeting was called.")),
        Column(
            "need",
            __(
                'What would help: "travel", "step_free", "caring", "interpreter", "online" '
                'or "other".'
            ),
        ),
        PERSON,
        *_words_columns("note", __("What they added about it.")),
    ),
    queries.access_needs,
    _access_need,
)


def _claim(row: Row, people: People) -> tuple[Cell, ...]:
    (id_, at, offer_id, kind, title, state, pence, receipt, decided_at, fulfilled_at) = row[:10]
    amount = pence / 100 if pence is not None else None
    return (
        id_,
        at,
        offer_id,
        str(kind),
        title,
        str(state),
        amount,
        receipt,
        decided_at,
        fulfilled_at,
        _person(people, row),
    )


CLAIMS = ExportKind(
    "claims",
    __("Claims on offers"),
    (
        Column("id", __("The claim's number.")),
        Column("asked_at", __("When they asked, with the time zone.")),
        Column("offer", __("The offer's number.")),
        Column(
            "offer_kind",
            __(
                'What was offered: "training", "travel", "voucher", "reference", "certificate" '
                'or "other".'
            ),
        ),
        Column("offer_title", __("The offer's title, in the language it was written in.")),
        Column(
            "state",
            __('Where it stands: "requested", "approved", "declined", "fulfilled" or "withdrawn".'),
        ),
        Column("amount", __("Travel costs they claimed, in pounds.")),
        Column("receipt", __('"yes" if they sent a receipt.')),
        Column("decided_at", __("When staff decided, with the time zone.")),
        Column("fulfilled_at", __("When it was given, with the time zone.")),
        PERSON,
    ),
    queries.claims,
    _claim,
)


def _we_did(row: Row, _people: People) -> tuple[Cell, ...]:
    return (*row[:5], str(row[5]), *row[6:12])


WE_DID = ExportKind(
    "we_did",
    __('"You said, we did" updates'),
    (
        Column("id", __("The update's number.")),
        Column("written_at", __("When staff wrote it, with the time zone.")),
        Column("sent_at", __("When it was sent to people. Empty if not sent yet.")),
        Column("you_said", __("What people said, in staff's words.")),
        Column("we_did", __("What the team did or will do.")),
        Column(
            "status",
            __('Where it stands: "planned", "in_progress", "done" or "not_possible".'),
        ),
        Column("owner", __("Who is doing it.")),
        Column("due_on", __("When it should be done.")),
        Column("replies", __("How many people answered the update.")),
        Column("replies_yes", __('How many said "yes, this answers what I said".')),
        Column("replies_partly", __('How many said "partly".')),
        Column("replies_no", __('How many said "no".')),
    ),
    queries.we_did,
    _we_did,
)


def _we_did_reply(row: Row, people: People) -> tuple[Cell, ...]:
    id_, at, update_id, answer, comment = row[:5]
    words, shared = people.words(comment, row[-1])
    return (id_, at, update_id, str(answer), _person(people, row), words, shared)


WE_DID_REPLIES = ExportKind(
    "we_did_replies",
    __('Replies to "we did" updates'),
    (
        Column("id", __("The reply's number.")),
        Column("replied_at", __("When they replied, with the time zone.")),
        Column("update", __('The number of the "we did" update.')),
        Column("answer", __('Does it answer what they said: "yes", "partly" or "no".')),
        PERSON,
        *_words_columns("comment", __("What they added in their own words.")),
    ),
    queries.we_did_replies,
    _we_did_reply,
)


def _contribution(row: Row, people: People) -> tuple[Cell, ...]:
    id_, day, minutes, description, logged_at = row[:5]
    return (id_, day, minutes, description, logged_at, _person(people, row))


CONTRIBUTIONS = ExportKind(
    "contributions",
    __("Time people gave"),
    (
        Column("id", __("The number of this entry.")),
        Column("day", __("The day they gave their time.")),
        Column("minutes", __("How many minutes they gave.")),
        Column("activity", __("What they did, in staff's words.")),
        Column("logged_at", __("When staff noted it, with the time zone.")),
        PERSON,
    ),
    queries.contributions,
    _contribution,
)


def _attendance(row: Row, people: People) -> tuple[Cell, ...]:
    id_, meeting_id, title, starts_at, minutes, attended = row[:6]
    return (id_, meeting_id, title, starts_at, minutes, attended, _person(people, row))


ATTENDANCE = ExportKind(
    "attendance",
    __("Meeting attendance"),
    (
        Column("id", __("The number of this entry.")),
        Column("meeting", __("The meeting's number.")),
        Column("title", __("What the meeting was called.")),
        Column("starts_at", __("When it started, with the time zone.")),
        Column("minutes", __("How long it was planned to last, in minutes.")),
        Column("came", __('"yes" if they came, as staff marked it.')),
        PERSON,
    ),
    queries.attendance,
    _attendance,
)

KINDS: dict[str, ExportKind] = {
    kind.name: kind
    for kind in (
        FEEDBACK,
        PULSE,
        POLL_ANSWERS,
        ACCESS_NEEDS,
        CLAIMS,
        WE_DID,
        WE_DID_REPLIES,
        CONTRIBUTIONS,
        ATTENDANCE,
    )
}
