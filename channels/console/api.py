"""The officer console: ``GET /console`` (the page) and the JSON API under ``/console/api``.

Authentication: ``POST /console/api/login`` checks an argon2 hash (accounts are made with
``python -m channels.officers``) and sets the ``hotline_console`` cookie (HttpOnly, SameSite=Strict,
Path=/console, Secure when ``CONSOLE_COOKIE_SECURE``). Every other API route needs that session
(401 without it); every POST also needs the header ``X-CSRF-Token`` equal to the session's token
(403 otherwise), which the page gets from the login answer or from ``GET /console/api/me``.
Login itself only accepts ``application/json``, so a cross-site HTML form cannot post to it.

Routes (JSON bodies; every error is ``{"detail": "<zh-TW message>"}``, 409s also carry ``ticket``):

- ``POST /console/api/login`` {username, password} → {officer:{id,name,username}, csrf_token};
  401 wrong credentials, 429 after 5 failures for a username from one address within a minute (for
  a minute; other addresses are not affected), after 20 failures from one address (for 5 minutes), or
  while too many password checks are already waiting (argon2 runs in its own thread, 4 waiting at most).
- ``POST /console/api/logout`` → {ok:true}; ``GET /console/api/me`` → {officer, csrf_token}.
- ``GET /console/api/tickets?states=waiting,with_officer`` (default: all open states)
  ``&order=newest|oldest`` (default newest) ``&limit=1..200&offset=`` ``&channel=web|line&reason=&spam=``
  → {now, tickets, total, offset, next_offset (null on the last page)}.
- ``POST /console/api/tickets/bulk`` {ids: [≤100 ids], action: "resolve"|"spam"} → {tickets, failed}.
- ``POST /console/api/tickets/{id}/spam`` → {ticket}: resolved and marked as spam.
- ``GET /console/api/tickets/{id}`` → {now, ticket, messages, notes, cursor}.
- ``GET /console/api/tickets/{id}/assist[?q=...]`` → {question, entries:[{id,title,citation,score,text}],
  available}. Without ``q`` the question is the user's last message.
- ``POST /console/api/tickets/{id}/claim`` {take_over: bool} → {ticket}.
- ``POST /console/api/tickets/{id}/reply`` {text} → {message}; ``/notes`` {text} → {note};
  ``/resolve`` {spam?: bool, reached?: bool} → {ticket} (spam: no satisfaction question; reached:
  a callback got through). 409 when the ticket's state or holder forbids it, 404 unknown ticket,
  422 empty text or more than 2000 characters.
- ``GET /console/api/updates?ticket=<id>&since=<cursor>`` → {now, tickets, ticket, messages (those
  after the cursor), notes, cursor}: the page short-polls it every ~2 s.
- ``/resolve`` takes an optional {outcome} (answered, called_reached, called_no_answer, rescheduled,
  spam), stored with the ticket (422 for another value).
- ``POST /console/api/tickets/{id}/transfer`` {officer_id, text} → {ticket}: the holder hands it over.
- ``GET /console/api/officers`` → {officers}; ``GET /console/api/canned`` → {replies};
  ``POST /console/api/canned`` {title, text} → {reply}; ``POST /console/api/canned/{id}/delete``.
- ``GET /console/api/search?q=&phone=&from=YYYY-MM-DD&to=YYYY-MM-DD&outcome=`` → {tickets} (newest first).
- Ticket JSON also carries ``ref`` (the reference the user was told), ``facts`` (the plain summary,
  detail only), ``age_seconds``, ``outcome_label`` and a ``reason_label`` written for officers.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Callable, Iterator

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.routing import APIRoute

from .. import texts
from ..context import Context
from ..core.hours import TAIPEI
from ..core.passwords import HashingBusy, PasswordPool, default_pool, needs_rehash
from ..core.person import wants_person
from ..core.ratelimit import LoginGuard
from ..core.textsafe import MAX_DB_ID, TooLarge, is_poison, parse_json, plain_int, read_limited
from ..core.store import (OPEN_STATES, OUTCOMES, MessageView, NotFound, OfficerView, SearchQuery, TicketConflict,
                          TicketState, TicketView, iter_states, utcnow)
from . import labels, summary as plain

logger = logging.getLogger(__name__)

COOKIE = "hotline_console"
COOKIE_PATH = "/console"
CSRF_HEADER = "X-CSRF-Token"
MAX_TEXT = 2000
MAX_BODY_BYTES = 64 * 1024
# a refused login (locked out, or the password pool full) is answered after this pause: a client
# hammering the login costs the gateway one cheap answer a second, not hundreds (tests may set 0)
LOGIN_REFUSAL_DELAY_S = 1.0
MAX_PAGE = 200          # tickets per page of the queue
MAX_OFFSET = 100_000
MAX_BULK = 100          # tickets per bulk action
CHANNELS = ("web", "line")
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8",
                "favicon.svg": "image/svg+xml"}

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

# ids are INTEGER columns: 2**63 used to overflow SQLite (500); out of range is a 422 like any bad value
TicketId = Annotated[int, PathParam(ge=1, le=MAX_DB_ID)]
OptionalTicketId = Annotated[int | None, Query(ge=1, le=MAX_DB_ID)]


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.headers, self.extra = status, message, headers or {}, extra


class ConsoleRoute(APIRoute):
    """Maps ApiError (and FastAPI's own validation errors) to ``{"detail": zh-TW}`` and adds the
    security headers (no-store, CSP, nosniff, no framing) to every console response."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def wrapped(request: Request) -> Response:
            try:
                response = await handler(request)
            except ApiError as exc:
                response = JSONResponse({"detail": exc.message, **exc.extra}, status_code=exc.status,
                                        headers=exc.headers)
            except RequestValidationError:
                response = JSONResponse({"detail": labels.MSG_BAD_REQUEST}, status_code=422)
            for key, value in SECURITY_HEADERS.items():
                response.headers.setdefault(key, value)
            return response

        return wrapped


def login_throttle(clock: Callable[[], float] = time.monotonic) -> LoginGuard:
    """At most 5 failed logins per client address and username within a minute, then that pair is
    refused (429) for a minute, even with the right password; at most 20 failures per address
    within a minute (any usernames), then the address waits 5 minutes. An officer at another
    address is never locked out by someone else's failures."""
    return LoginGuard(clock)


def throttle_key(username: str) -> str:
    return username.strip().lower()


def client_address(request: Request) -> str:
    """The caller's address as uvicorn gives it (behind a proxy: run uvicorn with
    ``--proxy-headers --forwarded-allow-ips=<the proxy>`` so this is X-Forwarded-For's client)."""
    return request.client.host if request.client else "?"


@dataclass(frozen=True)
class Auth:
    officer: OfficerView
    csrf_token: str
    token: str


def _officer_json(officer: OfficerView) -> dict[str, Any]:
    return {"id": officer.id, "name": officer.display_name, "username": officer.username,
            "supervisor": bool(getattr(officer, "supervisor", False))}


def _message_json(m: MessageView) -> dict[str, Any]:
    return {**m.to_json(), "ticket_id": m.ticket_id}


def _check_text(data: dict[str, Any], what: str) -> str:
    value = data.get("text")
    if not isinstance(value, str):
        raise ApiError(422, labels.MSG_TEXT_TYPE.format(what=what))
    if is_poison(value):
        raise ApiError(422, labels.MSG_POISON)
    value = value.replace("\r\n", "\n").strip()
    if not value:
        raise ApiError(422, labels.MSG_TEXT_EMPTY.format(what=what))
    if len(value) > MAX_TEXT:
        raise ApiError(422, labels.MSG_TEXT_LONG.format(what=what, limit=MAX_TEXT, length=len(value)))
    return value


async def _json_body(request: Request, *, required: bool) -> dict[str, Any]:
    """The JSON object in the body. An empty body is ``{}`` unless ``required``."""
    try:
        raw = await read_limited(request, MAX_BODY_BYTES)
    except TooLarge:
        raise ApiError(413, labels.MSG_TOO_LARGE) from None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not raw.strip() and not required:
        return {}
    if content_type != "application/json":
        raise ApiError(415, labels.MSG_JSON_ONLY)
    try:
        data = parse_json(raw)
    except ValueError:   # not JSON or nested too deeply (``[`` x 30000 was a RecursionError)
        raise ApiError(400, labels.MSG_BAD_JSON) from None
    if not isinstance(data, dict):
        raise ApiError(422, labels.MSG_BAD_REQUEST)
    return data


def _conflict_message(exc: TicketConflict) -> str:
    """What is in the way, as the store or the hub found it (``Refusal``): who holds the ticket, or its state."""
    t = exc.ticket
    state = labels.STATE_LABELS.get(t.state, t.state.value) if t is not None else ""
    holder = (t.officer_name if t is not None else None) or labels.OTHER_OFFICER
    return labels.CONFLICT_MESSAGES[exc.why].format(name=holder, state=state)


def router(ctx: Context, *, throttle: LoginGuard | None = None, passwords: PasswordPool | None = None) -> APIRouter:
    store, hub, settings = ctx.store, ctx.hub, ctx.settings
    throttle = throttle or login_throttle()
    passwords = passwords or default_pool   # argon2 in its own small pool, never in the store's threads
    r = APIRouter(route_class=ConsoleRoute)

    db = asyncio.to_thread   # the store is synchronous: every call runs in a worker thread

    def ticket_json(t: TicketView) -> dict[str, Any]:
        data = t.to_json(now=utcnow())  # timestamps are real time; ctx.clock is for office hours
        data["waiting_seconds"] = max(0, data["waiting_seconds"])
        data["reason_label"] = labels.REASONS.get(t.reason, texts.REASONS.get(t.reason, t.reason))
        data["state_label"] = labels.STATE_LABELS.get(t.state, t.state.value)
        data["ref"] = plain.ticket_ref(t.id)
        data["age_seconds"] = max(0, int((utcnow() - t.created_at).total_seconds()))
        data["outcome_label"] = labels.OUTCOME_LABELS.get(t.outcome or "", None)
        return data

    def conflict(exc: TicketConflict) -> ApiError:
        return ApiError(409, _conflict_message(exc),
                        ticket=ticket_json(exc.ticket) if exc.ticket is not None else None)

    @contextmanager
    def ticket_errors() -> Iterator[None]:
        """Unknown ticket → 404; a state or ownership conflict → 409 naming who holds it."""
        try:
            yield
        except NotFound:
            raise ApiError(404, labels.MSG_NOT_FOUND) from None
        except TicketConflict as exc:
            raise conflict(exc) from None

    async def load_ticket(ticket_id: int) -> TicketView:
        try:
            return await db(store.ticket, ticket_id)
        except NotFound:
            raise ApiError(404, labels.MSG_NOT_FOUND) from None

    def all_messages(conversation_id: str, after: int = 0) -> list[MessageView]:
        out: list[MessageView] = []
        while True:
            page = store.messages(conversation_id, after_id=after, limit=500)
            out += page
            if len(page) < 500:
                return out
            after = page[-1].id

    # ---------------------------------------------------------------- authentication
    async def session(request: Request) -> Auth:
        token = request.cookies.get(COOKIE, "")
        found = await db(store.session_officer, token) if token else None
        if found is None:
            raise ApiError(401, labels.MSG_LOGIN_REQUIRED)
        officer, csrf = found
        return Auth(officer, csrf, token)

    async def session_csrf(request: Request) -> Auth:
        auth = await session(request)
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not secrets.compare_digest(sent.encode(), auth.csrf_token.encode()):
            raise ApiError(403, labels.MSG_CSRF)
        return auth

    def set_cookie(response: Response, token: str) -> None:
        response.set_cookie(COOKIE, token, max_age=int(settings.session_hours * 3600), path=COOKIE_PATH,
                            secure=settings.cookie_secure, httponly=True, samesite="strict")

    # ---------------------------------------------------------------- the page
    @r.get("/console", include_in_schema=False)
    async def page() -> Response:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    @r.get("/console/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        media_type = STATIC_FILES.get(name)
        if media_type is None:
            raise ApiError(404, "Not Found")
        return FileResponse(STATIC_DIR / name, media_type=media_type)

    # ---------------------------------------------------------------- login / logout / me
    @r.post("/console/api/login")
    async def login(request: Request) -> Response:
        data = await _json_body(request, required=True)
        username, password = data.get("username"), data.get("password")
        if not (isinstance(username, str) and isinstance(password, str) and username.strip() and password):
            raise ApiError(422, labels.MSG_LOGIN_FIELDS)
        if is_poison(username) or is_poison(password):   # no database or hasher can take these
            raise ApiError(422, labels.MSG_POISON)
        username = username.strip()
        if len(username) > 200 or len(password) > 1024:
            raise ApiError(401, labels.MSG_BAD_LOGIN)
        address = client_address(request)
        wait = throttle.locked_for(address, username)
        if wait:
            await asyncio.sleep(LOGIN_REFUSAL_DELAY_S)
            raise ApiError(429, labels.MSG_THROTTLED.format(seconds=wait), headers={"Retry-After": str(wait)})
        if passwords.full:   # refused before any database call: a flood costs next to nothing
            await asyncio.sleep(LOGIN_REFUSAL_DELAY_S)
            raise ApiError(429, labels.MSG_LOGIN_BUSY, headers={"Retry-After": "2"})
        found = await db(store.officer_credentials, username)
        try:
            ok = await passwords.verify(found[1] if found else None, password)
        except HashingBusy:
            raise ApiError(429, labels.MSG_LOGIN_BUSY, headers={"Retry-After": "2"}) from None
        if not ok or found is None:
            throttle.failed(address, username)
            raise ApiError(401, labels.MSG_BAD_LOGIN)
        throttle.succeeded(address, username)
        officer, stored_hash = found
        if needs_rehash(stored_hash):
            try:
                new_hash = await passwords.hash(password)
                await db(store.set_officer_password, officer.username, new_hash)
            except HashingBusy:
                pass   # rehashed at a later login
        old = request.cookies.get(COOKIE)
        if old:
            await db(store.delete_session, old)
        token, csrf = await db(store.create_session, officer.id, timedelta(hours=settings.session_hours))
        response = JSONResponse({"officer": _officer_json(officer), "csrf_token": csrf})
        set_cookie(response, token)
        logger.info("console login: %s", officer.username)
        return response

    @r.post("/console/api/logout")
    async def logout(auth: Auth = Depends(session_csrf)) -> Response:
        await db(store.delete_session, auth.token)
        response = JSONResponse({"ok": True})
        response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=settings.cookie_secure, httponly=True,
                               samesite="strict")
        return response

    @r.get("/console/api/me")
    async def me(auth: Auth = Depends(session)) -> Response:
        return JSONResponse({"officer": _officer_json(auth.officer), "csrf_token": auth.csrf_token})

    # ---------------------------------------------------------------- queue and tickets
    def parse_states(value: str | None) -> list[TicketState]:
        if not value:
            return list(OPEN_STATES)
        try:
            return list(iter_states(value))
        except ValueError:
            raise ApiError(422, labels.MSG_BAD_STATES.format(value=value)) from None

    @r.get("/console/api/tickets")
    async def tickets(states: str | None = None, order: str = "newest",
                      limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
                      offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
                      channel: str | None = None, reason: str | None = None, spam: bool | None = None,
                      auth: Auth = Depends(session)) -> Response:
        """One page of the queue, newest first by default (``order=oldest`` for first come, first
        served): a flood of junk tickets cannot hide the ones that came after it."""
        wanted = parse_states(states)
        if order not in ("newest", "oldest"):
            raise ApiError(422, labels.MSG_BAD_ORDER)
        if channel is not None and channel not in CHANNELS:
            raise ApiError(422, labels.MSG_BAD_FILTER.format(name="channel"))
        if reason is not None and reason not in texts.REASONS:
            raise ApiError(422, labels.MSG_BAD_FILTER.format(name="reason"))
        filters = {"channel": channel, "reason": reason, "spam": spam}
        rows = await db(lambda: store.tickets(wanted, limit, newest_first=order == "newest", offset=offset,
                                              **filters))
        total = await db(lambda: store.count_tickets(wanted, **filters))
        more = offset + len(rows) < total
        return JSONResponse({"now": utcnow().isoformat(), "tickets": [ticket_json(t) for t in rows],
                             "total": total, "offset": offset, "next_offset": offset + len(rows) if more else None})

    @r.post("/console/api/tickets/bulk")
    async def bulk(request: Request, auth: Auth = Depends(session_csrf)) -> Response:
        """{ids: [...], action: "resolve" | "spam"} → {tickets: [done], failed: [{id, detail}]}: each
        ticket on its own (one that another officer holds is refused, the rest go ahead)."""
        data = await _json_body(request, required=True)
        ids, action = data.get("ids"), data.get("action")
        if action not in ("resolve", "spam"):
            raise ApiError(422, labels.MSG_BAD_BULK_ACTION)
        if not (isinstance(ids, list) and 0 < len(ids) <= MAX_BULK
                and all(type(i) is int and 1 <= i <= MAX_DB_ID for i in ids)):
            raise ApiError(422, labels.MSG_BAD_BULK_IDS.format(limit=MAX_BULK))
        done: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for ticket_id in dict.fromkeys(ids):
            try:
                with ticket_errors():
                    t = await hub.resolve(ticket_id, auth.officer, spam=action == "spam")
                done.append(ticket_json(t))
            except ApiError as exc:
                failed.append({"id": ticket_id, "detail": exc.message})
        return JSONResponse({"tickets": done, "failed": failed})

    @r.get("/console/api/tickets/{ticket_id}")
    async def ticket_detail(ticket_id: TicketId, auth: Auth = Depends(session)) -> Response:
        t = await load_ticket(ticket_id)
        messages = await db(all_messages, t.conversation_id)
        notes = await db(store.notes, t.id)
        data = ticket_json(t)
        data["facts"] = plain.facts(t, messages)
        return JSONResponse({"now": utcnow().isoformat(), "ticket": data,
                             "messages": [_message_json(m) for m in messages],
                             "notes": [n.to_json() for n in notes],
                             "cursor": messages[-1].id if messages else 0})

    @r.get("/console/api/tickets/{ticket_id}/assist")
    async def assist(ticket_id: TicketId, q: str | None = None, auth: Auth = Depends(session)) -> Response:
        t = await load_ticket(ticket_id)
        if is_poison(q):
            raise ApiError(422, labels.MSG_POISON)
        # the question that caused the handoff (not the latest message, which may be small talk)
        question = (q or "").strip()[:300] or plain.handoff_question(t)
        if not question or wants_person(question):   # a bare 「找專人」: the first real question after it
            later = [m.text for m in await db(store.ticket_messages, t.id, "user")
                     if m.text and not wants_person(m.text)]
            question = (later[0] if later else "") or question or \
                (await db(store.last_user_text, t.conversation_id)) or ""
        entries: list[dict[str, Any]] = []
        available = bool(ctx.assist.enabled)
        if available and question:
            try:
                entries = await ctx.assist.suggest(question, k=3)
            except Exception:
                logger.exception("agent assist failed for ticket %s", ticket_id)
                available = False
            if ctx.assist.error:
                available = False
        for e in entries:
            e["reply"] = plain.officer_reply(question, str(e.get("text") or ""))
        return JSONResponse({"question": question, "entries": entries, "available": available})

    # ---------------------------------------------------------------- actions
    @r.post("/console/api/tickets/{ticket_id}/claim")
    async def claim(ticket_id: TicketId, request: Request, auth: Auth = Depends(session_csrf)) -> Response:
        data = await _json_body(request, required=False)
        take_over = data.get("take_over", False)
        if not isinstance(take_over, bool):
            raise ApiError(422, labels.MSG_BAD_TAKE_OVER)
        with ticket_errors():
            t = await hub.claim(ticket_id, auth.officer, take_over=take_over)
        return JSONResponse({"ticket": ticket_json(t)})

    @r.post("/console/api/tickets/{ticket_id}/reply")
    async def reply(ticket_id: TicketId, request: Request, auth: Auth = Depends(session_csrf)) -> Response:
        text = _check_text(await _json_body(request, required=True), labels.WHAT_REPLY)
        with ticket_errors():
            m = await hub.officer_reply(ticket_id, auth.officer, text)
        return JSONResponse({"message": _message_json(m)})

    @r.post("/console/api/tickets/{ticket_id}/notes")
    async def add_note(ticket_id: TicketId, request: Request, auth: Auth = Depends(session_csrf)) -> Response:
        text = _check_text(await _json_body(request, required=True), labels.WHAT_NOTE)
        try:
            note = await db(store.add_note, ticket_id, auth.officer.id, text)
        except NotFound:
            raise ApiError(404, labels.MSG_NOT_FOUND) from None
        return JSONResponse({"note": note.to_json()})

    @r.post("/console/api/tickets/{ticket_id}/resolve")
    async def resolve(ticket_id: TicketId, request: Request, auth: Auth = Depends(session_csrf)) -> Response:
        # optional {outcome: one of OUTCOMES but withdrawn, spam: bool, reached: bool|null}
        data = await _json_body(request, required=False)
        outcome = data.get("outcome")
        choosable = [o for o in OUTCOMES if o != "withdrawn"]     # withdrawn: only the user does that
        if outcome is not None and outcome not in choosable:
            raise ApiError(422, labels.MSG_BAD_OUTCOME.format(
                choices="、".join(labels.OUTCOME_LABELS[o] for o in choosable)))
        spam, reached = data.get("spam", False), data.get("reached")
        if not isinstance(spam, bool) or not (reached is None or isinstance(reached, bool)):
            raise ApiError(422, labels.MSG_BAD_REQUEST)
        with ticket_errors():
            t = await hub.resolve(ticket_id, auth.officer, outcome, spam=spam, reached=reached)
        return JSONResponse({"ticket": ticket_json(t)})

    @r.post("/console/api/tickets/{ticket_id}/spam")
    async def mark_spam(ticket_id: TicketId, auth: Auth = Depends(session_csrf)) -> Response:
        """Close the ticket as spam (kept, flagged; ``GET /console/api/tickets?spam=true`` lists them)."""
        with ticket_errors():
            t = await hub.resolve(ticket_id, auth.officer, spam=True)
        return JSONResponse({"ticket": ticket_json(t)})

    @r.post("/console/api/tickets/{ticket_id}/transfer")
    async def transfer(ticket_id: TicketId, request: Request, auth: Auth = Depends(session_csrf)) -> Response:
        data = await _json_body(request, required=True)
        to_id = data.get("officer_id")
        if not isinstance(to_id, int) or isinstance(to_id, bool):
            raise ApiError(422, labels.MSG_BAD_OFFICER)
        if to_id == auth.officer.id:
            raise ApiError(422, labels.MSG_TRANSFER_SELF)
        to = next((o for o in await db(store.officers) if o.id == to_id), None)
        if to is None:
            raise ApiError(422, labels.MSG_BAD_OFFICER)
        note = _check_text(data, labels.WHAT_TRANSFER)
        with ticket_errors():
            t = await hub.transfer(ticket_id, auth.officer, to, note)
        return JSONResponse({"ticket": ticket_json(t)})

    @r.get("/console/api/officers")
    async def officers(auth: Auth = Depends(session)) -> Response:
        return JSONResponse({"officers": [_officer_json(o) for o in await db(store.officers)]})

    # ---------------------------------------------------------------- canned replies (shared)
    @r.get("/console/api/canned")
    async def canned(auth: Auth = Depends(session)) -> Response:
        return JSONResponse({"replies": [c.to_json() for c in await db(store.canned_replies)]})

    @r.post("/console/api/canned")
    async def add_canned(request: Request, auth: Auth = Depends(session_csrf)) -> Response:
        data = await _json_body(request, required=True)
        title = data.get("title")
        if not isinstance(title, str) or not title.strip() or len(title.strip()) > 60:
            raise ApiError(422, labels.MSG_CANNED_TITLE)
        text = _check_text(data, labels.WHAT_CANNED)
        reply = await db(store.add_canned_reply, title.strip(), text, auth.officer.id)
        return JSONResponse({"reply": reply.to_json()})

    @r.post("/console/api/canned/{reply_id}/delete")
    async def delete_canned(reply_id: TicketId, auth: Auth = Depends(session_csrf)) -> Response:
        if not await db(store.delete_canned_reply, reply_id):
            raise ApiError(404, labels.MSG_CANNED_NOT_FOUND)
        return JSONResponse({"ok": True})

    # ---------------------------------------------------------------- search
    def day_start(value: str | None) -> datetime | None:
        if not value:
            return None
        try:
            d = date.fromisoformat(value)
        except ValueError:
            raise ApiError(422, labels.MSG_BAD_DATE) from None
        return datetime(d.year, d.month, d.day, tzinfo=TAIPEI)

    @r.get("/console/api/search")
    async def search(request: Request, auth: Auth = Depends(session)) -> Response:
        p = request.query_params   # ("from" is a Python keyword: read the query string itself)
        since = day_start(p.get("from"))
        until = day_start(p.get("to"))
        query = SearchQuery(text=(p.get("q") or "").strip()[:100], phone_digits=(p.get("phone") or "")[:30],
                            since=since, until=until + timedelta(days=1) if until else None,
                            outcome=(p.get("outcome") or None), limit=50)
        ids = await db(store.search_tickets, query)
        found = [await db(store.ticket, i) for i in ids]
        return JSONResponse({"tickets": [ticket_json(t) for t in found]})

    # ---------------------------------------------------------------- short polling
    @r.get("/console/api/updates")
    async def updates(ticket: OptionalTicketId = None, since: str | None = None,
                      auth: Auth = Depends(session)) -> Response:
        cursor = 0
        if since not in (None, ""):
            parsed = plain_int(since, 2**62)   # ``str.isdigit`` accepted 「²」, which ``int`` refuses
            if parsed is None:
                raise ApiError(422, labels.MSG_BAD_CURSOR)
            cursor = parsed
        rows = await db(store.tickets, list(OPEN_STATES))
        body: dict[str, Any] = {"now": utcnow().isoformat(), "tickets": [ticket_json(t) for t in rows],
                                "ticket": None, "messages": [], "notes": [], "cursor": cursor}
        if ticket is not None:
            t = await load_ticket(ticket)
            messages = await db(all_messages, t.conversation_id, cursor)
            notes = await db(store.notes, t.id)
            body.update(ticket=ticket_json(t), messages=[_message_json(m) for m in messages],
                        notes=[n.to_json() for n in notes], cursor=messages[-1].id if messages else cursor)
        return JSONResponse(body)

    return r
