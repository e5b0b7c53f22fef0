"""Characters no store, JSON encoder or HTTP client can carry: lone UTF-16 surrogates and NUL.

JSON parsers accept ``"\\ud800"`` and ``"\\u0000"``, so they can reach the gateway in a widget body
or a signed LINE event. A lone surrogate cannot be encoded as UTF-8 (SQLite, psycopg2, httpx and
the JSON response all fail on it) and PostgreSQL refuses NUL in text. Entrances reject them
(``is_poison``); everything read back from the store is passed through ``scrub`` so an old row
holding one can still be shown, replayed or exported.
"""
from __future__ import annotations

import re
from typing import Any

_POISON = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def is_poison(value: Any) -> bool:
    """True if a string anywhere in ``value`` (str, list, dict keys and values) holds NUL or a lone surrogate."""
    if isinstance(value, str):
        return _POISON.search(value) is not None
    if isinstance(value, dict):
        return any(is_poison(k) or is_poison(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(is_poison(v) for v in value)
    return False


def scrub(value: Any) -> Any:
    """``value`` with every NUL and lone surrogate replaced by U+FFFD (unchanged objects are returned as is)."""
    if isinstance(value, str):
        return _POISON.sub(REPLACEMENT, value) if _POISON.search(value) else value
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()} if is_poison(value) else value
    if isinstance(value, list):
        return [scrub(v) for v in value] if is_poison(value) else value
    return value


# ---------------------------------------------------------------- bounded inputs
MAX_JSON_DEPTH = 20          # no request body of the gateway nests deeper than a few levels
MAX_DB_ID = 2**31 - 1        # ids are INTEGER columns: a larger number is no id (and overflows SQLite)
_DIGITS = re.compile(r"[0-9]{1,18}")


class TooLarge(Exception):
    """A request body over its limit (read no further than the limit)."""


def parse_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that raises ValueError for nesting deeper than ``max_depth`` (instead of a
    RecursionError or a deep object for the code after it)."""
    import json

    try:
        value = json.loads(raw)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > max_depth:
                raise ValueError("JSON nested too deeply")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return value


def plain_int(value: str | None, maximum: int = MAX_DB_ID) -> int | None:
    """``value`` as a non-negative int if it is 1-18 ASCII digits and at most ``maximum``, else None
    (``str.isdigit`` accepts 「²」 and 「٣」, which ``int`` refuses)."""
    if value is None or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if number <= maximum else None


async def read_limited(request: Any, limit: int) -> bytes:
    """The request body, streamed: raises ``TooLarge`` as soon as it passes ``limit`` bytes (a
    declared Content-Length over the limit is refused before reading; a chunked body is counted)."""
    declared = request.headers.get("content-length", "")
    if declared and (not _DIGITS.fullmatch(declared) or int(declared) > limit):
        raise TooLarge()
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise TooLarge()
    return bytes(raw)
