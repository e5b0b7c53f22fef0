"""Every figure of the supervisor dashboard (channels/core/metrics.py) from a generated week with
known answers (tests/analytics_data.py), on SQLite and on PostgreSQL; and the analytics store."""
from __future__ import annotations

import os
import uuid
from datetime import time

import pytest
from sqlalchemy import create_engine, text

from analytics_data import END, EXPECTED, HOURS, START, build
from channels.core.metrics import compute, office_seconds, percentile
from channels.core.store import Store
from channels.core.store.analytics import CsatRefused, DraftReviewed, FeedbackRefused

PG_URL = os.environ.get("HANDOFF_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    schema = None
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'handoff.db'}")
    else:
        schema = f"dash_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        s = Store(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    s.migrate()
    yield s
    s.dispose()
    if schema:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_every_dashboard_figure_of_the_generated_week(store):
    counts = build(store)
    d = compute(store, HOURS, START, END)
    assert d.messages == counts["messages"] and d.user_messages == counts["user_messages"]
    for key in ("conversations", "contained", "handoffs", "handoffs_by_reason", "out_of_hours", "no_officer",
                "queue_wait", "first_response", "resolution", "callbacks", "close_reasons", "answers_by_kind",
                "top_topics"):
        assert getattr(d, key) == pytest.approx(EXPECTED[key]) if not isinstance(EXPECTED[key], (dict, list)) \
            else getattr(d, key) == EXPECTED[key], key
    assert d.containment == pytest.approx(EXPECTED["containment"])
    assert d.csat == EXPECTED["csat"]
    assert d.feedback == EXPECTED["feedback"]
    assert sorted(i["question"] for i in d.unanswered) == EXPECTED["unanswered_questions"]
    assert {i["source"] for i in d.unanswered} == {"unanswered", "disliked", "misunderstood"}
    days = {x["day"]: x for x in d.daily}
    assert len(days) == 7 and sum(x["questions"] for x in d.daily) == counts["user_messages"]
    assert sum(x["handoffs"] for x in d.daily) == 5 and days["2026-11-02"]["handoffs"] == 1
    d.to_json()   # serialisable


def test_an_empty_period_has_no_figures(store):
    build(store)
    from datetime import datetime, timezone
    d = compute(store, HOURS, datetime(2020, 1, 1, tzinfo=timezone.utc), datetime(2020, 1, 2, tzinfo=timezone.utc))
    assert (d.conversations, d.containment, d.queue_wait["median"], d.feedback["rate"], d.csat["mean"]) == \
        (0, None, None, None, None)


def test_percentile_and_office_seconds():
    assert percentile([], 80) is None and percentile([5], 80) == 5 and percentile([1, 2, 3, 4, 5], 80) == 4
    from analytics_data import at
    assert office_seconds(HOURS, at(6, 17), at(9, 9)) == 3600 + 1800   # Friday 17:00 → Monday 09:00
    assert office_seconds(HOURS, at(7, 10), at(8, 12)) == 0             # a weekend
    assert office_seconds(HOURS, at(2, 7), at(2, 20)) == (18 - 8.5) * 3600


def _rated(store: Store, cid: str = "web:s1", kind: str = "answer"):
    store.touch_conversation(cid, cid.split(":")[0], cid.split(":")[1])
    q = store.add_message(cid, "in", "user", "診斷輔導要多少錢")
    a = store.add_message(cid, "out", "bot", "...", reply_to=q.id,
                          payload={"answer": {"kind": kind, "entry_id": "diagnosis_cost", "rate": kind != "unanswered"}})
    return q, a


def test_feedback_is_stored_with_question_and_entry_and_replaced_when_given_again(store):
    q, a = _rated(store)
    assert store.record_answers("web:s1", "web", q.id, q.text, [a]) == 1
    assert store.record_answers("web:s1", "web", q.id, q.text, [a]) == 0      # a replayed turn: once
    store.rate("web:s1", a.id, -1, "unclear")
    assert store.feedback_of([a.id])[a.id].reason == "unclear"
    store.rate("web:s1", a.id, 1, "wrong")                                     # no reason on 👍
    assert store.feedback_of([a.id])[a.id].to_json() == {"message_id": a.id, "score": 1, "reason": None}
    from sqlalchemy import select
    from channels.core.store.analytics_schema import Feedback
    with store._sessions() as s:
        rows = s.scalars(select(Feedback)).all()
    assert [(f.question, f.entry_id, f.kind, f.score) for f in rows] == [("診斷輔導要多少錢", "diagnosis_cost", "answer", 1)]


def test_feedback_only_on_a_rated_answer_of_the_same_conversation(store):
    q, a = _rated(store)
    _, other = _rated(store, "web:s2")
    _, menu = _rated(store, "web:s3", kind="unanswered")
    with pytest.raises(FeedbackRefused):
        store.rate("web:s1", other.id, 1)          # another user's answer
    with pytest.raises(FeedbackRefused):
        store.rate("web:s3", menu.id, 1)           # not a rated answer
    with pytest.raises(FeedbackRefused):
        store.rate("web:s1", q.id, 1)              # the user's own message
    with pytest.raises(FeedbackRefused):
        store.rate("web:s1", 10 ** 9, 1)
    with pytest.raises(ValueError):
        store.rate("web:s1", a.id, 2)
    with pytest.raises(ValueError):
        store.rate("web:s1", a.id, -1, "rude")


def test_satisfaction_is_asked_once_skippable_and_not_for_spam(store):
    from channels.core.store import TicketAction, TicketState
    cid = "web:s1"
    store.touch_conversation(cid, "web", "s1")
    t = store.create_ticket(cid, "web", TicketState.WAITING, "requested", {})
    store.transition(t.id, TicketAction.RESOLVE)
    assert store.record_outcome(t.id, ask_csat=True).csat_state == "asked"
    with pytest.raises(CsatRefused):
        store.answer_csat("web:other", t.id, 5)
    o = store.answer_csat(cid, t.id, 4)
    assert (o.csat_state, o.csat_score) == ("answered", 4)
    assert store.answer_csat(cid, t.id, None, "謝謝").csat_comment == "謝謝"   # a comment after the score
    with pytest.raises(ValueError):
        store.answer_csat(cid, t.id, 6)
    t2 = store.create_ticket(cid, "web", TicketState.WAITING, "requested", {})
    store.transition(t2.id, TicketAction.RESOLVE)
    store.record_outcome(t2.id, ask_csat=True)
    assert store.answer_csat(cid, t2.id, None).csat_state == "skipped"
    with pytest.raises(CsatRefused):
        store.answer_csat(cid, t2.id, 3)           # skipped: closed
    t3 = store.create_ticket(cid, "web", TicketState.WAITING, "requested", {})
    store.transition(t3.id, TicketAction.RESOLVE)
    assert store.record_outcome(t3.id, spam=True, ask_csat=True).csat_state == "not_asked"
    with pytest.raises(CsatRefused):
        store.answer_csat(cid, t3.id, 1)


def test_supervisor_flag_and_draft_review(store):
    a = store.create_officer("lee", "李專員", "x")
    b = store.create_officer("chen", "陳督導", "x")
    assert not store.is_supervisor(b.id) and store.set_supervisor("chen", True) and store.is_supervisor(b.id)
    assert not store.set_supervisor("nobody", True)
    assert store.officers()[1].supervisor is True
    d = store.propose_draft(a.id, None, title="t", topic="低利貸款", questions=["q1", "q2"], answer="a", rule="r")
    assert [x.id for x in store.drafts(["proposed"])] == [d.id]
    done = store.review_draft(d.id, b.id, True, "ok")
    assert (done.state, done.reviewer_name, done.officer_name) == ("approved", "陳督導", "李專員")
    with pytest.raises(DraftReviewed):
        store.review_draft(d.id, b.id, False)


def test_the_daily_rollup_gives_the_same_figures_as_the_messages(store):
    """Finished days are read from the rollup (filled on first use), partial days live: a period
    cut mid-day and computed twice agrees with counting the messages directly."""
    from datetime import timedelta
    from sqlalchemy import func, select
    from analytics_data import at
    from channels.core.store.analytics_schema import ActivityDay
    from channels.core.store.schema import Message
    build(store)
    start, end = at(2, 23) - timedelta(minutes=30), at(6, 12, 30)
    first, again = compute(store, HOURS, start, end), compute(store, HOURS, start, end)
    assert first.to_json() == again.to_json()
    with store._sessions() as s:
        rolled = s.scalar(select(func.count()).select_from(ActivityDay))
        where = (Message.created_at >= start, Message.created_at < end)
        direct = (s.scalar(select(func.count(func.distinct(Message.conversation_id))).where(*where, Message.direction == "in")),
                  s.scalar(select(func.count()).where(*where)),
                  s.scalar(select(func.count()).where(*where, Message.direction == "in")))
    assert rolled >= 3                                   # 3, 4 and 5 November are whole days in the period
    assert (first.conversations, first.messages, first.user_messages) == direct
    assert sum(x["questions"] for x in first.daily) == direct[2]
