"""The handoff database's analytics tables (schema v6, issue 16): what the bot answered, users'
feedback on it, how each ticket ended (satisfaction, spam, callback reached) and knowledge drafts.

Kept apart from schema.py so the core tables stay readable; ``schema`` imports this module so
``create_all`` makes these tables too.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .schema import Base, utcnow


class AnswerEvent(Base):
    """One bot answer to a user's question, by kind: ``answer`` (a knowledge entry), ``direct`` (a
    rule applied to the user's own figures), ``calc`` (a calculation result), ``unanswered`` (no
    entry found, or only a menu of guesses). Written by the hub after the turn is stored."""
    __tablename__ = "answer_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)   # the bot's message
    inbound_id: Mapped[int | None] = mapped_column(Integer, nullable=True)            # the user's question
    conversation_id: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    entry_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    question: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_answer_events_created", "created_at", "kind", "entry_id"),)


class Feedback(Base):
    """A user's 👍 (+1) or 👎 (-1) on one rated bot message, with an optional reason on 👎. Rating
    the same message again replaces the earlier score."""
    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    entry_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    question: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_feedback_created", "created_at"),)


class TicketOutcome(Base):
    """How a resolved ticket ended: marked spam, a callback reached or not, and the satisfaction
    question (``csat_state``: asked | answered | skipped | not_asked) with its score 1–5 and comment."""
    __tablename__ = "ticket_outcomes"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(120))
    spam: Mapped[bool] = mapped_column(Boolean, default=False)
    reached: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    csat_state: Mapped[str] = mapped_column(String(12), default="not_asked")
    csat_score: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    csat_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    csat_message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolved_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (Index("ix_ticket_outcomes_resolved", "resolved_at"),)


class KnowledgeDraft(Base):
    """An officer's proposal to turn a ticket's answer into a knowledge entry; a supervisor
    approves or rejects it (``state``: proposed | approved | rejected)."""
    __tablename__ = "knowledge_drafts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True, index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    state: Mapped[str] = mapped_column(String(12), default="proposed", index=True)
    title: Mapped[str] = mapped_column(String(40))
    topic: Mapped[str] = mapped_column(String(20))
    questions: Mapped[list[Any]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(Text)          # the rule it rests on (document and section)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), nullable=True)
    review_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ActivityDay(Base):
    """Messages of one finished Taipei day (a rollup the dashboard fills on first use: finished days
    do not change, so a year is read from 365 rows instead of every message)."""
    __tablename__ = "activity_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    user_messages: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationDay(Base):
    """The conversations with a user message on a finished Taipei day (rollup, as ActivityDay)."""
    __tablename__ = "conversation_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(120), primary_key=True)

    __table_args__ = (Index("ix_conversation_days_conversation", "conversation_id", "day"),)
