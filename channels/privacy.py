"""Retention and erasure of personal data (Taiwan's PDPA): ``python -m channels.privacy``.

    python -m channels.privacy purge --older-than 180      # what is older than 180 days, everywhere
    python -m channels.privacy erase web:3f2a…             # one conversation, everywhere

``purge`` deletes from the handoff store (HANDOFF_DATABASE_URL) the conversations not seen since the
cutoff (with their messages, tickets and notes), older messages of the others, resolved tickets
closed before it, webhook redelivery records, and every expired officer session; and from Rasa's
tracker store the events older than the cutoff. A conversation with an open ticket is kept whole.
``erase`` deletes one conversation (``web:<session>`` or ``line:<user id>``) the same way, open
ticket or not, and its Rasa tracker.

Rasa's tracker store: ``--tracker-db <SQLAlchemy URL>``, else the production one from TRACKER_DB_*
(as bot/endpoints.production.yml), else ``<var dir>/rasa_tracker.db`` (``make run``) if it exists.
Prints what it deleted, per table.
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timedelta
from typing import Sequence
from urllib.parse import quote

from sqlalchemy import create_engine, delete, inspect, select, text, update
from sqlalchemy.orm import Session

from .core.store import OPEN_STATES, Store, open_store, utcnow
from .core.store.analytics_schema import AnswerEvent, Feedback, KnowledgeDraft, TicketOutcome
from .core.store.schema import Conversation, Message, Note, OfficerSession, PhoneRef, ProcessedEvent, Ticket
from .settings import Settings, var_dir

OPEN = [s.value for s in OPEN_STATES]


def _forget_analytics(s: Session, answers, feedback, outcomes, tickets) -> int:
    """Delete the analytics rows that point at messages or tickets about to go (the daily rollups,
    which hold only counts, stay); a knowledge draft keeps its text but loses its ticket."""
    n = s.execute(delete(AnswerEvent).where(answers)).rowcount
    n += s.execute(delete(Feedback).where(feedback)).rowcount
    n += s.execute(delete(TicketOutcome).where(outcomes)).rowcount
    s.execute(update(KnowledgeDraft).where(KnowledgeDraft.ticket_id.in_(tickets)).values(ticket_id=None))
    return n


def _erase_conversations(s: Session, ids: Sequence[str]) -> dict[str, int]:
    counts = {"messages": 0, "notes": 0, "tickets": 0, "conversations": 0, "phone_refs": 0, "analytics": 0}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        tickets = select(Ticket.id).where(Ticket.conversation_id.in_(chunk))
        # analytics rows point at these messages and tickets (issue 16): they go with them
        counts["analytics"] += _forget_analytics(s, AnswerEvent.conversation_id.in_(chunk),
                                                 Feedback.conversation_id.in_(chunk),
                                                 TicketOutcome.conversation_id.in_(chunk), tickets)
        counts["messages"] += s.execute(delete(Message).where(Message.conversation_id.in_(chunk))).rowcount
        counts["phone_refs"] += s.execute(delete(PhoneRef).where(PhoneRef.conversation_id.in_(chunk))).rowcount
        counts["notes"] += s.execute(delete(Note).where(Note.ticket_id.in_(tickets))).rowcount
        counts["tickets"] += s.execute(delete(Ticket).where(Ticket.conversation_id.in_(chunk))).rowcount
        counts["conversations"] += s.execute(delete(Conversation).where(Conversation.id.in_(chunk))).rowcount
    return counts


def purge_store(store: Store, older_than: timedelta, now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    cutoff = now - older_than
    with store._sessions.begin() as s:
        open_conversations = select(Ticket.conversation_id).where(Ticket.state.in_(OPEN))
        idle = s.scalars(select(Conversation.id).where(Conversation.last_seen_at < cutoff,
                                                       Conversation.id.not_in(open_conversations))).all()
        counts = _erase_conversations(s, idle)
        # the rest: old messages (not of an open ticket's conversation, not still waiting for an answer)
        old_messages = select(Message.id).where(
            Message.created_at < cutoff, Message.conversation_id.not_in(open_conversations),
            (Message.direction == "out") | Message.handled_at.is_not(None))
        old_tickets = select(Ticket.id).where(Ticket.state.not_in(OPEN), Ticket.resolved_at < cutoff)
        counts["analytics"] += _forget_analytics(s, AnswerEvent.message_id.in_(old_messages),
                                                 Feedback.message_id.in_(old_messages),
                                                 TicketOutcome.ticket_id.in_(old_tickets), old_tickets)
        counts["messages"] += s.execute(delete(Message).where(Message.id.in_(old_messages))).rowcount
        counts["phone_refs"] += s.execute(delete(PhoneRef).where(
            PhoneRef.created_at < cutoff, PhoneRef.conversation_id.not_in(open_conversations))).rowcount
        s.execute(update(Message).where(Message.ticket_id.in_(old_tickets)).values(ticket_id=None))
        counts["notes"] += s.execute(delete(Note).where(Note.ticket_id.in_(old_tickets))).rowcount
        counts["tickets"] += s.execute(delete(Ticket).where(Ticket.state.not_in(OPEN),
                                                            Ticket.resolved_at < cutoff)).rowcount
        counts["processed_events"] = s.execute(delete(ProcessedEvent).where(
            ProcessedEvent.received_at < cutoff)).rowcount
        counts["officer_sessions"] = s.execute(delete(OfficerSession).where(
            OfficerSession.expires_at < now)).rowcount
    return counts


def erase_store(store: Store, conversation_id: str) -> dict[str, int]:
    with store._sessions.begin() as s:
        return _erase_conversations(s, [conversation_id])


# ---------------------------------------------------------------- Rasa's tracker store
def tracker_url(given: str | None, settings: Settings) -> str | None:
    if given:
        return given
    env = os.environ
    if env.get("TRACKER_DB_HOST"):
        user = quote(env.get("TRACKER_DB_USER", ""), safe="")
        password = quote(env.get("TRACKER_DB_PASSWORD", ""), safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        return (f"postgresql+psycopg2://{auth}{env['TRACKER_DB_HOST']}:{env.get('TRACKER_DB_PORT', '5432')}/"
                f"{env.get('TRACKER_DB_NAME', 'rasa')}")
    local = var_dir(settings.var_dir or None) / "rasa_tracker.db"
    return f"sqlite:///{local}" if local.exists() else None


def _tracker(url: str, statement: str, params: dict) -> int:
    engine = create_engine(url, future=True)
    try:
        if "events" not in inspect(engine).get_table_names():
            return 0
        with engine.begin() as conn:
            return conn.execute(text(statement), params).rowcount
    finally:
        engine.dispose()


def purge_tracker(url: str, older_than: timedelta, now: datetime | None = None) -> int:
    cutoff = ((now or utcnow()) - older_than).timestamp()
    return _tracker(url, "DELETE FROM events WHERE timestamp < :t", {"t": cutoff})


def erase_tracker(url: str, conversation_id: str) -> int:
    return _tracker(url, "DELETE FROM events WHERE sender_id = :c", {"c": conversation_id})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m channels.privacy", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("purge", help="delete what is older than --older-than days")
    p.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    e = sub.add_parser("erase", help="delete one conversation (web:<session> or line:<user id>)")
    e.add_argument("conversation_id")
    for q in (p, e):
        q.add_argument("--tracker-db", help="Rasa's tracker store (SQLAlchemy URL)")
    a = ap.parse_args(argv)
    settings = Settings.from_env()
    store = open_store(settings.database_url)
    tracker = tracker_url(a.tracker_db, settings)
    try:
        if a.command == "purge":
            if a.older_than < 1:
                ap.error("--older-than must be at least 1 day")
            age = timedelta(days=a.older_than)
            counts = purge_store(store, age)
            if tracker:
                counts["rasa_tracker_events"] = purge_tracker(tracker, age)
        else:
            if ":" not in a.conversation_id:
                ap.error("conversation ids look like web:<session> or line:<user id>")
            counts = erase_store(store, a.conversation_id)
            if tracker:
                counts["rasa_tracker_events"] = erase_tracker(tracker, a.conversation_id)
    finally:
        store.dispose()
    print(" ".join(f"{k}={v}" for k, v in counts.items()) + ("" if tracker else " (no Rasa tracker store found)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
