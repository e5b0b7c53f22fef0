"""Issue 12: nothing is lost when a process dies — real processes, kill -9, loopback only.

One Rasa and one action server serve the whole file (Rasa takes a minute to start); gateways are
cheap and started per scenario. Each load scenario sends 4 conversations × 10 messages through the
widget API while one process is killed with SIGKILL and started again; afterwards every message
that got a 200 must be answered exactly once, in order per conversation. Then two gateways share
one fresh PostgreSQL database: they start together on it while it is empty, take the first messages
of one new conversation at the same time, and replay pending messages at start — each answered once.
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from channels.core.store import Store
from conftest import OUTPUT, PORT_OFFSET, STACK_NOW

pytestmark = pytest.mark.stack

# gateways on ports of their own (conftest's stack uses 15005/15055/18000/18090 + offset, offsets 50 apart)
GATEWAY_PORTS = (16045 + PORT_OFFSET, 16046 + PORT_OFFSET)
PG_ADMIN = os.environ.get("HANDOFF_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
API = "/api/widget/messages"
QUESTIONS = ["診斷輔導要多少錢", "申請資格是什麼", "需要準備哪些文件", "你好", "什麼是升級轉型計畫",
             "補助比例是多少", "可以線上申請嗎", "謝謝", "申請流程是什麼", "申請期限到什麼時候"]
CONVERSATIONS, MESSAGES = 4, 8
SETTLE_S = 150          # after the killed process is back: time for every pending message to be answered
NOTICE_KINDS = ("queued", "recovered")


@pytest.fixture(scope="module")
def bot(stack):
    """The session's Rasa + action server (conftest's ``stack``): killed and restarted here, and
    always left running for the tests after these."""
    # the first message after a start is slow (lazy loading): not part of any measurement
    httpx.post(f"{stack.cfg.rasa_url}/webhooks/rest/webhook", json={"sender": "warmup", "message": "你好"},
               timeout=120)
    yield stack


@contextmanager
def killed(bot, name: str) -> Iterator[None]:
    """kill -9 one of the bot's servers; it is running again afterwards whatever happens."""
    bot.kill(name)
    try:
        yield
    finally:
        if bot.procs[name].poll() is not None:
            bot.restart(name, timeout=300)


@contextmanager
def gateway(bot, port: int, database_url: str, tmp: Path, name: str) -> Iterator["object"]:
    from scripts.stack import Stack, StackConfig

    cfg = StackConfig(rasa_port=bot.cfg.rasa_port, action_port=bot.cfg.action_port, gateway_port=port,
                      var_dir=tmp / f"var-{name}", log_dir=OUTPUT / f"fault-logs{PORT_OFFSET or ''}" / name,
                      extra_env={"HANDOFF_DATABASE_URL": database_url, "HANDOFF_FAKE_NOW": STACK_NOW,
                                 "RASA_TIMEOUT_S": "20", "AGENT_ASSIST": "false",
                                 "WIDGET_RATE_PER_SESSION": "0", "WIDGET_RATE_PER_ADDRESS": "0"})
    gw = Stack(cfg, services=("gateway",))
    gw.start()
    try:
        gw.wait_ready(timeout=60)
        yield gw
    finally:
        gw.stop()


# ---------------------------------------------------------------- load and checks
@dataclass
class Load:
    """Conversations sending messages one after another (like people typing), recording the 200s."""
    urls: list[str]
    conversations: int = CONVERSATIONS
    messages: int = MESSAGES
    pause_s: float = 0.2
    sessions: list[str] = field(default_factory=list)
    ok: dict[str, list[int]] = field(default_factory=dict)      # session → ids of messages that got a 200
    until_ok: bool = False
    failed: int = 0
    server_errors: int = 0
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> "Load":
        self.sessions = [uuid.uuid4().hex for _ in range(self.conversations)]
        for i, session in enumerate(self.sessions):
            self.ok[session] = []
            t = threading.Thread(target=self._run, args=(session, self.urls[i % len(self.urls)]), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def _run(self, session: str, url: str) -> None:
        """Up to ``messages`` messages; with ``until_ok``, until that many got a 200 (a message whose
        request failed is followed by the next one, as a user would type again)."""
        deadline = time.monotonic() + 150
        with httpx.Client(base_url=url, timeout=60) as client:
            n = 0
            while time.monotonic() < deadline:
                if (len(self.ok[session]) if self.until_ok else n) >= self.messages:
                    break
                body = {"session_id": session, "text": QUESTIONS[n % len(QUESTIONS)],
                        "client_id": f"m{n}-{uuid.uuid4().hex[:8]}"}
                n += 1
                try:
                    resp = client.post(API, json=body)
                except httpx.HTTPError:
                    self.failed += 1          # the gateway is down: the user sees an error
                    time.sleep(0.5)
                else:
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
            "SELECT id, direction, author, handled_at, failed_at, reply_to, ticket_id, payload, text FROM messages "
            "WHERE conversation_id = :c ORDER BY id"), {"c": conversation_id}).all()


def pending_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM messages WHERE direction = 'in' AND handled_at IS NULL")).scalar()


def wait_all_answered(store: Store, timeout: float = SETTLE_S) -> None:
    deadline = time.monotonic() + timeout
    while pending_count(store) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert pending_count(store) == 0, f"{pending_count(store)} messages still unanswered after {timeout}s"


def _kind(payload) -> str | None:
    if isinstance(payload, str):
        import json
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
                   and _kind(r.payload) not in NOTICE_KINDS]
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


def sqlite_url(tmp: Path, name: str) -> str:
    return f"sqlite:///{tmp / name / 'handoff.db'}"


# ---------------------------------------------------------------- kill -9 under load
def test_kill_rasa_under_load_every_accepted_message_is_answered_once_in_order(bot, tmp_path):
    url = sqlite_url(tmp_path, "rasa-kill")
    with gateway(bot, GATEWAY_PORTS[0], url, tmp_path, "rasa-kill") as gw:
        load = Load([gw.cfg.gateway_url]).start()
        time.sleep(2.0)
        store = Store(url)
        try:
            with killed(bot, "rasa"):
                # a request for a person during the outage still opens a ticket
                person = uuid.uuid4().hex
                resp = httpx.post(gw.cfg.gateway_url + API, json={"session_id": person, "text": "我要找真人"},
                                  timeout=30)
                assert resp.status_code == 200 and "已為您轉接專人" in resp.json()["messages"][-1]["text"]
                assert resp.json()["handoff"]["state"] == "waiting"
                load.join()
                assert pending_count(store) > 0          # the outage really left messages waiting
                busy = [r for s in load.sessions for r in rows(store, f"web:{s}") if _kind(r.payload) == "queued"]
                assert busy                                 # ... and their senders were told
            wait_all_answered(store)
            assert check_answered_once_in_order(store, load) == CONVERSATIONS * MESSAGES
            assert load.server_errors == 0 and load.failed == 0
        finally:
            store.dispose()


def test_kill_the_action_server_under_load_nothing_is_lost(bot, tmp_path):
    url = sqlite_url(tmp_path, "actions-kill")
    with gateway(bot, GATEWAY_PORTS[0], url, tmp_path, "actions-kill") as gw:
        load = Load([gw.cfg.gateway_url]).start()
        time.sleep(2.0)
        with killed(bot, "actions"):
            person = uuid.uuid4().hex
            resp = httpx.post(gw.cfg.gateway_url + API, json={"session_id": person, "text": "請幫我轉接真人客服"},
                              timeout=30)
            assert resp.status_code == 200 and resp.json()["handoff"] is not None
            load.join()
        store = Store(url)
        try:
            wait_all_answered(store)
            assert check_answered_once_in_order(store, load) == CONVERSATIONS * MESSAGES
            assert load.server_errors == 0 and load.failed == 0
        finally:
            store.dispose()


def test_kill_the_gateway_under_load_nothing_is_lost(bot, tmp_path):
    url = sqlite_url(tmp_path, "gateway-kill")
    with gateway(bot, GATEWAY_PORTS[0], url, tmp_path, "gateway-kill") as gw:
        load = Load([gw.cfg.gateway_url], pause_s=0.3, until_ok=True).start()
        load.wait_ok(CONVERSATIONS)           # the load is under way (answers take seconds on a busy machine)
        gw.kill("gateway")
        time.sleep(1.0)
        gw.restart("gateway", timeout=60)
        load.join()
        store = Store(url)
        try:
            wait_all_answered(store)
            checked = check_answered_once_in_order(store, load)
            assert checked == CONVERSATIONS * MESSAGES
            assert load.server_errors == 0
        finally:
            store.dispose()


# ---------------------------------------------------------------- two gateways on one PostgreSQL
@pytest.fixture
def pg_database():
    name = f"hotline_faults_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def two_gateways(bot, url: str, tmp: Path) -> Iterator[list]:
    """Both started at the same moment on the same database."""
    from scripts.stack import Stack, StackConfig

    stacks = []
    for i, port in enumerate(GATEWAY_PORTS):
        cfg = StackConfig(rasa_port=bot.cfg.rasa_port, action_port=bot.cfg.action_port, gateway_port=port,
                          var_dir=tmp / f"var-pg{i}", log_dir=OUTPUT / f"fault-logs{PORT_OFFSET or ''}" / f"pg{i}",
                          # a long timeout: a turn slower than it would be sent to Rasa again (at least
                          # once), and this test counts the bot's turns exactly
                          extra_env={"HANDOFF_DATABASE_URL": url, "HANDOFF_FAKE_NOW": STACK_NOW,
                                     "RASA_TIMEOUT_S": "90", "AGENT_ASSIST": "false",
                                     "WIDGET_RATE_PER_SESSION": "0", "WIDGET_RATE_PER_ADDRESS": "0"})
        stacks.append(Stack(cfg, services=("gateway",)))
    try:
        for s in stacks:
            s.start()
        for s in stacks:
            s.wait_ready(timeout=60)
        time.sleep(0.5)
        assert all(s.procs["gateway"].poll() is None for s in stacks), "a gateway exited at start"
        yield stacks
    finally:
        for s in stacks:
            s.stop()


def rasa_user_turns(bot, conversation_id: str) -> int:
    tracker = httpx.get(f"{bot.cfg.rasa_url}/conversations/{conversation_id}/tracker", timeout=30).json()
    return sum(1 for e in tracker.get("events", []) if e.get("event") == "user")


def test_two_gateways_on_one_postgresql_database(bot, tmp_path, pg_database):
    with two_gateways(bot, pg_database, tmp_path) as (a, b):
        urls = [a.cfg.gateway_url, b.cfg.gateway_url]
        # the first messages of one new conversation reach both gateways at the same time
        sessions = [uuid.uuid4().hex for _ in range(3)]
        results: list[httpx.Response] = []
        barrier = threading.Barrier(len(sessions) * 2)

        def first(url: str, session: str, question: str) -> None:
            barrier.wait()
            results.append(httpx.post(url + API, json={"session_id": session, "text": question}, timeout=60))
        threads = [threading.Thread(target=first, args=(u, s, q))
                   for s in sessions for u, q in zip(urls, ("你好", "診斷輔導要多少錢"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        assert [r.status_code for r in results] == [200] * len(threads)
        store = Store(pg_database)
        try:
            wait_all_answered(store, 60)
            with store.engine.connect() as conn:
                n = conn.execute(text("SELECT count(*) FROM conversations WHERE id = ANY(:ids)"),
                                 {"ids": [f"web:{s}" for s in sessions]}).scalar()
            assert n == len(sessions)
            for s in sessions:
                assert rasa_user_turns(bot, f"web:{s}") == 2     # each message reached the bot once
                answers = [r for r in rows(store, f"web:{s}") if r.direction == "out"]
                assert len({r.reply_to for r in answers}) == 2
            # a load spread over both gateways (a conversation's messages alternate between them)
            load = Load(urls, conversations=2, messages=6, pause_s=0.2)
            load.start()
            load.join()
            wait_all_answered(store, 60)
            assert check_answered_once_in_order(store, load) == 12
        finally:
            store.dispose()
        for s in (a, b):
            s.kill("gateway")

    # pending messages (stored, never answered: both gateways died) are replayed by both at start
    store = Store(pg_database)
    try:
        waiting = {}
        for i in range(3):
            session = uuid.uuid4().hex
            cid = f"web:{session}"
            store.touch_conversation(cid, "web", session)
            waiting[cid] = [store.add_message(cid, "in", "user", q).id for q in ("你好", "申請資格是什麼")]
        with two_gateways(bot, pg_database, tmp_path):
            wait_all_answered(store, 90)
            for cid, ids in waiting.items():
                assert rasa_user_turns(bot, cid) == 2            # neither message sent twice
                answers = [r for r in rows(store, cid) if r.direction == "out"]
                assert [r.reply_to for r in answers] == sorted(r.reply_to for r in answers)
                assert {r.reply_to for r in answers} == set(ids)
    finally:
        store.dispose()
