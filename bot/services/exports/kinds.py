"""What can be exported: each kind is a streaming query and its columns, every column with one
plain line that says what it holds (the XLSX "About" sheet and columns.csv show them), in
the reader's language through the `translate` function the caller passes in (no aiogram here).

The query selects exactly these columns, in order, with the consent rules already applied
(storage.exports). Each column says what kind of value it holds (`Value`), which is all the
writers need: a number stays a number, text is made safe, a moment is shown in the project's
zone, a person becomes a code or a name (pseudonyms.People). No column ever holds a Telegram id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select

from storage import exports as queries


def __(message: str) -> str:
    """Marks a message for the catalog; it is translated for the reader when a file is made."""
    return message


class Value(StrEnum):
    """What a column holds, and so how a writer shows it."""

    NUMBER = "number"  # ints and floats, as they are
    TEXT = "text"  # made safe against formulas
    MOMENT = "moment"  # ISO 8601 in the project's zone, with its offset
    DAY = "day"  # ISO 8601 date
    YES_NO = "yes_no"  # "yes" or "no" (JSON keeps true and false)
    SHARED = "shared"  # beside free text: "shared", "not shared", or empty with no words
    PERSON = "person"  # a participant id, shown as a code or a name


@dataclass(frozen=True)
class Column:
    name: str  # stable, for formulas and scripts: never translated
    explanation: str  # a catalog message, translated when a file is made
    value: Value = Value.TEXT


@dataclass(frozen=True)
class ExportKind:
    name: str
    title: str  # a catalog message: the dialog's button
    columns: tuple[Column, ...]
    query: Callable[[queries.Window], Select]

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def values(self) -> tuple[Value, ...]:
        return tuple(column.value for column in self.columns)


PERSON = Column(
    "person",
    __(
        "Who answered, as a code that stays the same for each person (like P-4KQ2M7AB). "
        "It is their name if you asked for names and they agreed. "
        "Empty if they answered anonymously."
    ),
    Value.PERSON,
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
            Value.SHARED,
        ),
    )


# -- the kinds ----------------------------------------------------------------------------------


FEEDBACK = ExportKind(
    "feedback",
    __("Feedback"),
    (
        Column("id", __("The answer's number."), Value.NUMBER),
        Column("given_at", __("When it was given, with the time zone."), Value.MOMENT),
        Column("topic", __("The topic they chose. Empty means something else.")),
        Column(
            "rating", __("How they rated it, from 1 (very bad) to 5 (very good)."), Value.NUMBER
        ),
        PERSON,
        Column("anonymous", __('"yes" if they chose to answer anonymously.'), Value.YES_NO),
        *_words_columns("text", __("What they wrote.")),
        Column(
            "voice_note", __('"yes" if they sent a voice note. Play it in the bot.'), Value.YES_NO
        ),
        Column("theme", __("The theme staff grouped it under, if any.")),
        Column("reviewed", __('"yes" once staff have read it.'), Value.YES_NO),
    ),
    queries.feedback,
)


PULSE = ExportKind(
    "pulse",
    __("Pulse check-ins"),
    (
        Column("id", __("The answer's number."), Value.NUMBER),
        Column("answered_at", __("When they answered, with the time zone."), Value.MOMENT),
        Column("answer", __('How things are going: "good", "okay" or "hard".')),
        PERSON,
        *_words_columns("comment", __("What they added in their own words.")),
    ),
    queries.pulse,
)


POLL_ANSWERS = ExportKind(
    "poll_answers",
    __("Meeting time answers"),
    (
        Column("id", __("The answer's number."), Value.NUMBER),
        Column("answered_at", __("When they answered, with the time zone."), Value.MOMENT),
        Column("poll", __("The number of the question about meeting times."), Value.NUMBER),
        Column("meeting", __("What the meeting was called.")),
        Column(
            "time_offered", __("The time they answered about, with the time zone."), Value.MOMENT
        ),
        Column("answer", __('"yes", "if_need_be" or "no".')),
        PERSON,
    ),
    queries.poll_answers,
)


ACCESS_NEEDS = ExportKind(
    "access_needs",
    __("Access needs"),
    (
        Column("id", __("The number of this need."), Value.NUMBER),
        Column("told_at", __("When they told us, with the time zone."), Value.MOMENT),
        Column("poll", __("The number of the question about meeting times."), Value.NUMBER),
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
)


CLAIMS = ExportKind(
    "claims",
    __("Claims on offers"),
    (
        Column("id", __("The claim's number."), Value.NUMBER),
        Column("asked_at", __("When they asked, with the time zone."), Value.MOMENT),
        Column("offer", __("The offer's number."), Value.NUMBER),
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
        Column("amount", __("Travel costs they claimed, in pounds."), Value.NUMBER),
        Column("receipt", __('"yes" if they sent a receipt.'), Value.YES_NO),
        Column("decided_at", __("When staff decided, with the time zone."), Value.MOMENT),
        Column("fulfilled_at", __("When it was given, with the time zone."), Value.MOMENT),
        PERSON,
    ),
    queries.claims,
)


WE_DID = ExportKind(
    "we_did",
    __('"You said, we did" updates'),
    (
        Column("id", __("The update's number."), Value.NUMBER),
        Column("written_at", __("When staff wrote it, with the time zone."), Value.MOMENT),
        Column("sent_at", __("When it was sent to people. Empty if not sent yet."), Value.MOMENT),
        Column("you_said", __("What people said, in staff's words.")),
        Column("we_did", __("What the team did or will do.")),
        Column(
            "status",
            __('Where it stands: "planned", "in_progress", "done" or "not_possible".'),
        ),
        Column("owner", __("Who is doing it.")),
        Column("due_on", __("When it should be done."), Value.DAY),
        Column("replies", __("How many people answered the update."), Value.NUMBER),
        Column("replies_yes", __('How many said "yes, this answers what I said".'), Value.NUMBER),
        Column("replies_partly", __('How many said "partly".'), Value.NUMBER),
        Column("replies_no", __('How many said "no".'), Value.NUMBER),
    ),
    queries.we_did,
)


WE_DID_REPLIES = ExportKind(
    "we_did_replies",
    __('Replies to "we did" updates'),
    (
        Column("id", __("The reply's number."), Value.NUMBER),
        Column("replied_at", __("When they replied, with the time zone."), Value.MOMENT),
        Column("update", __('The number of the "we did" update.'), Value.NUMBER),
        Column("answer", __('Does it answer what they said: "yes", "partly" or "no".')),
        PERSON,
        *_words_columns("comment", __("What they added in their own words.")),
    ),
    queries.we_did_replies,
)


CONTRIBUTIONS = ExportKind(
    "contributions",
    __("Time people gave"),
    (
        Column("id", __("The number of this entry."), Value.NUMBER),
        Column("day", __("The day they gave their time."), Value.DAY),
        Column("minutes", __("How many minutes they gave."), Value.NUMBER),
        Column("activity", __("What they did, in staff's words.")),
        Column("logged_at", __("When staff noted it, with the time zone."), Value.MOMENT),
        PERSON,
    ),
    queries.contributions,
)


ATTENDANCE = ExportKind(
    "attendance",
    __("Meeting attendance"),
    (
        Column("id", __("The number of this entry."), Value.NUMBER),
        Column("meeting", __("The meeting's number."), Value.NUMBER),
        Column("title", __("What the meeting was called.")),
        Column("starts_at", __("When it started, with the time zone."), Value.MOMENT),
        Column("minutes", __("How long it was planned to last, in minutes."), Value.NUMBER),
        Column("came", __('"yes" if they came, as staff marked it.'), Value.YES_NO),
        PERSON,
    ),
    queries.attendance,
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
