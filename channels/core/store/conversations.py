"""Conversations and their messages (both directions), and webhook redelivery checks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .schema import Conversation, Message, Officer, ProcessedEvent, aware, as_utc, utcnow


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


class ConversationStore:
    """The conversations and messages half of ``Store``."""
    _sessions: sessionmaker[Session]

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
                           m.payload, aware(m.created_at))

    def first_delivery(self, event_id: str) -> bool:
        """True the first time an event id is seen (and records it); False for a redelivery."""
        try:
            with self._sessions.begin() as s:
                s.add(ProcessedEvent(event_id=event_id))
            return True
        except IntegrityError:
            return False
