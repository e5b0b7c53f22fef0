"""What an operator watches (issue 17), on the real stack: the gateway's /metrics move during a
short conversation (the action server's metrics appended), and one user message can be followed by
its request id through the JSON-line logs of the gateway, Rasa and the action server — with no
personal data in any of them."""
from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import httpx
import pytest

from observe.logs import conversation_ref, mask

pytestmark = pytest.mark.stack

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$')


def scrape(base: str) -> dict[str, float]:
    resp = httpx.get(f"{base}/metrics", timeout=30)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    out: dict[str, float] = {}
    for line in resp.text.splitlines():
        m = SAMPLE.match(line)
        if m and not line.startswith("#"):
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def moved(before: dict[str, float], after: dict[str, float], key: str) -> float:
    return after.get(key, 0.0) - before.get(key, 0.0)


def send(base: str, session: str, text: str, request_id: str | None = None) -> httpx.Response:
    headers = {"X-Request-ID": request_id} if request_id else {}
    resp = httpx.post(f"{base}/api/widget/messages", json={"session_id": session, "text": text},
                      headers=headers, timeout=90)
    assert resp.status_code == 200, resp.text
    return resp


def test_metrics_move_during_a_short_conversation(stack):
    base = stack.cfg.gateway_url
    before = scrape(base)
    session = uuid.uuid4().hex
    answered = send(base, session, "整個計畫預算多少").json()["messages"]     # a cited answer
    assert any("110億" in m["text"] and "（依據：" in m["text"] for m in answered)
    assert not any((m.get("payload") or {}).get("custom", {}).get("type") == "outcome" for m in answered), \
        "the outcome payload is for the metrics only: never stored or shown"
    send(base, session, "補助")                                # vague: topics offered as buttons
    send(base, session, "總經費950萬，買新機器最多補多少")          # a direct answer with the user's figures
    send(base, session, "今天台北天氣如何")                        # out of scope
    send(base, session, "我要找真人")                              # handoff (in office hours: the queue)
    after = scrape(base)

    assert moved(before, after, 'hotline_messages_total{channel="web"}') == 5
    for kind in ("cited_answer", "choices_offered", "calculation", "refused", "handoff"):
        assert moved(before, after, f'hotline_answers_total{{channel="web",kind="{kind}"}}') >= 1, kind
    assert moved(before, after, 'hotline_http_requests_total{method="POST",route="/api/widget/messages",status="200"}') == 5
    assert moved(before, after, 'hotline_http_request_seconds_count{method="POST",route="/api/widget/messages"}') == 5
    assert moved(before, after, 'hotline_rasa_seconds_count{outcome="ok"}') >= 5
    assert moved(before, after, 'hotline_rasa_seconds_sum{outcome="ok"}') > 0
    assert 'hotline_rasa_errors_total{reason="empty_reply"}' in after
    assert after['hotline_queue_tickets{state="waiting"}'] >= 1
    assert after["hotline_queue_oldest_wait_seconds"] >= 0
    assert after['hotline_upstream_up{service="rasa"}'] == 1
    assert after['hotline_upstream_up{service="action_server"}'] == 1
    # the action server's own metrics, appended by the gateway
    assert after["hotline_action_metrics_up"] == 1
    assert moved(before, after, 'hotline_action_seconds_count{action="action_answer_question"}') >= 2
    assert moved(before, after, 'hotline_retrieval_total{status="answer"}') >= 1
    assert moved(before, after, 'hotline_retrieval_total{status="suggest"}') >= 1
    assert moved(before, after, 'hotline_action_outcomes_total{kind="cited_answer"}') >= 1
    assert not any(k.startswith("hotline_action_errors_total") and moved(before, after, k) for k in after)


def log_lines(path: Path) -> list[dict]:
    out = []
    for raw in path.read_text("utf-8", errors="replace").splitlines():
        raw = raw.strip()
        if raw.startswith("{"):
            try:
                out.append(json.loads(raw))
            except ValueError:
                pass
    return out


def test_one_message_followed_across_the_three_services_without_personal_data(stack):
    base = stack.cfg.gateway_url
    logs_dir = stack.cfg.log_dir
    assert logs_dir is not None
    session = uuid.uuid4().hex
    request_id = f"trace{uuid.uuid4().hex[:12]}"
    personal = ["A123456789", "0912-345-678", "lin.mei@example.com.tw", "(02)2345-6789"]
    text = f"我是林小姐 身分證{personal[0]} 手機{personal[1]} 信箱{personal[2]} 公司電話{personal[3]}，整個計畫預算多少"
    resp = send(base, session, text, request_id)
    assert resp.headers["x-request-id"] == request_id
    conversation = conversation_ref(f"web:{session}")

    found: dict[str, list[dict]] = {}
    deadline = time.monotonic() + 20   # the services flush their lines as they write them
    while time.monotonic() < deadline:
        found = {name: [r for r in log_lines(logs_dir / f"{name}.log") if r.get("request_id") == request_id]
                 for name in ("gateway", "rasa", "actions")}
        # the gateway's HTTP line is written once the response has gone: wait for it too
        if all(found.values()) and any(r.get("event") == "http" for r in found["gateway"]):
            break
        time.sleep(0.5)
    assert all(found.values()), {k: len(v) for k, v in found.items()}
    assert {r["service"] for name in found for r in found[name]} == {"gateway", "rasa", "actions"}
    for records in found.values():   # the same hashed conversation in all three (the HTTP line has none)
        assert {r["conversation"] for r in records if "conversation" in r} == {conversation}
    events = {name: {r.get("event") for r in records} for name, records in found.items()}
    assert {"message_in", "answered", "http"} <= events["gateway"]
    assert "rasa_turn" in events["rasa"]
    assert {"action", "retrieval"} <= events["actions"]

    # nothing personal anywhere: not the session id, not the user's text, none of the identifiers
    for name in ("gateway", "rasa", "actions"):
        content = (logs_dir / f"{name}.log").read_text("utf-8", errors="replace")
        for secret in [*personal, session, "林小姐"]:
            assert secret not in content, f"{name}.log carries {secret!r}"


@pytest.mark.parametrize("text, hidden", [
    ("身分證 A123456789", "A123456789"),
    ("手機 0912-345-678", "0912-345-678"),
    ("手機0912345678", "0912345678"),
    ("市話 (02)2345-6789 分機 12", "2345-6789"),
    ("+886 912 345 678", "912 345 678"),
    ("信箱 lin.mei@example.com.tw", "lin.mei@example.com.tw"),
    ("LINE Uabcdef0123456789abcdef0123456789", "Uabcdef0123456789abcdef0123456789"),
])
def test_mask_hides_personal_data(text, hidden):
    assert hidden not in mask(text) and "***" in mask(text)


def test_conversation_ids_written_into_a_message_become_their_hash():
    sid = "3f9c2a7e5b1d4c8fa0e1b2c3"
    masked = mask(f"message 7 of web:{sid} stays pending")
    assert sid not in masked and conversation_ref(f"web:{sid}") in masked


@pytest.mark.parametrize("text", ["補助上限 5000000 元", "2026-12-31 截止", "員工 25 人", "案號 112001234"])
def test_mask_keeps_programme_figures(text):
    assert mask(text) == text


# ---------------------------------------------------------------- in process (FakeRasa)
def test_rasa_failures_and_answer_kinds_are_counted_in_process(tmp_path):
    from test_widget import Widget

    from channels.metrics import answer_kinds

    assert answer_kinds([{"text": "x"}, {"custom": {"type": "outcome", "kind": "not_found"}}]) == {"not_found"}
    assert answer_kinds([{"custom": {"type": "calc_result", "card": {}}}]) == {"calculation"}
    assert answer_kinds([{"text": "x"}, {"custom": {"type": "handoff", "reason": "requested"}},
                         {"custom": {"type": "outcome", "kind": "cited_answer"}}]) == {"handoff", "cited_answer"}
    assert answer_kinds([{"text": "hi"}, {"custom": {"type": "outcome", "kind": "made-up"}}]) == {"other"}

    replies: list[list[dict]] = [[]]
    w = Widget(tmp_path, script=lambda sender, message: replies[0])
    sid = w.new_session()
    w.send(sid, "第一個問題")                      # Rasa answers [] (the action server down behind it)
    w.rasa.down = True
    w.send(sid, "第二個問題")                      # Rasa unreachable
    w.rasa.down = False
    replies[0] = [{"text": "答案"}, {"custom": {"type": "outcome", "kind": "cited_answer"}}]
    body = w.send(sid, "第三個問題")
    assert [m["text"] for m in body["messages"]][-1] == "答案"
    assert all((m["payload"] or {}).get("custom", {}).get("type") != "outcome" for m in body["messages"])
    text = w.client.get("/metrics").text
    values = {m.group(1) + (m.group(2) or ""): float(m.group(3)) for m in map(SAMPLE.match, text.splitlines()) if m}
    assert values['hotline_rasa_errors_total{reason="empty_reply"}'] >= 1
    assert values['hotline_rasa_errors_total{reason="http"}'] >= 1
    # the third message first answers the two left pending: three cited answers
    assert values['hotline_answers_total{channel="web",kind="cited_answer"}'] == 3
    assert values['hotline_messages_total{channel="web"}'] == 3
    assert values['hotline_queue_tickets{state="waiting"}'] == 0
