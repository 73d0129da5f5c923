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


class Broadcast(StatesGroup):
    project = State()
    audience = State()
    compose = State()
    versions = State()
    version_text = State()
    preview = State()
    when = State()
    confirm = State()
    progress = State()
    report = State()


# -- feedback, pulse check-ins, "you said, we did" (issue 5) ----------------------------------


# -- meeting availability (issue 6) -----------------------------------------------------------


# -- reciprocity offers and contributions (issue 7) -------------------------------------------


# -- exports and reports (issue 8) ------------------------------------------------------------


# Dialogs only facilitators and coordinators may use: the staff guard checks every update in them.
STAFF_STATE_GROUPS = (TeamTools, Broadcast)
# Buttons that lead into staff dialogs start with this id prefix (checked by the same guard).
STAFF_WIDGET_PREFIX = "staff_"
