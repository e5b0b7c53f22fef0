"""Handoff tickets: their states, the one table of what may change them (``RULES``), the atomic
transitions, and officers' notes on them."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterator, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from sqlalchemy import or_

from .schema import CannedReply, Conversation, Message, Note, Officer, PhoneRef, Ticket, aware, as_utc, utcnow


class TicketState(str, enum.Enum):
    AWAITING_CONTACT = "awaiting_contact"   # out of hours: the bot is asking for a phone/email
    WAITING = "waiting"                     # in the queue, nobody has claimed it
    WITH_OFFICER = "with_officer"           # an officer holds the conversation; the bot is silent
    CALLBACK = "callback"                   # out of hours: an officer will contact the company
    RESOLVED = "resolved"


# While a conversation has a ticket in one of these states, its messages go to the ticket, not Rasa.
ROUTED_STATES = (TicketState.AWAITING_CONTACT, TicketState.WAITING, TicketState.WITH_OFFICER)
OPEN_STATES = (*ROUTED_STATES, TicketState.CALLBACK)
_OPEN_VALUES = [x.value for x in OPEN_STATES]


class TicketAction(str, enum.Enum):
    CLAIM = "claim"                           # an officer takes a ticket from the queue or the callbacks
    TAKE_OVER = "take_over"                   # an officer takes a ticket another officer holds
    REPLY = "reply"                           # the holder writes to the user (no change of state)
    REGISTER_CALLBACK = "register_callback"   # out of hours: contact given, declined or not understood
    RESOLVE = "resolve"                       # an officer closes the ticket; the bot answers again
    TRANSFER = "transfer"                     # the holder hands the ticket to another officer (with a note)


# How a ticket ended (stored when an officer resolves it; "withdrawn": the user cancelled the callback).
OUTCOMES = ("answered", "called_reached", "called_no_answer", "rescheduled", "spam", "withdrawn")


@dataclass(frozen=True)
class Rule:
    from_states: frozenset[TicketState]
    to: TicketState | None          # None: the state stays
    holder_only: bool               # only the officer holding the ticket (if anyone holds it)


# The ticket state machine, in one place: which action may happen in which state, and where it leads.
# A ticket is born WAITING (in office hours) or AWAITING_CONTACT (outside them).
RULES: dict[TicketAction, Rule] = {
    TicketAction.CLAIM: Rule(frozenset({TicketState.WAITING, TicketState.CALLBACK, TicketState.AWAITING_CONTACT}),
                             TicketState.WITH_OFFICER, holder_only=False),
    TicketAction.TAKE_OVER: Rule(frozenset({TicketState.WITH_OFFICER}), TicketState.WITH_OFFICER, holder_only=False),
    TicketAction.REPLY: Rule(frozenset({TicketState.WITH_OFFICER}), None, holder_only=True),
    TicketAction.REGISTER_CALLBACK: Rule(frozenset({TicketState.AWAITING_CONTACT}), TicketState.CALLBACK,
                                         holder_only=False),
    TicketAction.TRANSFER: Rule(frozenset({TicketState.WITH_OFFICER}), TicketState.WITH_OFFICER, holder_only=True),
    TicketAction.RESOLVE: Rule(frozenset({TicketState.WITH_OFFICER, TicketState.WAITING, TicketState.CALLBACK,
                                          TicketState.AWAITING_CONTACT}), TicketState.RESOLVED, holder_only=True),
}


class Refusal(str, enum.Enum):
    """Why an action was refused (the console words each one for the officer)."""
    RESOLVED = "resolved"         # the ticket is closed
    HELD = "held"                 # another officer holds it
    NOT_CLAIMED = "not_claimed"   # a reply before the officer claimed it
    STATE = "state"               # its state does not allow the action
    CHANGED = "changed"           # someone changed it meanwhile


def refusal(action: TicketAction, state: TicketState, holder: int | None, officer: int | None) -> Refusal | None:
    """None when ``officer`` (None: the system) may do ``action`` on a ticket in ``state`` held by
    ``holder``; else why not."""
    rule = RULES[action]
    held_by_other = holder is not None and officer is not None and holder != officer
    if state in rule.from_states and not (rule.holder_only and held_by_other):
        return None
    if state is TicketState.RESOLVED:
        return Refusal.RESOLVED
    if state is TicketState.WITH_OFFICER and held_by_other:
        return Refusal.HELD
    if action is TicketAction.REPLY:
        return Refusal.NOT_CLAIMED
    return Refusal.STATE


def iter_states(values: str | None) -> Iterator[TicketState]:
    for v in (values or "").split(","):
        if v.strip():
            yield TicketState(v.strip())


@dataclass(frozen=True)
class TicketView:
    id: int
    conversation_id: str
    channel: str
    state: TicketState
    reason: str
    summary: dict[str, Any]
    contact: str | None
    contact_attempts: int
    display_name: str | None
    officer_id: int | None
    officer_name: str | None
    callback_after: datetime | None
    created_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None
    spam: bool = False
    outcome: str | None = None

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        now = now or utcnow()
        return {"id": self.id, "conversation_id": self.conversation_id, "channel": self.channel,
                "state": self.state.value, "reason": self.reason, "summary": self.summary,
                "contact": self.contact, "display_name": self.display_name,
                "officer_id": self.officer_id, "officer": self.officer_name,
                "callback_after": self.callback_after.isoformat() if self.callback_after else None,
                "created_at": self.created_at.isoformat(),
                "claimed_at": self.claimed_at.isoformat() if self.claimed_at else None,
                "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None, "spam": self.spam,
                "outcome": self.outcome,
                "waiting_seconds": int(((self.claimed_at or now) - self.created_at).total_seconds())}


@dataclass(frozen=True)
class NoteView:
    id: int
    ticket_id: int
    officer_name: str
    text: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "officer": self.officer_name, "text": self.text,
                "created_at": self.created_at.isoformat()}


class TicketConflict(Exception):
    """The ticket is not in a state that allows this change (or another officer holds it)."""

    def __init__(self, why: Refusal, ticket: TicketView | None = None):
        super().__init__(f"ticket {ticket.id if ticket else '?'}: {why.value}")
        self.why = why
        self.ticket = ticket


class NotFound(Exception):
    pass


class TicketStore:
    """The tickets and notes half of ``Store``."""
    _sessions: sessionmaker[Session]

    def open_ticket(self, conversation_id: str) -> TicketView | None:
        """The conversation's ticket that is not resolved yet (newest), if any."""
        with self._sessions() as s:
            return self._open_ticket(s, conversation_id)

    def _open_ticket(self, s: Session, conversation_id: str) -> TicketView | None:
        t = s.scalars(select(Ticket).where(Ticket.conversation_id == conversation_id,
                                           Ticket.state.in_(_OPEN_VALUES))
                      .order_by(Ticket.id.desc()).limit(1)).first()
        return self._ticket_view(s, t) if t else None

    def create_ticket(self, conversation_id: str, channel: str, state: TicketState, reason: str,
                      summary: dict[str, Any], callback_after: datetime | None = None) -> TicketView:
        with self._sessions.begin() as s:
            t = Ticket(conversation_id=conversation_id, channel=channel, state=state.value, reason=reason,
                       summary=summary, callback_after=as_utc(callback_after))
            s.add(t)
            s.flush()
            return self._ticket_view(s, t)

    def ticket(self, ticket_id: int) -> TicketView:
        with self._sessions() as s:
            t = s.get(Ticket, ticket_id)
            if t is None:
                raise NotFound(f"ticket {ticket_id}")
            return self._ticket_view(s, t)

    def tickets(self, states: Sequence[TicketState], limit: int = 200, *, newest_first: bool = False,
                offset: int = 0, channel: str | None = None, reason: str | None = None,
                spam: bool | None = None) -> list[TicketView]:
        """Tickets in ``states``, oldest first (or newest first), one page: ``limit`` from ``offset``;
        optionally only one channel, one reason, spam or not."""
        with self._sessions() as s:
            query = self._ticket_filter(select(Ticket), states, channel, reason, spam)
            order = (Ticket.created_at.desc(), Ticket.id.desc()) if newest_first else (Ticket.created_at, Ticket.id)
            rows = s.scalars(query.order_by(*order).offset(offset).limit(limit))
            return [self._ticket_view(s, t) for t in rows]

    def count_tickets(self, states: Sequence[TicketState], *, channel: str | None = None,
                      reason: str | None = None, spam: bool | None = None) -> int:
        with self._sessions() as s:
            query = self._ticket_filter(select(func.count()).select_from(Ticket), states, channel, reason, spam)
            return int(s.scalar(query) or 0)

    @staticmethod
    def _ticket_filter(query: Any, states: Sequence[TicketState], channel: str | None, reason: str | None,
                       spam: bool | None) -> Any:
        query = query.where(Ticket.state.in_([x.value for x in states]))
        if channel:
            query = query.where(Ticket.channel == channel)
        if reason:
            query = query.where(Ticket.reason == reason)
        if spam is not None:
            query = query.where(Ticket.spam.is_(spam))
        return query

    def open_tickets_from(self, origin: str) -> int:
        """Open tickets of conversations from one origin (the per-address cap)."""
        with self._sessions() as s:
            return int(s.scalar(select(func.count()).select_from(Ticket)
                                .join(Conversation, Conversation.id == Ticket.conversation_id)
                                .where(Conversation.origin == origin,
                                       Ticket.state.in_([x.value for x in OPEN_STATES]))) or 0)

    def queue_position(self, ticket_id: int) -> int:
        """1-based position among waiting tickets."""
        with self._sessions() as s:
            return int(s.scalar(select(func.count()).select_from(Ticket).where(
                Ticket.state == TicketState.WAITING.value, Ticket.id <= ticket_id)) or 0)

    def queue_stats(self) -> tuple[dict[str, int], datetime | None]:
        """(open tickets by state, creation time of the oldest waiting one) — for /metrics."""
        with self._sessions() as s:
            counts = {str(state): int(n) for state, n in s.execute(
                select(Ticket.state, func.count()).where(Ticket.state.in_([x.value for x in OPEN_STATES]))
                .group_by(Ticket.state)).all()}
            oldest = s.scalar(select(func.min(Ticket.created_at)).where(Ticket.state == TicketState.WAITING.value))
        return counts, aware(oldest) if oldest is not None else None

    def median_wait(self, last: int = 20) -> timedelta | None:
        """Median wait (created → claimed) over the last claimed tickets, None without history."""
        with self._sessions() as s:
            rows = s.execute(select(Ticket.created_at, Ticket.claimed_at).where(Ticket.claimed_at.is_not(None))
                             .order_by(Ticket.claimed_at.desc()).limit(last)).all()
        waits = sorted((aware(c) - aware(a)) for a, c in rows)
        return waits[len(waits) // 2] if waits else None

    def transition(self, ticket_id: int, action: TicketAction, *, by: int | None = None,
                   **fields: Any) -> TicketView:
        """Apply ``action`` (``RULES``) atomically: row lock on PostgreSQL, compare-and-set everywhere.

        ``by``: the officer acting (checked against the holder where the rule says so, and recorded
        as the ticket's officer); None for the system. ``fields``: other columns to set."""
        rule = RULES[action]
        if rule.to is None:
            raise ValueError(f"{action.value} changes no state")
        with self._sessions.begin() as s:
            t = s.scalars(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).first()
            if t is None:
                raise NotFound(f"ticket {ticket_id}")
            why = refusal(action, TicketState(t.state), t.officer_id, by)
            if why is not None:
                raise TicketConflict(why, self._ticket_view(s, t))
            now = utcnow()
            values: dict[str, Any] = {"state": rule.to.value, "updated_at": now,
                                      **{k: as_utc(v) for k, v in fields.items()}}
            if by is not None and "officer_id" not in fields:
                values["officer_id"] = by
            if rule.to is TicketState.WITH_OFFICER and t.claimed_at is None:
                values["claimed_at"] = now
            if rule.to is TicketState.RESOLVED:
                values["resolved_at"] = now
            result = s.execute(update(Ticket).where(Ticket.id == ticket_id, Ticket.state == t.state,
                                                    Ticket.updated_at == t.updated_at).values(**values))
            if result.rowcount != 1:
                raise TicketConflict(Refusal.CHANGED)
            s.flush()
            s.refresh(t)
            return self._ticket_view(s, t)

    def update_ticket(self, ticket_id: int, **fields: Any) -> TicketView:
        with self._sessions.begin() as s:
            t = s.get(Ticket, ticket_id)
            if t is None:
                raise NotFound(f"ticket {ticket_id}")
            for k, v in fields.items():
                setattr(t, k, as_utc(v))
            t.updated_at = utcnow()
            s.flush()
            return self._ticket_view(s, t)

    def _ticket_view(self, s: Session, t: Ticket) -> TicketView:
        name = None
        if t.officer_id is not None:
            officer = s.get(Officer, t.officer_id)
            name = officer.display_name if officer else None
        conv = s.get(Conversation, t.conversation_id)
        return TicketView(t.id, t.conversation_id, t.channel, TicketState(t.state), t.reason, dict(t.summary or {}),
                          t.contact, t.contact_attempts, conv.display_name if conv else None, t.officer_id, name, aware(t.callback_after),
                          aware(t.created_at), aware(t.claimed_at), aware(t.resolved_at), bool(t.spam), t.outcome)

    def add_note(self, ticket_id: int, officer_id: int, text: str) -> NoteView:
        with self._sessions.begin() as s:
            if s.get(Ticket, ticket_id) is None:
                raise NotFound(f"ticket {ticket_id}")
            n = Note(ticket_id=ticket_id, officer_id=officer_id, text=text)
            s.add(n)
            s.flush()
            officer = s.get(Officer, officer_id)
            return NoteView(n.id, ticket_id, officer.display_name if officer else "?", n.text, aware(n.created_at))

    def notes(self, ticket_id: int) -> list[NoteView]:
        with self._sessions() as s:
            rows = s.execute(select(Note, Officer.display_name).join(Officer, Officer.id == Note.officer_id)
                             .where(Note.ticket_id == ticket_id).order_by(Note.id)).all()
            return [NoteView(n.id, n.ticket_id, name, n.text, aware(n.created_at)) for n, name in rows]


@dataclass(frozen=True)
class CannedReplyView:
    id: int
    title: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "text": self.text}


@dataclass(frozen=True)
class SearchQuery:
    """Past tickets by words of their conversation (or summary/contact), a phone number, a date
    range (created, Taipei days given as UTC bounds) and an outcome; all optional, combined with AND."""
    text: str = ""
    phone_digits: str = ""
    since: datetime | None = None
    until: datetime | None = None
    outcome: str | None = None
    limit: int = 50


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class CannedStore:
    """The shared canned replies, and searching past tickets."""
    _sessions: sessionmaker[Session]

    def canned_replies(self) -> list[CannedReplyView]:
        with self._sessions() as s:
            return [CannedReplyView(c.id, c.title, c.text)
                    for c in s.scalars(select(CannedReply).order_by(CannedReply.title, CannedReply.id))]

    def add_canned_reply(self, title: str, text: str, officer_id: int | None) -> CannedReplyView:
        with self._sessions.begin() as s:
            c = CannedReply(title=title, text=text, created_by=officer_id)
            s.add(c)
            s.flush()
            return CannedReplyView(c.id, c.title, c.text)

    def delete_canned_reply(self, reply_id: int) -> bool:
        with self._sessions.begin() as s:
            c = s.get(CannedReply, reply_id)
            if c is None:
                return False
            s.delete(c)
            return True

    def search_tickets(self, q: SearchQuery) -> list[int]:
        """Ids of matching tickets, newest first. Text: ILIKE on PostgreSQL (a trigram index serves it
        when the pg_trgm extension is there), LIKE on SQLite; a phone number matches its digits in the
        contact or in any message, whatever the separators, or a number typed in the chat (stored masked)
        by its keyed hash."""
        with self._sessions() as s:
            stmt = select(Ticket.id)
            pg = s.get_bind().dialect.name == "postgresql"
            if q.text:
                pattern = f"%{_like_escape(q.text)}%"
                like = (lambda col: col.ilike(pattern, escape="\\")) if pg else \
                    (lambda col: col.like(pattern, escape="\\"))
                in_messages = select(Message.id).where(Message.conversation_id == Ticket.conversation_id,
                                                       like(Message.text)).exists()
                conditions = [in_messages, like(Ticket.contact)]
                digits = "".join(ch for ch in q.text if ch.isdigit())
                if q.text.lstrip("#").isdigit():
                    conditions.append(Ticket.id == int(q.text.lstrip("#")))
                elif digits and len(digits) >= 6:
                    conditions.append(func.replace(Ticket.contact, "-", "").like(f"%{digits}%"))
                stmt = stmt.where(or_(*conditions))
            if q.phone_digits:
                digits = "".join(ch for ch in q.phone_digits if ch.isdigit())
                if digits:
                    stripped = func.replace(func.replace(func.replace(Message.text, "-", ""), " ", ""), "#", "")
                    in_messages = select(Message.id).where(Message.conversation_id == Ticket.conversation_id,
                                                           stripped.like(f"%{digits}%")).exists()
                    national = "0" + digits[3:] if digits.startswith("886") else digits
                    # typed in the chat, the number is stored masked: its keyed hash finds it (phone_refs)
                    by_ref = select(PhoneRef.id).where(PhoneRef.conversation_id == Ticket.conversation_id,
                                                       PhoneRef.digest == self.phone_digest(national)).exists()
                    stmt = stmt.where(or_(func.replace(Ticket.contact, "-", "").like(f"%{digits}%"), in_messages,
                                          by_ref))
            if q.since is not None:
                stmt = stmt.where(Ticket.created_at >= as_utc(q.since))
            if q.until is not None:
                stmt = stmt.where(Ticket.created_at < as_utc(q.until))
            if q.outcome:
                stmt = stmt.where(Ticket.outcome == q.outcome)
            return list(s.scalars(stmt.order_by(Ticket.id.desc()).limit(q.limit)))
