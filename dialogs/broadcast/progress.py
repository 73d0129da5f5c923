"""Live progress: while a broadcast goes out, its window renews itself every few seconds, and
turns into the delivery report when nothing is left to send now.

The watcher looks at the facilitator's dialog through aiogram-dialog's background manager and
stops as soon as they are no longer on this broadcast's progress window (they went elsewhere,
or the report is showing), so it never redraws or closes something else. The window also has a
Refresh button, so nothing depends on the watcher: after a restart, Refresh still works.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram_dialog import BaseDialogManager
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.delivery import DeliveryReport, delivery_report
from bot.tasks import BackgroundTasks
from dialogs.states import Broadcast

log = logging.getLogger(__name__)

EVERY_SECONDS = 3.0
GIVE_UP_AFTER_SECONDS = 2 * 60 * 60  # a long send: Refresh still works after this


async def nothing_left_to_send(session: AsyncSession, message_id: int) -> bool:
    """Everyone was sent it, or is waiting for a reason of their own (pause, quiet hours)."""
    return (await delivery_report(session, message_id)).queued == 0


def watch(tasks: BackgroundTasks, bg: BaseDialogManager, message_id: int) -> None:
    tasks.spawn(_watch(bg, message_id), name=f"broadcast-{message_id}-progress")


async def _watch(bg: BaseDialogManager, message_id: int) -> None:
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + GIVE_UP_AFTER_SECONDS
    shown: DeliveryReport | None = None
    try:
        while loop.time() < give_up_at:
            await asyncio.sleep(EVERY_SECONDS)
            report = await _look(bg, message_id)
            if report is None:
                return
            # Redraw only when a figure changed: every edit counts against the facilitator's
            # chat in the pacer, and would hold back their own copy of the broadcast.
            if report != shown:
                await bg.update({})
                shown = report
            if report.queued == 0:
                return
    except Exception:
        log.warning("progress of broadcast %s stopped updating", message_id, exc_info=True)


async def _look(bg: BaseDialogManager, message_id: int) -> DeliveryReport | None:
    """Where the broadcast stands, or None once the facilitator left its progress window.
    When nothing is left to send now, the window becomes the report (drawn by the caller)."""
    async with bg.fg() as manager:
        if not manager.has_context():
            return None
        context = manager.current_context()
        if context.state != Broadcast.progress:
            return None
        if context.dialog_data.get("message_id") != message_id:
            return None
        report = await delivery_report(manager.middleware_data["session"], message_id)
        if report.queued == 0:
            await manager.switch_to(Broadcast.report)
        return report
