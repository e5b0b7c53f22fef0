"""Load and checks shared by the fault tests (tests/test_faults.py: one Rasa, gateways killed and
restarted; tests/test_cluster_faults.py: the two-replica/two-gateway topology of ``make cluster``)."""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx
from sqlalchemy import text

from channels.core.store import Store

API = "/api/widget/messages"
QUESTIONS = ["診斷輔導要多少錢", "申請資格是什麼", "需要準備哪些文件", "你好", "什麼是升級轉型計畫",
             "補助比例是多少", "可以線上申請嗎", "謝謝", "申請流程是什麼", "申請期限到什麼時候"]
NOTICE_KINDS = ("queued", "recovered")


@dataclass
class Load:
    """Conversations sending messages one after another (like people typing), recording the 200s.

    Conversation i starts on ``urls[i % len(urls)]``; with ``failover`` a request that cannot reach
    its gateway goes to the next one (what a load balancer does), otherwise it counts as failed.
    ``seconds`` keeps every request's duration (the longest a user waited for an answer)."""
    urls: list[str]
    conversations: int = 4
    messages: int = 8
    pause_s: float = 0.2
    until_ok: bool = False
    failover: bool = False
    timeout_s: float = 60.0
    deadline_s: float = 150.0
    sessions: list[str] = field(default_factory=list)
    ok: dict[str, list[int]] = field(default_factory=dict)      # session → ids of messages that got a 200
    seconds: list[float] = field(default_factory=list)
    failed: int = 0
    server_errors: int = 0
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> "Load":
        if not self.sessions:               # a test may choose them (e.g. by the replica they hash to)
            self.sessions = [uuid.uuid4().hex for _ in range(self.conversations)]
        self.conversations = len(self.sessions)
        for i, session in enumerate(self.sessions):
            self.ok[session] = []
            t = threading.Thread(target=self._run, args=(session, i), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def _post(self, body: dict, first: int) -> httpx.Response:
        tries = len(self.urls) if self.failover else 1
        for k in range(tries):
            url = self.urls[(first + k) % len(self.urls)]
            try:
                return httpx.post(url + API, json=body, timeout=self.timeout_s)
            except httpx.ConnectError:
                if k == tries - 1:
                    raise
        raise AssertionError("unreachable")

    def _run(self, session: str, i: int) -> None:
        """Up to ``messages`` messages; with ``until_ok``, until that many got a 200 (a message whose
        request failed is followed by the next one, as a user would type again)."""
        deadline = time.monotonic() + self.deadline_s
        n = 0
        while time.monotonic() < deadline:
            if (len(self.ok[session]) if self.until_ok else n) >= self.messages:
                break
            body = {"session_id": session, "text": QUESTIONS[n % len(QUESTIONS)],
                    "client_id": f"m{n}-{uuid.uuid4().hex[:8]}"}
            n += 1
            t0 = time.monotonic()
            try:
                resp = self._post(body, i)
            except httpx.HTTPError:
                self.failed += 1          # no gateway reachable: the user sees an error
                time.sleep(0.5)
            else:
                self.seconds.append(time.monotonic() - t0)
                if resp.status_code == 200:
                    self.ok[session].append(resp.json()["user_message"]["id"])
                else:
                    self.failed += 1
                    self.server_errors += resp.status_code >= 500
            time.sleep(self.pause_s)

    def wait_ok(self, total: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while sum(len(v) for v in self.ok.values()) < total and time.monotonic() < deadline:
            time.sleep(0.2)

    def join(self, timeout: float = 180) -> None:
        for t in self.threads:
            t.join(timeout)
        assert not any(t.is_alive() for t in self.threads), "load did not finish"


def rows(store: Store, conversation_id: str):
    with store.engine.connect() as conn:
        return conn.execute(text(
            "SELECT id, direction, author, handled_at, failed_at, reply_to, ticket_id, payload, text, created_at "
            "FROM messages WHERE conversation_id = :c ORDER BY id"), {"c": conversation_id}).all()


def pending_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM messages WHERE direction = 'in' AND handled_at IS NULL")).scalar()


def wait_all_answered(store: Store, timeout: float) -> float:
    """Wait until no message is pending; returns how long that took."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    while pending_count(store) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert pending_count(store) == 0, f"{pending_count(store)} messages still unanswered after {timeout}s"
    return time.monotonic() - t0


def kind(payload) -> str | None:
    if isinstance(payload, str):
        payload = json.loads(payload)
    return (payload or {}).get("kind")


def check_answered_once_in_order(store: Store, load: Load) -> int:
    """Every message that got a 200 is handled (not failed) with its own answers, stored once, and
    a conversation's answers come in the order of its questions. Returns how many were checked."""
    checked = 0
    for session, ids in load.ok.items():
        cid = f"web:{session}"
        all_rows = rows(store, cid)
        inbound = {r.id: r for r in all_rows if r.direction == "in"}
        answers = [r for r in all_rows if r.direction == "out" and r.reply_to is not None
                   and kind(r.payload) not in NOTICE_KINDS]
        by_question: dict[int, list[str]] = {}
        for r in answers:
            by_question.setdefault(r.reply_to, []).append(r.text)
        for i in ids:
            r = inbound[i]
            assert r.handled_at is not None and r.failed_at is None, f"message {i} of {cid} not answered"
            assert by_question.get(i) or r.ticket_id is not None, f"message {i} of {cid} has no answer"
            got = by_question.get(i, [])
            half = len(got) // 2
            assert not (got and len(got) % 2 == 0 and got[:half] == got[half:]), f"message {i} answered twice: {got}"
            checked += 1
        order = [r.reply_to for r in answers]
        assert order == sorted(order), f"answers of {cid} out of order: {order}"
        assert set(order) <= set(inbound)
        assert list(inbound) == sorted(inbound)
    return checked


def rasa_user_texts(rasa_url: str, conversation_id: str) -> list[str]:
    """The user messages Rasa's tracker store holds for a conversation (every session)."""
    tracker = httpx.get(f"{rasa_url}/conversations/{conversation_id}/tracker", timeout=30).json()
    return [e.get("text") for e in tracker.get("events", []) if e.get("event") == "user"]
