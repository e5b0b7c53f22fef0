"""The handoff database: its tables and the migrations that bring an older database up to date.

SQLAlchemy 2.0, synchronous. The same code runs on the embedded default (an SQLite file) and on
PostgreSQL (``HANDOFF_DATABASE_URL=postgresql+psycopg2://...``). ``migrate()`` creates the schema and
applies migrations recorded in ``schema_version``; the app calls it (``Store.migrate``) at start, and
``python -m channels.migrate`` runs it alone (a deployment's migration step). Several gateways may
start at once on one empty database: on PostgreSQL an advisory lock serialises ``migrate``; on SQLite
a concurrent creator's "already exists" is caught and the state read again.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

import logging
import time

from sqlalchemy import (JSON, Boolean, DateTime, Engine, ForeignKey, Index, Integer, String, Text, func, inspect,
                        false, select, text)
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

SCHEMA_VERSION = 6
MIGRATE_LOCK_KEY = 7_412_300_112  # PostgreSQL advisory lock held while migrating

logger = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they are stored as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def as_utc(value: Any) -> Any:
    """Datetimes are stored in UTC (SQLite keeps no offset, so a Taipei time would shift)."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return value


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
    # widget: a hash of the client address (never the address itself), for the open-ticket cap (v4)
    origin: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
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
    # v3, at-least-once answering: who is answering an inbound message (and until when the claim
    # holds), failed attempts, a message given up on (marked failed: answered with an apology), and
    # for an outbound message the inbound one it answers
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reply_to: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index("ix_messages_pending", "direction", "handled_at"),)


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
    spam: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())   # marked as spam (v4)
    # how it ended (channels/core/store/tickets.py OUTCOMES); None while open or for old tickets
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PhoneRef(Base):
    """A keyed hash (HMAC-SHA256, key in ``app_keys``) of a phone number a user's message held: the
    message is stored masked (PDPA), and officers can still find the conversation by that number (v5)."""
    __tablename__ = "phone_refs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppKey(Base):
    """Random keys this installation made for itself (shared by every gateway on the database)."""
    __tablename__ = "app_keys"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class CannedReply(Base):
    """A reply text officers share (managed in the console)."""
    __tablename__ = "canned_replies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Officer(Base):
    __tablename__ = "officers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # v6: sees the supervisor dashboard and reviews knowledge drafts
    supervisor: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


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


def _add_column(engine: Engine, table: str, column: str, ddl_type: str) -> None:
    if column not in {c["name"] for c in inspect(engine).get_columns(table)}:
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl_type}"))


# version → a step bringing a database of the previous version up to it. A new database gets the
# current tables from create_all, so each step must also be harmless when its change is there.
MIGRATIONS: dict[int, Callable[[Engine], None]] = {
    1: lambda engine: None,  # the initial schema
    2: lambda engine: _add_column(engine, "conversations", "display_name", "VARCHAR(100)"),
    3: lambda engine: _v3(engine),
    4: lambda engine: _v4(engine),
    5: lambda engine: _v5(engine),
    6: lambda engine: _v6(engine),
}


def _v5(engine: Engine) -> None:
    """The ticket's outcome, phone_refs and app_keys (canned_replies is new: create_all makes it). On PostgreSQL with the pg_trgm
    extension installed (by the database's owner: ``CREATE EXTENSION pg_trgm``), a trigram index lets the
    console's search (ILIKE '%…%') on message text use an index; without it the search still works."""
    _add_column(engine, "tickets", "outcome", "VARCHAR(30)")
    Base.metadata.create_all(engine, tables=[PhoneRef.__table__, AppKey.__table__])   # if missing
    if engine.dialect.name != "postgresql":
        return
    try:
        with engine.begin() as conn:
            schema = conn.execute(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                                       "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")).scalar()
            if schema is None:
                logger.info("pg_trgm is not installed: the console search runs without a trigram index")
                return
            conn.execute(text(f'CREATE INDEX IF NOT EXISTS ix_messages_text_trgm ON messages '
                              f'USING gin (text "{schema}".gin_trgm_ops)'))
    except (OperationalError, ProgrammingError) as exc:   # e.g. no privilege: the search works without it
        logger.warning("no trigram index for the console search: %s", exc.__class__.__name__)


def _v6(engine: Engine) -> None:
    """Analytics (issue 16): the officers' supervisor flag, and the indexes the dashboard reads by;
    its new tables (answer events, feedback, ticket outcomes, knowledge drafts) come from create_all."""
    false = "FALSE" if engine.dialect.name == "postgresql" else "0"
    _add_column(engine, "officers", "supervisor", f"BOOLEAN NOT NULL DEFAULT {false}")
    with engine.begin() as conn:
        for ddl in ANALYTICS_INDEXES:
            conn.execute(text(ddl))


def _v3(engine: Engine) -> None:
    timestamp = "TIMESTAMP WITH TIME ZONE" if engine.dialect.name == "postgresql" else "DATETIME"
    _add_column(engine, "messages", "claimed_by", "VARCHAR(80)")
    _add_column(engine, "messages", "claimed_until", timestamp)
    _add_column(engine, "messages", "attempts", "INTEGER NOT NULL DEFAULT 0")
    _add_column(engine, "messages", "failed_at", timestamp)
    _add_column(engine, "messages", "reply_to", "INTEGER")
    with engine.begin() as conn:
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_messages_pending ON messages (direction, handled_at)"))


def _v4(engine: Engine) -> None:
    _add_column(engine, "conversations", "origin", "VARCHAR(64)")
    _add_column(engine, "tickets", "spam", "BOOLEAN NOT NULL DEFAULT FALSE")
    with engine.begin() as conn:
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_conversations_origin ON conversations (origin)"))


# on tables older than v6 (created before this version, so not by create_all's Index objects)
ANALYTICS_INDEXES = (
    # covering: the dashboard's scans of a period read the index only
    "CREATE INDEX IF NOT EXISTS ix_messages_created ON messages (created_at, direction, conversation_id)",
    "CREATE INDEX IF NOT EXISTS ix_messages_officer ON messages (ticket_id, created_at) WHERE author = 'officer'",
    "CREATE INDEX IF NOT EXISTS ix_tickets_created ON tickets (created_at)",
    "CREATE INDEX IF NOT EXISTS ix_conversations_created ON conversations (created_at)",
)


def migrate(engine: Engine, sessions: sessionmaker[Session]) -> int:
    """Create missing tables, apply the migrations a database has not had yet, record the schema
    version. Safe to call at every start, and from several processes at once."""
    if engine.dialect.name == "postgresql":
        # one migrator at a time across every gateway (session lock, freed if the process dies)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATE_LOCK_KEY})
            try:
                return _migrate(engine, sessions)
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATE_LOCK_KEY})
    for attempt in range(5):  # SQLite: another process may be creating the same tables right now
        try:
            return _migrate(engine, sessions)
        except (OperationalError, ProgrammingError, IntegrityError) as exc:
            if attempt == 4:
                raise
            logger.info("schema being created concurrently (%s): checking again", exc.__class__.__name__)
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _migrate(engine: Engine, sessions: sessionmaker[Session]) -> int:
    from . import analytics_schema  # noqa: F401  (the v6 tables, in Base.metadata)
    Base.metadata.create_all(engine)
    with sessions.begin() as s:
        current = s.scalar(select(func.max(SchemaVersion.version))) or 0
    for version in range(current + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](engine)
        try:
            with sessions.begin() as s:
                if s.get(SchemaVersion, version) is None:
                    s.add(SchemaVersion(version=version))
        except IntegrityError:  # recorded by a concurrent migrator meanwhile
            pass
    return SCHEMA_VERSION
