"""A generated week of conversations with known dashboard figures (tests of channels/core/metrics.py
and of the dashboard page). Times are Taipei; the week is Monday 2026-11-02 to Sunday 2026-11-08,
office hours 08:30–18:00 on weekdays (no holiday calendar: the figures do not depend on it)."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from channels.core.hours import OfficeHours
from channels.core.store import Store
from channels.core.store.analytics_schema import AnswerEvent, Feedback, TicketOutcome
from channels.core.store.schema import Conversation, Message, Officer, Ticket

TPE = ZoneInfo("Asia/Taipei")
START = datetime(2026, 11, 2, tzinfo=TPE)
END = datetime(2026, 11, 9, tzinfo=TPE)
HOURS = OfficeHours(time(8, 30), time(18, 0), calendar=None)


def at(day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """A Taipei time, in UTC (as the store keeps times: SQLite keeps no offset)."""
    return datetime(2026, 11, day, hh, mm, ss, tzinfo=TPE).astimezone(timezone.utc)


# What the dashboard must show for [START, END)
EXPECTED: dict[str, Any] = {
    "conversations": 9, "contained": 4, "containment": 4 / 9, "handoffs": 5,
    "handoffs_by_reason": {"requested": 3, "complaint": 1, "misunderstood": 1},
    "out_of_hours": 1, "no_officer": 1,
    "queue_wait": {"count": 3, "median": 300.0, "mean": 280.0, "p80": 480.0},
    "first_response": {"count": 2, "median": 900.0, "mean": 900.0, "p80": 1200.0},
    "resolution": {"count": 4, "median": 3000.0, "mean": 2430.0, "p80": 3600.0},
    "callbacks": {"requested": 1, "made": 1, "reached": 1},
    "close_reasons": {"resolved": 2, "spam": 1},
    "csat": {"asked": 2, "answered": 1, "skipped": 1, "response_rate": 0.5, "mean": 5.0, "satisfied": 1.0,
             "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}},
    "answers_by_kind": {"answer": 4, "calc": 1, "direct": 1, "unanswered": 2},
    "top_topics": [("loan_overview", 3), ("diagnosis_cost", 1), ("hotline_main", 1), ("subsidy_caps", 1)],
    "feedback": {"up": 3, "down": 1, "rate": 0.75, "reasons": {"wrong": 1},
                 "by_kind": {"answer": {"up": 2, "down": 1}, "calc": {"up": 1, "down": 0}}},
    "unanswered_questions": sorted(["外星人可以申請補助嗎", "外星人的補助怎麼申請", "客服電話幾號", "我想問火星工廠的補助"]),
}


def build(store: Store) -> dict[str, int]:
    """Write the week (plus rows just outside it) into ``store``; returns counts for the test."""
    counts = {"messages": 0, "user_messages": 0}
    with store._sessions.begin() as s:
        officer = Officer(username="wang", display_name="王專員", password_hash="x", supervisor=True)
        s.add(officer)
        s.flush()

        def conv(cid: str, when: datetime) -> str:
            s.add(Conversation(id=cid, channel=cid.split(":")[0], external_id=cid.split(":")[1],
                               created_at=when, last_seen_at=when))
            return cid

        def msg(cid: str, direction: str, author: str, text: str, when: datetime, ticket: int | None = None,
                inside: bool = True, payload: dict[str, Any] | None = None) -> Message:
            m = Message(conversation_id=cid, direction=direction, author=author, text=text, created_at=when,
                        ticket_id=ticket, officer_id=officer.id if author == "officer" else None,
                        handled_at=when, payload=payload)
            s.add(m)
            s.flush()
            if inside:
                counts["messages"] += 1
                counts["user_messages"] += direction == "in"
            return m

        def answer(cid: str, question: str, when: datetime, kind: str, entry: str | None,
                   score: int | None = None, reason: str | None = None, inside: bool = True) -> None:
            q = msg(cid, "in", "user", question, when, inside=inside)
            tag = {"kind": kind, "entry_id": entry, "rate": kind != "unanswered"}
            a = msg(cid, "out", "bot", "...", when + timedelta(seconds=2), inside=inside, payload={"answer": tag})
            a.reply_to = q.id
            s.add(AnswerEvent(message_id=a.id, inbound_id=q.id, conversation_id=cid, channel=cid.split(":")[0],
                              kind=kind, entry_id=entry, question=question, created_at=a.created_at))
            if score is not None:
                s.add(Feedback(message_id=a.id, conversation_id=cid, channel=cid.split(":")[0], kind=kind,
                               entry_id=entry, question=question, score=score, reason=reason,
                               created_at=when + timedelta(seconds=30), updated_at=when + timedelta(seconds=30)))

        def ticket(cid: str, reason: str, created: datetime, claimed: datetime | None, resolved: datetime | None,
                   *, callback: datetime | None = None, contact: str | None = None,
                   summary: dict[str, Any] | None = None) -> Ticket:
            state = "resolved" if resolved else ("with_officer" if claimed else "waiting")
            t = Ticket(conversation_id=cid, channel=cid.split(":")[0], state=state, reason=reason,
                       summary=summary or {}, contact=contact, callback_after=callback, created_at=created,
                       claimed_at=claimed, resolved_at=resolved, updated_at=resolved or claimed or created,
                       officer_id=officer.id if claimed else None)
            s.add(t)
            s.flush()
            return t

        # four conversations the bot settled alone
        c1 = conv("web:c1", at(2, 9))
        answer(c1, "政府有什麼低利貸款", at(2, 9), "answer", "loan_overview", score=1)
        answer(c1, "幫我試算補助", at(2, 9, 5), "calc", "subsidy_caps", score=1)
        c8 = conv("line:c8", at(3, 21))
        answer(c8, "貸款補活水是什麼", at(3, 21), "answer", "loan_overview", score=1)
        answer(c8, "外星人可以申請補助嗎", at(3, 21, 2), "unanswered", None)
        c9 = conv("web:c9", at(6, 12))
        answer(c9, "注資金是指哪些貸款", at(6, 12), "answer", "loan_overview")
        answer(c9, "外星人的補助怎麼申請", at(6, 12, 1), "unanswered", None)
        c10 = conv("web:c10", at(8, 23))
        answer(c10, "診斷輔導我們公司要付多少", at(8, 23, 50), "direct", "diagnosis_cost")

        # c2: spam, claimed after 60 s, resolved at 14:02 (120 s), no satisfaction question
        c2 = conv("web:c2", at(5, 13, 59))
        msg(c2, "in", "user", "買幣找我", at(5, 13, 59))
        t2 = ticket(c2, "requested", at(5, 14), at(5, 14, 1), at(5, 14, 2))
        s.add(TicketOutcome(ticket_id=t2.id, conversation_id=c2, spam=True, csat_state="not_asked",
                            resolved_at=at(5, 14, 2)))
        # c3: out of hours (Saturday 20:00), contact left, called back and reached next Monday
        c3 = conv("line:c3", at(7, 19, 59))
        msg(c3, "in", "user", "請回電給我", at(7, 19, 59))
        t3 = ticket(c3, "requested", at(7, 20), at(9, 9), at(9, 9, 30), callback=at(9, 8, 30),
                    contact="0912345678")
        s.add(TicketOutcome(ticket_id=t3.id, conversation_id=c3, reached=True, csat_state="not_asked",
                            resolved_at=at(9, 9, 30)))
        # c4: wait 300 s, first officer answer 600 s, resolved after an hour; 5 points
        c4 = conv("web:c4", at(2, 9, 59))
        answer(c4, "客服電話幾號", at(2, 9, 58), "answer", "hotline_main", score=-1, reason="wrong")
        t4 = ticket(c4, "requested", at(2, 10), at(2, 10, 5), at(2, 11))
        msg(c4, "out", "officer", "您好", at(2, 10, 10), t4.id)
        msg(c4, "out", "officer", "還有問題嗎", at(2, 10, 20), t4.id)
        s.add(TicketOutcome(ticket_id=t4.id, conversation_id=c4, csat_state="answered", csat_score=5,
                            resolved_at=at(2, 11), answered_at=at(2, 11, 1)))
        # c5: complaint at Tuesday 17:50, claimed 17:58, first answer Wednesday 08:40, resolved 09:00; skipped
        c5 = conv("web:c5", at(3, 17, 49))
        msg(c5, "in", "user", "我要投訴", at(3, 17, 49))
        t5 = ticket(c5, "complaint", at(3, 17, 50), at(3, 17, 58), at(4, 9))
        msg(c5, "out", "officer", "抱歉讓您久等", at(4, 8, 40), t5.id)
        s.add(TicketOutcome(ticket_id=t5.id, conversation_id=c5, csat_state="skipped", resolved_at=at(4, 9)))
        # c6: the bot did not understand twice; nobody claimed it yet
        c6 = conv("web:c6", at(4, 10))
        msg(c6, "in", "user", "我想問火星工廠的補助", at(4, 10))
        ticket(c6, "misunderstood", at(4, 10, 0, 5), None, None, summary={"last_question": "我想問火星工廠的補助"})

        # just outside the week: not counted
        c7 = conv("web:c7", at(1, 23))
        answer(c7, "政府有什麼低利貸款", at(1, 23), "answer", "loan_overview", score=-1, reason="unclear",
               inside=False)
        t7 = ticket(c7, "complaint", at(1, 23, 30), at(1, 23, 31), at(1, 23, 40))
        s.add(TicketOutcome(ticket_id=t7.id, conversation_id=c7, csat_state="answered", csat_score=1,
                            resolved_at=at(1, 23, 40)))
        answer(c10, "診斷輔導要多少錢", at(9, 0, 0, 1), "direct", "diagnosis_cost", score=-1, inside=False)
    return counts
