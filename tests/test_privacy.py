"""Issue 13, item 5: personal data masked in transcripts, ticket summaries and what reaches Rasa's
tracker; retention (purge) and erasure of one conversation; database files 0600; officers can be
disabled. In process: real Store (SQLite files), FakeRasa, a Rasa-shaped SQLite tracker store."""
from __future__ import annotations

import asyncio
import io
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text as sql

from channels import officers as officers_cli
from channels import privacy
from channels.core.pii import mask
from channels.core.store import TicketState, open_store, utcnow
from test_console_api import PW_WANG, login, make_env


@pytest.fixture
def env(tmp_path):
    e = make_env(tmp_path)
    yield e
    e.ctx.store.dispose()


@pytest.mark.parametrize("said,hidden,kept", [
    ("我的身分證 A123456789 可以申請嗎", "A123456789", "A*******89"),
    ("居留證號AC01234567", "AC01234567", "A*******67"),
    ("手機 0912-345-678 請回電", "0912-345-678", "09**-***-678"),
    ("公司電話 02-2345-6789", "2345-6789", "02-****-*789"),
    ("寄到 wang.da@example.com", "wang.da@example.com", "w******@example.com"),
])
def test_personal_data_is_masked_in_the_transcript_and_before_rasa(env, said, hidden, kept):
    env.user_says(said, "p1")
    stored = [m.text for m in env.ctx.store.messages("web:p1") if m.direction == "in"]
    assert stored == [mask(said)] and hidden not in stored[0] and kept in stored[0]
    assert env.rasa.sent == [("web:p1", mask(said))]           # Rasa (and so its tracker) gets the masked text


def test_amounts_dates_and_tax_ids_are_not_masked():
    for t in ("員工8人補助上限8000000元", "統編12345678", "2026年11月30日", "資本額500萬", "計畫總經費 950 萬"):
        assert mask(t) == t


def test_ticket_summaries_and_previews_are_masked(env):
    env.user_says("我是A123456789，找專人", "p2")
    ticket = env.ctx.store.open_ticket("web:p2")
    assert ticket is not None and "A123456789" not in str(ticket.summary)
    client = env.client()
    login(client)
    queue = client.get("/console/api/tickets").json()["tickets"]
    assert "A123456789" not in str(queue) and "A*******89" in str(queue)


def test_a_callback_contact_is_kept_only_in_the_ticket(tmp_path):
    from datetime import datetime

    from channels.app import build_context
    from channels.core.assist import AgentAssist
    from channels.core.hours import TAIPEI, fixed_clock
    from channels.settings import Settings
    from fakes import FakeRasa, handoff_script

    ctx = build_context(Settings(database_url=f"sqlite:///{tmp_path}/h.db"), rasa=FakeRasa(handoff_script()),
                        clock=fixed_clock(datetime(2026, 11, 28, 22, 0, tzinfo=TAIPEI)), assist=AgentAssist(False))
    run = asyncio.run
    run(ctx.hub.user_message("web", "night1", "找專人"))
    assert ctx.store.open_ticket("web:night1").state is TicketState.AWAITING_CONTACT
    replies = run(ctx.hub.user_message("web", "night1", "請打 0912345678 找王先生"))
    ticket = ctx.store.open_ticket("web:night1")
    assert ticket.state is TicketState.CALLBACK and ticket.contact == "0912-345-678"
    assert "09**-***-678" in replies[0].text
    transcript = " ".join(m.text for m in ctx.store.messages("web:night1"))
    assert "0912345678" not in transcript and "0912-345-678" not in transcript
    ctx.store.dispose()


# ---------------------------------------------------------------- retention and erasure
def _tracker(path: Path, rows: list[tuple[str, float]]) -> str:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name VARCHAR(255), "
                 "timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)")
    conn.executemany("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, '{}')", rows)
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def _age(store, conversation_id: str, days: int) -> None:
    old = utcnow() - timedelta(days=days)
    with store.engine.begin() as conn:
        conn.execute(sql("UPDATE conversations SET last_seen_at = :t, created_at = :t WHERE id = :c"),
                     {"t": old, "c": conversation_id})
        conn.execute(sql("UPDATE messages SET created_at = :t WHERE conversation_id = :c"), {"t": old, "c": conversation_id})
        conn.execute(sql("UPDATE tickets SET created_at = :t, resolved_at = CASE WHEN resolved_at IS NULL THEN NULL "
                         "ELSE :t END WHERE conversation_id = :c"), {"t": old, "c": conversation_id})


def test_purge_deletes_what_is_older_than_the_period_everywhere(env, tmp_path):
    store = env.ctx.store
    env.user_says("補助上限多少", "old1")
    env.user_says("找專人", "old2")                       # an open ticket: kept whole, however old
    env.user_says("要準備什麼文件", "new1")
    _age(store, "web:old1", 200)
    _age(store, "web:old2", 200)
    officer = store.officers()[0]
    token, _ = store.create_session(officer.id, timedelta(seconds=-1))   # already expired
    live, _ = store.create_session(officer.id, timedelta(hours=1))
    now = time.time()
    tracker = _tracker(tmp_path / "tracker.db", [("web:old1", now - 200 * 86400), ("web:new1", now - 60)])
    counts = privacy.purge_store(store, timedelta(days=180))
    assert counts["conversations"] == 1 and counts["messages"] == 2 and counts["officer_sessions"] == 1
    assert store.messages("web:old1") == [] and store.conversation("web:old1") is None
    assert store.messages("web:old2") and store.open_ticket("web:old2") is not None
    assert store.messages("web:new1")
    assert store.session_officer(live) is not None and store.session_officer(token) is None
    assert privacy.purge_tracker(tracker, timedelta(days=180)) == 1
    with sqlite3.connect(tmp_path / "tracker.db") as conn:
        assert [r[0] for r in conn.execute("SELECT sender_id FROM events")] == ["web:new1"]


def test_erase_deletes_one_conversation_with_its_ticket_and_tracker(env, tmp_path):
    store = env.ctx.store
    env.user_says("找專人，手機 0912-345-678", "gone")
    env.user_says("找專人", "stays")
    ticket = store.open_ticket("web:gone")
    store.add_note(ticket.id, store.officers()[0].id, "客戶來電")
    tracker = _tracker(tmp_path / "tracker.db", [("web:gone", time.time()), ("web:stays", time.time())])
    counts = privacy.erase_store(store, "web:gone")
    assert counts == {"messages": 2, "notes": 1, "tickets": 1, "conversations": 1, "phone_refs": 1, "analytics": 0}
    assert store.messages("web:gone") == [] and store.open_ticket("web:gone") is None
    assert store.open_ticket("web:stays") is not None
    assert privacy.erase_tracker(tracker, "web:gone") == 1


def test_the_cli_erases_and_purges(tmp_path, monkeypatch, capsys):
    db = f"sqlite:///{tmp_path}/h.db"
    store = open_store(db)
    store.touch_conversation("web:cli1", "web", "cli1")
    store.add_message("web:cli1", "in", "user", "你好", handled=True)
    store.dispose()
    tracker = _tracker(tmp_path / "tracker.db", [("web:cli1", time.time())])
    monkeypatch.setenv("HANDOFF_DATABASE_URL", db)
    monkeypatch.delenv("TRACKER_DB_HOST", raising=False)
    assert privacy.main(["erase", "web:cli1", "--tracker-db", tracker]) == 0
    out = capsys.readouterr().out
    assert "messages=1" in out and "conversations=1" in out and "rasa_tracker_events=1" in out
    assert privacy.main(["purge", "--older-than", "30", "--tracker-db", tracker]) == 0
    with pytest.raises(SystemExit):
        privacy.main(["purge", "--older-than", "0"])


def test_sqlite_database_files_are_owner_only(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/private.db")
    store.touch_conversation("web:x", "web", "x")
    for name in ("private.db", "private.db-wal"):
        path = tmp_path / name
        assert path.exists() and path.stat().st_mode & 0o777 == 0o600, name
    store.dispose()


# ---------------------------------------------------------------- officers
def test_an_officer_can_be_disabled_and_enabled(env, monkeypatch):
    monkeypatch.setenv("HANDOFF_DATABASE_URL", env.ctx.settings.database_url)
    client = env.client()
    login(client)
    assert client.get("/console/api/me").status_code == 200
    out, err = io.StringIO(), io.StringIO()
    assert officers_cli.main(["disable", "wang"], out=out, err=err) == 0
    assert client.get("/console/api/me").status_code == 401          # the open login ended
    again = env.client().post("/console/api/login", json={"username": "wang", "password": PW_WANG})
    assert again.status_code == 401
    assert officers_cli.main(["enable", "wang"], out=out, err=err) == 0
    login(env.client())
    assert officers_cli.main(["disable", "nobody"], out=out, err=err) == 1 and "nobody" in err.getvalue()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_erase_and_purge_take_the_analytics_rows_with_them(kind, tmp_path):
    """Answer events, ratings and ticket outcomes point at messages and tickets (foreign keys, enforced
    on PostgreSQL): erasing or purging a conversation removes them too, and a knowledge draft made
    from its ticket loses only the link."""
    from datetime import datetime, timezone

    from sqlalchemy import func, select

    from channels.core.store import TicketAction, TicketState
    from channels.core.store.analytics_schema import AnswerEvent, Feedback, KnowledgeDraft, TicketOutcome
    from test_handoff_store import PG_URL, _pg_store

    store = open_store(f"sqlite:///{tmp_path / 'a.db'}") if kind == "sqlite" else _pg_store()
    store.migrate()
    try:
        officer = store.create_officer("wang", "王專員", "x" * 20)
        for cid in ("web:a1", "web:a2"):
            store.touch_conversation(cid, "web", cid[4:])
            q = store.add_message(cid, "in", "user", "補助上限多少", handled=True)
            a = store.add_message(cid, "out", "bot", "上限500萬元（依據：…）")
            t = store.create_ticket(cid, "web", TicketState.WAITING, "request_human", {})
            with store._sessions.begin() as s:
                s.add(AnswerEvent(message_id=a.id, inbound_id=q.id, conversation_id=cid, channel="web",
                                  kind="answer", entry_id="x", question="補助上限多少"))
                s.add(Feedback(message_id=a.id, conversation_id=cid, channel="web", kind="answer", score=-1,
                               question="補助上限多少"))
                s.add(KnowledgeDraft(ticket_id=t.id, officer_id=officer.id, title="t", topic="t",
                                     questions=["q"], answer="a", rule="r"))
            store.record_outcome(t.id)
        counts = privacy.erase_store(store, "web:a1")
        assert counts["analytics"] == 3 and counts["messages"] == 2 and counts["tickets"] == 1
        later = datetime.now(timezone.utc) + timedelta(days=400)
        t2 = store.open_ticket("web:a2")
        store.transition(t2.id, TicketAction.RESOLVE, by=officer.id)
        purged = privacy.purge_store(store, timedelta(days=30), now=later)
        assert purged["conversations"] == 1 and purged["analytics"] == 3
        with store._sessions() as s:
            for table in (AnswerEvent, Feedback, TicketOutcome):
                assert s.scalar(select(func.count()).select_from(table)) == 0
            assert s.scalars(select(KnowledgeDraft.ticket_id)).all() == [None, None]
    finally:
        store.dispose()
        if kind == "postgresql":
            from sqlalchemy import create_engine, text
            admin = create_engine(PG_URL)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{store._test_schema}" CASCADE'))
            admin.dispose()
