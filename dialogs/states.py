"""Every dialog state in one module, so dialogs can start each other without import cycles."""

from aiogram.fsm.state import State, StatesGroup


class Onboarding(StatesGroup):
    language = State()
    welcome = State()
    consent = State()
    consent_more = State()
    quote = State()
    use_name = State()
    ground_rules = State()
    name = State()
    frequency = State()
    quiet_hours = State()
    timezone = State()


class MainMenu(StatesGroup):
    main = State()
    help = State()
    language = State()


class Settings(StatesGroup):
    main = State()
    frequency = State()
    quiet_hours = State()
    timezone = State()
    quoting = State()
    name = State()


class Pause(StatesGroup):
    main = State()


class Forget(StatesGroup):
    first = State()
    second = State()


class TeamTools(StatesGroup):
    overview = State()
    invite = State()


class TeamTexts(StatesGroup):
    """Staff: the team's ground rules and feedback topics, and their versions per language."""

    project = State()
    overview = State()
    rules = State()
    rules_text = State()
    topic = State()
    topic_add = State()
    topic_rename = State()
    topic_version = State()
    topic_remove = State()


class Broadcast(StatesGroup):
    project = State()
    audience = State()
    pick_poll = State()
    pick_offer = State()
    compose = State()
    versions = State()
    version_text = State()
    preview = State()
    when = State()
    confirm = State()
    progress = State()
    report = State()
    scheduled = State()  # messages of the team still to go at a chosen time
    cancel_scheduled = State()


class CheckinSchedules(StatesGroup):
    project = State()
    list = State()
    start = State()
    every = State()
    weekday = State()
    time = State()
    stop = State()


# -- feedback, pulse check-ins, "you said, we did" (issue 5) ----------------------------------


class GiveFeedback(StatesGroup):
    project = State()
    topic = State()
    rating = State()
    words = State()
    send = State()
    done = State()


class MyFeedback(StatesGroup):
    list = State()
    item = State()
    rating = State()
    words = State()
    withdraw = State()


class PulseComment(StatesGroup):
    comment = State()
    thanks = State()


class WeDidUpdates(StatesGroup):
    list = State()
    item = State()
    comment = State()


class ReviewFeedback(StatesGroup):
    project = State()
    page = State()
    filter = State()
    theme = State()


class WeDidEditor(StatesGroup):
    project = State()
    list = State()
    you_said = State()
    we_did = State()
    status = State()
    reason = State()
    owner = State()
    due = State()
    link = State()
    audience = State()
    versions = State()
    version_you_said = State()
    version_we_did = State()
    version_reason = State()
    confirm = State()
    detail = State()
    new_status = State()
    new_reason = State()
    link_more = State()
    edit_words = State()


# -- meeting availability (issue 6) -----------------------------------------------------------


class PollCreate(StatesGroup):
    project = State()
    title = State()
    place = State()
    day = State()
    time = State()
    slots = State()
    duration = State()
    deadline = State()
    audience = State()
    preview = State()
    version_title = State()
    version_place = State()
    published = State()


class Availability(StatesGroup):
    slots = State()
    needs = State()
    need_note = State()
    thanks = State()
    closed = State()


class MyMeetings(StatesGroup):
    main = State()


class MeetingsStaff(StatesGroup):
    list = State()
    poll = State()
    decide = State()
    meeting = State()
    move = State()
    cancel = State()
    attendance = State()


# -- reciprocity offers and contributions (issue 7) -------------------------------------------


class Offers(StatesGroup):
    """Staff: post offers and review the claims on them."""

    project = State()
    list = State()
    offer = State()
    claims = State()
    claim = State()
    decline = State()
    close = State()
    kind = State()
    title = State()
    description = State()
    places = State()
    closes = State()
    eligibility = State()
    versions = State()
    version_title = State()
    version_description = State()
    confirm = State()


class Rewards(StatesGroup):
    """Participants: browse the thank-you offers of their teams and ask for one."""

    list = State()
    offer = State()
    amount = State()
    receipt = State()
    confirm = State()
    mine = State()


class MyContribution(StatesGroup):
    main = State()
    team = State()  # which team a certificate is for, when they are in more than one


class LogActivity(StatesGroup):
    """Staff: log time a participant gave outside meetings."""

    project = State()
    person = State()
    duration = State()
    day = State()
    description = State()
    confirm = State()


# -- exports and reports (issue 8) ------------------------------------------------------------


class Export(StatesGroup):
    project = State()
    what = State()
    format = State()
    dates = State()
    names = State()
    confirm = State()


# Dialogs only facilitators and coordinators may use: the staff guard checks every update in them.
STAFF_STATE_GROUPS = (
    TeamTools,
    TeamTexts,
    Export,
    Broadcast,
    CheckinSchedules,
    ReviewFeedback,
    WeDidEditor,
    Offers,
    LogActivity,
    PollCreate,
    MeetingsStaff,
)
# Buttons that lead into staff dialogs start with this id prefix (checked by the same guard).
STAFF_WIDGET_PREFIX = "staff_"
