"""Issue 12 on the production topology (``make cluster``): two Rasa replicas (trackers in PostgreSQL,
locks in Redis), two action servers and two gateways on one PostgreSQL handoff database, started once
for this file. Bounded: 4–6 conversations × 6 messages per scenario, every wait has a limit.

- both gateways answer, each conversation is served by one replica, both replicas see one tracker;
- messages of one conversation arriving at both gateways at the same moment: every one reaches the
  bot exactly once (no lost turn in the tracker, no second answer);
- kill -9 of one gateway, then of one Rasa replica, each under load from several conversations
  spread over both gateways (clients go to the other gateway when theirs refuses, as a load balancer
  does): every message that got a 200 is answered exactly once, in order; nothing is lost from the
  trackers; no request and no answer waits longer than the configured timeout (``RASA_TIMEOUT_S``).
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from faultutil import (API, QUESTIONS, Load, check_answered_once_in_order, kind, rasa_user_texts, rows,
                       wait_all_answered)
from sqlalchemy import text

from channels.core.store import Store
from testenv import LOAD_GATEWAY_ENV, PORT_OFFSET, STACK_NOW

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[1]
RASA_TIMEOUT_S = 30.0       # the gateways' configured timeout
LOCK_LIFETIME_S = 10        # Rasa's conversation lock (Redis), below the timeout
SLACK_S = 5.0               # the machine is shared: scheduling, the answer's own write


@pytest.fixture(scope="module")
def cluster():
    from scripts.cluster import Cluster, ClusterConfig, drop, prepare
    from scripts.stack import MODEL

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    tag = f"{PORT_OFFSET}x{os.getpid()}"
    cfg = ClusterConfig(rasa_port=15305 + PORT_OFFSET, action_port=15355 + PORT_OFFSET,
                        gateway_port=18305 + PORT_OFFSET,
                        tracker_db=f"hotline_c_rasa_{tag}", handoff_db=f"hotline_c_handoff_{tag}",
                        redis_db=12, redis_key_prefix=f"hotlinec{tag}",
                        lock_lifetime_s=LOCK_LIFETIME_S, rasa_timeout_s=RASA_TIMEOUT_S,
                        var_dir=Path(os.environ.get("TMPDIR", "/tmp")) / f"hotline-cluster-{tag}",
                        log_dir=ROOT / "test-output" / f"cluster-logs{PORT_OFFSET or ''}",
                        extra_env={"HANDOFF_FAKE_NOW": STACK_NOW, **LOAD_GATEWAY_ENV})
    prepare(cfg, fresh=True)
    c = Cluster(cfg)
    c.start()
    c.supervise()
    try:
        c.wait_ready(timeout=700)
        for rasa in cfg.rasa_urls():    # the first turn after a start loads lazily: not measured
            httpx.post(f"{rasa}/webhooks/rest/webhook", json={"sender": f"warm-{uuid.uuid4().hex[:6]}",
                                                              "message": "診斷輔導要多少錢"}, timeout=300)
        yield c
    finally:
        c.stop()
        drop(cfg)


@pytest.fixture
def store(cluster):
    s = Store(cluster.cluster.handoff_url())
    try:
        yield s
    finally:
        s.dispose()


def test_make_cluster_starts_and_answers_through_both_gateways(cluster):
    from channels.rasa_client import HashRing

    cfg = cluster.cluster
    gateways = cfg.gateway_urls()
    for g in gateways:
        body = httpx.get(f"{g}/health", timeout=10).json()
        assert body["status"] == "ok", body
    ring = HashRing(cfg.rasa_urls())
    # 8 conversations, at least one owned by each replica (random ids alone all landed on one replica
    # about once in a hundred runs, failing the check below by chance)
    sessions: list[str] = []
    for _ in range(10_000):
        if len(sessions) == 8:
            break
        candidate = f"cluster-{uuid.uuid4().hex[:16]}"
        unserved = set(cfg.rasa_urls()) - {ring.node(f"web:{s}") for s in sessions}
        if len(sessions) < 8 - len(unserved) or ring.node(f"web:{candidate}") in unserved:
            sessions.append(candidate)
    owners = {ring.node(f"web:{s}") for s in sessions}
    for i, s in enumerate(sessions):                      # alternate gateways within a conversation
        for turn, said_text in enumerate(["你好", "員工8人的製造業補助上限多少"]):
            gw = gateways[(i + turn) % 2]
            r = httpx.post(f"{gw}{API}", json={"session_id": s, "text": said_text}, timeout=90)
            assert r.status_code == 200, r.text
            said = "\n".join(m["text"] for m in r.json()["messages"] if m["direction"] == "out")
            assert said, r.json()
            if turn == 1:
                assert "依據" in said, said                 # a cited answer: Rasa and actions worked
    # both replicas served (with 8 conversations, almost surely) and share one tracker store
    assert len(owners) == 2 or len(sessions) < 4
    for s in sessions:
        for rasa in cfg.rasa_urls():
            assert len(rasa_user_texts(rasa, f"web:{s}")) == 2, (rasa, s)
    assert all(n == 0 for n in cluster.restarts.values()), cluster.events


def _answer_delays(store: Store, load) -> list[float]:
    """For every message that got a 200: seconds from its arrival to its (first) real answer."""
    delays = []
    for session, ids in load.ok.items():
        all_rows = rows(store, f"web:{session}")
        arrived = {r.id: r.created_at for r in all_rows if r.direction == "in"}
        answered: dict[int, object] = {}
        for r in all_rows:
            if r.direction == "out" and r.reply_to is not None and kind(r.payload) not in ("queued", "recovered"):
                answered.setdefault(r.reply_to, r.created_at)
        delays += [(answered[i] - arrived[i]).total_seconds() for i in ids if i in answered]
    return delays


def _nothing_lost_in_trackers(cfg, load) -> None:
    """Every message that got a 200 is a user turn in the shared tracker store."""
    for session, ids in load.ok.items():
        texts = rasa_user_texts(cfg.rasa_urls()[1], f"web:{session}")
        assert len(texts) >= len(ids), (session, texts)


def test_concurrent_messages_of_one_conversation_at_both_gateways_each_reach_the_bot_once(cluster, store):
    cfg = cluster.cluster
    gateways = cfg.gateway_urls()
    sessions = [uuid.uuid4().hex for _ in range(4)]
    sent: dict[str, list[str]] = {s: [] for s in sessions}
    ok: dict[str, list[int]] = {s: [] for s in sessions}
    statuses: list[int] = []
    lock = threading.Lock()
    for rnd in range(2):                                 # two rounds of simultaneous pairs
        barrier = threading.Barrier(len(sessions) * 2)

        def send(gw: str, session: str, question: str) -> None:
            barrier.wait()
            r = httpx.post(gw + API, json={"session_id": session, "text": question}, timeout=RASA_TIMEOUT_S + 60)
            with lock:
                statuses.append(r.status_code)
                if r.status_code == 200:
                    ok[session].append(r.json()["user_message"]["id"])
        threads = []
        for k, s in enumerate(sessions):
            for j, gw in enumerate(gateways):
                q = QUESTIONS[(2 * rnd + j + k) % len(QUESTIONS)]
                sent[s].append(q)
                threads.append(threading.Thread(target=send, args=(gw, s, q)))
        for t in threads:
            t.start()
        for t in threads:
            t.join(RASA_TIMEOUT_S + 90)
    assert statuses == [200] * len(sessions) * 4
    wait_all_answered(store, 90)
    for s in sessions:
        ok[s].sort()
    assert check_answered_once_in_order(store, SimpleNamespace(ok=ok)) == len(sessions) * 4
    for s in sessions:
        texts = rasa_user_texts(cfg.rasa_urls()[0], f"web:{s}")
        assert sorted(texts) == sorted(sent[s]), (s, texts)      # no turn lost, none twice
        answers = [r for r in rows(store, f"web:{s}") if r.direction == "out" and r.reply_to is not None
                   and kind(r.payload) not in ("queued", "recovered")]
        assert len({r.reply_to for r in answers}) == 4


def test_killing_one_gateway_under_load_loses_nothing(cluster, store):
    cfg = cluster.cluster
    # until_ok: a user whose request was cut by the kill types the next message (six 200s each)
    load = Load(cfg.gateway_urls(), conversations=6, messages=6, failover=True, until_ok=True,
                timeout_s=RASA_TIMEOUT_S + 60)
    load.start()
    load.wait_ok(6)
    cluster.kill("gateway-0")                        # kill -9; the supervisor starts it again
    load.join()
    waited = wait_all_answered(store, 120)
    assert check_answered_once_in_order(store, load) == 36
    # the other gateway took every later message; only a request in flight at the kill (at most one
    # per conversation on the killed gateway) saw a broken connection — its message, if stored, was
    # answered all the same (nothing pending above)
    assert load.server_errors == 0 and load.failed <= 3, load.failed
    _nothing_lost_in_trackers(cfg, load)
    delays = _answer_delays(store, load)
    print(f"gateway kill: longest request {max(load.seconds):.1f}s, longest answer delay {max(delays):.1f}s, "
          f"settled {waited:.1f}s after the load; {load.failed} requests cut by the kill")
    assert max(load.seconds) <= RASA_TIMEOUT_S + SLACK_S
    assert max(delays) <= RASA_TIMEOUT_S + SLACK_S
    cluster.restart("gateway-0", timeout=120)         # back by itself (supervised)
    assert cluster.restarts["gateway-0"] >= 1


def _sessions_per_replica(cfg, n: int) -> list[str]:
    """``n`` new conversations on each replica of the ring (as every gateway routes them)."""
    from channels.rasa_client import HashRing

    ring = HashRing(cfg.rasa_urls())
    picked: dict[str, list[str]] = {u: [] for u in cfg.rasa_urls()}
    while any(len(v) < n for v in picked.values()):
        s = uuid.uuid4().hex
        owner = picked[ring.node(f"web:{s}")]
        if len(owner) < n:
            owner.append(s)
    return [s for v in zip(*picked.values()) for s in v]


def test_killing_one_rasa_replica_under_load_loses_nothing(cluster, store):
    cfg = cluster.cluster
    # 10 messages per conversation: on a quiet machine 6 were done within 2 s of the kill
    load = Load(cfg.gateway_urls(), messages=10, failover=True, timeout_s=RASA_TIMEOUT_S + 60,
                sessions=_sessions_per_replica(cfg, 3))
    load.start()
    load.wait_ok(6)
    killed_at = time.monotonic()
    cluster.kill("rasa-0")              # kill -9 while it serves three of the six conversations
    load.join()
    assert time.monotonic() - killed_at > 2       # the load went on after the kill
    waited = wait_all_answered(store, 150)
    assert check_answered_once_in_order(store, load) == 60
    assert load.failed == 0 and load.server_errors == 0
    _nothing_lost_in_trackers(cfg, load)
    delays = _answer_delays(store, load)
    with store.engine.connect() as conn:
        failed = conn.execute(text("SELECT count(*) FROM messages WHERE failed_at IS NOT NULL")).scalar()
        retried = conn.execute(text("SELECT count(*) FROM messages WHERE direction = 'in' AND attempts > 0 "
                                    "AND conversation_id = ANY(:c)"),
                               {"c": [f"web:{s}" for s in load.sessions]}).scalar()
    print(f"rasa kill: longest request {max(load.seconds):.1f}s, longest answer delay {max(delays):.1f}s, "
          f"settled {waited:.1f}s after the load; {retried} messages needed another try; "
          f"rasa-0 restarts {cluster.restarts['rasa-0']}")
    assert failed == 0
    assert max(load.seconds) <= RASA_TIMEOUT_S + SLACK_S
    assert max(delays) <= RASA_TIMEOUT_S + SLACK_S
