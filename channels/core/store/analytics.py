"""The analytics half of ``Store`` (issue 16): answer events, 👍/👎 feedback, how tickets ended
(satisfaction, spam, callback reached), the supervisor flag and knowledge drafts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .analytics_schema import AnswerEvent, Feedback, KnowledgeDraft, TicketOutcome
from .schema import Message, Officer, Ticket, aware, utcnow
from .tickets import NotFound

RATED_KINDS = ("answer", "direct", "calc")           # answers a user can rate 👍/👎
ANSWER_KINDS = (*RATED_KINDS, "unanswered")
FEEDBACK_REASONS = ("wrong", "unclear", "not_asked")  # why 👎 (optional)
DRAFT_STATES = ("proposed", "approved", "rejected")


class FeedbackRefused(Exception):
    """The message cannot be rated (not this conversation's, or not a rated answer)."""


class CsatRefused(Exception):
    """No satisfaction question is open for that ticket in this conversation."""


def answer_events(conversation_id: str, channel: str, inbound_id: int | None, question: str,
                  messages: Sequence[Any]) -> list[AnswerEvent]:
    """The answer event rows of a turn's stored messages: one per tagged bot message."""
    rows = []
    for m in messages:
        tag = answer_tag(m.payload)
        if tag is None or m.direction != "out":
            continue
        rows.append(AnswerEvent(message_id=m.id, inbound_id=inbound_id, conversation_id=conversation_id,
                                channel=channel, kind=tag["kind"], entry_id=tag.get("entry_id"),
                                question=(question or "")[:1000], created_at=m.created_at))
    return rows


def answer_tag(payload: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ``answer`` tag the hub puts on a bot message's payload: {kind, entry_id, rate}."""
    tag = (payload or {}).get("answer")
    return tag if isinstance(tag, dict) and tag.get("kind") in ANSWER_KINDS else None


@dataclass(frozen=True)
class FeedbackView:
    message_id: int
    score: int
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "score": self.score, "reason": self.reason}


@dataclass(frozen=True)
class OutcomeView:
    ticket_id: int
    conversation_id: str
    spam: bool
    reached: bool | None
    csat_state: str
    csat_score: int | None
    csat_comment: str | None
    csat_message_id: int | None


@dataclass(frozen=True)
class DraftView:
    id: int
    ticket_id: int | None
    officer_id: int
    officer_name: str
    state: str
    title: str
    topic: str
    questions: list[str]
    answer: str
    rule: str
    reviewer_name: str | None
    review_note: str | None
    created_at: datetime
    reviewed_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "ticket_id": self.ticket_id, "officer": self.officer_name, "state": self.state,
                "title": self.title, "topic": self.topic, "questions": list(self.questions),
                "answer": self.answer, "rule": self.rule, "reviewer": self.reviewer_name,
                "review_note": self.review_note, "created_at": self.created_at.isoformat(),
                "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None}


class AnalyticsStore:
    _sessions: sessionmaker[Session]
    engine: Engine

    # ---------------------------------------------------------------- answers and feedback
    def record_answers(self, conversation_id: str, channel: str, inbound_id: int | None, question: str,
                       messages: Sequence[Any]) -> int:
        """An answer event per tagged bot message of a turn (``answer_tag``); returns how many."""
        rows = answer_events(conversation_id, channel, inbound_id, question, messages)
        if not rows:
            return 0
        try:
            with self._sessions.begin() as s:
                s.add_all(rows)
        except IntegrityError:   # recorded already (a replayed turn)
            return 0
        return len(rows)

    def rate(self, conversation_id: str, message_id: int, score: int, reason: str | None = None) -> FeedbackView:
        """Store 👍 (+1) or 👎 (-1) on a rated bot message of ``conversation_id`` (again: replaced)."""
        if score not in (1, -1) or (reason is not None and reason not in FEEDBACK_REASONS):
            raise ValueError("score must be 1 or -1, reason one of FEEDBACK_REASONS")
        if score == 1:
            reason = None
        now = utcnow()
        with self._sessions.begin() as s:
            m = s.get(Message, message_id)
            tag = answer_tag(m.payload) if m is not None else None
            if m is None or m.conversation_id != conversation_id or m.direction != "out" or tag is None \
                    or not tag.get("rate"):
                raise FeedbackRefused(str(message_id))
            question = ""
            if m.reply_to is not None:
                question = s.scalar(select(Message.text).where(Message.id == m.reply_to)) or ""
            found = s.scalars(select(Feedback).where(Feedback.message_id == message_id)).first()
            if found is None:
                s.add(Feedback(message_id=message_id, conversation_id=conversation_id,
                               channel=conversation_id.split(":", 1)[0], kind=tag["kind"],
                               entry_id=tag.get("entry_id"), question=question[:1000], score=score, reason=reason,
                               created_at=now, updated_at=now))
            else:
                found.score, found.reason, found.updated_at = score, reason, now
        return FeedbackView(message_id, score, reason)

    def feedback_of(self, message_ids: Sequence[int]) -> dict[int, FeedbackView]:
        if not message_ids:
            return {}
        with self._sessions() as s:
            rows = s.scalars(select(Feedback).where(Feedback.message_id.in_(list(message_ids))))
            return {f.message_id: FeedbackView(f.message_id, f.score, f.reason) for f in rows}

    # ---------------------------------------------------------------- ticket outcomes, satisfaction
    def record_outcome(self, ticket_id: int, *, spam: bool = False, reached: bool | None = None,
                       ask_csat: bool = False) -> OutcomeView:
        with self._sessions.begin() as s:
            t = s.get(Ticket, ticket_id)
            if t is None:
                raise NotFound(f"ticket {ticket_id}")
            o = s.get(TicketOutcome, ticket_id)
            if o is None:
                o = TicketOutcome(ticket_id=ticket_id, conversation_id=t.conversation_id)
                s.add(o)
            o.spam, o.reached = spam, reached
            o.resolved_at = t.resolved_at or utcnow()
            o.csat_state = "asked" if ask_csat and not spam else "not_asked"
            s.flush()
            return self._outcome_view(o)

    def set_csat_message(self, ticket_id: int, message_id: int) -> None:
        with self._sessions.begin() as s:
            s.execute(update(TicketOutcome).where(TicketOutcome.ticket_id == ticket_id)
                      .values(csat_message_id=message_id))

    def outcome(self, ticket_id: int) -> OutcomeView | None:
        with self._sessions() as s:
            o = s.get(TicketOutcome, ticket_id)
            return self._outcome_view(o) if o else None

    def answer_csat(self, conversation_id: str, ticket_id: int, score: int | None,
                    comment: str | None = None) -> OutcomeView:
        """The user's answer (1–5, optional comment) or ``score`` None: skipped. Only while asked;
        a score may be followed by a comment (state ``answered`` stays)."""
        if score is not None and score not in (1, 2, 3, 4, 5):
            raise ValueError("score must be 1..5")
        comment = (comment or "").strip()[:1000] or None
        with self._sessions.begin() as s:
            o = s.get(TicketOutcome, ticket_id)
            if o is None or o.conversation_id != conversation_id:
                raise CsatRefused(str(ticket_id))
            if o.csat_state == "asked":
                if score is None:
                    o.csat_state = "skipped"
                else:
                    o.csat_state, o.csat_score = "answered", score
                o.csat_comment = comment if score is not None else None
                o.answered_at = utcnow()
            elif o.csat_state == "answered" and score is None and comment:
                o.csat_comment = comment            # a comment after the score
            elif o.csat_state == "answered" and score is not None:
                o.csat_score, o.csat_comment = score, comment or o.csat_comment
            else:
                raise CsatRefused(str(ticket_id))
            s.flush()
            return self._outcome_view(o)

    @staticmethod
    def _outcome_view(o: TicketOutcome) -> OutcomeView:
        return OutcomeView(o.ticket_id, o.conversation_id, bool(o.spam), o.reached, o.csat_state, o.csat_score,
                           o.csat_comment, o.csat_message_id)

    # ---------------------------------------------------------------- supervisors
    def set_supervisor(self, username: str, flag: bool) -> bool:
        with self._sessions.begin() as s:
            return s.execute(update(Officer).where(Officer.username == username)
                             .values(supervisor=flag)).rowcount == 1

    def is_supervisor(self, officer_id: int) -> bool:
        with self._sessions() as s:
            return bool(s.scalar(select(Officer.supervisor).where(Officer.id == officer_id,
                                                                  Officer.active.is_(True))))

    def supervisors(self) -> set[int]:
        with self._sessions() as s:
            return set(s.scalars(select(Officer.id).where(Officer.supervisor.is_(True))))

    # ---------------------------------------------------------------- knowledge drafts
    def propose_draft(self, officer_id: int, ticket_id: int | None, *, title: str, topic: str,
                      questions: list[str], answer: str, rule: str) -> DraftView:
        with self._sessions.begin() as s:
            if ticket_id is not None and s.get(Ticket, ticket_id) is None:
                raise NotFound(f"ticket {ticket_id}")
            d = KnowledgeDraft(ticket_id=ticket_id, officer_id=officer_id, title=title, topic=topic,
                               questions=list(questions), answer=answer, rule=rule)
            s.add(d)
            s.flush()
            return self._draft_view(s, d)

    def drafts(self, states: Sequence[str] = DRAFT_STATES, limit: int = 200) -> list[DraftView]:
        with self._sessions() as s:
            rows = s.scalars(select(KnowledgeDraft).where(KnowledgeDraft.state.in_(list(states)))
                             .order_by(KnowledgeDraft.id.desc()).limit(limit))
            return [self._draft_view(s, d) for d in rows]

    def draft(self, draft_id: int) -> DraftView:
        with self._sessions() as s:
            d = s.get(KnowledgeDraft, draft_id)
            if d is None:
                raise NotFound(f"draft {draft_id}")
            return self._draft_view(s, d)

    def review_draft(self, draft_id: int, reviewer_id: int, approve: bool, note: str | None = None) -> DraftView:
        """Approve or reject a proposed draft (once: a reviewed draft raises ``DraftReviewed``)."""
        with self._sessions.begin() as s:
            d = s.scalars(select(KnowledgeDraft).where(KnowledgeDraft.id == draft_id).with_for_update()).first()
            if d is None:
                raise NotFound(f"draft {draft_id}")
            if d.state != "proposed":
                raise DraftReviewed(d.state)
            d.state = "approved" if approve else "rejected"
            d.reviewer_id, d.review_note, d.reviewed_at = reviewer_id, (note or "").strip() or None, utcnow()
            s.flush()
            return self._draft_view(s, d)

    @staticmethod
    def _draft_view(s: Session, d: KnowledgeDraft) -> DraftView:
        names = dict(s.execute(select(Officer.id, Officer.display_name)
                               .where(Officer.id.in_([d.officer_id, d.reviewer_id or -1]))).all())
        return DraftView(d.id, d.ticket_id, d.officer_id, names.get(d.officer_id, "?"), d.state, d.title, d.topic,
                         [str(q) for q in (d.questions or [])], d.answer, d.rule,
                         names.get(d.reviewer_id) if d.reviewer_id else None, d.review_note,
                         aware(d.created_at), aware(d.reviewed_at))


class DraftReviewed(Exception):
    def __init__(self, state: str):
        super().__init__(state)
        self.state = state
