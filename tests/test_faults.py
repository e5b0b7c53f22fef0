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
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from faultutil import API, Load, check_answered_once_in_order, kind, pending_count, rasa_user_texts, rows
from faultutil import wait_all_answered as _wait_all_answered
from sqlalchemy import create_engine, text

from channels.core.store import Store
from conftest import OUTPUT, PORT_OFFSET
from testenv import LOAD_GATEWAY_ENV, extra_gateway

pytestmark = pytest.mark.stack

# gateways on ports of their own (conftest's stack uses 15005/15055/18000/18090 + offset, offsets 50 apart)
GATEWAY_PORTS = (16045 + PORT_OFFSET, 16046 + PORT_OFFSET)
PG_ADMIN = os.environ.get("HANDOFF_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
CONVERSATIONS, MESSAGES = 4, 8
SETTLE_S = 150          # after the killed process is back: time for every pending message to be answered


def wait_all_answered(store: Store, timeout: float = SETTLE_S) -> float:
    return _wait_all_answered(store, timeout)


def rasa_user_turns(bot, conversation_id: str) -> int:
    return len(rasa_user_texts(bot.cfg.rasa_url, conversation_id))


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
    from scripts.stack import Stack

    cfg = extra_gateway(bot.cfg, port=port, var_dir=tmp / f"var-{name}",
                        log_dir=OUTPUT / f"fault-logs{PORT_OFFSET or ''}" / name, database_url=database_url,
                        RASA_TIMEOUT_S="20", **LOAD_GATEWAY_ENV)
    gw = Stack(cfg, services=("gateway",))
    gw.start()
    try:
        gw.wait_ready(timeout=60)
        yield gw
    finally:
        gw.stop()


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
                busy = [r for s in load.sessions for r in rows(store, f"web:{s}") if kind(r.payload) == "queued"]
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
    from scripts.stack import Stack

    stacks = []
    for i, port in enumerate(GATEWAY_PORTS):
        # a long timeout: a turn slower than it would be sent to Rasa again (at least once), and this
        # test counts the bot's turns exactly
        cfg = extra_gateway(bot.cfg, port=port, var_dir=tmp / f"var-pg{i}",
                            log_dir=OUTPUT / f"fault-logs{PORT_OFFSET or ''}" / f"pg{i}", database_url=url,
                            RASA_TIMEOUT_S="90", **LOAD_GATEWAY_ENV)
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
