"""The one code path every channel uses: store → (Rasa | handoff ticket) → store → deliver.

``Hub.user_message`` is called by the LINE webhook and the web widget alike. It stores the user's
message first (committed), then routes it: to the open handoff ticket while an officer holds (or is
about to hold) the conversation, otherwise to Rasa. The bot asks for a person by sending the custom
payload ``{"type": "handoff", "reason": ..., "summary": {...}}`` (``knowledge.contract.HandoffPayload``); the
hub turns that into a ticket, taking office hours into account.

At least once, in order: a user message is marked handled only when its answer (or its routing to a
ticket) is stored, in the same transaction (``Store.finish_turn``). When the bot cannot answer (Rasa
unreachable, an error, a timeout, or an empty reply because the action server is down) the message
stays pending and the user is told so (``texts.QUEUED_WHILE_DOWN``); ``retry_pending`` (a background
task of the gateway, also the replay at start) answers pending messages once the bot is back and
delivers the answers (LINE: push; widget: the page polls). A conversation's messages are answered
oldest first: answering a message first answers the older pending ones of its conversation. While
the bot is down a request for a person (``person.wants_person``) still opens a ticket. A message that
fails for any other reason (e.g. characters no encoder can carry) is marked failed on its own with an
apology, so it never blocks the next one.

Several gateways may share one PostgreSQL store: a conversation is answered under a lock that holds
across gateways (``Store.try_lock_conversation``), and each message is claimed before it is answered.

Officer-side changes (claim, reply, resolve) are also here so both channels get them the same way;
messages that are not an answer to a user's request are handed to the channel's ``Delivery``
(LINE: push; widget: the page polls the store).
"""
from __future__ import annotations

import asyncio
import enum
import hashlib
import ipaddress
import logging
import os
import secrets
import socket
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, AsyncIterator, Awaitable, Callable, ParamSpec, Protocol, Sequence, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from knowledge import contract
from observe import logs

from .. import texts
from ..metrics import GatewayMetrics, answer_kinds
from ..rasa_client import RasaClient, RasaUnavailable
from .answers import classify
from .contact import contact_note, is_contact_only, is_decline, looks_like_question, offers_contact, parse_contact
from .hours import Clock, OfficeHours
from .person import wants_person
from observe.pii import has_pii, mask, phone_numbers
from .store import (ROUTED_STATES, Draft, MessageView, OfficerView, Store, TicketAction, TicketConflict,
                    TicketState, TicketView, refusal, utcnow)

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

MAX_USER_TEXT = 1000          # longer messages are cut (the bot judges the first 300 anyway)
EMPTY_REPLY_ATTEMPTS = 3      # empty replies while Rasa and the action server look healthy: then failed
RETRY_MIN_S = 1.0             # background retries: first wait after a failure, doubled up to the max
RETRY_MAX_S = 10.0
RETRY_CONCURRENCY = 4        # conversations answered side by side by the background task
RETRY_IDLE_S = 2.0            # how often the background task looks for pending messages when all is well

# payloads of the buttons the hub itself offers around a handoff (never sent to Rasa)
PAYLOAD_LEAVE_CONTACT = "/handoff_leave_contact"
PAYLOAD_NO_CONTACT = "/handoff_no_contact"
PAYLOAD_CHANGE_CONTACT = "/handoff_change_contact"
PAYLOAD_WITHDRAW = "/handoff_withdraw"
HUB_PAYLOADS = (PAYLOAD_LEAVE_CONTACT, PAYLOAD_NO_CONTACT, PAYLOAD_CHANGE_CONTACT, PAYLOAD_WITHDRAW)


def ticket_ref(ticket_id: int) -> str:
    """The short reference a user is told and an officer can search for."""
    return texts.TICKET_REF_FORMAT.format(id=ticket_id)


def _buttons(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"title": title, "payload": payload} for title, payload in pairs]


def contact_buttons() -> list[dict[str, str]]:
    """「留電話」/「不用」: offered while the bot waits for a contact."""
    return _buttons((texts.BUTTON_LEAVE_PHONE, PAYLOAD_LEAVE_CONTACT), (texts.BUTTON_NO_CONTACT, PAYLOAD_NO_CONTACT))


def callback_buttons() -> list[dict[str, str]]:
    """Change or withdraw a registered callback."""
    return _buttons((texts.BUTTON_CHANGE_CONTACT, PAYLOAD_CHANGE_CONTACT), (texts.BUTTON_WITHDRAW, PAYLOAD_WITHDRAW))


def state_payload(state: TicketState, officer: str | None = None) -> dict[str, Any]:
    """The stored payload of a message that tells channels the ticket's state (contract.HANDOFF_STATE)."""
    custom = contract.HandoffStatePayload(type=contract.HANDOFF_STATE, state=state.value)
    if officer is not None:
        custom["officer"] = officer
    return {"custom": custom}


def csat_question(ticket_id: int) -> dict[str, Any]:
    """The custom payload of the satisfaction question (contract.CSAT): the options as channels show them."""
    return {"type": contract.CSAT, "ticket_id": ticket_id,
            "options": [{"score": k, "label": v} for k, v in texts.CSAT_SCORES.items()],
            "skip": texts.CSAT_SKIP, "thanks": texts.CSAT_THANKS, "skipped": texts.CSAT_SKIPPED,
            "comment_thanks": texts.CSAT_COMMENT_THANKS}


class Delivery(Protocol):
    async def deliver(self, conversation_id: str, external_id: str, messages: Sequence[MessageView]) -> bool:
        """Send messages that are not a direct answer (officer replies, state changes). True if sent."""


class StoreOnlyDelivery:
    """For channels whose client reads new messages from the store itself (the web widget)."""

    async def deliver(self, conversation_id: str, external_id: str, messages: Sequence[MessageView]) -> bool:
        return False


class BotDown(Exception):
    """The bot could not answer now (Rasa unreachable, an error status, a timeout, an empty reply)."""

    def __init__(self, reason: str, *, empty: bool = False):
        super().__init__(reason)
        self.empty = empty


class Outcome(enum.Enum):
    DONE = "done"          # every pending message up to the target is answered
    DOWN = "down"          # the bot is down: the rest stays pending
    BUSY = "busy"          # another gateway (or task) is answering this conversation


# failures that say nothing about the message itself: it stays pending and is tried again
TRANSIENT = (BotDown, OperationalError, PoolTimeout, asyncio.TimeoutError, ConnectionError)


@dataclass
class _Held:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


def _instance_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class Hub:
    store: Store
    rasa: RasaClient
    hours: OfficeHours
    clock: Clock
    typical_wait_minutes: int | None = None
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    rasa_timeout_s: float = 30.0
    bot_healthy: Callable[[], Awaitable[bool]] | None = None   # Rasa and the action server answer probes
    owner: str = field(default_factory=_instance_id)           # this gateway process, in message claims
    metrics: GatewayMetrics = field(default_factory=GatewayMetrics)
    open_tickets_per_origin: int = 3   # open tickets of widget conversations from one address (0: no cap)
    _locks: dict[str, _Held] = field(default_factory=dict)     # only conversations in use (evicted when idle)
    _wake: asyncio.Event | None = None

    # ------------------------------------------------------------------ helpers
    async def _db(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Call the (synchronous) store in a worker thread, typed as the call itself."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    @property
    def _claim_ttl(self) -> timedelta:
        return timedelta(seconds=self.rasa_timeout_s + 15)

    @asynccontextmanager
    async def _local(self, conversation_id: str, wait: float | None) -> AsyncIterator[bool]:
        """The conversation's in-process lock; ``wait`` None: only if free now. Yields whether held.
        The entry is dropped when nobody uses or waits for it, so the table stays small."""
        held = self._locks.get(conversation_id)
        if held is None:
            held = self._locks[conversation_id] = _Held()
        held.users += 1
        acquired = False
        try:
            if wait is None:
                if not held.lock.locked():
                    await held.lock.acquire()
                    acquired = True
            else:
                try:
                    await asyncio.wait_for(held.lock.acquire(), timeout=wait)
                    acquired = True
                except asyncio.TimeoutError:
                    pass
            yield acquired
        finally:
            if acquired:
                held.lock.release()
            held.users -= 1
            if held.users == 0 and self._locks.get(conversation_id) is held:
                del self._locks[conversation_id]

    @asynccontextmanager
    async def _conversation(self, conversation_id: str, wait: float | None) -> AsyncIterator[bool]:
        """The conversation's lock in this process and across gateways (PostgreSQL advisory lock)."""
        async with self._local(conversation_id, wait) as local:
            handle = None
            if local:
                deadline = time.monotonic() + (wait or 0)
                pause = 0.02
                while True:
                    handle = (True if self.store.single_node else   # single node: the local lock is the lock
                              await self._db(self.store.try_lock_conversation, conversation_id))
                    if handle is not None or wait is None or time.monotonic() >= deadline:
                        break
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 0.5)
            try:
                yield handle is not None
            finally:
                if handle is not None and handle is not True:
                    await self._db(self.store.unlock_conversation, handle)

    def _lock(self, conversation_id: str) -> Any:
        """The in-process lock of a conversation (kept for callers outside the answering path)."""
        return self._local(conversation_id, wait=3600.0)

    @staticmethod
    def conversation_id(channel: str, external_id: str) -> str:
        return f"{channel}:{external_id}"

    async def _say(self, conversation_id: str, author: str, text: str, *, payload: dict[str, Any] | None = None,
                   ticket_id: int | None = None, officer_id: int | None = None,
                   reply_to: int | None = None) -> MessageView:
        return await self._db(self.store.add_message, conversation_id, "out", author, text, payload=payload,
                              ticket_id=ticket_id, officer_id=officer_id, reply_to=reply_to)

    async def push(self, conversation_id: str, messages: Sequence[MessageView]) -> bool:
        """Deliver messages outside a request/answer exchange through the conversation's channel."""
        conv = await self._db(self.store.conversation, conversation_id)
        if conv is None or not messages:
            return False
        channel, external_id = conv
        delivery = self.deliveries.get(channel)
        if delivery is None:
            return False
        try:
            sent = await delivery.deliver(conversation_id, external_id, messages)
        except Exception:  # a channel failure must not lose the stored message
            logger.exception("delivery to %s failed", conversation_id)
            return False
        if sent:
            await self._db(self.store.mark_delivered, [m.id for m in messages])
        return sent

    # ------------------------------------------------------------------ user side
    async def user_message(self, channel: str, external_id: str, text: str = "", *, payload: str | None = None,
                           external_msg_id: str | None = None) -> list[MessageView]:
        """Store a user's message and answer it. ``payload``: a button's payload (``text`` is its title).

        Returns the answers (already stored) for the channel to send as its direct reply; a message
        whose ``external_msg_id`` was stored before (a redelivery) gets no answer."""
        inbound = await self.accept(channel, external_id, text, payload=payload, external_msg_id=external_msg_id)
        return [] if inbound is None else await self.answer(inbound)

    async def accept(self, channel: str, external_id: str, text: str = "", *, payload: str | None = None,
                     external_msg_id: str | None = None, origin: str | None = None) -> MessageView | None:
        """Store a user's message (committed) without answering it yet; None if already stored.

        A channel that must acknowledge fast (LINE) accepts first, acknowledges, then calls
        ``answer``; a crash in between leaves a pending message that ``retry_pending`` answers."""
        conversation_id = self.conversation_id(channel, external_id)
        text = (text or "").strip()
        body: dict[str, Any] = {"payload": payload} if payload else {}
        if len(text) > MAX_USER_TEXT:
            text = text[:MAX_USER_TEXT]
            body["truncated"] = True
        if has_pii(text):
            await self._db(self.store.touch_conversation, conversation_id, channel, external_id, origin)
            # personal data is stored (and sent to Rasa) masked; only a callback contact is read in
            # clear, by the ticket (``_turn`` masks that message once the contact is parsed)
            ticket = await self._db(self.store.open_ticket, conversation_id)
            if ticket is None or ticket.state not in (TicketState.AWAITING_CONTACT, TicketState.CALLBACK):
                await self._db(self.store.add_phone_refs, conversation_id, phone_numbers(text))
                text = mask(text)
        try:   # the conversation noted as seen and the message stored in one transaction
            stored = await self._db(self.store.store_inbound, conversation_id, channel, external_id, text,
                                    origin=origin, payload=body or None, external_msg_id=external_msg_id)
        except IntegrityError:  # the same external message id: a redelivery
            logger.info("redelivered message ignored", extra={"event": "redelivery", "channel": channel,
                                                              "conversation": logs.conversation_ref(conversation_id)})
            return None
        self.metrics.messages.labels(channel).inc()
        logger.info("user message stored", extra={"event": "message_in", "channel": channel, "message_id": stored.id,
                                                  "conversation": logs.conversation_ref(conversation_id),
                                                  "chars": len(text), "button": bool(payload)})
        return stored

    async def answer(self, inbound: MessageView) -> list[MessageView]:
        """Answer a stored user message — after the older pending ones of its conversation — and
        return the answers (stored). If the bot is down it stays pending and the user is told so."""
        conversation_id = inbound.conversation_id
        async with self._conversation(conversation_id, wait=self.rasa_timeout_s + 5) as held:
            if not held:  # another gateway is answering this conversation: it answers this one too
                return []
            replies, outcome = await self._drain(conversation_id, up_to=inbound.id)
        if outcome is Outcome.DOWN and not await self._db(self.store.is_handled, inbound.id):
            await self._db(self.store.count_attempt, inbound.id)   # so its late answer says why it is late
            replies.append(await self._say(conversation_id, "system", texts.QUEUED_WHILE_DOWN,
                                           payload={"kind": "queued"}, reply_to=inbound.id))
            self.wake()
        return replies

    async def replay_unhandled(self, before: datetime | None = None) -> int:
        """Answer (and push) the pending messages stored before ``before`` once; returns how many
        were pending. Those the bot cannot answer now stay pending for ``retry_pending``."""
        count, _ = await self._retry_round(before)
        return count

    async def retry_pending(self, stop: asyncio.Event | None = None) -> None:
        """The gateway's background task: answer pending messages (oldest conversation first, in
        order within each) whenever the bot can, waiting longer between tries while it cannot."""
        stop = stop or asyncio.Event()
        self._wake = asyncio.Event()
        if self.store.single_node:  # claims left by an earlier process of this gateway are void
            released = await self._db(self.store.release_claims_of_others, self.owner)
            if released:
                logger.info("released %d claims of a previous gateway process", released)
        delay = RETRY_MIN_S
        while not stop.is_set():
            try:
                # a message just accepted by a live request is about to be answered there: leave it a moment
                _, down = await self._retry_round(utcnow() - timedelta(seconds=1), only_selection=True)
            except Exception:  # never let the retry task die (the database may be restarting)
                logger.exception("retrying pending messages failed")
                down = True
            delay = min(delay * 2, RETRY_MAX_S) if down else RETRY_MIN_S
            self._wake.clear()
            waits = [asyncio.ensure_future(stop.wait())]
            if not down:
                waits.append(asyncio.ensure_future(self._wake.wait()))
            _, rest = await asyncio.wait(waits, timeout=delay if down else RETRY_IDLE_S,
                                         return_when=asyncio.FIRST_COMPLETED)
            for w in rest:
                w.cancel()

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _retry_round(self, before: datetime | None, only_selection: bool = False) -> tuple[int, bool]:
        """One pass over conversations with a message pending since before ``before``: (how many, bot
        down?). ``only_selection``: ``before`` selects the conversations; all their pending messages
        are answered (in order), not only the older ones."""
        conversations = await self._db(self.store.pending_conversations, self.owner, before)
        gate = asyncio.Semaphore(RETRY_CONCURRENCY)
        down = False

        async def one(conversation_id: str) -> None:
            nonlocal down
            async with gate:
                if down:   # don't knock on every conversation while the bot is down
                    return
                async with self._conversation(conversation_id, wait=None) as held:
                    if not held:   # being answered right now (a live request or another gateway)
                        return
                    replies, outcome = await self._drain(conversation_id, up_to=None,
                                                         before=None if only_selection else before)
                if replies:
                    logger.info("answered pending messages of %s (%d answers)", conversation_id, len(replies))
                    await self.push(conversation_id, replies)
                if outcome is Outcome.DOWN:
                    down = True

        results = await asyncio.gather(*(one(c) for c in conversations), return_exceptions=True)
        for conversation_id, result in zip(conversations, results):
            if isinstance(result, Exception):
                logger.error("retrying %s failed: %r", conversation_id, result)
                down = True
        return len(conversations), down

    async def _drain(self, conversation_id: str, up_to: int | None,
                     before: datetime | None = None) -> tuple[list[MessageView], Outcome]:
        """Answer the conversation's pending messages in order (the caller holds its lock)."""
        replies: list[MessageView] = []
        pending = await self._db(self.store.pending, conversation_id, up_to, 500)
        if before is not None:
            pending = [m for m in pending if m.created_at < before]
        force = not self.store.single_node   # the cross-gateway lock proves an old claimant is gone
        i = 0
        while i < len(pending):
            m = pending[i]
            claimed, ticket = await self._db(self.store.claim_turn, m.id, conversation_id, self.owner,
                                             self._claim_ttl, force=force)
            if not claimed:
                return replies, Outcome.BUSY
            try:
                drafts, ticket_id = await self._turn(m, ticket)
            except TRANSIENT as exc:
                if isinstance(exc, BotDown) and exc.empty and m.attempts + 1 >= EMPTY_REPLY_ATTEMPTS \
                        and self.bot_healthy is not None and await self.bot_healthy():
                    logger.error("message %s of %s: the bot keeps answering nothing; marked failed",
                                 m.id, conversation_id)
                    replies += await self._fail(m)
                    i += 1
                    continue
                logger.warning("message %s of %s stays pending: %s: %s", m.id, conversation_id,
                               type(exc).__name__, exc)
                await self._db(self.store.release, m.id, self.owner)
                person = next((j for j in range(i, len(pending)) if self._asks_person(pending[j])), None)
                if person is None:
                    return replies, Outcome.DOWN
                replies += await self._handoff_without_bot(conversation_id, pending[i:person + 1])
                i = person + 1
                continue
            except Exception:
                logger.exception("message %s of %s cannot be answered: marked failed", m.id, conversation_id)
                replies += await self._fail(m)
                i += 1
                continue
            if m.attempts and drafts:   # the user was told it would be answered later: say it is now
                drafts = [Draft("system", texts.ANSWERED_AFTER_OUTAGE.format(question=_quote(m.text)),
                                {"kind": "recovered"}), *drafts]
            # the answers and their answer events for the dashboard (whose failure never loses the answers)
            stored = await self._db(self.store.finish_answered_turn, m, self.owner, drafts, ticket_id=ticket_id)
            if stored is None:
                return replies, Outcome.BUSY
            replies += stored
            i += 1
        return replies, Outcome.DONE

    async def _fail(self, m: MessageView) -> list[MessageView]:
        stored = await self._db(self.store.finish_turn, m.id, self.owner,
                                [Draft("system", texts.MESSAGE_FAILED, {"kind": "failed"})], failed=True)
        return stored or []

    @staticmethod
    def _asks_person(m: MessageView) -> bool:
        return wants_person(m.text, (m.payload or {}).get("payload"))

    async def _handoff_without_bot(self, conversation_id: str, messages: Sequence[MessageView]) -> list[MessageView]:
        """The bot is down and the last of ``messages`` asks for a person: open the ticket here and
        route the earlier waiting messages to it too (the officer reads them)."""
        channel = conversation_id.split(":", 1)[0]
        request = messages[-1]
        summary = {"last_question": request.text, "opened_by": "gateway", "bot_unavailable": True,
                   "pending_questions": [m.text for m in messages[:-1] if m.text]}
        drafts = await self._start_handoff(conversation_id, channel, {"reason": "requested", "summary": summary},
                                           request.text)
        self.metrics.answered(channel, {"handoff"})
        ticket = await self._db(self.store.open_ticket, conversation_id)
        ticket_id = ticket.id if ticket is not None else None
        out: list[MessageView] = []
        for m in messages:
            if not await self._db(self.store.claim, m.id, self.owner, self._claim_ttl,
                                  force=not self.store.single_node):
                break
            stored = await self._db(self.store.finish_turn, m.id, self.owner, drafts if m is request else [],
                                    ticket_id=ticket_id)
            out += stored or []
        return out

    async def _turn(self, inbound: MessageView, ticket: TicketView | None) -> tuple[list[Draft], int | None]:
        """Route one user message to its ticket or to Rasa: the answers to store, and its ticket.
        ``ticket``: the conversation's open ticket, read when the message was claimed."""
        conversation_id = inbound.conversation_id
        channel = conversation_id.split(":", 1)[0]   # ids are "<channel>:<external id>"
        # the HTTP request's id (middleware) when answered live, a new one when retried later
        with logs.bind(logs.REQUEST_ID.get() or logs.new_request_id(), conversation_id):
            return await self._turn_bound(inbound, conversation_id, channel, ticket)

    async def _turn_bound(self, inbound: MessageView, conversation_id: str,
                          channel: str, ticket: TicketView | None) -> tuple[list[Draft], int | None]:
        routed = ticket if ticket is not None and ticket.state in ROUTED_STATES else None
        body = inbound.payload or {}
        drafts: list[Draft] = []
        if body.get("truncated"):
            drafts.append(Draft("system", texts.TOO_LONG.format(limit=MAX_USER_TEXT)))
        payload = body.get("payload")
        if ticket is not None and ticket.state is TicketState.CALLBACK:
            handled = await self._callback_message(ticket, inbound.text, payload)
            if handled is not None:
                await self._mask_stored(inbound)
                return drafts + handled, ticket.id
        if payload in HUB_PAYLOADS and (routed is None or routed.state is not TicketState.AWAITING_CONTACT):
            # a handoff button pressed after its ticket moved on: say so, never send it to the bot
            return drafts + [Draft("system", texts.HANDOFF_BUTTON_STALE)], None
        drafts += await self._route(conversation_id, channel, inbound, inbound.text, payload, routed)
        await self._mask_stored(inbound)
        return drafts, routed.id if routed is not None else None

    async def _route(self, conversation_id: str, channel: str, inbound: MessageView, text: str,
                     payload: str | None, ticket: TicketView | None) -> list[Draft]:
        if ticket is not None:
            logger.info("message routed to ticket", extra={"event": "to_ticket", "ticket": ticket.id,
                                                           "message_id": inbound.id})
            return await self._ticket_message(ticket, text, payload, inbound)
        message = payload or text
        if not message:
            return []
        request_id = logs.REQUEST_ID.get()
        t0 = time.perf_counter()
        try:
            answers = await self.rasa.send(conversation_id, message, {"channel": channel, "request_id": request_id})
        except RasaUnavailable as exc:
            self.metrics.rasa_call(time.perf_counter() - t0, exc.reason)
            logger.warning("Rasa gave no answer", extra={"event": "rasa_error", "reason": exc.reason,
                                                         "message_id": inbound.id})
            raise BotDown(str(exc)) from exc
        seconds = time.perf_counter() - t0
        kinds = answer_kinds(answers)
        answers = [a for a in answers if contract.kind_of(a) != contract.OUTCOME]   # for the metrics only
        if not any(a.get("text") or a.get("buttons") or a.get("custom") is not None for a in answers):
            self.metrics.rasa_call(seconds, "empty_reply")
            logger.warning("Rasa answered nothing (action server down?)",
                           extra={"event": "rasa_error", "reason": "empty_reply", "message_id": inbound.id})
            raise BotDown("empty reply", empty=True)
        self.metrics.rasa_call(seconds, None)
        self.metrics.answered(channel, kinds)
        logger.info("answered", extra={"event": "answered", "message_id": inbound.id, "kinds": sorted(kinds),
                                       "rasa_ms": round(seconds * 1000, 1), "replies": len(answers)})
        out: list[Draft] = []
        for a in answers:
            custom = a.get("custom")
            if isinstance(custom, dict) and custom.get("type") == contract.HANDOFF:
                out += await self._start_handoff(conversation_id, channel, custom, text)
                continue
            body: dict[str, Any] = {}
            if a.get("buttons"):
                body["buttons"] = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                                   for b in a["buttons"]]
            if custom is not None:
                body["custom"] = custom
            if not a.get("text") and not body:
                continue
            tag = classify(a.get("text") or "", body.get("buttons"), custom)
            if tag is not None:   # analytics, and the 👍/👎 under an answer
                body["answer"] = tag
            out.append(Draft("bot", a.get("text") or "", body or None))
        if not out:  # Rasa answers [] when its action server is down: not an answer
            raise BotDown("empty reply", empty=True)
        return _one_tag_per_result(out)

    # ------------------------------------------------------------------ handoff
    def _wait_text(self) -> str:
        measured = self.store.median_wait()
        if measured is not None:
            return texts.WAIT_MEASURED.format(minutes=max(1, round(measured / timedelta(minutes=1))))
        if self.typical_wait_minutes:
            return texts.WAIT_DEFAULT.format(minutes=self.typical_wait_minutes)
        return texts.WAIT_UNKNOWN

    async def _start_handoff(self, conversation_id: str, channel: str, custom: dict[str, Any],
                             last_text: str) -> list[Draft]:
        reason = str(custom.get("reason") or contract.REQUESTED)
        if reason not in contract.HANDOFF_REASON_CODES:
            reason = contract.REQUESTED
        summary = dict(custom.get("summary") or {})
        summary.setdefault("last_question", last_text)
        apology = texts.COMPLAINT_APOLOGY if reason == contract.COMPLAINT else ""
        existing = await self._db(self.store.open_ticket, conversation_id)
        if existing is not None and existing.state is TicketState.CALLBACK:
            # already registered for a callback: say so again instead of a second ticket
            when = self.hours.describe(existing.callback_after or self.hours.next_open(self.clock()))
            text = (texts.CONTACT_DECLINED.format(when=when) if not existing.contact else
                    texts.CONTACT_SAVED.format(contact=mask(existing.contact), when=when))
            return [Draft("system", apology + text + texts.TICKET_REF.format(ref=ticket_ref(existing.id)),
                          {"buttons": callback_buttons()}, ticket_id=existing.id)]
        if existing is not None and existing.state is TicketState.AWAITING_CONTACT:
            # the bot asked for a person again while the contact is still asked for: no second ticket
            return [Draft("system", apology + texts.CONTACT_REMINDER, {"buttons": contact_buttons()},
                          ticket_id=existing.id)]
        if existing is None and self.open_tickets_per_origin:
            # one address (e.g. a script opening fresh widget sessions) may not flood the officers' queue
            origin = await self._db(self.store.origin, conversation_id)
            if origin and await self._db(self.store.open_tickets_from, origin) >= self.open_tickets_per_origin:
                logger.warning("handoff refused: %d open tickets from its address already",
                               self.open_tickets_per_origin,
                               extra={"event": "handoff_capped", "conversation": logs.conversation_ref(conversation_id)})
                return [Draft("system", texts.HANDOFF_CAPPED, {"kind": "handoff_capped"})]
        now = self.clock()
        if self.hours.is_open(now):
            ticket = await self._db(self.store.create_ticket, conversation_id, channel, TicketState.WAITING,
                                    reason, summary)
            position = await self._db(self.store.queue_position, ticket.id)
            wait = await self._db(self._wait_text)
            text = texts.HANDOFF_IN_HOURS.format(reason=texts.REASONS[reason], position=position, wait=wait)
            return [Draft("system", apology + text + texts.TICKET_REF.format(ref=ticket_ref(ticket.id)),
                          state_payload(ticket.state), ticket.id)]
        when_dt = self.hours.next_open(now)
        ticket = await self._db(self.store.create_ticket, conversation_id, channel, TicketState.AWAITING_CONTACT,
                                reason, summary, when_dt)
        text = texts.HANDOFF_OUT_OF_HOURS.format(hours=self.hours.hours_text(), when=self.hours.describe(when_dt))
        payload = {**state_payload(ticket.state), "buttons": contact_buttons()}
        return [Draft("system", apology + text + texts.TICKET_REF.format(ref=ticket_ref(ticket.id)), payload,
                      ticket.id)]

    async def _mask_stored(self, inbound: MessageView) -> None:
        """A message read in clear for a callback contact is kept masked in the transcript once handled
        (the contact itself lives in the ticket's contact field only)."""
        if has_pii(inbound.text):
            await self._db(self.store.add_phone_refs, inbound.conversation_id, phone_numbers(inbound.text))
            await self._db(self.store.set_message_text, inbound.id, mask(inbound.text))

    async def _register_contact(self, ticket: TicketView, contact: str, note: str | None,
                                action: TicketAction | None) -> TicketView:
        """Store a contact (and the time to call said with it) on the ticket; ``action``: the transition."""
        summary = dict(ticket.summary)
        if note:
            summary["contact_time"] = note
        else:
            summary.pop("contact_time", None)
        if action is None:
            return await self._db(self.store.update_ticket, ticket.id, contact=contact, summary=summary)
        return await self._db(self.store.transition, ticket.id, action, contact=contact, summary=summary)

    async def _callback_message(self, ticket: TicketView, text: str, payload: str | None) -> list[Draft] | None:
        """A message while a callback is registered: a change or withdrawal of the contact is handled
        here; anything else (None) goes to the bot as usual."""
        when = self.hours.describe(ticket.callback_after or self.hours.next_open(self.clock()))
        ref = ticket_ref(ticket.id)
        if payload == PAYLOAD_WITHDRAW:
            summary = {**ticket.summary, "withdrawn_by_user": True}
            await self._db(self.store.update_ticket, ticket.id, summary=summary, outcome="withdrawn")
            closed = await self._db(self.store.transition, ticket.id, TicketAction.RESOLVE)
            return [Draft("system", texts.CALLBACK_WITHDRAWN.format(ref=ref), state_payload(closed.state), ticket.id)]
        if payload in (PAYLOAD_CHANGE_CONTACT, PAYLOAD_LEAVE_CONTACT):
            return [Draft("system", texts.CONTACT_CHANGE_ASK, ticket_id=ticket.id)]
        if payload == PAYLOAD_NO_CONTACT:
            await self._db(self.store.update_ticket, ticket.id, contact=None)
            return [Draft("system", texts.CONTACT_DECLINED.format(when=when) + texts.TICKET_REF.format(ref=ref),
                          {"buttons": callback_buttons()}, ticket.id)]
        if payload is None and is_contact_only(text):
            contact = parse_contact(text)
            assert contact is not None
            await self._register_contact(ticket, contact.value, contact_note(text), None)
            reply = texts.CONTACT_CHANGED.format(contact=mask(contact.value), when=when)
            note = contact_note(text)
            if note:
                reply += texts.CONTACT_TIME_SAVED.format(note=note)
            return [Draft("system", reply + texts.TICKET_REF.format(ref=ref), {"buttons": callback_buttons()},
                          ticket.id)]
        return None

    async def _ticket_message(self, ticket: TicketView, text: str, payload: str | None = None,
                              inbound: MessageView | None = None) -> list[Draft]:
        cid = ticket.conversation_id
        if ticket.state is TicketState.AWAITING_CONTACT:
            when = self.hours.describe(ticket.callback_after or self.hours.next_open(self.clock()))
            ref = texts.TICKET_REF.format(ref=ticket_ref(ticket.id))
            contact = parse_contact(text) if payload is None else None
            buttons: dict[str, Any] = {"buttons": callback_buttons()}
            if payload == PAYLOAD_LEAVE_CONTACT or (payload is None and offers_contact(text)):
                return [Draft("system", texts.CONTACT_ASK, state_payload(ticket.state), ticket.id)]
            if contact is not None:
                note = contact_note(text)
                await self._register_contact(ticket, contact.value, note, TicketAction.REGISTER_CALLBACK)
                reply = texts.CONTACT_SAVED.format(contact=mask(contact.value), when=when)   # masked in the transcript
                if note:
                    reply += texts.CONTACT_TIME_SAVED.format(note=note)
                reply += ref
            elif payload == PAYLOAD_NO_CONTACT or (payload is None and is_decline(text)):
                await self._db(self.store.transition, ticket.id, TicketAction.REGISTER_CALLBACK)
                reply = texts.CONTACT_DECLINED.format(when=when) + ref
            elif payload is None and inbound is not None and looks_like_question(text):
                # an ordinary question: answer it (never loop on "not a valid phone"), then remind
                answers = await self._route(cid, ticket.channel, inbound, mask(text), None, None)
                if any(a.text == texts.CONTACT_REMINDER for a in answers):   # the bot asked for a person again
                    return answers
                return answers + [Draft("system", texts.CONTACT_REMINDER,
                                        {**state_payload(TicketState.AWAITING_CONTACT), "buttons": contact_buttons()},
                                        ticket.id)]
            elif ticket.contact_attempts + 1 >= 3:
                await self._db(self.store.transition, ticket.id, TicketAction.REGISTER_CALLBACK,
                               contact_attempts=ticket.contact_attempts + 1)
                reply = texts.CONTACT_GAVE_UP.format(when=when) + ref
            else:
                await self._db(self.store.update_ticket, ticket.id, contact_attempts=ticket.contact_attempts + 1)
                reply = texts.CONTACT_INVALID
                buttons = {"buttons": contact_buttons()}
            state = (await self._db(self.store.ticket, ticket.id)).state
            return [Draft("system", reply, {**state_payload(state), **buttons}, ticket.id)]
        if ticket.state is TicketState.WAITING:
            # only the last outbound message is read (not the whole transcript: a long one must not slow a turn)
            last_out = await self._db(self.store.last_message, cid, "out")
            if last_out is not None and (last_out.payload or {}).get("kind") == "queue_ack":
                return []
            position = await self._db(self.store.queue_position, ticket.id)
            return [Draft("system", texts.QUEUE_ACK.format(position=position), {"kind": "queue_ack"}, ticket.id)]
        return []  # with an officer: the officer answers

    # ------------------------------------------------------------------ officer side
    async def claim(self, ticket_id: int, officer: OfficerView, *, take_over: bool = False) -> TicketView:
        current = await self._db(self.store.ticket, ticket_id)
        if current.state is TicketState.WITH_OFFICER and current.officer_id == officer.id:
            return current
        action = TicketAction.TAKE_OVER if take_over and current.state is TicketState.WITH_OFFICER else TicketAction.CLAIM
        ticket = await self._db(self.store.transition, ticket_id, action, by=officer.id)
        if action is TicketAction.CLAIM and ticket.claimed_at is not None:
            self.metrics.queue_wait.observe(max(0.0, (ticket.claimed_at - ticket.created_at).total_seconds()))
        joined = await self._say(ticket.conversation_id, "system", texts.OFFICER_JOINED.format(name=officer.display_name),
                                 ticket_id=ticket.id,
                                 payload=state_payload(ticket.state, officer.display_name))
        await self.push(ticket.conversation_id, [joined])
        return ticket

    async def officer_reply(self, ticket_id: int, officer: OfficerView, text: str) -> MessageView:
        ticket = await self._db(self.store.ticket, ticket_id)
        why = refusal(TicketAction.REPLY, ticket.state, ticket.officer_id, officer.id)
        if why is not None:
            raise TicketConflict(why, ticket)
        async with self._local(ticket.conversation_id, wait=3600.0):
            m = await self._say(ticket.conversation_id, "officer", text, ticket_id=ticket.id, officer_id=officer.id)
        await self.push(ticket.conversation_id, [m])
        return m

    async def resolve(self, ticket_id: int, officer: OfficerView, outcome: str | None = None, *,
                      spam: bool = False, reached: bool | None = None) -> TicketView:
        """Close the ticket; the bot answers again. ``outcome``: how it ended (store.OUTCOMES), stored with
        it; ``spam`` (or the outcome "spam") also flags it as spam, e.g. one of a flood of junk requests;
        ``reached``: a callback reached the user (else told by the outcome). Unless it is spam, a user an
        officer helped is asked once how satisfied they are (1–5, skippable; ``csat_question``)."""
        spam = spam or outcome == "spam"
        if reached is None and outcome in ("called_reached", "called_no_answer"):
            reached = outcome == "called_reached"
        fields: dict[str, Any] = {"outcome": outcome or ("spam" if spam else None)}
        if spam:
            fields["spam"] = True
        if fields["outcome"] is None:
            del fields["outcome"]
        ticket = await self._db(self.store.transition, ticket_id, TicketAction.RESOLVE, by=officer.id, **fields)
        await self._tell_rasa_resumed(ticket)
        ask = not spam and ticket.claimed_at is not None
        try:
            await self._db(self.store.record_outcome, ticket.id, spam=spam, reached=reached, ask_csat=ask)
        except Exception:   # the ticket is resolved all the same
            logger.exception("could not record the outcome of ticket %s", ticket.id)
            ask = False
        back = await self._say(ticket.conversation_id, "system", texts.BOT_BACK, ticket_id=ticket.id,
                               payload=state_payload(ticket.state))
        out = [back]
        if ask:
            question = await self._say(ticket.conversation_id, "system", texts.CSAT_ASK, ticket_id=ticket.id,
                                       payload={"custom": csat_question(ticket.id)})
            await self._db(self.store.set_csat_message, ticket.id, question.id)
            out.append(question)
        await self.push(ticket.conversation_id, out)
        return ticket

    async def transfer(self, ticket_id: int, officer: OfficerView, to: OfficerView, note: str) -> TicketView:
        """The holder hands the ticket to a colleague; the note is kept on the ticket, the user is told."""
        ticket = await self._db(self.store.transition, ticket_id, TicketAction.TRANSFER, by=officer.id,
                                officer_id=to.id)
        await self._db(self.store.add_note, ticket_id, officer.id,
                       texts.TRANSFER_NOTE.format(frm=officer.display_name, to=to.display_name, note=note).strip())
        joined = await self._say(ticket.conversation_id, "system",
                                 texts.OFFICER_TRANSFERRED.format(name=to.display_name), ticket_id=ticket.id,
                                 payload=state_payload(ticket.state, to.display_name))
        await self.push(ticket.conversation_id, [joined])
        return ticket

    async def _tell_rasa_resumed(self, ticket: TicketView) -> None:
        """Record the officer's part in the Rasa tracker and leave it listening, outside any form."""
        said = await self._db(self.store.ticket_messages, ticket.id, "officer")   # not the whole conversation
        events = contract.resume_events([(m.text, {"officer": m.officer_name, "ticket_id": ticket.id}) for m in said])
        try:
            await self.rasa.append_events(ticket.conversation_id, events)
        except RasaUnavailable as exc:  # the ticket is resolved all the same; the bot answers anew
            logger.warning("could not update the Rasa tracker of %s: %s", ticket.conversation_id, exc)


def origin_of(address: str | None) -> str | None:
    """What is stored of a client address for the open-ticket cap: a hash, not the address. None
    (no cap) for a loopback address: that is a reverse proxy on this host whose X-Forwarded-For is not
    read (uvicorn --proxy-headers), i.e. every user at once — better no cap than refusing them all."""
    if not address:
        return None
    try:
        if ipaddress.ip_address(address).is_loopback:
            return None
    except ValueError:
        pass
    return hashlib.sha256(f"hotline-origin\n{address}".encode()).hexdigest()[:32]


def _one_tag_per_result(drafts: list[Draft]) -> list[Draft]:
    """A calculation result comes as its text then its card: the card alone is the rated answer."""
    out = list(drafts)
    for i in range(1, len(out)):
        prev = out[i - 1]
        if contract.kind_of(out[i].payload) == contract.CALC_RESULT and prev.payload and "answer" in prev.payload:
            rest = {k: v for k, v in prev.payload.items() if k != "answer"}
            out[i - 1] = Draft(prev.author, prev.text, rest or None, prev.ticket_id)
    return out


def _quote(text: str, limit: int = 20) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "…"
