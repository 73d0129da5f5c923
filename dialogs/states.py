"""Every dialog state in one module, so dialogs can start each other without import cycles."""

from aiogram.fsm.state import State, StatesGroup


class Start(StatesGroup):
    language = State()
    welcome = State()


class MainMenu(StatesGroup):
    main = State()
    help = State()
    language = State()


class TeamTools(StatesGroup):
    overview = State()
