"""Find a meeting time (facilitators): the team, a title, the place or an online link, 2 to 10
times (a day on the calendar, then a time, in the team's time zone), how long, a deadline for
answers, who is asked, a preview as people will see it (with the title and place written in
other languages if the facilitator wants), then send. Every step has Back."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Group, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, button_number, picker, unexpected_input
from dialogs.polls import getters, handlers
from dialogs.polls.calendar import LocalCalendar
from dialogs.states import STAFF_WIDGET_PREFIX, PollCreate

# Ends with "_project" and carries the project's id: the staff guard checks the role in it.
PROJECT = STAFF_WIDGET_PREFIX + "poll_project"
DAY = "poll_day"
TIME = "poll_time"
REMOVE_SLOT = "poll_remove_slot"
DURATION = "poll_duration"
DEADLINE = "poll_deadline"
AUDIENCE = "poll_audience"
VERSION = "poll_version"


def poll_create_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Which team is the meeting for?"),
            picker(PROJECT, "projects", handlers.on_project, numeric=True),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=PollCreate.project,
            getter=getters.get_projects,
        ),
        Window(
            I18nFormat("What is the meeting about? Type a short title."),
            I18nFormat("Now: {title}. Type a new one, or tap Next.", when="has_title"),
            MessageInput(handlers.on_title),
            SwitchTo(I18nFormat("Next"), id="title_next", state=PollCreate.place, when="has_title"),
            Button(I18nFormat("Back"), id="title_back", on_click=handlers.on_title_back),
            state=PollCreate.title,
            getter=getters.get_title,
        ),
        Window(
            I18nFormat("Where is it? Type the place, or a link to meet online."),
            I18nFormat("Now: {place}", when="has_place"),
            MessageInput(handlers.on_place),
            Button(I18nFormat("Next"), id="place_skip", on_click=handlers.on_place_skip),
            SwitchTo(I18nFormat("Back"), id="place_back", state=PollCreate.title),
            state=PollCreate.place,
            getter=getters.get_place,
        ),
        Window(
            I18nFormat("Choose a day for one of the times you offer. Times are in {zone}."),
            I18nFormat("You have {count} of up to {most} times.", when="has_slots"),
            LocalCalendar(id=DAY, on_click=handlers.on_day),
            SwitchTo(
                I18nFormat("See my times"), id="day_slots", state=PollCreate.slots, when="has_slots"
            ),
            SwitchTo(I18nFormat("Back"), id="day_back", state=PollCreate.place),
            unexpected_input(),
            state=PollCreate.day,
            getter=getters.get_day,
        ),
        Window(
            I18nFormat("{day}. What time does it start? Times are in {zone}."),
            I18nFormat("Tap a time, or type one like 18:30."),
            Group(
                Select(
                    Format("{item[1]}"),
                    id=TIME,
                    item_id_getter=lambda item: item[0],
                    items="times",
                    on_click=handlers.on_time_chosen,
                ),
                width=3,
            ),
            MessageInput(handlers.on_time_typed),
            SwitchTo(I18nFormat("Back"), id="time_back", state=PollCreate.day),
            state=PollCreate.time,
            getter=getters.get_time,
        ),
        Window(
            I18nFormat("The times you offer:"),
            Format("{slots}"),
            I18nFormat("Please offer at least {least} times.", when="too_few"),
            Group(
                Select(
                    Format("{item[1]}"),
                    id=REMOVE_SLOT,
                    item_id_getter=lambda item: item[0],
                    items="remove",
                    on_click=handlers.on_remove_slot,
                    type_factory=button_number,
                ),
                width=3,
            ),
            SwitchTo(
                I18nFormat("Add another time"), id="add_slot", state=PollCreate.day, when="can_add"
            ),
            SwitchTo(I18nFormat("Next"), id="slots_next", state=PollCreate.duration, when="enough"),
            SwitchTo(I18nFormat("Back"), id="slots_back", state=PollCreate.place),
            unexpected_input(),
            state=PollCreate.slots,
            getter=getters.get_slots,
        ),
        Window(
            I18nFormat("How long is the meeting?"),
            picker(DURATION, "durations", handlers.on_duration, numeric=True),
            SwitchTo(I18nFormat("Back"), id="duration_back", state=PollCreate.slots),
            unexpected_input(),
            state=PollCreate.duration,
            getter=getters.get_durations,
        ),
        Window(
            I18nFormat("When should answers close? It must be before the first time."),
            I18nFormat("Tap a choice, or type a date and time like 2026-12-01 18:00 ({zone})."),
            picker(DEADLINE, "deadlines", handlers.on_deadline_chosen),
            MessageInput(handlers.on_deadline_typed),
            SwitchTo(I18nFormat("Back"), id="deadline_back", state=PollCreate.duration),
            state=PollCreate.deadline,
            getter=getters.get_deadline,
        ),
        Window(
            I18nFormat("Who should we ask?"),
            picker(AUDIENCE, "audiences", handlers.on_audience),
            SwitchTo(I18nFormat("Back"), id="audience_back", state=PollCreate.deadline),
            unexpected_input(),
            state=PollCreate.audience,
            getter=getters.get_audience,
        ),
        Window(
            I18nFormat("Above is the message people get. Its button shows them these times:"),
            Format("{slots}"),
            I18nFormat("Each person sees the times in their own time zone and language."),
            Format("{languages}"),
            I18nFormat(
                "You can write the title and place in each language people read.", when="can_add"
            ),
            I18nFormat("We will ask {who}: {count}. Send it now?", when="somebody"),
            I18nFormat("Nobody would be asked. Please go back and choose again.", when="nobody"),
            Column(
                Select(
                    Format("{item[1]}"),
                    id=VERSION,
                    item_id_getter=lambda item: item[0],
                    items="version_buttons",
                    on_click=handlers.on_version_chosen,
                )
            ),
            Button(I18nFormat("Send"), id="publish", on_click=handlers.on_publish, when="somebody"),
            SwitchTo(I18nFormat("Back"), id="preview_back", state=PollCreate.audience),
            unexpected_input(),
            state=PollCreate.preview,
            getter=getters.get_preview,
        ),
        Window(
            I18nFormat("Type the title in {language}."),
            I18nFormat("The original:"),
            Format("{original}"),
            I18nFormat("Now: {title}", when="has_title"),
            MessageInput(handlers.on_version_title),
            Button(
                I18nFormat("Remove this version"),
                id="remove_version",
                on_click=handlers.on_version_removed,
                when="has_version",
            ),
            SwitchTo(I18nFormat("Back"), id="version_back", state=PollCreate.preview),
            state=PollCreate.version_title,
            getter=getters.get_version,
        ),
        Window(
            I18nFormat("Type the place in {language}, or tap Same place."),
            I18nFormat("The original:"),
            Format("{original_place}"),
            I18nFormat("Now: {place}", when="has_place"),
            MessageInput(handlers.on_version_place),
            Button(
                I18nFormat("Same place"), id="same_place", on_click=handlers.on_version_same_place
            ),
            SwitchTo(I18nFormat("Back"), id="version_place_back", state=PollCreate.version_title),
            state=PollCreate.version_place,
            getter=getters.get_version,
        ),
        Window(
            Format("{summary}"),
            I18nFormat("People who have not answered get one reminder before the deadline."),
            I18nFormat("See the answers in Team tools, under Meetings."),
            Cancel(I18nFormat("Done")),
            unexpected_input(),
            state=PollCreate.published,
            getter=getters.get_published,
        ),
        on_start=handlers.on_start,
    )
