"""Check a Bot API call against the official contract, the way Telegram would.

A fake that accepts anything hides bugs that only show up against api.telegram.org (a field
aiogram would never send wrong, but our code might build wrong: a button without text, a
string where an Integer belongs). `botapi_contract.json` is a compact copy of the Bot API
reference (see CONTRACT.md); this module turns a request's raw parameters, as aiogram sends
them (form fields with JSON-encoded non-strings) or as a JSON body, into typed Python values,
or refuses them with a 400/404 like Telegram.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .errors import ApiError, bad_request, not_found

_ARRAY = "Array of "
_INT_RE = re.compile(r"-?\d+")
# Telegram names the two most common missing fields in its own words; aiogram drops empty
# strings before sending, so an empty text reaches Telegram as a missing field.
_MISSING_TEXTS = {
    "chat_id": "Bad Request: chat_id is empty",
    "text": "Bad Request: message text is empty",
}


@dataclass(frozen=True)
class Upload:
    """A file sent as a multipart part."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Contract:
    version: str
    release_date: str
    methods: dict[str, list[dict[str, Any]]]
    types: dict[str, dict[str, Any]]
    # Telegram matches method names case-insensitively.
    by_lower_name: dict[str, str]


@functools.cache
def load_contract() -> Contract:
    raw = json.loads(
        resources.files(__package__).joinpath("botapi_contract.json").read_text("utf-8")
    )
    return Contract(
        version=raw["version"],
        release_date=raw["release_date"],
        methods=raw["methods"],
        types=raw["types"],
        by_lower_name={name.lower(): name for name in raw["methods"]},
    )


class _Mismatch(Exception):
    """A value does not fit a type; depth says how far into the value it got before failing,
    so that among alternatives (reply_markup is one of four types) the most relevant error wins."""

    def __init__(self, message: str, depth: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.depth = depth


def validate_call(
    method: str, raw: Mapping[str, Any], uploads: Mapping[str, Upload] | None = None
) -> tuple[str, dict[str, Any]]:
    """Return the method's canonical name and its typed parameters, or raise ApiError."""
    contract = load_contract()
    name = contract.by_lower_name.get(method.lower())
    if name is None:
        raise not_found()
    uploads = uploads or {}
    params: dict[str, Any] = {}
    for field in contract.methods[name]:
        fname = field["name"]
        value = raw.get(fname)
        if value is None and fname in uploads:
            value = uploads[fname]
        if value is None or value == "":
            if field["required"]:
                raise ApiError(400, _MISSING_TEXTS.get(fname, f"Bad Request: {fname} is required"))
            continue
        try:
            params[fname] = _parse(value, field["types"], fname, uploads)
        except _Mismatch as exc:
            raise bad_request(exc.message) from None
    return name, params


def _parse(value: Any, types: list[str], path: str, uploads: Mapping[str, Upload]) -> Any:
    errors: list[_Mismatch] = []
    for type_name in types:
        try:
            return _parse_one(value, type_name, path, uploads)
        except _Mismatch as exc:
            errors.append(exc)
    best = max(errors, key=lambda e: e.depth)
    if len(types) > 1 and best.depth == 0:
        raise _Mismatch(f'field "{path}" must be of type {" or ".join(types)}')
    raise best


def _parse_one(value: Any, type_name: str, path: str, uploads: Mapping[str, Upload]) -> Any:
    if type_name.startswith(_ARRAY):
        return _parse_array(value, type_name[len(_ARRAY) :], path, uploads)
    scalar = _SCALARS.get(type_name)
    if scalar is not None:
        return scalar(value, path)
    if type_name == "InputFile":
        return _parse_input_file(value, path, uploads)
    return _parse_object(value, type_name, path, uploads)


def _parse_integer(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value)
    raise _Mismatch(f'field "{path}" must be of type Integer')


def _parse_string(value: Any, path: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _Mismatch(f'field "{path}" must be of type String')


def _parse_boolean(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if value in (0, 1):
        return bool(value)
    raise _Mismatch(f'field "{path}" must be of type Boolean')


def _parse_float(value: Any, path: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _Mismatch(f'field "{path}" must be of type Float')


_SCALARS = {
    "Integer": _parse_integer,
    "String": _parse_string,
    "Boolean": _parse_boolean,
    "Float": _parse_float,
    # A few fields are typed "True" (always true when present).
    "True": _parse_boolean,
}


def _parse_input_file(value: Any, path: str, uploads: Mapping[str, Upload]) -> Upload:
    if isinstance(value, Upload):
        return value
    if isinstance(value, str) and value.startswith("attach://"):
        upload = uploads.get(value.removeprefix("attach://"))
        if upload is not None:
            return upload
    raise _Mismatch(f'field "{path}" must be an uploaded file')


def _decode_json(value: Any, path: str, expected: type, what: str) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _Mismatch(f"can't parse {path} JSON object") from None
    if not isinstance(value, expected):
        raise _Mismatch(f'field "{path}" must be {what}')
    return value


def _parse_array(value: Any, item_type: str, path: str, uploads: Mapping[str, Upload]) -> list[Any]:
    items = _decode_json(value, path, list, "an Array")
    parsed = []
    for index, item in enumerate(items):
        try:
            parsed.append(_parse(item, [item_type], f"{path}[{index}]", uploads))
        except _Mismatch as exc:
            exc.depth += 1
            raise
    return parsed


def _parse_object(
    value: Any, type_name: str, path: str, uploads: Mapping[str, Upload]
) -> dict[str, Any]:
    spec = load_contract().types.get(type_name)
    if spec is None:
        raise _Mismatch(f'field "{path}" has unknown type {type_name}')
    obj = _decode_json(value, path, dict, f"an object of type {type_name}")
    if "subtypes" in spec:
        return _parse_object(obj, _pick_subtype(obj, type_name, spec, path), path, uploads)
    parsed = dict(obj)  # Telegram ignores fields it does not know
    for field in spec.get("fields", []):
        fname = field["name"]
        sub = obj.get(fname)
        if sub is None:
            if field["required"]:
                raise _Mismatch(f'{type_name}: field "{path}.{fname}" is required')
            continue
        const = field.get("const")
        if const is not None and sub != const:
            raise _Mismatch(f'{type_name}: field "{path}.{fname}" must be "{const}"')
        try:
            parsed[fname] = _parse(sub, field["types"], f"{path}.{fname}", uploads)
        except _Mismatch as exc:
            exc.depth += 1
            raise
    return parsed


def _pick_subtype(obj: dict[str, Any], type_name: str, spec: dict[str, Any], path: str) -> str:
    types = load_contract().types
    for subtype in spec["subtypes"]:
        consts = [f for f in types[subtype].get("fields", []) if "const" in f]
        if consts and all(obj.get(f["name"]) == f["const"] for f in consts):
            return subtype
    raise _Mismatch(f'field "{path}" is not a valid {type_name}')
