"""JSON-line logs for the gateway, Rasa and the action server, linked by ids, without personal data.

One line per record: ``{"ts", "level", "service", "logger", "msg", "request_id", "conversation", ...}``.

- ``request_id``: one user message. The gateway makes it (or takes the caller's ``X-Request-ID``)
  and sends it to Rasa in the message metadata (``metadata.request_id``); Rasa's tracker hands it
  to the action server in ``latest_message.metadata``. Each service sets it for the records it
  writes while handling that message (``bind``).
- ``conversation``: a short hash of the conversation id (``conversation_ref``), the same in all
  three services (each hashes the Rasa sender id). The raw id is never logged: a widget session id
  reads the conversation, a LINE user id names a person.

No personal data: every message and string field is passed through ``mask`` (身分證字號, phone
numbers, e-mail addresses, LINE user ids) before it is written; the services log no user text.

Standard library only: ``rasa run --logging-config-file bot/logging.yml`` imports it with Rasa's
Python 3.10 environment.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import logging
import os
import re
import sys
import time
import uuid
from typing import Any, Iterator, Optional

from observe.pii import REDACTED, redact

REQUEST_ID: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("hotline_request_id", default=None)
CONVERSATION: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("hotline_conversation", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{6,64}$")

# --- masking: what counts as personal data has one home, observe/pii.py ---------------------------
MASK = REDACTED
# a conversation id written into a message ("web:<session id>", "line:<user id>"): its hash instead
_CONVERSATION_ID = re.compile(r"(?<![A-Za-z0-9])((?:web|line):[A-Za-z0-9_-]{16,64})(?![A-Za-z0-9_-])")


def mask(text: str) -> str:
    """``text`` with national ids, e-mail addresses, phone numbers and LINE user ids replaced."""
    if not text:
        return text
    text = _CONVERSATION_ID.sub(lambda m: "conversation " + (conversation_ref(m.group(1)) or ""), text)
    return redact(text)


def conversation_ref(conversation_id: Optional[str]) -> Optional[str]:
    """A short, stable, non-reversible reference to a conversation (the Rasa sender id)."""
    if not conversation_id:
        return None
    return hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()[:12]


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def clean_request_id(value: Optional[str]) -> Optional[str]:
    """A caller's request id if it is a plain token (anything else is dropped, never logged)."""
    return value if isinstance(value, str) and _SAFE_ID.match(value) else None


@contextlib.contextmanager
def bind(request_id: Optional[str] = None, conversation_id: Optional[str] = None) -> Iterator[None]:
    """Records written inside carry this request id and (hashed) conversation."""
    tokens = []
    if request_id is not None:
        tokens.append((REQUEST_ID, REQUEST_ID.set(request_id)))
    if conversation_id is not None:
        tokens.append((CONVERSATION, CONVERSATION.set(conversation_ref(conversation_id))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


# --- formatting ------------------------------------------------------------------------------------
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return mask(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line. ``service``: from the constructor or ``HOTLINE_SERVICE``."""

    def __init__(self, service: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__()
        self.service = service or os.environ.get("HOTLINE_SERVICE") or "hotline"

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = str(record.msg)
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": mask(message),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        conversation = getattr(record, "conversation", None) or CONVERSATION.get()
        if request_id:
            out["request_id"] = request_id
        if conversation:
            out["conversation"] = conversation
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in out and not key.startswith("_"):
                out[key] = _clean(value)
        if record.exc_info:
            out["exc"] = mask(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


def json_handler(service: str, stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    handler._hotline_json = True  # type: ignore[attr-defined]
    return handler


def setup(service: str, level: int = logging.INFO, *, loggers: tuple[str, ...] = (),
          quiet: tuple[str, ...] = ()) -> None:
    """Route the root logger (and ``loggers``, which keep their own handlers otherwise) to one
    JSON-line handler on stderr. ``quiet``: loggers kept at WARNING. Safe to call again."""
    os.environ.setdefault("HOTLINE_SERVICE", service)
    root = logging.getLogger()
    if not any(getattr(h, "_hotline_json", False) for h in root.handlers):
        for h in list(root.handlers):
            root.removeHandler(h)
        root.addHandler(json_handler(service))
    root.setLevel(level)
    for name in loggers:
        lg = logging.getLogger(name)
        for h in list(lg.handlers):
            lg.removeHandler(h)
        lg.propagate = True
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)   # Python warnings as JSON lines too (logger py.warnings)
