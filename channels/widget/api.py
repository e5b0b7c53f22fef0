"""The web chat widget: a demo page, the embeddable script and its JSON API.

- ``GET /``: a zh-TW demo page (a programme web page) that embeds the widget and shows the snippet.
- ``GET /widget.js`` and ``GET /widget.css``: the widget (plain JavaScript, no framework, no CDN).
  The script takes its API base from its own ``src``, so any page on any origin can embed it with
  ``<script src="https://gateway.example/widget.js" defer></script>``.
- ``POST /api/widget/messages`` ``{"session_id", "text", "payload"?, "client_id"?}``
  → ``{"messages": [replies], "user_message": <the stored user message>, "handoff": {"state",
  "officer"} | null}``: the user's message goes through the hub like every channel's
  (``Hub.accept`` + ``Hub.answer``, i.e. ``Hub.user_message``). ``client_id`` (optional, the widget
  sends one) makes a resend of the same message harmless: the second copy is not stored or answered
  again and the answer is ``{"messages": [], "duplicate": true, "user_message": null, ...}``; the
  widget then reads it by polling.
- ``GET /api/widget/messages?session_id=…&after=<id>`` → ``{"messages": [every message after id,
  the user's included], "handoff": …}``: history (``after=0``) and polling for officer replies.

Messages are ``MessageView.to_json()``; a ``calc_result`` custom payload carries its ``card``
(``knowledge.contract.CalcCard``, rendered by the action server), whose ``citation_texts`` (knowledge
entry id → its citation) are also given at the payload's top level, as before the card existed.
The API answers any origin (CORS ``*``): it uses no cookies, the session id in the body is the
only key, and it is random (16–64 characters).

The bodies are Pydantic models (models.py), documented in the OpenAPI schema; errors are
``{"detail": "<zh-TW>"}`` as before.
"""
from __future__ import annotations

import asyncio
import copy
import hashlib
import html
import logging
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from knowledge import contract

from .. import texts
from ..context import Context
from ..core.ratelimit import RateLimiter
from ..core.hub import origin_of
from ..core.store import MessageView
from ..core.textsafe import TooLarge, is_poison, parse_json, read_limited
from . import models

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
CHANNEL = "web"
SESSION_RE = re.compile(models.SESSION_PATTERN)
CLIENT_ID_RE = re.compile(models.CLIENT_ID_PATTERN)
MAX_REQUEST_TEXT = models.MAX_REQUEST_TEXT   # beyond this the request is refused; up to it the hub keeps 1000 and says so
MAX_PAYLOAD = models.MAX_PAYLOAD
MAX_BODY_BYTES = 256 * 1024

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
    "Vary": "Origin",
}
NO_STORE = {"Cache-Control": "no-store"}

def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers={**CORS_HEADERS, **NO_STORE})


def _ok(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, headers={**CORS_HEADERS, **NO_STORE})


def message_json(m: MessageView) -> dict[str, Any]:
    """A stored message for the widget. A ``calc_result`` payload's card is drawn by widget.js as the
    action server rendered it; its ``citation_texts`` are also copied to the payload's top level,
    where widget API clients read them since before the card existed."""
    body = m.to_json()
    custom = contract.custom_of(m.payload)
    card = custom.get("card") if custom is not None and custom.get("type") == contract.CALC_RESULT else None
    if isinstance(card, dict) and isinstance(card.get("citation_texts"), dict):
        payload = copy.deepcopy(m.payload)
        payload["custom"]["citation_texts"] = dict(card["citation_texts"])
        body["payload"] = payload
    return body


def router(ctx: Context) -> APIRouter:
    r = APIRouter()
    hub, store = ctx.hub, ctx.store

    def handoff_state(conversation_id: str) -> dict[str, Any] | None:
        ticket = store.open_ticket(conversation_id)
        if ticket is None:
            return None
        return {"state": ticket.state.value, "officer": ticket.officer_name}

    # ------------------------------------------------------------------ pages and assets
    def asset(name: str, media_type: str, *, cache: str = "no-cache") -> Response:
        return Response((STATIC / name).read_bytes(), media_type=media_type,
                        headers={"Cache-Control": cache, "Access-Control-Allow-Origin": "*",
                                 "X-Content-Type-Options": "nosniff"})

    @r.get("/", response_class=HTMLResponse, include_in_schema=False)
    def demo_page() -> Response:
        base = ctx.settings.public_base_url.rstrip("/")
        page = (STATIC / "index.html").read_text("utf-8")
        page = page.replace("{{WIDGET_BASE}}", html.escape(base, quote=True))
        extra = f" {base}" if base else ""
        csp = (f"default-src 'self'{extra}; script-src 'self'{extra}; connect-src 'self'{extra}; "
               f"style-src 'self' 'unsafe-inline'{extra}; img-src 'self' data:; object-src 'none'; "
               "base-uri 'none'; frame-ancestors 'self'")
        return HTMLResponse(page, headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache",
                                           "X-Content-Type-Options": "nosniff"})

    @r.get("/widget.js", include_in_schema=False)
    def widget_js() -> Response:
        return asset("widget.js", "application/javascript; charset=utf-8")

    @r.get("/widget.css", include_in_schema=False)
    def widget_css() -> Response:
        return asset("widget.css", "text/css; charset=utf-8")

    # ------------------------------------------------------------------ API
    @r.options("/api/widget/messages", include_in_schema=False)
    def preflight() -> Response:
        return Response(status_code=204, headers=CORS_HEADERS)

    # the public API: messages per minute per conversation and per client address (0: no limit)
    limits = [(RateLimiter(n, 60.0), key) for n, key in (
        (ctx.settings.widget_rate_per_session, "session"), (ctx.settings.widget_rate_per_address, "address"))
        if n > 0]

    @r.post("/api/widget/messages", response_model=models.SendResponse, responses=models.ERRORS,
            openapi_extra=models.request_body_schema(), summary="Send a user message, get the answers")
    async def send(request: Request) -> JSONResponse:
        try:   # streamed: a chunked body is not read past the limit either
            raw = await read_limited(request, MAX_BODY_BYTES)
        except TooLarge:
            return _error(413, texts.WIDGET_ERR_TEXT_HUGE.format(limit=MAX_REQUEST_TEXT))
        try:
            body = parse_json(raw)
        except ValueError:   # not JSON, not UTF-8, or nested too deeply
            return _error(422, texts.WIDGET_ERR_JSON)
        if not isinstance(body, dict):
            return _error(422, texts.WIDGET_ERR_JSON)
        session_id = body.get("session_id")
        if not isinstance(session_id, str) or not SESSION_RE.fullmatch(session_id):
            return _error(422, texts.WIDGET_ERR_SESSION)
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            return _error(422, texts.WIDGET_ERR_TEXT_TYPE)
        if is_poison(text) or is_poison(body.get("payload")) or is_poison(body.get("client_id")):
            return _error(422, texts.WIDGET_ERR_POISON)   # no store, JSON encoder or HTTP client can carry it
        text = (text or "").strip()
        if not text:
            return _error(422, texts.WIDGET_ERR_TEXT_EMPTY)
        if len(text) > MAX_REQUEST_TEXT:
            return _error(413, texts.WIDGET_ERR_TEXT_HUGE.format(limit=MAX_REQUEST_TEXT))
        payload = body.get("payload")
        if payload is not None and (not isinstance(payload, str) or len(payload) > MAX_PAYLOAD):
            return _error(422, texts.WIDGET_ERR_PAYLOAD.format(limit=MAX_PAYLOAD))
        client_id = body.get("client_id")
        if client_id is not None and (not isinstance(client_id, str) or not CLIENT_ID_RE.fullmatch(client_id)):
            return _error(422, texts.WIDGET_ERR_CLIENT_ID)
        keys = {"session": session_id, "address": request.client.host if request.client else "?"}
        for limiter, kind in limits:
            key = keys[kind]
            if not limiter.allow(key):
                wait = limiter.retry_after(key)
                resp = _error(429, texts.WIDGET_ERR_TOO_FAST.format(seconds=wait))
                resp.headers["Retry-After"] = str(wait)
                return resp
        # every field checked above, each with its own message: the typed request cannot fail now
        req = models.SendRequest(session_id=session_id, text=text, payload=payload or None, client_id=client_id)
        # the store's external id column is unique: a resent message (same client_id) is stored once
        external = None
        if req.client_id:
            external = "web-" + hashlib.sha256(f"{req.session_id}\n{req.client_id}".encode()).hexdigest()[:40]
        conversation_id = hub.conversation_id(CHANNEL, req.session_id)
        # Hub.user_message in its two steps (store, answer), to hand the stored copy back as well
        if payload and payload not in await asyncio.to_thread(store.offered_payloads, conversation_id):
            # a payload the bot never offered here (a script posting /request_human): the text counts
            logger.info("widget payload %r not offered in %s: answered as text", payload[:60], conversation_id)
            payload = None
        inbound = await hub.accept(CHANNEL, req.session_id, req.text, payload=payload or None,
                                   external_msg_id=external, origin=origin_of(keys["address"]))
        if inbound is None:   # the same client_id again: already stored (and answered, or being answered)
            state = await asyncio.to_thread(handoff_state, conversation_id)
            return _ok({"messages": [], "duplicate": True, "user_message": None, "handoff": state})
        replies = await hub.answer(inbound)
        state = await asyncio.to_thread(handoff_state, conversation_id)
        return _ok({"messages": [message_json(m) for m in replies], "user_message": message_json(inbound),
                    "handoff": state})

    @r.get("/api/widget/messages", response_model=models.HistoryResponse, responses={422: models.ERRORS[422]},
           summary="Messages after an id: history (after=0) and polling")
    def history(session_id: str = "", after: str = "0") -> JSONResponse:
        if not SESSION_RE.fullmatch(session_id or ""):
            return _error(422, texts.WIDGET_ERR_SESSION)
        if not re.fullmatch(r"[0-9]{1,18}", after or ""):
            return _error(422, texts.WIDGET_ERR_AFTER)
        conversation_id = hub.conversation_id(CHANNEL, session_id)
        messages = store.messages(conversation_id, int(after))
        return _ok({"messages": [message_json(m) for m in messages],
                    "handoff": handoff_state(conversation_id)})

    return r
