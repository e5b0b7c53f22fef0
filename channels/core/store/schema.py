"""The handoff database: its tables and the migrations that bring an older database up to date.

SQLAlchemy 2.0, synchronous. The same code runs on the embedded default (an SQLite file) and on
PostgreSQL (``HANDOFF_DATABASE_URL=postgresql+psycopg2://...``). ``migrate()`` creates the schema and
applies migrations recorded in ``schema_version``; the app calls it (``Store.migrate``) at start.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import JSON, Boolean, DateTime, Engine, ForeignKey, Integer, String, Text, func, inspect, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

SCHEMA_VERSION = 2


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


def _add_column(engine: Engine, table: str, column: str, ddl_type: str) -> None:
    if column not in {c["name"] for c in inspect(engine).get_columns(table)}:
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl_type}"))


# version → a step bringing a database of the previous version up to it. A new database gets the
# current tables from create_all, so each step must also be harmless when its change is there.
MIGRATIONS: dict[int, Callable[[Engine], None]] = {
    1: lambda engine: None,  # the initial schema
    2: lambda engine: _add_column(engine, "conversations", "display_name", "VARCHAR(100)"),
}


def migrate(engine: Engine, sessions: sessionmaker[Session]) -> int:
    """Create missing tables, apply the migrations a database has not had yet, record the schema
    version. Safe to call at every start (and from several processes: each step is idempotent)."""
    Base.metadata.create_all(engine)
    with sessions.begin() as s:
        current = s.scalar(select(func.max(SchemaVersion.version))) or 0
    for version in range(current + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](engine)
        with sessions.begin() as s:
            if s.get(SchemaVersion, version) is None:
                s.add(SchemaVersion(version=version))
    return SCHEMA_VERSION
