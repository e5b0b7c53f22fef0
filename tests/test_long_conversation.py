"""Issue 12 §9, bounded trackers: a long conversation is split into Rasa sessions of
``HOTLINE_SESSION_TURNS`` user messages (20 by default), so a turn works on a bounded tracker; the
slots carry over into the next session and the full history is still stored and readable."""
from __future__ import annotations

import uuid

import httpx
import pytest

pytestmark = pytest.mark.stack

QUESTIONS = ["診斷輔導要多少錢", "申請資格是什麼", "需要準備哪些文件", "什麼是升級轉型計畫", "補助比例是多少"]
TURNS = 23      # the 21st message starts the second session


def test_a_long_conversation_is_split_into_sessions_and_keeps_its_history_and_slots(stack):
    url = stack.cfg.rasa_url
    sender = f"long-{uuid.uuid4().hex[:10]}"
    with httpx.Client(timeout=120) as client:
        for i in range(TURNS):
            resp = client.post(f"{url}/webhooks/rest/webhook",
                               json={"sender": sender, "message": QUESTIONS[i % len(QUESTIONS)]})
            assert resp.status_code == 200 and resp.json(), (i, resp.text)
        events = client.get(f"{url}/conversations/{sender}/tracker").json()["events"]
    kinds = [e["event"] for e in events]
    starts = [i for i, k in enumerate(kinds) if k == "session_started"]
    assert len(starts) == 2, kinds.count("user")
    users = [e for e in events if e["event"] == "user"]
    assert [u["text"] for u in users] == [QUESTIONS[i % len(QUESTIONS)] for i in range(TURNS)]   # nothing lost
    assert sum(1 for k in kinds[:starts[1]] if k == "user") == 20
    assert sum(1 for k in kinds[starts[1]:] if k == "user") == TURNS - 20
    # what the first session knew is set again at the start of the second
    last = {e["name"]: e["value"] for e in events[:starts[1]] if e["event"] == "slot"}
    before = {k: v for k, v in last.items() if v is not None}
    first_user = next(i for i in range(starts[1], len(events)) if events[i]["event"] == "user")
    carried = {e["name"]: e["value"] for e in events[starts[1]:first_user] if e["event"] == "slot"}
    assert len(carried) == sum(1 for e in events[starts[1]:first_user] if e["event"] == "slot")  # once each
    assert before and all(carried.get(k) == v for k, v in before.items() if k != "session_started_metadata")
