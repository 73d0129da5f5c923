"""The HTTP face of the emulator: Telegram's URLs, request formats and response shape.

Everything about a call except HTTP (validation, faults, limits, behaviour) happens in
`TelegramEmulator.execute`; this module only reads parameters the ways Telegram accepts them
(query string, urlencoded form, multipart with files, JSON body) and writes
`{"ok": ..., ...}` with the HTTP status equal to error_code. It also serves downloads and a
small control API under /_emulator/ so a process that did not start the emulator (the terminal
demo, a benchmark, a multi-process test) can act as a user and read the bot's pace
(GET /_emulator/stats[?text=...], POST /_emulator/stats/reset; see `Traffic`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from .contract import Upload
from .errors import ApiError, bad_request, unauthorized
from .limits import DROPPED

if TYPE_CHECKING:
    from .emulator import TelegramEmulator

log = logging.getLogger(__name__)

_TOKEN_RE = re.compile(r"(\d+):[A-Za-z0-9_-]{30,}")
EMULATOR_KEY = web.AppKey("emulator", object)


def build_app(emulator: TelegramEmulator) -> web.Application:
    app = web.Application(client_max_size=50 * 1024 * 1024, middlewares=[_telegram_shaped_errors])
    app[EMULATOR_KEY] = emulator
    app.router.add_route("*", "/bot{token}/{method}", _bot_api)
    app.router.add_get("/file/bot{token}/{path:.+}", _download)
    app.router.add_post("/_emulator/users/{user_id}/text", _control_text)
    app.router.add_post("/_emulator/users/{user_id}/press", _control_press)
    app.router.add_get("/_emulator/chats/{chat_id}/messages", _control_messages)
    app.router.add_get("/_emulator/stats", _control_stats)
    app.router.add_post("/_emulator/stats/reset", _control_stats_reset)
    return app


@web.middleware
async def _telegram_shaped_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """A bug in the emulator must still answer in Telegram's shape, so the client reports a
    server error rather than a JSON decoding failure."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        return _reply(
            exc.status, {"ok": False, "error_code": exc.status, "description": exc.reason}
        )
    except Exception:
        log.exception("emulator failed on %s", request.path)
        return _reply(500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})


def _emulator(request: web.Request) -> TelegramEmulator:
    return request.app[EMULATOR_KEY]  # type: ignore[return-value]


def _reply(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    raw: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.can_read_body:
        return raw, uploads
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON") from None
        if not isinstance(body, dict):
            raise bad_request("JSON body must be an object")
        raw.update(body)
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                uploads[part.name] = Upload(
                    part.filename,
                    bytes(await part.read()),
                    part.headers.get("Content-Type", "application/octet-stream"),
                )
            else:
                raw[part.name] = await part.text()
    else:
        raw.update(await request.post())
    return raw, uploads


async def _bot_api(request: web.Request) -> web.Response:
    emulator = _emulator(request)
    match = _TOKEN_RE.fullmatch(request.match_info["token"])
    if match is None or not emulator.accepts_token(request.match_info["token"]):
        return _reply(401, unauthorized().to_json())
    try:
        raw, uploads = await _read_params(request)
    except ApiError as exc:
        return _reply(exc.code, exc.to_json())
    status, body = await emulator.execute(
        request.match_info["method"], raw, uploads, bot_id=int(match.group(1))
    )
    if status == DROPPED and request.transport is not None:
        request.transport.abort()  # the client sees the connection reset, no answer at all
        raise asyncio.CancelledError
    return _reply(status, body)


async def _download(request: web.Request) -> web.Response:
    emulator = _emulator(request)
    if not emulator.accepts_token(request.match_info["token"]):
        return _reply(401, unauthorized().to_json())
    stored = emulator.state.file_by_path(request.match_info["path"])
    if stored is None:
        return _reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
    return web.Response(
        body=stored.content, content_type=stored.mime_type or "application/octet-stream"
    )


async def _control_user(request: web.Request) -> tuple[Any, dict[str, Any]]:
    body = await request.json() if request.can_read_body else {}
    user_id = int(request.match_info["user_id"])
    user = _emulator(request).user(
        user_id,
        first_name=body.get("first_name", "User"),
        language_code=body.get("language_code", "en"),
    )
    return user, body


async def _control_text(request: web.Request) -> web.Response:
    user, body = await _control_user(request)
    update = await user.send_text(body["text"])
    return _reply(200, {"ok": True, "result": update})


async def _control_press(request: web.Request) -> web.Response:
    user, body = await _control_user(request)
    try:
        update = await user.press(body["label"])
    except LookupError as exc:
        return _reply(400, {"ok": False, "error_code": 400, "description": str(exc)})
    return _reply(200, {"ok": True, "result": update})


async def _control_messages(request: web.Request) -> web.Response:
    emulator = _emulator(request)
    chat_id = int(request.match_info["chat_id"])
    messages = [m.data for m in emulator.state.bot_messages(chat_id)]
    return web.Response(
        text=json.dumps({"ok": True, "result": messages}), content_type="application/json"
    )


async def _control_stats(request: web.Request) -> web.Response:
    """The bot's pace and what each chat received; ?text=... keeps `received` to one text."""
    report = _emulator(request).traffic.report(text=request.query.get("text"))
    return _reply(200, {"ok": True, "result": report})


async def _control_stats_reset(request: web.Request) -> web.Response:
    """Start the tally afresh (the flood limit itself keeps what it has seen)."""
    _emulator(request).traffic.reset()
    return _reply(200, {"ok": True, "result": True})
