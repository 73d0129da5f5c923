"""What an operator graphs and alerts on, for Prometheus (prometheus-client).

Each process serves its own /metrics (the webhook server on its port; the background worker on
METRICS_PORT). Labels are kinds and outcomes only: never a person, a chat or a text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

MESSAGES = Counter(
    "coproduce_messages_total",
    "Tries of unprompted messages by the delivery engine, by outcome",
    ["outcome"],  # sent, resent (an earlier try got no answer), blocked, failed, no_answer
)
RETRY_AFTER = Counter(
    "coproduce_telegram_429_total", "Times Telegram said 429 (too many requests) to this process"
)
OUTBOX_BACKLOG = Gauge(
    "coproduce_outbox_backlog", "Deliveries due now and not yet sent (read at each scrape)"
)
UPDATE_SECONDS = Histogram(
    "coproduce_update_handling_seconds",
    "Time to handle one update from Telegram",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SWEEP_SECONDS = Histogram(
    "coproduce_sweep_duration_seconds",
    "Time one scheduled sweep took",
    ["sweep", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300),
)
LEADER = Gauge(
    "coproduce_background_leader",
    "1 while this process is the elected background worker (scheduler and delivery)",
)
PACE_WAIT_SECONDS = Histogram(
    "coproduce_pace_wait_seconds",
    "Time a message waited for its turn in the shared pace",
    ["kind"],  # reply, unprompted
    buckets=(0.001, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 30),
)

Refresh = Callable[[], Awaitable[None]]


def add_metrics_route(app: web.Application, refresh: Refresh | None = None) -> None:
    """GET /metrics in Prometheus' text format; `refresh` updates gauges read from the database
    first (a database out of reach leaves them as they were)."""

    async def metrics(_request: web.Request) -> web.Response:
        if refresh is not None:
            try:
                await refresh()
            except Exception:  # the scrape still answers; /readyz says what is wrong
                pass
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/metrics", metrics)
