"""A local Telegram Bot API for running the real bot without api.telegram.org.

The terminal demo, the tests and the benchmarks point aiogram at `TelegramEmulator.api_url`;
simulated users then talk to the bot, and the emulator refuses what Telegram would refuse.
"""

from .emulator import EmulatorStats, RequestRecord, TelegramEmulator
from .errors import ApiError
from .limits import Fault
from .run import serve
from .users import BotMessage, ButtonNotFoundError, SimulatedUser

__all__ = [
    "ApiError",
    "BotMessage",
    "ButtonNotFoundError",
    "EmulatorStats",
    "Fault",
    "RequestRecord",
    "SimulatedUser",
    "TelegramEmulator",
    "serve",
]
