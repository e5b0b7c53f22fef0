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
from datetime import timedelta
from typing import Any, Sequence

from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import sessionmaker

from .analytics import AnalyticsStore, answer_events
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
        # a pre-ping (a SELECT 1 at every checkout) finds PostgreSQL connections a restart broke; an
        # SQLite file connection cannot break that way, and a store call checks out several per message
        self.engine = create_engine(url, echo=echo, connect_args=args, pool_pre_ping=not url.startswith("sqlite"),
                                    future=True, **pool)
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
                # with the write-ahead log, NORMAL keeps every commit across a crash of the gateway
                # process (only a power cut or an OS crash before the next checkpoint can lose the last
                # commits) and saves an fsync per commit, of which a message has several
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()
                # a row with invalid UTF-8 (an old poison message) is read with U+FFFD, not an error
                dbapi_conn.text_factory = lambda b: b.decode("utf-8", "replace")
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, future=True)

    # ------------------------------------------------------------ one user message's turn, few commits
    def claim_turn(self, message_id: int, conversation_id: str, owner: str, ttl: timedelta, *,
                   force: bool = False) -> tuple[bool, TicketView | None]:
        """``claim`` and, if claimed, the conversation's ``open_ticket``, in one transaction: what a
        turn starts with (whether it is ours to answer, and where it goes)."""
        with self._sessions.begin() as s:
            if not self._claim(s, message_id, owner, ttl, force):
                return False, None
            return True, self._open_ticket(s, conversation_id)

    def finish_answered_turn(self, inbound: MessageView, owner: str, drafts: Sequence[Draft], *,
                             ticket_id: int | None = None) -> list[MessageView] | None:
        """``finish_turn`` and ``record_answers`` (the dashboard's answer events) in one transaction.

        The answer events are new rows of the messages stored here, so they cannot clash with a replay;
        should they fail for another reason than the database itself (OperationalError: the answers
        would not be stored either), the answers are stored without them, as ``record_answers`` would."""
        channel = inbound.conversation_id.split(":", 1)[0]
        try:
            with self._sessions.begin() as s:
                stored = self._finish_turn(s, inbound.id, owner, drafts, ticket_id, False, inbound.conversation_id)
                if stored:
                    s.add_all(answer_events(inbound.conversation_id, channel, inbound.id, inbound.text, stored))
                    s.flush()
                return stored
        except (OperationalError, PoolTimeout):
            raise
        except Exception:
            logger.exception("could not record the answer events of message %s", inbound.id)
        return self.finish_turn(inbound.id, owner, drafts, ticket_id=ticket_id)

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
