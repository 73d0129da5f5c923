"""aiogram-dialog's Calendar, with month and weekday names in the reader's language (Babel)
rather than the server's, and only days from today (in the team's zone) to a year ahead."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.kbd import Calendar
from aiogram_dialog.widgets.kbd.calendar_kbd import (
    CalendarDaysView,
    CalendarMonthView,
    CalendarScope,
    CalendarScopeView,
    CalendarUserConfig,
    CalendarYearsView,
)
from aiogram_dialog.widgets.text import Text
from babel.dates import format_date

from bot.i18n import babel_locale
from bot.services.delivery import zone
from storage.types import utcnow

FURTHEST_AHEAD = timedelta(days=366)


class BabelDate(Text):
    """A date from the calendar's data, in a Babel pattern and the reader's language."""

    def __init__(self, pattern: str, template: str = "{}") -> None:
        super().__init__()
        self.pattern = pattern
        self.template = template

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        locale = babel_locale(manager.middleware_data.get("locale", "en"))
        return self.template.format(format_date(data["date"], self.pattern, locale=locale))


class LocalCalendar(Calendar):
    """Pass the team's zone name in the window's getter data as `calendar_zone`."""

    def _init_views(self) -> dict[CalendarScope, CalendarScopeView]:
        callback = self._item_callback_data
        return {
            CalendarScope.DAYS: CalendarDaysView(
                callback,
                date_text=BabelDate("d"),
                today_text=BabelDate("d", "[{}]"),
                weekday_text=BabelDate("EEEEEE"),
                header_text=BabelDate("LLLL y", "🗓 {}"),
                next_month_text=BabelDate("LLL y", "{} >>"),
                prev_month_text=BabelDate("LLL y", "<< {}"),
            ),
            CalendarScope.MONTHS: CalendarMonthView(
                callback,
                month_text=BabelDate("LLL"),
                this_month_text=BabelDate("LLL", "[{}]"),
                header_text=BabelDate("y", "🗓 {}"),
            ),
            CalendarScope.YEARS: CalendarYearsView(callback),
        }

    async def _get_user_config(self, data: dict, manager: DialogManager) -> CalendarUserConfig:
        tz = zone(data.get("calendar_zone"), "Europe/London")
        today: date = utcnow().astimezone(tz).date()
        return CalendarUserConfig(
            timezone=tz, min_date=today, max_date=today + FURTHEST_AHEAD, firstweekday=0
        )
