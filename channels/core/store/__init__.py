"""The handoff store: conversations, every message in both directions, tickets, officers, sessions.

One ``Store`` object over one database, its methods grouped by concern:

- ``schema.py``         the tables and the migrations (``Store.migrate``);
- ``conversations.py``  conversations and messages (``MessageView``), webhook redelivery;
- ``tickets.py``        ``TicketState``, tickets and notes (``TicketView``, ``NoteView``);
- ``officers.py``       officer accounts and login sessions (``OfficerView``);
- ``analytics.py``      answer events, feedback, ticket outcomes, supervisors, knowledge drafts.

Every write commits before the method returns, so a caller that acknowledges after calling the
store never acknowledges something that a restart could lose.

Several gateways may share one PostgreSQL database: ``lock_conversation`` takes a session-level
advisory lock keyed by the conversation (on its own small pool of connections, released when the
holder's connection closes, e.g. when its process dies). SQLite is for one gateway on one node, where
the hub's in-process lock is enough (``single_node``).
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.orm import sessionmaker

from .analytics import AnalyticsStore
from .conversations import ConversationStore, Draft, MessageView
from .officers import OfficerStore, OfficerView
from .schema import SCHEMA_VERSION, migrate, utcnow
from .tickets import (OPEN_STATES, OUTCOMES, ROUTED_STATES, RULES, CannedReplyView, CannedStore, NotFound, NoteView,
                      Refusal, SearchQuery, TicketAction, TicketConflict, TicketState, TicketStore, TicketView,
                      iter_states, refusal)

logger = logging.getLogger(__name__)

__all__ = ["Draft", "Store", "MessageView", "TicketView", "NoteView", "OfficerView", "TicketState", "TicketAction",
           "RULES", "Refusal", "refusal", "TicketConflict", "NotFound", "ROUTED_STATES", "OPEN_STATES",
           "SCHEMA_VERSION", "iter_states", "utcnow", "open_store", "restrict_file", "OUTCOMES", "CannedReplyView",
           "SearchQuery"]


class Store(ConversationStore, TicketStore, CannedStore, OfficerStore, AnalyticsStore):
    def __init__(self, url: str, *, echo: bool = False, connect_args: dict[str, Any] | None = None):
        self.url = url
        args = dict(connect_args or {})
        if url.startswith("sqlite"):
            args.setdefault("check_same_thread", False)
            args.setdefault("timeout", 15)
        pool: dict[str, Any] = {} if url.startswith("sqlite") else {"pool_size": 10, "max_overflow": 20}
        self.engine = create_engine(url, echo=echo, connect_args=args, pool_pre_ping=True, future=True, **pool)
        self.single_node = self.engine.dialect.name != "postgresql"
        # connections that hold a conversation's advisory lock while it is answered (PostgreSQL)
        self._lock_engine = None if self.single_node else create_engine(
            url, connect_args=args, pool_pre_ping=True, isolation_level="AUTOCOMMIT", pool_size=4,
            max_overflow=200, pool_timeout=60)
        if url.startswith("sqlite"):
            @event.listens_for(self.engine, "connect")
            def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # durability and concurrent readers
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()
                # a row with invalid UTF-8 (an old poison message) is read with U+FFFD, not an error
                dbapi_conn.text_factory = lambda b: b.decode("utf-8", "replace")
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, future=True)

    def migrate(self) -> int:
        """Bring the database up to ``SCHEMA_VERSION`` (safe at every start)."""
        return migrate(self.engine, self._sessions)

    # ------------------------------------------------------------ cross-gateway conversation lock
    @staticmethod
    def _lock_key(conversation_id: str) -> int:
        return int.from_bytes(hashlib.sha256(conversation_id.encode("utf-8", "replace")).digest()[:8], "big",
                              signed=True)

    def try_lock_conversation(self, conversation_id: str) -> Connection | bool | None:
        """Take the conversation's lock across gateways without waiting: a handle for
        ``unlock_conversation``, or None if another gateway holds it. Single node: always True."""
        if self._lock_engine is None:
            return True
        conn = self._lock_engine.connect()
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._lock_key(conversation_id)}).scalar()
        except Exception:
            conn.invalidate()
            conn.close()
            raise
        if got:
            conn.info["hotline_lock"] = conversation_id
            return conn
        conn.close()
        return None

    def unlock_conversation(self, handle: Connection | bool | None) -> None:
        if not isinstance(handle, Connection):
            return
        conversation_id = handle.info.pop("hotline_lock", "")
        try:
            handle.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._lock_key(conversation_id)})
        except Exception:  # never hand a connection that may still hold the lock back to the pool
            logger.exception("could not release the lock of %s: dropping its connection", conversation_id)
            handle.invalidate()
        finally:
            handle.close()

    def dispose(self) -> None:
        self.engine.dispose()
        if self._lock_engine is not None:
            self._lock_engine.dispose()


def restrict_file(path: Path | str) -> None:
    """Owner read/write only (0600) for a database or log file, and its SQLite -wal/-shm files."""
    for p in (Path(path), Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if p.exists() and p.stat().st_mode & 0o777 != 0o600:
                p.chmod(0o600)
        except OSError:
            pass


def open_store(url: str) -> Store:
    """The store at ``url``, its schema brought up to date (an SQLite file's folder is created, the
    file and its -wal/-shm are readable by the owner only: it holds conversations)."""
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.touch(mode=0o600)
    store = Store(url)
    store.migrate()
    if path is not None:
        with store.engine.connect():   # the -wal and -shm files exist while a connection is open
            restrict_file(path)
    return store
