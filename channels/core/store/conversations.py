"""Conversations and their messages (both directions), and webhook redelivery checks.

At-least-once answering: an inbound message stays pending (``handled_at`` NULL) until its answer
is stored; ``claim`` marks who is answering it (atomically, with an expiry for a claimant that
died) and ``finish_turn`` stores the answers and marks the message handled in one transaction, only
if the claim is still the caller's — a message is answered once even with several gateways.
Everything read back is passed through ``textsafe.scrub`` (an old row with a lone surrogate or NUL
must not break a history read or a replay).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..textsafe import scrub
from .schema import AppKey, Conversation, Message, Officer, PhoneRef, ProcessedEvent, aware, as_utc, utcnow


@dataclass(frozen=True)
class Draft:
    """An answer not stored yet: ``finish_turn`` stores a turn's drafts together."""
    author: str
    text: str
    payload: dict[str, Any] | None = None
    ticket_id: int | None = None


@dataclass(frozen=True)
class MessageView:
    id: int
    conversation_id: str
    ticket_id: int | None
    direction: str
    author: str
    officer_name: str | None
    text: str
    payload: dict[str, Any] | None
    created_at: datetime
    reply_to: int | None = None      # outbound: the user message it answers
    attempts: int = 0                # inbound: failed attempts to answer it so far

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "direction": self.direction, "author": self.author,
                "officer": self.officer_name, "text": self.text, "payload": self.payload,
                "created_at": self.created_at.isoformat(), "reply_to": self.reply_to}


class ConversationStore:
    """The conversations and messages half of ``Store``."""
    _sessions: sessionmaker[Session]
    engine: Engine

    def touch_conversation(self, conversation_id: str, channel: str, external_id: str,
                           origin: str | None = None) -> None:
        """Create the conversation or note it was seen (``origin``: where from, see ``origin_of``);
        safe when two gateways create it at once."""
        with self._sessions.begin() as s:
            self._touch(s, conversation_id, channel, external_id, origin)

    def _touch(self, s: Session, conversation_id: str, channel: str, external_id: str, origin: str | None) -> None:
        now = utcnow()
        seen: dict[str, Any] = {"last_seen_at": now, **({"origin": origin} if origin else {})}
        changed = s.execute(update(Conversation).where(Conversation.id == conversation_id)
                            .values(**seen)).rowcount
        if changed:
            return
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        s.execute(insert(Conversation).values(id=conversation_id, channel=channel, external_id=external_id,
                                              created_at=now, last_seen_at=now, origin=origin)
                  .on_conflict_do_nothing(index_elements=["id"]))

    def store_inbound(self, conversation_id: str, channel: str, external_id: str, text: str, *,
                      origin: str | None = None, payload: dict[str, Any] | None = None,
                      external_msg_id: str | None = None) -> MessageView:
        """``touch_conversation`` and ``add_message`` of a user's message, in one transaction (one
        commit per message instead of two). A redelivery (the same ``external_msg_id``) raises
        IntegrityError and stores nothing."""
        with self._sessions.begin() as s:
            self._touch(s, conversation_id, channel, external_id, origin)
            m = Message(conversation_id=conversation_id, direction="in", author="user", text=text, payload=payload,
                        external_id=external_msg_id)
            s.add(m)
            s.flush()
            return self._message_view(s, m)

    def set_display_name(self, conversation_id: str, name: str) -> None:
        with self._sessions.begin() as s:
            s.execute(update(Conversation).where(Conversation.id == conversation_id)
                      .values(display_name=name.strip()[:100] or None))

    def display_name(self, conversation_id: str) -> str | None:
        with self._sessions() as s:
            return s.scalar(select(Conversation.display_name).where(Conversation.id == conversation_id))

    def origin(self, conversation_id: str) -> str | None:
        with self._sessions() as s:
            return s.scalar(select(Conversation.origin).where(Conversation.id == conversation_id))

    def offered_payloads(self, conversation_id: str, last: int = 20) -> set[str]:
        """The button payloads of the conversation's last ``last`` outbound messages (what the bot
        offered the user to press)."""
        with self._sessions() as s:
            rows = s.scalars(select(Message.payload).where(Message.conversation_id == conversation_id,
                                                           Message.direction == "out")
                             .order_by(Message.id.desc()).limit(last))
            out: set[str] = set()
            for payload in rows:
                buttons = (payload or {}).get("buttons") if isinstance(payload, dict) else None
                for b in buttons if isinstance(buttons, list) else []:
                    if isinstance(b, dict) and isinstance(b.get("payload"), str):
                        out.add(b["payload"])
            return out

    def conversation(self, conversation_id: str) -> tuple[str, str] | None:
        """(channel, external_id) of a conversation, or None."""
        with self._sessions() as s:
            conv = s.get(Conversation, conversation_id)
            return (conv.channel, conv.external_id) if conv else None

    def add_message(self, conversation_id: str, direction: str, author: str, text: str = "", *,
                    payload: dict[str, Any] | None = None, ticket_id: int | None = None,
                    officer_id: int | None = None, handled: bool = False,
                    external_id: str | None = None, reply_to: int | None = None) -> MessageView:
        with self._sessions.begin() as s:
            m = Message(conversation_id=conversation_id, direction=direction, author=author, text=text,
                        payload=payload, ticket_id=ticket_id, officer_id=officer_id,
                        handled_at=utcnow() if handled else None, external_id=external_id, reply_to=reply_to)
            s.add(m)
            s.flush()
            return self._message_view(s, m)

    def set_message_text(self, message_id: int, text: str) -> None:
        """Replace a stored message's text (masking personal data once it has been used)."""
        with self._sessions.begin() as s:
            s.execute(update(Message).where(Message.id == message_id).values(text=text))

    def mark_handled(self, message_id: int) -> None:
        with self._sessions.begin() as s:
            s.execute(update(Message).where(Message.id == message_id).values(handled_at=utcnow()))

    # ---------------------------------------------------------------- at-least-once answering
    def _claimable(self, owner: str, now: datetime):
        return or_(Message.claimed_by.is_(None), Message.claimed_by == owner, Message.claimed_until < now)

    def pending(self, conversation_id: str, up_to: int | None = None, limit: int = 50) -> list[MessageView]:
        """The conversation's unanswered user messages, oldest first (up to message ``up_to``)."""
        with self._sessions() as s:
            q = select(Message).where(Message.conversation_id == conversation_id, Message.direction == "in",
                                      Message.handled_at.is_(None))
            if up_to is not None:
                q = q.where(Message.id <= up_to)
            return [self._message_view(s, m) for m in s.scalars(q.order_by(Message.id).limit(limit))]

    def pending_conversations(self, owner: str, before: datetime | None = None, limit: int = 100) -> list[str]:
        """Conversations with an unanswered user message nobody else holds, the longest waiting first."""
        now = utcnow()
        with self._sessions() as s:
            q = (select(Message.conversation_id, func.min(Message.id).label("first"))
                 .where(Message.direction == "in", Message.handled_at.is_(None), self._claimable(owner, now)))
            if before is not None:
                q = q.where(Message.created_at < as_utc(before))
            q = q.group_by(Message.conversation_id).order_by("first").limit(limit)
            return [row[0] for row in s.execute(q)]

    def claim(self, message_id: int, owner: str, ttl: timedelta, *, force: bool = False) -> bool:
        """Atomically take an unanswered message for answering: True if it is now ``owner``'s.

        Free, expired or already ``owner``'s claims are taken; ``force`` also takes another's (the
        caller holds the conversation's cross-gateway lock, so that claimant is gone)."""
        with self._sessions.begin() as s:
            return self._claim(s, message_id, owner, ttl, force)

    def _claim(self, s: Session, message_id: int, owner: str, ttl: timedelta, force: bool) -> bool:
        now = utcnow()
        q = update(Message).where(Message.id == message_id, Message.handled_at.is_(None))
        if not force:
            q = q.where(self._claimable(owner, now))
        return s.execute(q.values(claimed_by=owner, claimed_until=now + ttl)).rowcount == 1

    def release(self, message_id: int, owner: str, *, failed_attempt: bool = True) -> None:
        """Give a claimed message back (the bot could not answer it now); it stays pending."""
        with self._sessions.begin() as s:
            values: dict[str, Any] = {"claimed_by": None, "claimed_until": None}
            if failed_attempt:
                values["attempts"] = Message.attempts + 1
            s.execute(update(Message).where(Message.id == message_id, Message.claimed_by == owner).values(**values))

    def count_attempt(self, message_id: int) -> None:
        """The user was told a message waits (it was not tried itself: an older one was)."""
        with self._sessions.begin() as s:
            s.execute(update(Message).where(Message.id == message_id, Message.attempts == 0).values(attempts=1))

    def release_claims_of_others(self, owner: str) -> int:
        """Single-node stores (SQLite): claims left by a previous process of this gateway are void."""
        with self._sessions.begin() as s:
            return s.execute(update(Message).where(Message.handled_at.is_(None), Message.claimed_by.is_not(None),
                                                   Message.claimed_by != owner)
                             .values(claimed_by=None, claimed_until=None)).rowcount

    def finish_turn(self, inbound_id: int, owner: str, drafts: Sequence[Draft], *, ticket_id: int | None = None,
                    failed: bool = False) -> list[MessageView] | None:
        """Store a user message's answers and mark it handled (or failed), in one transaction.

        None (and nothing stored) if the message is no longer ``owner``'s to answer."""
        with self._sessions.begin() as s:
            return self._finish_turn(s, inbound_id, owner, drafts, ticket_id, failed)

    def _finish_turn(self, s: Session, inbound_id: int, owner: str, drafts: Sequence[Draft], ticket_id: int | None,
                     failed: bool, conversation_id: str | None = None) -> list[MessageView] | None:
        now = utcnow()
        values: dict[str, Any] = {"handled_at": now, "claimed_by": None, "claimed_until": None}
        if failed:
            values["failed_at"] = now
        if ticket_id is not None:
            values["ticket_id"] = ticket_id
        done = s.execute(update(Message).where(Message.id == inbound_id, Message.handled_at.is_(None),
                                               Message.claimed_by == owner).values(**values)).rowcount
        if done != 1:
            return None
        if conversation_id is None:
            conversation_id = s.scalar(select(Message.conversation_id).where(Message.id == inbound_id))
        rows = [Message(conversation_id=conversation_id, direction="out", author=d.author, text=d.text,
                        payload=d.payload, ticket_id=d.ticket_id, reply_to=inbound_id) for d in drafts]
        s.add_all(rows)
        s.flush()
        return [self._message_view(s, m) for m in rows]

    def last_message(self, conversation_id: str, direction: str | None = None) -> MessageView | None:
        with self._sessions() as s:
            q = select(Message).where(Message.conversation_id == conversation_id)
            if direction is not None:
                q = q.where(Message.direction == direction)
            m = s.scalars(q.order_by(Message.id.desc()).limit(1)).first()
            return self._message_view(s, m) if m else None

    def mark_delivered(self, message_ids: Sequence[int]) -> None:
        if not message_ids:
            return
        with self._sessions.begin() as s:
            s.execute(update(Message).where(Message.id.in_(list(message_ids))).values(delivered_at=utcnow()))

    def unhandled_inbound(self, before: datetime | None = None) -> list[MessageView]:
        """User messages stored but never answered (the process died): for replay at start.
        ``before``: only messages stored before this time (not those arriving meanwhile)."""
        with self._sessions() as s:
            q = select(Message).where(Message.direction == "in", Message.handled_at.is_(None))
            if before is not None:
                q = q.where(Message.created_at < as_utc(before))
            return [self._message_view(s, m) for m in s.scalars(q.order_by(Message.id))]

    def is_handled(self, message_id: int) -> bool:
        with self._sessions() as s:
            return s.scalar(select(Message.handled_at).where(Message.id == message_id)) is not None

    def set_message_ticket(self, message_id: int, ticket_id: int) -> None:
        with self._sessions.begin() as s:
            s.execute(update(Message).where(Message.id == message_id).values(ticket_id=ticket_id))

    def undelivered_outbound(self, channel: str) -> list[MessageView]:
        with self._sessions() as s:
            rows = s.scalars(select(Message).join(Conversation).where(
                Message.direction == "out", Message.delivered_at.is_(None), Conversation.channel == channel,
            ).order_by(Message.id))
            return [self._message_view(s, m) for m in rows]

    def messages(self, conversation_id: str, after_id: int = 0, limit: int = 500) -> list[MessageView]:
        with self._sessions() as s:
            rows = s.scalars(select(Message).where(Message.conversation_id == conversation_id,
                                                   Message.id > after_id).order_by(Message.id).limit(limit))
            return [self._message_view(s, m) for m in rows]

    def ticket_messages(self, ticket_id: int, author: str | None = None, limit: int = 500) -> list[MessageView]:
        """The messages routed to or said in one ticket (not the whole conversation), oldest first."""
        with self._sessions() as s:
            q = select(Message).where(Message.ticket_id == ticket_id)
            if author is not None:
                q = q.where(Message.author == author)
            return [self._message_view(s, m) for m in s.scalars(q.order_by(Message.id).limit(limit))]

    def last_user_text(self, conversation_id: str) -> str | None:
        with self._sessions() as s:
            return s.scalar(select(Message.text).where(
                Message.conversation_id == conversation_id, Message.direction == "in",
                Message.author == "user", Message.text != "").order_by(Message.id.desc()).limit(1))

    def _message_view(self, s: Session, m: Message) -> MessageView:
        name = None
        if m.officer_id is not None:
            officer = s.get(Officer, m.officer_id)
            name = officer.display_name if officer else None
        return MessageView(m.id, m.conversation_id, m.ticket_id, m.direction, m.author, name, scrub(m.text or ""),
                           scrub(m.payload), aware(m.created_at), m.reply_to, m.attempts or 0)

    def first_delivery(self, event_id: str) -> bool:
        """True the first time an event id is seen (and records it); False for a redelivery."""
        try:
            with self._sessions.begin() as s:
                s.add(ProcessedEvent(event_id=event_id))
            return True
        except IntegrityError:
            return False

    # ------------------------------------------------------------ phone numbers, findable but not kept
    def phone_digest(self, digits: str) -> str:
        """HMAC-SHA256 of a phone number's digits (national form) with this installation's key."""
        key = getattr(self, "_phone_key", None)
        if key is None:
            with self._sessions() as s:
                row = s.get(AppKey, "phone_ref")
            if row is None:
                try:
                    with self._sessions.begin() as s:
                        s.add(AppKey(name="phone_ref", value=secrets.token_hex(32)))
                except IntegrityError:   # another gateway made it first
                    pass
                with self._sessions() as s:
                    row = s.get(AppKey, "phone_ref")
            key = self._phone_key = bytes.fromhex(row.value)
        return hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()

    def add_phone_refs(self, conversation_id: str, numbers: Sequence[str]) -> None:
        """Remember (as keyed hashes) the phone numbers a masked message held."""
        digests = {self.phone_digest(n) for n in numbers}
        if digests:
            with self._sessions.begin() as s:
                s.add_all(PhoneRef(conversation_id=conversation_id, digest=d) for d in sorted(digests))
