"""Production Rasa: the gateway's routing over several replicas (consistent hashing with failover),
and bot/endpoints.production.yml loaded by a real Rasa on the machine's PostgreSQL and Redis."""
from __future__ import annotations

import asyncio
import collections
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels.rasa_client import HashRing, RasaClient, RasaUnavailable, replica_urls

KEYS = [f"web:{i:05d}" for i in range(6000)]
NODES = ["http://rasa-0:5005", "http://rasa-1:5005", "http://rasa-2:5005"]


# ---------------------------------------------------------------- the ring
def test_ring_assignment_is_stable_and_independent_of_list_order():
    a, b = HashRing(NODES), HashRing(list(reversed(NODES)))
    again = HashRing(NODES)
    for key in KEYS[:500]:
        assert a.node(key) == b.node(key) == again.node(key)
        assert a.order(key) == b.order(key)


def test_ring_spreads_conversations_evenly():
    counts = collections.Counter(HashRing(NODES).node(k) for k in KEYS)
    assert set(counts) == set(NODES)
    share = len(KEYS) / len(NODES)
    for node, n in counts.items():
        assert abs(n - share) / share < 0.15, counts  # within ±15 % of an even share


def test_failover_order_lists_every_replica_once_owner_first():
    ring = HashRing(NODES)
    seconds = collections.Counter()
    for key in KEYS[:2000]:
        order = ring.order(key)
        assert sorted(order) == sorted(NODES) and order[0] == ring.node(key)
        seconds[(order[0], order[1])] += 1
    # a dead replica's conversations are shared among the survivors, not all dumped on one
    for owner in NODES:
        fallbacks = {second for (first, second) in seconds if first == owner}
        assert len(fallbacks) == len(NODES) - 1


def test_removing_a_replica_moves_only_its_conversations_to_their_failover():
    full, without = HashRing(NODES), HashRing([n for n in NODES if n != NODES[1]])
    moved = 0
    for key in KEYS:
        before = full.order(key)
        if before[0] == NODES[1]:
            moved += 1
            assert without.node(key) == before[1]   # exactly where failover sent it
        else:
            assert without.node(key) == before[0]   # untouched
    assert 0.25 < moved / len(KEYS) < 0.42


def test_adding_a_replica_takes_keys_only_for_itself():
    small, big = HashRing(NODES[:2]), HashRing(NODES)
    for key in KEYS:
        if big.node(key) != NODES[2]:
            assert big.node(key) == small.node(key)


def test_replica_list_from_env():
    assert replica_urls("http://a:5005/") == ["http://a:5005"]
    assert replica_urls("http://a:5005", {"RASA_URLS": "http://b:1/, http://c:2,http://b:1"}) == \
        ["http://b:1", "http://c:2"]
    assert replica_urls("http://a:1,http://d:2", {}) == ["http://a:1", "http://d:2"]
    with pytest.raises(ValueError):
        replica_urls("", {})


# ---------------------------------------------------------------- the client against fake replicas
class _Replica:
    """A tiny Rasa REST stand-in that records which senders it served."""

    def __init__(self, name: str, status: int = 200):
        self.name, self.status, self.seen = name, status, []
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                sender = body["sender"] if isinstance(body, dict) else self.path
                outer.seen.append(sender)
                data = json.dumps([{"recipient_id": sender, "text": outer.name}]).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _free_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # closed again: connection refused


def test_client_routes_each_conversation_to_its_replica_and_fails_over():
    r0, r1 = _Replica("r0"), _Replica("r1")
    dead = _free_url()
    try:
        async def run():
            client = RasaClient(r0.url, 5, replicas=[r0.url, r1.url, dead], retry_down_s=60)
            got = {}
            for i in range(60):
                sender = f"web:s{i}"
                got[sender] = (await client.send(sender, "你好"))[0]["text"]
                again = (await client.send(sender, "再一次"))[0]["text"]
                assert again == got[sender]          # same conversation, same replica
                order = client.ring.order(sender)
                expected = order[0] if order[0] != dead else order[1]
                assert got[sender] == {r0.url: "r0", r1.url: "r1"}[expected]
            await client.aclose()
            return got

        got = asyncio.run(run())
        assert set(got.values()) == {"r0", "r1"}
        assert set(r0.seen) & set(r1.seen) == set()   # no conversation was served by both
    finally:
        r0.close(), r1.close()


def test_client_does_not_fail_over_when_a_replica_answered_with_an_error():
    bad, good = _Replica("bad", status=500), _Replica("good")
    try:
        async def run():
            client = RasaClient(bad.url, 5, replicas=[bad.url, good.url])
            sender = next(f"web:{i}" for i in range(1000) if client.ring.node(f"web:{i}") == bad.url)
            with pytest.raises(RasaUnavailable):
                await client.send(sender, "你好")
            await client.aclose()

        asyncio.run(run())
        assert good.seen == []     # it may have been processed by `bad`: not answered twice
    finally:
        bad.close(), good.close()


def test_client_with_every_replica_down_raises_unavailable():
    async def run():
        client = RasaClient("", 2, replicas=[_free_url(), _free_url()])
        with pytest.raises(RasaUnavailable, match="no Rasa replica reachable"):
            await client.send("web:x", "你好")
        await client.aclose()

    asyncio.run(run())


def test_single_url_behaves_as_before(monkeypatch):
    monkeypatch.delenv("RASA_URLS", raising=False)
    client = RasaClient("http://127.0.0.1:5005/", 3)
    assert client.replicas == ["http://127.0.0.1:5005"] and client.base_url == "http://127.0.0.1:5005"
    monkeypatch.setenv("RASA_URLS", "http://a:1,http://b:2")
    assert RasaClient("http://127.0.0.1:5005", 3).replicas == ["http://a:1", "http://b:2"]


# ---------------------------------------------------------------- Rasa on the production endpoints
def test_production_endpoints_values_are_unquoted_so_rasa_expands_them():
    from pathlib import Path

    import yaml

    text = (Path(__file__).resolve().parents[1] / "bot" / "endpoints.production.yml").read_text("utf-8")
    for line in text.splitlines():
        if "${" in line and not line.lstrip().startswith("#"):
            value = line.split(":", 1)[1].strip()
            assert value.startswith("${") and value.endswith("}"), f"quoted or mixed: {line!r}"
    doc = yaml.safe_load(text)
    assert doc["tracker_store"]["dialect"] == "postgresql" and doc["lock_store"]["type"] == "redis"


@pytest.mark.stack
def test_rasa_starts_on_the_production_endpoints_with_postgresql_and_redis(tmp_path):
    """A real Rasa with bot/endpoints.production.yml on a fresh PostgreSQL database and a spare Redis
    db: it answers over REST, its tracker lands in PostgreSQL, and a lock left by a dead replica
    (an unexpired ticket in Redis) holds a conversation only until TICKET_LOCK_LIFETIME."""
    import os
    import time
    import uuid

    import httpx
    import psycopg2
    import redis

    from scripts.cluster import Cluster, ClusterConfig, drop, prepare
    from scripts.stack import MODEL, ROOT

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    offset = int(os.environ.get("HOTLINE_TEST_PORT_OFFSET", "0"))
    tag = f"{offset}x{os.getpid()}"
    lifetime = 8
    cfg = ClusterConfig(replicas=1, rasa_port=15205 + offset, action_port=15255 + offset,
                        tracker_db=f"hotline_t_rasa_{tag}", handoff_db=f"hotline_t_handoff_{tag}",
                        redis_db=11, redis_key_prefix=f"hotlinetest{tag}", lock_lifetime_s=lifetime,
                        log_dir=ROOT / "test-output" / f"prod-endpoints-logs{offset or ''}")
    prepare(cfg, fresh=True)
    servers = Cluster(cfg, services=("actions-0", "rasa-0"))   # Rasa on bot/endpoints.production.yml
    url = cfg.rasa_urls()[0]
    red = redis.Redis(host=cfg.redis_host, port=cfg.redis_port, db=cfg.redis_db)
    try:
        servers.start()
        servers.wait_ready(timeout=500)

        def say(sender: str, text: str, timeout: float = 120) -> tuple[list[dict], float]:
            t = time.monotonic()
            r = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                           timeout=timeout)
            assert r.status_code == 200, r.text
            return r.json(), time.monotonic() - t

        sender = f"prod-{uuid.uuid4().hex[:8]}"
        replies, first = say(sender, "你好", timeout=300)      # the first turn loads lazily (slow under load)
        print(f"first turn {first:.1f}s")
        assert replies and replies[0].get("text"), replies
        replies, _ = say(sender, "員工8人的製造業補助上限多少")
        assert "依據" in "\n".join(r.get("text", "") for r in replies), replies

        conn = psycopg2.connect(f"dbname={cfg.tracker_db} user=postgres host=127.0.0.1")
        with conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM events WHERE sender_id = %s AND type_name = 'user'", (sender,))
            assert cur.fetchone()[0] == 2                  # the tracker lives in PostgreSQL
        conn.close()

        # the replica runs with the short lock lifetime (Rasa reads it from its environment at start)
        rasa_pid = servers.procs["rasa-0"].pid
        environ = open(f"/proc/{rasa_pid}/environ", "rb").read().split(b"\0")
        assert f"TICKET_LOCK_LIFETIME={lifetime}".encode() in environ

        # a replica died holding this conversation's lock: its ticket expires `lifetime` s after issue
        stuck = f"prod-{uuid.uuid4().hex[:8]}"
        key = f"{cfg.redis_key_prefix}:lock:{stuck}"
        # (issued 2 s ago: a ticket expiring in the same 1-s poll as the waiter's own makes Rasa 3.6
        # wait until the conversation's next message — see docs/production.md)
        ticket = json.dumps({"number": 1, "expires": time.time() + lifetime - 2})
        red.set(key, json.dumps({"conversation_id": stuck, "tickets": [ticket]}))
        replies, waited = say(stuck, "你好")
        assert replies
        print(f"held by the dead replica's lock for {waited:.1f}s")
        assert lifetime - 4 <= waited <= lifetime + 40, waited    # held by the lock, then released
        assert red.get(key) is None                               # cleaned up after the turn
    finally:
        servers.stop()
        red.close()
        drop(cfg)


def test_rasa_reads_the_lock_lifetime_from_the_environment():
    """Rasa 3.6 has no lock_lifetime key in endpoints: TICKET_LOCK_LIFETIME is how it is set."""
    import os
    import subprocess

    from scripts.stack import ROOT

    py = ROOT / ".venv" / "rasa" / "bin" / "python"
    out = subprocess.run([str(py), "-c", "from rasa.core.lock_store import LOCK_LIFETIME; print(LOCK_LIFETIME)"],
                         env={**os.environ, "TICKET_LOCK_LIFETIME": "20"}, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "20", out.stderr[-2000:]
