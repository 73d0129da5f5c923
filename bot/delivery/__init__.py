"""Everything the bot sends unprompted goes through here: an outbox in the database, one pacer,
and an engine that resumes after a crash. The rules about whom and when are in
bot/services/delivery.py; the queries in storage/outbox.py."""

from bot.delivery.engine import DeliveryEngine
from bot.delivery.middleware import PacerRequestMiddleware
from bot.delivery.pacer import Pacer
from bot.services.delivery import (
    DeliveryReport,
    InvalidMessage,
    Progress,
    delivery_progress,
    delivery_report,
    enqueue_message,
    resume_deliveries,
)

__all__ = [
    "DeliveryEngine",
    "DeliveryReport",
    "InvalidMessage",
    "Pacer",
    "PacerRequestMiddleware",
    "Progress",
    "delivery_progress",
    "delivery_report",
    "enqueue_message",
    "resume_deliveries",
]
