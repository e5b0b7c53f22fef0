"""The handoff store: conversations, every message in both directions, tickets, officers, sessions.

One ``Store`` object over one database, its methods grouped by concern:

- ``schema.py``         the tables and the migrations (``Store.migrate``);
- ``conversations.py``  conversations and messages (``MessageView``), webhook redelivery;
- ``tickets.py``        ``TicketState``, tickets and notes (``TicketView``, ``NoteView``);
- ``officers.py``       officer accounts and login sessions (``OfficerView``).

Every write commits before the method returns, so a caller that acknowledges after calling the
store never acknowledges something that a restart could lose.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker

from .conversations import ConversationStore, MessageView
from .officers import OfficerStore, OfficerView
from .schema import SCHEMA_VERSION, migrate, utcnow
from .tickets import (OPEN_STATES, ROUTED_STATES, RULES, NotFound, NoteView, Refusal, TicketAction, TicketConflict,
                      TicketState, TicketStore, TicketView, iter_states, refusal)

__all__ = ["Store", "MessageView", "TicketView", "NoteView", "OfficerView", "TicketState", "TicketAction", "RULES",
           "Refusal", "refusal", "TicketConflict", "NotFound", "ROUTED_STATES", "OPEN_STATES", "SCHEMA_VERSION",
           "iter_states", "utcnow", "open_store"]


class Store(ConversationStore, TicketStore, OfficerStore):
    def __init__(self, url: str, *, echo: bool = False, connect_args: dict[str, Any] | None = None):
        self.url = url
        args = dict(connect_args or {})
        if url.startswith("sqlite"):
            args.setdefault("check_same_thread", False)
            args.setdefault("timeout", 15)
        self.engine = create_engine(url, echo=echo, connect_args=args, pool_pre_ping=True, future=True)
        if url.startswith("sqlite"):
            @event.listens_for(self.engine, "connect")
            def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # durability and concurrent readers
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, future=True)

    def migrate(self) -> int:
        """Bring the database up to ``SCHEMA_VERSION`` (safe at every start)."""
        return migrate(self.engine, self._sessions)

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str) -> Store:
    """The store at ``url``, its schema brought up to date (an SQLite file's folder is created)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    store = Store(url)
    store.migrate()
    return store
