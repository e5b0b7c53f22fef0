"""The one code path every channel uses: store → (Rasa | handoff ticket) → store → deliver.

``Hub.user_message`` is called by the LINE webhook and the web widget alike. It stores the user's
message first (committed), then routes it: to the open handoff ticket while an officer holds (or is
about to hold) the conversation, otherwise to Rasa. The bot asks for a person by sending the custom
payload ``{"type": "handoff", "reason": ..., "summary": {...}}`` (``knowledge.contract.HandoffPayload``); the
hub turns that into a ticket, taking office hours into account.

Officer-side changes (claim, reply, resolve) are also here so both channels get them the same way;
messages that are not an answer to a user's request are handed to the channel's ``Delivery``
(LINE: push; widget: the page polls the store).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, ParamSpec, Protocol, Sequence, TypeVar

from sqlalchemy.exc import IntegrityError

from knowledge import contract

from .. import texts
from ..rasa_client import RasaClient, RasaUnavailable
from .contact import is_decline, parse_contact
from .hours import Clock, OfficeHours
from .store import (ROUTED_STATES, MessageView, OfficerView, Store, TicketAction, TicketConflict, TicketState,
                    TicketView, refusal)

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

MAX_USER_TEXT = 1000          # longer messages are cut (the bot judges the first 300 anyway)


def state_payload(state: TicketState, officer: str | None = None) -> dict[str, Any]:
    """The stored payload of a message that tells channels the ticket's state (contract.HANDOFF_STATE)."""
    custom = contract.HandoffStatePayload(type=contract.HANDOFF_STATE, state=state.value)
    if officer is not None:
        custom["officer"] = officer
    return {"custom": custom}


class Delivery(Protocol):
    async def deliver(self, conversation_id: str, external_id: str, messages: Sequence[MessageView]) -> bool:
        """Send messages that are not a direct answer (officer replies, state changes). True if sent."""


class StoreOnlyDelivery:
    """For channels whose client reads new messages from the store itself (the web widget)."""

    async def deliver(self, conversation_id: str, external_id: str, messages: Sequence[MessageView]) -> bool:
        return False


@dataclass
class Hub:
    store: Store
    rasa: RasaClient
    hours: OfficeHours
    clock: Clock
    typical_wait_minutes: int | None = None
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    # ------------------------------------------------------------------ helpers
    async def _db(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Call the (synchronous) store in a worker thread, typed as the call itself."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    def _lock(self, conversation_id: str) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = self._locks[conversation_id] = asyncio.Lock()
        return lock

    @staticmethod
    def conversation_id(channel: str, external_id: str) -> str:
        return f"{channel}:{external_id}"

    async def _say(self, conversation_id: str, author: str, text: str, *, payload: dict[str, Any] | None = None,
                   ticket_id: int | None = None, officer_id: int | None = None) -> MessageView:
        return await self._db(self.store.add_message, conversation_id, "out", author, text, payload=payload,
                              ticket_id=ticket_id, officer_id=officer_id)

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
                     external_msg_id: str | None = None) -> MessageView | None:
        """Store a user's message (committed) without answering it yet; None if already stored.

        A channel that must acknowledge fast (LINE) accepts first, acknowledges, then calls
        ``answer``; a crash in between leaves an unhandled message that ``replay_unhandled`` answers."""
        conversation_id = self.conversation_id(channel, external_id)
        text = (text or "").strip()
        body: dict[str, Any] = {"payload": payload} if payload else {}
        if len(text) > MAX_USER_TEXT:
            text = text[:MAX_USER_TEXT]
            body["truncated"] = True
        await self._db(self.store.touch_conversation, conversation_id, channel, external_id)
        try:
            return await self._db(self.store.add_message, conversation_id, "in", "user", text,
                                  payload=body or None, external_id=external_msg_id)
        except IntegrityError:  # the same external message id: a redelivery
            return None

    async def answer(self, inbound: MessageView) -> list[MessageView]:
        """Route a stored user message to its ticket or to Rasa; store and return the answers."""
        conversation_id = inbound.conversation_id
        channel = conversation_id.split(":", 1)[0]   # ids are "<channel>:<external id>"
        async with self._lock(conversation_id):
            if await self._db(self.store.is_handled, inbound.id):
                return []
            ticket = await self._db(self.store.open_ticket, conversation_id)
            routed = ticket if ticket is not None and ticket.state in ROUTED_STATES else None
            if routed is not None:
                await self._db(self.store.set_message_ticket, inbound.id, routed.id)
            body = inbound.payload or {}
            replies: list[MessageView] = []
            if body.get("truncated"):
                replies.append(await self._say(conversation_id, "system", texts.TOO_LONG.format(limit=MAX_USER_TEXT)))
            replies += await self._route(conversation_id, channel, inbound, inbound.text, body.get("payload"), routed)
            await self._db(self.store.mark_handled, inbound.id)
        return replies

    async def replay_unhandled(self, before: datetime | None = None) -> int:
        """At start: answer user messages that were stored but never answered (a crash), by push."""
        pending = await self._db(self.store.unhandled_inbound, before)
        for m in pending:
            replies = await self.answer(m)
            await self.push(m.conversation_id, replies)
        return len(pending)

    async def _route(self, conversation_id: str, channel: str, inbound: MessageView, text: str,
                     payload: str | None, ticket: TicketView | None) -> list[MessageView]:
        if ticket is not None:
            return await self._ticket_message(ticket, text)
        message = payload or text
        if not message:
            return []
        try:
            answers = await self.rasa.send(conversation_id, message, {"channel": channel})
        except RasaUnavailable as exc:
            logger.warning("rasa unavailable for %s: %s", conversation_id, exc)
            return [await self._say(conversation_id, "system", texts.UPSTREAM_DOWN)]
        out: list[MessageView] = []
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
            out.append(await self._say(conversation_id, "bot", a.get("text") or "", payload=body or None))
        return out

    # ------------------------------------------------------------------ handoff
    def _wait_text(self) -> str:
        measured = self.store.median_wait()
        if measured is not None:
            return texts.WAIT_MEASURED.format(minutes=max(1, round(measured / timedelta(minutes=1))))
        if self.typical_wait_minutes:
            return texts.WAIT_DEFAULT.format(minutes=self.typical_wait_minutes)
        return texts.WAIT_UNKNOWN

    async def _start_handoff(self, conversation_id: str, channel: str, custom: dict[str, Any],
                             last_text: str) -> list[MessageView]:
        reason = str(custom.get("reason") or contract.REQUESTED)
        if reason not in contract.HANDOFF_REASON_CODES:
            reason = contract.REQUESTED
        summary = dict(custom.get("summary") or {})
        summary.setdefault("last_question", last_text)
        existing = await self._db(self.store.open_ticket, conversation_id)
        if existing is not None and existing.state is TicketState.CALLBACK:
            # already registered for a callback: say so again instead of a second ticket
            when = self.hours.describe(existing.callback_after or self.hours.next_open(self.clock()))
            return [await self._say(conversation_id, "system", texts.CONTACT_DECLINED.format(when=when)
                                    if not existing.contact else
                                    texts.CONTACT_SAVED.format(contact=existing.contact, when=when),
                                    ticket_id=existing.id)]
        now = self.clock()
        if self.hours.is_open(now):
            ticket = await self._db(self.store.create_ticket, conversation_id, channel, TicketState.WAITING,
                                    reason, summary)
            position = await self._db(self.store.queue_position, ticket.id)
            wait = await self._db(self._wait_text)
            text = texts.HANDOFF_IN_HOURS.format(reason=texts.REASONS[reason], position=position, wait=wait)
            return [await self._say(conversation_id, "system", text, ticket_id=ticket.id,
                                    payload=state_payload(ticket.state))]
        when_dt = self.hours.next_open(now)
        ticket = await self._db(self.store.create_ticket, conversation_id, channel, TicketState.AWAITING_CONTACT,
                                reason, summary, when_dt)
        text = texts.HANDOFF_OUT_OF_HOURS.format(hours=self.hours.hours_text(), when=self.hours.describe(when_dt))
        return [await self._say(conversation_id, "system", text, ticket_id=ticket.id,
                                payload=state_payload(ticket.state))]

    async def _ticket_message(self, ticket: TicketView, text: str) -> list[MessageView]:
        cid = ticket.conversation_id
        if ticket.state is TicketState.AWAITING_CONTACT:
            when = self.hours.describe(ticket.callback_after or self.hours.next_open(self.clock()))
            contact = parse_contact(text)
            if contact is not None:
                await self._db(self.store.transition, ticket.id, TicketAction.REGISTER_CALLBACK,
                               contact=contact.value)
                reply = texts.CONTACT_SAVED.format(contact=contact.value, when=when)
            elif is_decline(text):
                await self._db(self.store.transition, ticket.id, TicketAction.REGISTER_CALLBACK)
                reply = texts.CONTACT_DECLINED.format(when=when)
            elif ticket.contact_attempts + 1 >= 3:
                await self._db(self.store.transition, ticket.id, TicketAction.REGISTER_CALLBACK,
                               contact_attempts=ticket.contact_attempts + 1)
                reply = texts.CONTACT_GAVE_UP.format(when=when)
            else:
                await self._db(self.store.update_ticket, ticket.id, contact_attempts=ticket.contact_attempts + 1)
                reply = texts.CONTACT_INVALID
            state = (await self._db(self.store.ticket, ticket.id)).state
            return [await self._say(cid, "system", reply, ticket_id=ticket.id,
                                    payload=state_payload(state))]
        if ticket.state is TicketState.WAITING:
            recent = await self._db(self.store.messages, cid, 0)
            last_out = next((m for m in reversed(recent) if m.direction == "out"), None)
            if last_out is not None and (last_out.payload or {}).get("kind") == "queue_ack":
                return []
            position = await self._db(self.store.queue_position, ticket.id)
            return [await self._say(cid, "system", texts.QUEUE_ACK.format(position=position), ticket_id=ticket.id,
                                    payload={"kind": "queue_ack"})]
        return []  # with an officer: the officer answers

    # ------------------------------------------------------------------ officer side
    async def claim(self, ticket_id: int, officer: OfficerView, *, take_over: bool = False) -> TicketView:
        current = await self._db(self.store.ticket, ticket_id)
        if current.state is TicketState.WITH_OFFICER and current.officer_id == officer.id:
            return current
        action = TicketAction.TAKE_OVER if take_over and current.state is TicketState.WITH_OFFICER else TicketAction.CLAIM
        ticket = await self._db(self.store.transition, ticket_id, action, by=officer.id)
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
        async with self._lock(ticket.conversation_id):
            m = await self._say(ticket.conversation_id, "officer", text, ticket_id=ticket.id, officer_id=officer.id)
        await self.push(ticket.conversation_id, [m])
        return m

    async def resolve(self, ticket_id: int, officer: OfficerView) -> TicketView:
        ticket = await self._db(self.store.transition, ticket_id, TicketAction.RESOLVE, by=officer.id)
        await self._tell_rasa_resumed(ticket)
        back = await self._say(ticket.conversation_id, "system", texts.BOT_BACK, ticket_id=ticket.id,
                               payload=state_payload(ticket.state))
        await self.push(ticket.conversation_id, [back])
        return ticket

    async def _tell_rasa_resumed(self, ticket: TicketView) -> None:
        """Record the officer's part in the Rasa tracker and leave it listening, outside any form."""
        transcript = await self._db(self.store.messages, ticket.conversation_id, 0)
        events = contract.resume_events([(m.text, {"officer": m.officer_name, "ticket_id": ticket.id})
                                         for m in transcript if m.ticket_id == ticket.id and m.author == "officer"])
        try:
            await self.rasa.append_events(ticket.conversation_id, events)
        except RasaUnavailable as exc:  # the ticket is resolved all the same; the bot answers anew
            logger.warning("could not update the Rasa tracker of %s: %s", ticket.conversation_id, exc)
