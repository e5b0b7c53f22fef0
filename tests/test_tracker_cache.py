"""Issue 14: the SQL tracker store keeps recently used trackers in process memory
(bot/components/tracker_cache.py). It must store exactly the rows Rasa's own store stores, notice
every write by another replica (or a deletion), and never hand out a tracker a failed turn changed.

The store-level tests run Rasa's SQLTrackerStore (patched and, for the reference, with the cache
off) on SQLite and on the real PostgreSQL (127.0.0.1:5432, database ``test``); the stack test runs
real Rasa replicas on PostgreSQL and compares what they store and serve over HTTP."""
from __future__ import annotations

import os
import subprocess

import pytest

from scripts.stack import ROOT

STORE_SNIPPET = r'''
import asyncio, json, os, sys, time, uuid
import components  # applies the patches, as Rasa does when it loads the model
from components import tracker_cache
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, SessionStarted, SlotSet,
                                     UserUttered)

DIALECT = sys.argv[1]
domain = Domain.from_path("bot/domain.yml")


def store(db, size):
    if DIALECT == "sqlite":
        s = SQLTrackerStore(domain, dialect="sqlite", db=db)
    else:
        s = SQLTrackerStore(domain, dialect="postgresql", host="127.0.0.1", port=5432, db="test",
                            username="postgres")
    s._hotline_tracker_cache = tracker_cache.TrackerCache(size)
    return s


BASE = float(int(time.time()) + 1000)   # after the first action_listen (Rasa's own clock)
clock = [BASE]


def ts():
    clock[0] += 0.5
    return clock[0]


def turn(i):
    """The events of one user turn (identical objects' contents for both stores)."""
    out = [UserUttered(f"問題 {i}", {"name": "ask_programme", "confidence": 0.9}, [],
                       {"text": f"問題 {i}", "intent": {"name": "ask_programme", "confidence": 0.9},
                        "entities": []}, timestamp=ts(), message_id=f"m{i}"),
           ActionExecuted("action_answer_question", policy="RulePolicy", confidence=1.0, timestamp=ts()),
           BotUttered(f"答 {i}", {"buttons": None}, {"utter_action": "utter_x"}, timestamp=ts()),
           SlotSet("last_entry_id", f"e{i}", timestamp=ts()),
           ActionExecuted("action_listen", timestamp=ts())]
    if i and i % 4 == 0:      # a new session begins before this turn's message (as Rasa does)
        out = [ActionExecuted("action_session_start", timestamp=ts()), SessionStarted(timestamp=ts()),
               SlotSet("last_entry_id", f"e{i - 1}", timestamp=ts()),
               ActionExecuted("action_listen", timestamp=ts())] + out
    return out


async def converse(stores, sender, turns, fail_at=()):
    """``turns`` turns, turn i on stores[i % len(stores)]; a turn in ``fail_at`` changes the
    tracker and saves nothing (a failed turn)."""
    for i in range(turns):
        s = stores[i % len(stores)]
        t = await s.get_or_create_tracker(sender)
        events = turn(i)
        for e in events:
            t.update(e)
        if i in fail_at:
            continue
        await s.save(t)


def rows(s, sender):
    """The sender's rows in order; the first (the action_listen Rasa adds when it creates a tracker,
    stamped with the wall clock) without its timestamp."""
    with s.engine.connect() as c:
        out = [list(r) for r in c.exec_driver_sql(
            "SELECT type_name, timestamp, intent_name, action_name, data FROM events "
            "WHERE sender_id = %s ORDER BY id" % ("?" if DIALECT == "sqlite" else "%s"), (sender,))]
    if out and out[0][0] == "action":
        data = json.loads(out[0][4])
        data.pop("timestamp")
        out[0][1], out[0][4] = None, json.dumps(data)
    return [tuple(r) for r in out]


def state(tracker):
    """The tracker as GET /conversations/<id>/tracker returns it, without Rasa's wall-clock stamps."""
    from rasa.shared.core.trackers import EventVerbosity

    out = tracker.current_state(EventVerbosity.ALL)
    for e in out["events"]:
        if e["timestamp"] < BASE:
            e["timestamp"] = None
    return out


async def main(tmp):
    tag = uuid.uuid4().hex[:8]
    rasa, ours = store(f"{tmp}/rasa.db", 0), store(f"{tmp}/ours.db", 64)
    # 1. the same conversation through Rasa's store and the cached one: the same rows, the same
    # full tracker; a failed turn (changed, not saved) is not seen by the next turn
    A, B = f"same-{tag}-rasa", f"same-{tag}"          # (one database on PostgreSQL)
    for s, sender in ((rasa, A), (ours, B)):
        clock[0] = BASE
        await converse([s], sender, 14, fail_at=(6,))
    ra, ou = rows(rasa, A), rows(ours, B)
    diff = [(i, x, y) for i, (x, y) in enumerate(zip(ra, ou)) if x != y]
    assert len(ra) == len(ou) and not diff, (len(ra), len(ou), diff[:3])
    a = state(await rasa.retrieve_full_tracker(A))
    b = state(await ours.retrieve_full_tracker(B))
    a["sender_id"] = b["sender_id"]
    assert a == b, "full trackers differ"
    a, b = (await rasa.retrieve(A)), (await ours.retrieve(B))
    sa, sb = state(a), state(b)
    sa["sender_id"] = sb["sender_id"]
    assert sa == sb, "latest sessions differ"
    assert len(ou) == 1 + 13 * 5 + 3 * 4, len(ou)
    cache = ours._hotline_tracker_cache
    assert cache.hits >= 8 and cache.fast_saves >= 10, (cache.hits, cache.misses, cache.fast_saves)

    # 2. two replicas (two caching stores on one database) alternating turns: nothing lost or doubled
    if DIALECT == "sqlite":
        r1, r2 = store(f"{tmp}/shared.db", 64), store(f"{tmp}/shared.db", 64)
        ref = store(f"{tmp}/shared-ref.db", 0)
    else:
        r1, r2, ref = store(None, 64), store(None, 64), store(None, 0)
    clock[0] = BASE
    await converse([r1, r2], f"two-{tag}", 12)
    clock[0] = BASE
    await converse([ref], f"two-ref-{tag}", 12)
    assert rows(r1, f"two-{tag}") == rows(ref, f"two-ref-{tag}"), "replicas lost or doubled events"
    # each replica saw the other's write and reloaded: no stale tracker was extended
    assert r1._hotline_tracker_cache.misses >= 5 and r2._hotline_tracker_cache.misses >= 5
    # the same replica twice in a row uses its cache
    before = r1._hotline_tracker_cache.hits
    await converse([r1], f"two-{tag}", 2)
    t = await r1.retrieve(f"two-{tag}")
    assert r1._hotline_tracker_cache.hits > before

    # 3. a deletion (channels.privacy erase) is noticed: the conversation starts over
    await ours.save(b)                                  # nothing new: back in the cache
    assert f"same-{tag}" in cache.cached
    with ours.engine.begin() as c:
        c.exec_driver_sql("DELETE FROM events WHERE sender_id = %s" % ("?" if DIALECT == "sqlite" else "%s"),
                          (f"same-{tag}",))
    assert await ours.retrieve(f"same-{tag}") is None

    # 4. a tracker the store did not hand out (HTTP API PUT .../tracker/events) goes through Rasa's save
    t = ours.init_tracker(f"same-{tag}")
    t.update(ActionExecuted("action_listen", timestamp=ts()))
    await ours.save(t)
    assert len(rows(ours, f"same-{tag}")) == 1

    if DIALECT == "sqlite":
        with ours.engine.connect() as c:
            mode = c.exec_driver_sql("PRAGMA journal_mode").scalar()
            sync = c.exec_driver_sql("PRAGMA synchronous").scalar()
        assert (mode, sync) == ("wal", 1), (mode, sync)
    else:
        with ours.engine.begin() as c:
            for sender in (f"two-{tag}", f"two-ref-{tag}", f"same-{tag}", f"same-{tag}-rasa"):
                c.exec_driver_sql("DELETE FROM events WHERE sender_id = %s", (sender,))
    print("OK", cache.hits, cache.misses, cache.fast_saves, cache.rasa_saves)


asyncio.run(main(sys.argv[2]))
'''


def _run_store_snippet(dialect: str, tmp_path) -> str:
    proc = subprocess.run([str(ROOT / ".venv" / "rasa" / "bin" / "python"), "-c", STORE_SNIPPET, dialect,
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": f"{ROOT}:{ROOT / 'bot'}", "PATH": "/usr/bin:/bin",
                               "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                               "RASA_TELEMETRY_ENABLED": "false", "HOME": os.environ.get("HOME", "/tmp")})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    ok = [line for line in proc.stdout.splitlines() if line.startswith("OK")]
    assert ok, proc.stdout
    return ok[0]


def test_cached_store_stores_what_rasa_stores_on_sqlite(tmp_path):
    print(_run_store_snippet("sqlite", tmp_path))


def test_cached_store_on_postgresql_two_replicas(tmp_path):
    print(_run_store_snippet("postgresql", tmp_path))


def _normal(value):
    """An event or tracker without what differs between two runs of the same conversation: wall-clock
    times, message ids, the conversation id."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()
                if k not in ("timestamp", "message_id", "latest_event_time", "sender_id", "recipient_id")}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


@pytest.mark.stack
def test_real_replicas_on_postgresql_store_what_rasa_stores_and_share_a_conversation():
    """Three real Rasa processes on one fresh PostgreSQL database (production endpoints, Redis locks):
    rasa-0 with Rasa's own store (HOTLINE_TRACKER_CACHE=0), rasa-1 and rasa-2 with the cached one.
    The same ten messages (sessions of 4 user turns, so three session starts) go to conversation X
    all on rasa-0, Y all on rasa-1, Z alternating rasa-1 / rasa-2. Every reply, every stored row and
    every served tracker of Y and Z equal X's."""
    import json
    import uuid

    import httpx
    import psycopg2

    from scripts.cluster import Cluster, ClusterConfig, drop, prepare
    from scripts.stack import MODEL

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    offset = int(os.environ.get("HOTLINE_TEST_PORT_OFFSET", "0"))
    tag = f"{offset}x{os.getpid()}"
    cfg = ClusterConfig(replicas=3, rasa_port=16105 + offset, action_port=16155 + offset,
                        tracker_db=f"hotline_tc_rasa_{tag}", handoff_db=f"hotline_tc_handoff_{tag}",
                        redis_db=13, redis_key_prefix=f"hotlinetc{tag}",
                        log_dir=ROOT / "test-output" / f"tracker-cache-logs{offset or ''}",
                        extra_env={"HOTLINE_SESSION_TURNS": "4"})

    class Replicas(Cluster):
        def commands(self):
            out = super().commands()
            for i in range(cfg.replicas):      # one action server for all three
                out[f"rasa-{i}"][1]["ACTION_ENDPOINT_URL"] = f"{cfg.action_urls()[0]}/webhook"
            out["rasa-0"][1]["HOTLINE_TRACKER_CACHE"] = "0"
            return out

    prepare(cfg, fresh=True)
    servers = Replicas(cfg, services=("actions-0", "rasa-0", "rasa-1", "rasa-2"))
    urls = cfg.rasa_urls()
    questions = ["診斷輔導要多少錢", "申請資格是什麼", "需要準備哪些文件", "什麼是升級轉型計畫", "補助比例是多少",
                 "員工8人的製造業補助上限多少", "你好", "診斷輔導要多少錢", "申請資格是什麼", "謝謝"]
    try:
        servers.start()
        servers.wait_ready(timeout=700)
        x, y, z = (f"tc-{k}-{uuid.uuid4().hex[:8]}" for k in "xyz")
        replies: dict[str, list] = {x: [], y: [], z: []}
        with httpx.Client(timeout=300) as client:
            for i, text in enumerate(questions):
                for sender, url in ((x, urls[0]), (y, urls[1]), (z, urls[1 + i % 2])):
                    r = client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
                    assert r.status_code == 200, r.text
                    replies[sender].append(r.json())
            served = {s: client.get(f"{u}/conversations/{s}/tracker").json()
                      for s, u in ((x, urls[0]), (y, urls[1]), (z, urls[2]))}
            z_on_0 = client.get(f"{urls[0]}/conversations/{z}/tracker").json()
        assert _normal(replies[y]) == _normal(replies[x]) and _normal(replies[z]) == _normal(replies[x])

        conn = psycopg2.connect(f"dbname={cfg.tracker_db} user=postgres host=127.0.0.1")
        with conn, conn.cursor() as cur:
            def stored(sender):
                cur.execute("SELECT type_name, intent_name, action_name, data FROM events "
                            "WHERE sender_id = %s ORDER BY id", (sender,))
                return [(t, i, a, _normal(json.loads(d))) for t, i, a, d in cur.fetchall()]
            rx, ry, rz = stored(x), stored(y), stored(z)
        conn.close()
        kinds = [r[0] for r in rx]
        assert kinds.count("user") == len(questions) and kinds.count("session_started") == 3, kinds
        assert ry == rx, "the cached store stored other rows than Rasa's"
        assert rz == rx, "two replicas alternating lost, doubled or changed events"
        assert _normal(served[y]) == _normal(served[x]) and _normal(served[z]) == _normal(served[x])
        assert _normal(z_on_0) == _normal(served[z])
    finally:
        servers.stop()
        drop(cfg)


CRASH_SNIPPET = r'''
import asyncio, os, signal, sys
import components  # applies the patches
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered

s = SQLTrackerStore(Domain.from_path("bot/domain.yml"), dialect="sqlite", db=sys.argv[1])


async def main():
    for i in range(5):
        t = await s.get_or_create_tracker("crash")
        t.update(UserUttered(f"q{i}", {"name": "greet", "confidence": 1.0}))
        t.update(ActionExecuted("action_listen"))
        await s.save(t)
    with s.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    print("saved", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)     # no close, no checkpoint: the turns are only in the WAL


asyncio.run(main())
'''


def test_sqlite_wal_keeps_committed_turns_when_rasa_is_killed(tmp_path):
    """WAL with synchronous=NORMAL: what a killed Rasa process committed is there on the next open."""
    import sqlite3

    db = tmp_path / "tracker.db"
    proc = subprocess.run([str(ROOT / ".venv" / "rasa" / "bin" / "python"), "-c", CRASH_SNIPPET, str(db)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": f"{ROOT}:{ROOT / 'bot'}", "PATH": "/usr/bin:/bin",
                               "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                               "RASA_TELEMETRY_ENABLED": "false", "HOME": os.environ.get("HOME", "/tmp")})
    assert proc.returncode == -9 and "saved" in proc.stdout, proc.stderr[-3000:]
    assert (tmp_path / "tracker.db-wal").exists()           # killed before any checkpoint
    conn = sqlite3.connect(db)
    try:
        texts = [r[0] for r in conn.execute(
            "SELECT json_extract(data, '$.text') FROM events WHERE sender_id = 'crash' AND type_name = 'user' "
            "ORDER BY id")]
    finally:
        conn.close()
    assert texts == [f"q{i}" for i in range(5)]
