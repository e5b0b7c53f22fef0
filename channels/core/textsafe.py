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
