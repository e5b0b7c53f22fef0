"""The widget's feedback API (issue 16): 👍/👎 under an answer and the satisfaction question after a
person helped. Neither goes through the hub or Rasa: rating never changes the dialogue, and the
next question can be asked at any moment.

- ``POST /api/widget/feedback`` ``{"session_id", "message_id", "score": "up"|"down", "reason"?:
  "wrong"|"unclear"|"not_asked"}`` → ``{"feedback": {message_id, score, reason}, "text": thanks}``;
  422 when the message is not a rated answer of this session, or the values are not allowed.
- ``POST /api/widget/csat`` ``{"session_id", "ticket_id", "score"?: 1..5 | null (skip), "comment"?}``
  → ``{"csat": {state, score}, "text": thanks}``; 422 when no question is open for that ticket in
  this session. A comment may follow a score.
"""
from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .. import texts
from ..context import Context
from ..core.store.analytics import FEEDBACK_REASONS, CsatRefused, FeedbackRefused
from ..core.textsafe import MAX_DB_ID, TooLarge, is_poison, parse_json, read_limited
from .api import CHANNEL, CORS_HEADERS, SESSION_RE, _error, _ok

MAX_COMMENT = 1000
MAX_BODY = 16 * 1024
SCORES = {"up": 1, "down": -1}


def is_db_id(value: Any) -> bool:
    """A JSON integer that can be a row id (not a bool, 1..2³¹−1: a larger one overflows the column)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DB_ID


def router(ctx: Context) -> APIRouter:
    r = APIRouter()
    store, hub = ctx.store, ctx.hub

    async def body_of(request: Request) -> dict[str, Any] | None:
        """The JSON object of a request, read as the widget's message route reads it (streamed byte
        limit, bounded nesting, no NUL or lone surrogate anywhere), or None."""
        try:
            body = parse_json(await read_limited(request, MAX_BODY))
        except (TooLarge, ValueError):
            return None
        return body if isinstance(body, dict) and not is_poison(body) else None

    def session_of(body: dict[str, Any]) -> str | None:
        session_id = body.get("session_id")
        return session_id if isinstance(session_id, str) and SESSION_RE.fullmatch(session_id) else None

    for path in ("/api/widget/feedback", "/api/widget/csat"):
        r.add_api_route(path, lambda: Response(status_code=204, headers=CORS_HEADERS), methods=["OPTIONS"],
                        include_in_schema=False)

    @r.post("/api/widget/feedback")
    async def feedback(request: Request) -> JSONResponse:
        body = await body_of(request)
        if body is None:
            return _error(422, texts.WIDGET_ERR_JSON)
        session_id, message_id = session_of(body), body.get("message_id")
        if session_id is None:
            return _error(422, texts.WIDGET_ERR_SESSION)
        score, reason = SCORES.get(body.get("score")), body.get("reason")
        if not is_db_id(message_id) or score is None \
                or (reason is not None and reason not in FEEDBACK_REASONS):
            return _error(422, texts.WIDGET_ERR_FEEDBACK_VALUE)
        try:
            view = await asyncio.to_thread(store.rate, hub.conversation_id(CHANNEL, session_id), message_id,
                                           score, reason)
        except FeedbackRefused:
            return _error(422, texts.WIDGET_ERR_FEEDBACK)
        text = texts.FEEDBACK_THANKS if score > 0 else (
            texts.FEEDBACK_REASON_THANKS if reason else texts.FEEDBACK_ASK_REASON)
        return _ok({"feedback": view.to_json(), "text": text,
                    "reasons": [] if score > 0 or reason else
                    [{"value": k, "label": v} for k, v in texts.FEEDBACK_REASONS.items()]})

    @r.post("/api/widget/csat")
    async def csat(request: Request) -> JSONResponse:
        body = await body_of(request)
        if body is None:
            return _error(422, texts.WIDGET_ERR_JSON)
        session_id, ticket_id = session_of(body), body.get("ticket_id")
        if session_id is None:
            return _error(422, texts.WIDGET_ERR_SESSION)
        score, comment = body.get("score"), body.get("comment")
        if not is_db_id(ticket_id) \
                or not (score is None or (isinstance(score, int) and not isinstance(score, bool) and 1 <= score <= 5)) \
                or not (comment is None or (isinstance(comment, str) and len(comment) <= MAX_COMMENT)):
            return _error(422, texts.WIDGET_ERR_CSAT_VALUE)
        try:
            view = await asyncio.to_thread(store.answer_csat, hub.conversation_id(CHANNEL, session_id), ticket_id,
                                           score, comment)
        except CsatRefused:
            return _error(422, texts.WIDGET_ERR_CSAT)
        if score is None and view.csat_state == "skipped":
            text = texts.CSAT_SKIPPED
        elif score is None:
            text = texts.CSAT_COMMENT_THANKS
        else:
            text = texts.CSAT_COMMENT_THANKS if comment else texts.CSAT_THANKS
        return _ok({"csat": {"state": view.csat_state, "score": view.csat_score}, "text": text})

    return r
