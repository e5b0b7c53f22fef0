"""The handoff store: conversations, every message in both directions, tickets, officers, sessions.

SQLAlchemy 2.0, synchronous. The same code runs on the embedded default (an SQLite file) and on
PostgreSQL (``HANDOFF_DATABASE_URL=postgresql+psycopg2://...``). ``Store.migrate()`` creates the
schema and applies migrations recorded in ``schema_version``; the app calls it at start.

Every write commits before the method returns, so a caller that acknowledges after calling the
store never acknowledges something that a restart could lose.
"""
from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Sequence

from sqlalchemy import (JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, create_engine, delete, event,
                        func, inspect, select, text, update)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

SCHEMA_VERSION = 2


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they are stored as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _utc(value: Any) -> Any:
    """Datetimes are stored in UTC (SQLite keeps no offset, so a Taipei time would shift)."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return value


class TicketState(str, enum.Enum):
    AWAITING_CONTACT = "awaiting_contact"   # out of hours: the bot is asking for a phone/email
    WAITING = "waiting"                     # in the queue, nobody has claimed it
    WITH_OFFICER = "with_officer"           # an officer holds the conversation; the bot is silent
    CALLBACK = "callback"                   # out of hours: an officer will contact the company
    RESOLVED = "resolved"


# While a conversation has a ticket in one of these states, its messages go to the ticket, not Rasa.
ROUTED_STATES = (TicketState.AWAITING_CONTACT, TicketState.WAITING, TicketState.WITH_OFFICER)
OPEN_STATES = (*ROUTED_STATES, TicketState.CALLBACK)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class SchemaVersion(Base):
    __tablename__ = "schema_version"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(String(120), primary_key=True)        # e.g. "line:U…", "web:…"
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))                 # LINE user id, widget session id
    display_name: Mapped[str | None] = mapped_column(String(100), nullable=True)  # LINE profile name (v2)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True, nullable=True)
    direction: Mapped[str] = mapped_column(String(3))                      # "in" | "out"
    author: Mapped[str] = mapped_column(String(10))                        # user | bot | officer | system
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # buttons, custom
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(nullable=True)     # inbound: routed/answered
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)   # outbound: pushed
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)


class Ticket(Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    contact: Mapped[str | None] = mapped_column(String(120), nullable=True)
    contact_attempts: Mapped[int] = mapped_column(Integer, default=0)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), nullable=True)
    callback_after: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Officer(Base):
    __tablename__ = "officers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OfficerSession(Base):
    __tablename__ = "officer_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class ProcessedEvent(Base):
    """Webhook events already accepted (LINE redelivers with the same webhookEventId)."""
    __tablename__ = "processed_events"
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- plain views handed to callers
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

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "direction": self.direction, "author": self.author,
                "officer": self.officer_name, "text": self.text, "payload": self.payload,
                "created_at": self.created_at.isoformat()}


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

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        now = now or utcnow()
        return {"id": self.id, "conversation_id": self.conversation_id, "channel": self.channel,
                "state": self.state.value, "reason": self.reason, "summary": self.summary,
                "contact": self.contact, "display_name": self.display_name,
                "officer_id": self.officer_id, "officer": self.officer_name,
                "callback_after": self.callback_after.isoformat() if self.callback_after else None,
                "created_at": self.created_at.isoformat(),
                "claimed_at": self.claimed_at.isoformat() if self.claimed_at else None,
                "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
                "waiting_seconds": int(((self.claimed_at or now) - self.created_at).total_seconds())}


@dataclass(frozen=True)
class OfficerView:
    id: int
    username: str
    display_name: str


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

    def __init__(self, message: str, ticket: TicketView | None = None):
        super().__init__(message)
        self.ticket = ticket


class NotFound(Exception):
    pass


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ---------------------------------------------------------------- the store
class Store:
    def __init__(self, url: str, *, echo: bool = False, connect_args: dict[str, Any] | None = None):
        self.url = url
        args = dict(connect_args or {})
        if url.startswith("sqlite"):
            args.setdefault("check_same_thread", False)
            args.setdefault("timeout", 15)
        self.engine = create_engine(url, echo=echo, connect_args=args, pool_pre_ping=True,
                                    future=True)
        if url.startswith("sqlite"):
            @event.listens_for(self.engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record):  # durability and concurrent readers
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, future=True)

    # -- schema
    def migrate(self) -> int:
        """Create missing tables, apply the migrations a database has not had yet, record the
        schema version. Safe to call at every start (and from several processes: each step is
        idempotent)."""
        Base.metadata.create_all(self.engine)
        with self._sessions.begin() as s:
            current = s.scalar(select(func.max(SchemaVersion.version))) or 0
        for version in range(current + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version](self.engine)
            with self._sessions.begin() as s:
                if s.get(SchemaVersion, version) is None:
                    s.add(SchemaVersion(version=version))
        return SCHEMA_VERSION

    def dispose(self) -> None:
        self.engine.dispose()

    # -- conversations and messages
    def touch_conversation(self, conversation_id: str, channel: str, external_id: str) -> None:
        with self._sessions.begin() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                s.add(Conversation(id=conversation_id, channel=channel, external_id=external_id))
            else:
                conv.last_seen_at = utcnow()

    def set_display_name(self, conversation_id: str, name: str) -> None:
        with self._sessions.begin() as s:
            s.execute(update(Conversation).where(Conversation.id == conversation_id)
                      .values(display_name=name.strip()[:100] or None))

    def display_name(self, conversation_id: str) -> str | None:
        with self._sessions() as s:
            return s.scalar(select(Conversation.display_name).where(Conversation.id == conversation_id))

    def conversation(self, conversation_id: str) -> tuple[str, str] | None:
        """(channel, external_id) of a conversation, or None."""
        with self._sessions() as s:
            conv = s.get(Conversation, conversation_id)
            return (conv.channel, conv.external_id) if conv else None

    def add_message(self, conversation_id: str, direction: str, author: str, text: str = "", *,
                    payload: dict[str, Any] | None = None, ticket_id: int | None = None,
                    officer_id: int | None = None, handled: bool = False,
                    external_id: str | None = None) -> MessageView:
        with self._sessions.begin() as s:
            m = Message(conversation_id=conversation_id, direction=direction, author=author, text=text,
                        payload=payload, ticket_id=ticket_id, officer_id=officer_id,
                        handled_at=utcnow() if handled else None, external_id=external_id)
            s.add(m)
            s.flush()
            return self._message_view(s, m)

    def mark_handled(self, message_id: int) -> None:
        with self._sessions.begin() as s:
            s.execute(update(Message).where(Message.id == message_id).values(handled_at=utcnow()))

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
                q = q.where(Message.created_at < _utc(before))
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
        return MessageView(m.id, m.conversation_id, m.ticket_id, m.direction, m.author, name, m.text,
                           m.payload, _aware(m.created_at))

    # -- webhook redelivery
    def first_delivery(self, event_id: str) -> bool:
        """True the first time an event id is seen (and records it); False for a redelivery."""
        try:
            with self._sessions.begin() as s:
                s.add(ProcessedEvent(event_id=event_id))
            return True
        except IntegrityError:
            return False

    # -- tickets
    def open_ticket(self, conversation_id: str) -> TicketView | None:
        """The conversation's ticket that is not resolved yet (newest), if any."""
        with self._sessions() as s:
            t = s.scalars(select(Ticket).where(Ticket.conversation_id == conversation_id,
                                               Ticket.state.in_([x.value for x in OPEN_STATES]))
                          .order_by(Ticket.id.desc()).limit(1)).first()
            return self._ticket_view(s, t) if t else None

    def create_ticket(self, conversation_id: str, channel: str, state: TicketState, reason: str,
                      summary: dict[str, Any], callback_after: datetime | None = None) -> TicketView:
        with self._sessions.begin() as s:
            t = Ticket(conversation_id=conversation_id, channel=channel, state=state.value, reason=reason,
                       summary=summary, callback_after=_utc(callback_after))
            s.add(t)
            s.flush()
            return self._ticket_view(s, t)

    def ticket(self, ticket_id: int) -> TicketView:
        with self._sessions() as s:
            t = s.get(Ticket, ticket_id)
            if t is None:
                raise NotFound(f"ticket {ticket_id}")
            return self._ticket_view(s, t)

    def tickets(self, states: Sequence[TicketState], limit: int = 200) -> list[TicketView]:
        with self._sessions() as s:
            rows = s.scalars(select(Ticket).where(Ticket.state.in_([x.value for x in states]))
                             .order_by(Ticket.created_at, Ticket.id).limit(limit))
            return [self._ticket_view(s, t) for t in rows]

    def queue_position(self, ticket_id: int) -> int:
        """1-based position among waiting tickets."""
        with self._sessions() as s:
            return int(s.scalar(select(func.count()).select_from(Ticket).where(
                Ticket.state == TicketState.WAITING.value, Ticket.id <= ticket_id)) or 0)

    def median_wait(self, last: int = 20) -> timedelta | None:
        """Median wait (created → claimed) over the last claimed tickets, None without history."""
        with self._sessions() as s:
            rows = s.execute(select(Ticket.created_at, Ticket.claimed_at).where(Ticket.claimed_at.is_not(None))
                             .order_by(Ticket.claimed_at.desc()).limit(last)).all()
        waits = sorted((_aware(c) - _aware(a)) for a, c in rows)
        return waits[len(waits) // 2] if waits else None

    def transition(self, ticket_id: int, allowed_from: Sequence[TicketState], to: TicketState, *,
                   officer_id: int | None = None, require_officer: int | None = None,
                   **fields: Any) -> TicketView:
        """Change a ticket's state atomically (row lock on PostgreSQL, compare-and-set everywhere).

        ``require_officer``: the ticket must be held by this officer (or by nobody)."""
        with self._sessions.begin() as s:
            t = s.scalars(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).first()
            if t is None:
                raise NotFound(f"ticket {ticket_id}")
            if TicketState(t.state) not in allowed_from:
                raise TicketConflict(f"ticket {ticket_id} is {t.state}", self._ticket_view(s, t))
            if require_officer is not None and t.officer_id not in (None, require_officer):
                raise TicketConflict(f"ticket {ticket_id} is held by another officer", self._ticket_view(s, t))
            now = utcnow()
            values: dict[str, Any] = {"state": to.value, "updated_at": now,
                                      **{k: _utc(v) for k, v in fields.items()}}
            if officer_id is not None:
                values["officer_id"] = officer_id
            if to is TicketState.WITH_OFFICER and t.claimed_at is None:
                values["claimed_at"] = now
            if to is TicketState.RESOLVED:
                values["resolved_at"] = now
            result = s.execute(update(Ticket).where(Ticket.id == ticket_id, Ticket.state == t.state,
                                                    Ticket.updated_at == t.updated_at).values(**values))
            if result.rowcount != 1:
                raise TicketConflict(f"ticket {ticket_id} changed meanwhile")
            s.flush()
            s.refresh(t)
            return self._ticket_view(s, t)

    def update_ticket(self, ticket_id: int, **fields: Any) -> TicketView:
        with self._sessions.begin() as s:
            t = s.get(Ticket, ticket_id)
            if t is None:
                raise NotFound(f"ticket {ticket_id}")
            for k, v in fields.items():
                setattr(t, k, _utc(v))
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
                          t.contact, t.contact_attempts, conv.display_name if conv else None, t.officer_id, name, _aware(t.callback_after),
                          _aware(t.created_at), _aware(t.claimed_at), _aware(t.resolved_at))

    # -- notes
    def add_note(self, ticket_id: int, officer_id: int, text: str) -> NoteView:
        with self._sessions.begin() as s:
            if s.get(Ticket, ticket_id) is None:
                raise NotFound(f"ticket {ticket_id}")
            n = Note(ticket_id=ticket_id, officer_id=officer_id, text=text)
            s.add(n)
            s.flush()
            officer = s.get(Officer, officer_id)
            return NoteView(n.id, ticket_id, officer.display_name if officer else "?", n.text, _aware(n.created_at))

    def notes(self, ticket_id: int) -> list[NoteView]:
        with self._sessions() as s:
            rows = s.execute(select(Note, Officer.display_name).join(Officer, Officer.id == Note.officer_id)
                             .where(Note.ticket_id == ticket_id).order_by(Note.id)).all()
            return [NoteView(n.id, n.ticket_id, name, n.text, _aware(n.created_at)) for n, name in rows]

    # -- officers and their sessions
    def create_officer(self, username: str, display_name: str, password_hash: str) -> OfficerView:
        with self._sessions.begin() as s:
            o = Officer(username=username, display_name=display_name, password_hash=password_hash)
            s.add(o)
            s.flush()
            return OfficerView(o.id, o.username, o.display_name)

    def set_officer_password(self, username: str, password_hash: str) -> bool:
        """New password; every open login of that officer ends."""
        with self._sessions.begin() as s:
            res = s.execute(update(Officer).where(Officer.username == username).values(password_hash=password_hash))
            if res.rowcount != 1:
                return False
            officer_id = s.scalar(select(Officer.id).where(Officer.username == username))
            s.execute(delete(OfficerSession).where(OfficerSession.officer_id == officer_id))
            return True

    def officer_credentials(self, username: str) -> tuple[OfficerView, str] | None:
        with self._sessions() as s:
            o = s.scalars(select(Officer).where(Officer.username == username, Officer.active.is_(True))).first()
            return (OfficerView(o.id, o.username, o.display_name), o.password_hash) if o else None

    def officers(self) -> list[OfficerView]:
        with self._sessions() as s:
            return [OfficerView(o.id, o.username, o.display_name)
                    for o in s.scalars(select(Officer).order_by(Officer.id))]

    def create_session(self, officer_id: int, ttl: timedelta) -> tuple[str, str]:
        """A new login session: (session token for the cookie, CSRF token). Only a hash is stored."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._sessions.begin() as s:
            s.add(OfficerSession(token_hash=_hash_token(token), officer_id=officer_id, csrf_token=csrf,
                                 expires_at=utcnow() + ttl))
        return token, csrf

    def session_officer(self, token: str) -> tuple[OfficerView, str] | None:
        """(officer, csrf token) for a live session token, else None."""
        if not token:
            return None
        with self._sessions() as s:
            row = s.execute(select(OfficerSession, Officer).join(Officer, Officer.id == OfficerSession.officer_id)
                            .where(OfficerSession.token_hash == _hash_token(token))).first()
            if row is None:
                return None
            sess, o = row
            if _aware(sess.expires_at) <= utcnow() or not o.active:
                return None
            return OfficerView(o.id, o.username, o.display_name), sess.csrf_token

    def delete_session(self, token: str) -> None:
        with self._sessions.begin() as s:
            sess = s.get(OfficerSession, _hash_token(token))
            if sess is not None:
                s.delete(sess)


def _add_column(engine: Any, table: str, column: str, ddl_type: str) -> None:
    if column not in {c["name"] for c in inspect(engine).get_columns(table)}:
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl_type}"))


# version → a step bringing a database of the previous version up to it. A new database gets the
# current tables from create_all, so each step must also be harmless when its change is there.
MIGRATIONS: dict[int, Any] = {
    1: lambda engine: None,  # the initial schema
    2: lambda engine: _add_column(engine, "conversations", "display_name", "VARCHAR(100)"),
}


def iter_states(values: str | None) -> Iterator[TicketState]:
    for v in (values or "").split(","):
        if v.strip():
            yield TicketState(v.strip())
