"""Meetings: for everyone, the polls waiting for their answer and their next meetings; for
facilitators, each poll's live tally, choosing the time, changing or cancelling, and who came."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import (
    Button,
    Cancel,
    Group,
    Row,
    ScrollingGroup,
    Select,
    Start,
    SwitchTo,
)
from aiogram_dialog.widgets.text import Format

from dialogs.common import I18nFormat, button_number, picker, unexpected_input
from dialogs.meetings import getters, handlers
from dialogs.states import STAFF_WIDGET_PREFIX, MeetingsStaff, MyMeetings, PollCreate

OPEN_POLL = "my_poll"
MY_MEETING = "my_meeting_coming"
STAFF_POLL = STAFF_WIDGET_PREFIX + "poll"
STAFF_MEETING = STAFF_WIDGET_PREFIX + "meeting"
NEW_POLL = STAFF_WIDGET_PREFIX + "new_poll"
CHOOSE_SLOT = STAFF_WIDGET_PREFIX + "choose_slot"
MOVE_TO = STAFF_WIDGET_PREFIX + "move_to"
ATTENDED = STAFF_WIDGET_PREFIX + "attended"
ATTENDANCE_PAGE = 10


def my_meetings_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Please say which times suit you:", when="has_polls"),
            picker(OPEN_POLL, "polls", handlers.on_open_poll, numeric=True),
            I18nFormat("Your next meetings:", when="has_meetings"),
            Format("{meetings}", when="has_meetings"),
            I18nFormat(
                "You chose not to share your name. Staff see you as Person {code}.",
                when="show_code",
            ),
            picker(MY_MEETING, "toggles", handlers.on_coming_toggle),
            I18nFormat("You have no meetings or questions about times just now.", when="nothing"),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=MyMeetings.main,
            getter=getters.get_my_meetings,
        ),
    )


def meetings_staff_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("Meetings. Find a time, follow the answers, choose the time."),
            Start(I18nFormat("Find a meeting time"), id=NEW_POLL, state=PollCreate.project),
            I18nFormat("Questions about times:", when="has_polls"),
            picker(STAFF_POLL, "polls", handlers.on_poll, numeric=True),
            Row(
                Button(
                    I18nFormat("Newer"),
                    id="polls_newer",
                    on_click=handlers.on_newer_polls,
                    when="has_newer",
                ),
                Button(
                    I18nFormat("Older"),
                    id="polls_older",
                    on_click=handlers.on_older_polls,
                    when="has_older",
                ),
            ),
            I18nFormat("Meetings:", when="has_meetings"),
            picker(STAFF_MEETING, "meetings", handlers.on_meeting, numeric=True),
            Cancel(I18nFormat("Back")),
            unexpected_input(),
            state=MeetingsStaff.list,
            getter=getters.get_staff_list,
        ),
        Window(
            Format("{title}"),
            Format("{state} {answered}"),
            Format("{tally}"),
            I18nFormat("Not answered yet: {waiting}", when="has_waiting"),
            I18nFormat("What would help people come (only staff see this):", when="has_needs"),
            Format("{needs}", when="has_needs"),
            I18nFormat("The best times are first. Choose one to tell people.", when="choices"),
            Group(
                Select(
                    Format("{item[1]}"),
                    id=CHOOSE_SLOT,
                    item_id_getter=lambda item: item[0],
                    items="choices",
                    on_click=handlers.on_slot_chosen,
                    type_factory=button_number,
                ),
                width=2,
            ),
            Button(
                I18nFormat("Close answers now"),
                id="close_poll",
                on_click=handlers.on_close_poll,
                when="can_close",
            ),
            Button(
                I18nFormat("See the meeting"),
                id="see_meeting",
                on_click=handlers.on_see_meeting,
                when="decided",
            ),
            SwitchTo(I18nFormat("Refresh"), id="poll_refresh", state=MeetingsStaff.poll),
            SwitchTo(I18nFormat("Back"), id="poll_back", state=MeetingsStaff.list),
            unexpected_input(),
            state=MeetingsStaff.poll,
            getter=getters.get_poll,
        ),
        Window(
            I18nFormat("Choose {when} for {title}?"),
            Format("{count}"),
            I18nFormat("They get a calendar file and reminders a day and two hours before."),
            Button(I18nFormat("Yes, choose it"), id="decide", on_click=handlers.on_decide),
            SwitchTo(I18nFormat("Back"), id="decide_back", state=MeetingsStaff.poll),
            unexpected_input(),
            state=MeetingsStaff.decide,
            getter=getters.get_decide,
        ),
        Window(
            Format("{title}"),
            Format("{when}"),
            I18nFormat("Where: {place}", when="has_place"),
            I18nFormat("This meeting is cancelled.", when="cancelled"),
            Format("{told}"),
            I18nFormat("Cannot come now: {cant}", when="has_cant"),
            I18nFormat("Marked as came: {came}", when="started"),
            SwitchTo(
                I18nFormat("Who came"),
                id="attendance",
                state=MeetingsStaff.attendance,
                when="started",
            ),
            SwitchTo(
                I18nFormat("Change the time"), id="move", state=MeetingsStaff.move, when="future"
            ),
            SwitchTo(
                I18nFormat("Cancel the meeting"),
                id="cancel",
                state=MeetingsStaff.cancel,
                when="future",
            ),
            SwitchTo(I18nFormat("Back"), id="meeting_back", state=MeetingsStaff.list),
            unexpected_input(),
            state=MeetingsStaff.meeting,
            getter=getters.get_meeting,
        ),
        Window(
            I18nFormat("Choose a new time, or type one like 2026-12-01 18:00 ({zone})."),
            I18nFormat("We tell everyone who was told the old time."),
            picker(MOVE_TO, "others", handlers.on_move_chosen),
            MessageInput(handlers.on_move_typed),
            SwitchTo(I18nFormat("Back"), id="move_back", state=MeetingsStaff.meeting),
            state=MeetingsStaff.move,
            getter=getters.get_move,
        ),
        Window(
            I18nFormat("Cancel {title} on {when}?"),
            Format("{count}"),
            Button(
                I18nFormat("Yes, cancel it"), id="cancel_yes", on_click=handlers.on_cancel_meeting
            ),
            SwitchTo(I18nFormat("Back"), id="cancel_back", state=MeetingsStaff.meeting),
            unexpected_input(),
            state=MeetingsStaff.cancel,
            getter=getters.get_cancel,
        ),
        Window(
            I18nFormat("Who came to {title}? Tap each person who came."),
            I18nFormat("Nobody was asked or told about this meeting.", when="nobody"),
            ScrollingGroup(
                Select(
                    Format("{item[1]}"),
                    id=ATTENDED,
                    item_id_getter=lambda item: item[0],
                    items="people",
                    on_click=handlers.on_attendance,
                    type_factory=button_number,
                ),
                id="attendance_pages",
                width=1,
                height=ATTENDANCE_PAGE,
                hide_on_single_page=True,
            ),
            SwitchTo(I18nFormat("Done"), id="attendance_done", state=MeetingsStaff.meeting),
            unexpected_input(),
            state=MeetingsStaff.attendance,
            getter=getters.get_attendance,
        ),
        on_start=handlers.on_staff_start,
    )
