"""The webhook's door: only Telegram comes in, only updates are handled, and Telegram hears
"done" only after an update was handled.

aiogram's SimpleRequestHandler checks the secret token, but a body that is not an update
(malformed JSON, nothing, a list, an object with no update in it, text) raises inside it: a
500, and a traceback whose pydantic error copies what was sent into the log. Here the body is
read and checked first: anything that is not an update Telegram could send gets 400 and one
warning line that names only the kind of fault (never a value from the body).

An update is then handled in the request, not in the background: 200 when it was handled; if
handling raised, 503 (the database or Redis is out of reach: a warning, no traceback) or 500
(anything else: logged with its traceback), so Telegram sends it again later and the record
of handled update ids keeps it from being done twice.

The same server answers GET /healthz (alive) and GET /readyz (the database and Redis answer;
the outbox backlog and the sweeps' last runs are shown).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from storage.outage import is_storage_outage

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Every number Telegram sends (ids, dates, counts) fits in a signed 64-bit integer, as the
# database's columns do.
_LOWEST, _HIGHEST = -(2**63), 2**63 - 1


class NotAnUpdate(ValueError):
    """The body is not an update; the message says why, in words of our own (no input)."""


def read_update(body: bytes, content_type: str) -> dict[str, Any]:
    """The body as an update's JSON object, or NotAnUpdate."""
    if content_type != "application/json":
        raise NotAnUpdate("not JSON (content type)")
    if not body:
        raise NotAnUpdate("empty body")
    try:
        data = json.loads(body)
    except RecursionError:
        raise NotAnUpdate("JSON nested too deeply") from None
    except ValueError:  # malformed JSON or not UTF-8
        raise NotAnUpdate("malformed JSON") from None
    if not isinstance(data, dict):
        raise NotAnUpdate(f"a JSON {type(data).__name__}, not an object")
    if not _numbers_fit(data):
        raise NotAnUpdate("a number too big for Telegram")
    return data


def _numbers_fit(data: Any) -> bool:
    """Every integer in the JSON fits in 64 bits (a loop, not recursion: any depth is fine)."""
    waiting = [data]
    while waiting:
        value = waiting.pop()
        if isinstance(value, dict):
            waiting.extend(value.values())
        elif isinstance(value, list):
            waiting.extend(value)
        elif isinstance(value, int) and not _LOWEST <= value <= _HIGHEST:
            return False
    return True


class UpdateRequestHandler(SimpleRequestHandler):
    """SimpleRequestHandler that answers 400 to anything but an update, and 503 or 500 to an
    update whose handling raised. Always handles in the request (never in the background)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["handle_in_background"] = False
        super().__init__(*args, **kwargs)

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), bot):
            return web.Response(body="Unauthorized", status=401)
        try:
            data = read_update(await request.read(), request.content_type)
            update = _validate(data, bot)
        except NotAnUpdate as fault:
            log.warning("webhook: refused a request that is not an update (%s)", fault)
            return web.Response(text="Bad Request: not an update", status=400)
        try:
            result = await self.dispatcher.feed_update(bot, update, **self.data)
        except Exception as error:
            # Not confirmed: Telegram sends the update again, and the handled-ids record skips
            # it if it did land after all.
            if is_storage_outage(error):
                log.warning(
                    "webhook: update %s waits for the database or Redis (%s); "
                    "Telegram will send it again",
                    update.update_id,
                    type(error).__name__,
                )
                return web.Response(text="Service Unavailable: try again", status=503)
            log.error(
                "webhook: update %s failed (%s); Telegram will send it again",
                update.update_id,
                type(error).__name__,
                exc_info=error,
            )
            return web.Response(text="Internal Server Error", status=500)
        if isinstance(result, TelegramMethod):  # a handler's answer in the response, as aiogram
            return web.Response(body=self._build_response_writer(bot=bot, result=result))
        return web.json_response({})


def _validate(data: dict[str, Any], bot: Any) -> Update:
    try:
        update = Update.model_validate(data, context={"bot": bot})
        update.event_type  # noqa: B018 - raises when no part of it is an update we know
    except ValidationError as error:
        # Never str(error): pydantic's text copies the input values.
        raise NotAnUpdate(f"{error.error_count()} fields not as Telegram sends them") from None
    except UpdateTypeLookupError:
        raise NotAnUpdate("no event aiogram knows") from None
    except RecursionError:
        raise NotAnUpdate("nested too deeply") from None
    return update


# Health for a load balancer or an orchestrator. /healthz: the process answers. /readyz: it can
# do its work (the database answers, and Redis when the bot uses it). The bodies name only
# which part failed, never an address, an error text or anything about a person.
HEALTH_CHECK_TIMEOUT = 3.0  # seconds: a database that hangs is not ready


def add_health_routes(
    web_app: web.Application, *, engine: Any, redis: Any = None, sessions: Any = None
) -> None:
    """GET /healthz and GET /readyz. Ready means this process can do its work: the database and
    Redis answer. The outbox backlog and each sweep's last run are shown too (they are the
    background worker's, so they inform and do not take a webhook worker out of service)."""

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def readyz(_request: web.Request) -> web.Response:
        checks = {"database": await _answers("database", _database_answers(engine))}
        if redis is not None:
            checks["redis"] = await _answers("redis", redis.ping())
        ready = all(result == "ok" for result in checks.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
        if sessions is not None and checks["database"] == "ok":
            try:
                body.update(await asyncio.wait_for(_work_state(sessions), HEALTH_CHECK_TIMEOUT))
            except Exception as error:
                log.warning("readyz: cannot read the backlog (%s)", type(error).__name__)
        return web.json_response(body, status=200 if ready else 503)

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)


async def _work_state(sessions: Any) -> dict[str, Any]:
    """The outbox backlog and, for each sweep, how long ago it last ran and how it ended."""
    from bot import metrics
    from bot.scheduler import SWEEPS
    from storage import outbox, sweeps
    from storage.types import utcnow

    now = utcnow()
    async with sessions() as session:
        count, oldest = await outbox.backlog(session, now)
        runs = {run.name: run for run in await sweeps.last_runs(session)}
    metrics.OUTBOX_BACKLOG.set(count)
    state: dict[str, Any] = {
        "outbox": {
            "backlog": count,
            "oldest_due_seconds_ago": round((now - oldest).total_seconds()) if oldest else None,
        }
    }
    sweep_state = {}
    for sweep in SWEEPS:
        run = runs.get(sweep.job_id)
        started = run.started_at if run else None
        due = sweeps.due_at(run, sweep.every) if run else None
        sweep_state[sweep.job_id] = {
            "last_run_seconds_ago": round((now - started).total_seconds()) if started else None,
            "last_run_ok": run.ok if run else None,
            # Due for longer than two ticks: no background worker is running it.
            "late": due is None or (now - due).total_seconds() > 2 * sweep.tick_seconds,
        }
    state["sweeps"] = sweep_state
    return state


async def _database_answers(engine: Any) -> None:
    from sqlalchemy import text

    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _answers(name: str, check: Any) -> str:
    try:
        await asyncio.wait_for(check, HEALTH_CHECK_TIMEOUT)
    except Exception as error:  # any failure means "not ready"; the reason goes to the log
        log.warning("readyz: %s does not answer (%s)", name, type(error).__name__)
        return "failed"
    return "ok"
