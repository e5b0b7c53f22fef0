"""The officer console API, in process: login and sessions, CSRF, the ticket state path through the
real Hub and Store (SQLite file), conflicts between officers, the page's security headers, and the
``python -m channels.officers`` CLI. Rasa is the FakeRasa double; agent assist uses a small fake
retriever (the real one is exercised by the retrieval tests)."""
from __future__ import annotations

import asyncio
import functools
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from channels import texts
from channels.app import build_context, create_app
from channels.console import api as console
from channels.core.assist import AgentAssist
from channels.core.hours import TAIPEI, fixed_clock
from channels.core.passwords import hash_password
from channels.core.store import TicketState
from channels.settings import Settings
from fakes import FakeRasa, handoff_script

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "channels" / "console" / "static"
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=TAIPEI)   # inside office hours
PW_WANG = "wang-password-123"
PW_LEE = "lee-password-456"
COOKIE = "hotline_console"


# ---------------------------------------------------------------- doubles and fixtures
@dataclass
class FakeEntry:
    id: str
    title: str
    citation: str
    text: str

    def reply_text(self) -> str:
        return self.text


@dataclass
class FakeCandidate:
    entry: FakeEntry
    score: float


class FakeRetriever:
    """Stands in for knowledge.retriever.Retriever: records questions, ranks five fixed entries."""

    def __init__(self):
        self.questions: list[str] = []

    def rank(self, question: str):
        self.questions.append(question)
        ranked = [FakeCandidate(FakeEntry(f"entry_{i}", f"條目{i}", f"來源{i}", f"回覆內容{i}：{question}"),
                                round(0.9 - i / 10, 2)) for i in range(5)]
        return question, False, ranked


@dataclass
class Env:
    ctx: object
    app: FastAPI
    rasa: FakeRasa
    retriever: FakeRetriever

    def client(self) -> TestClient:
        return TestClient(self.app)

    def user_says(self, text: str, external_id: str = "s1"):
        return asyncio.run(self.ctx.hub.user_message("web", external_id, text))

    def conversation(self, external_id: str = "s1") -> str:
        return f"web:{external_id}"


@functools.lru_cache(maxsize=None)
def password_hash(password: str) -> str:
    return hash_password(password)   # argon2 is slow on purpose: hash each test password once


def make_env(tmp_path: Path, *, settings: Settings | None = None, assist_enabled: bool = True) -> Env:
    settings = settings or Settings(database_url=f"sqlite:///{tmp_path}/h.db")
    rasa = FakeRasa(handoff_script())
    retriever = FakeRetriever()
    ctx = build_context(settings, rasa=rasa, clock=fixed_clock(MONDAY_10),
                        assist=AgentAssist(enabled=assist_enabled, retriever=retriever))
    ctx.store.create_officer("wang", "王小明", password_hash(PW_WANG))
    ctx.store.create_officer("lee", "李大華", password_hash(PW_LEE))
    return Env(ctx, create_app(context=ctx), rasa, retriever)


@pytest.fixture
def env(tmp_path) -> Env:
    e = make_env(tmp_path)
    yield e
    e.ctx.store.dispose()


def login(client: TestClient, username: str = "wang", password: str = PW_WANG) -> str:
    resp = client.post("/console/api/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return resp.json()["csrf_token"]


def post(client: TestClient, path: str, csrf: str, body: dict | None = None):
    return client.post(path, json=body if body is not None else {}, headers={"X-CSRF-Token": csrf})


def waiting_ticket(env: Env, external_id: str = "s1") -> int:
    env.user_says("找專人", external_id)
    ticket = env.ctx.store.open_ticket(env.conversation(external_id))
    assert ticket is not None and ticket.state is TicketState.WAITING
    return ticket.id


def api_routes(env: Env) -> list[tuple[str, str]]:
    """Every (method, path) of the console API, with ``{ticket_id}`` filled in."""
    out = []
    for route in console.router(env.ctx).routes:
        if not route.path.startswith("/console/api/"):
            continue
        for method in sorted(route.methods - {"HEAD"}):
            out.append((method, route.path.replace("{ticket_id}", "1")))
    return out


# ---------------------------------------------------------------- the page
def test_page_is_served_with_strict_csp_and_no_store(env):
    c = env.client()
    resp = c.get("/console")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert resp.headers["cache-control"] == "no-store"
    csp = resp.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    html = resp.text
    # no inline script, no external CDN
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\bon[a-z]+\s*=", html)      # no inline event handlers
    assert "http://" not in html and "https://" not in html
    for asset, kind in (("console.js", "javascript"), ("console.css", "text/css")):
        assert f"/console/static/{asset}" in html
        r = c.get(f"/console/static/{asset}")
        assert r.status_code == 200 and kind in r.headers["content-type"]
        assert r.headers["x-content-type-options"] == "nosniff"
    assert c.get("/console/static/secret.py").status_code == 404
    assert c.get("/console/static/..%2Fconsole.py").status_code == 404


def test_console_js_inserts_text_only_and_matches_the_page():
    js = (STATIC / "console.js").read_text("utf-8")
    html = (STATIC / "index.html").read_text("utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in js, sink
    assert "textContent" in js
    assert "http://" not in js and "https://" not in js
    # every element the script looks up exists in the page
    ids = set(re.findall(r"\$\('([a-z0-9-]+)'\)", js))
    ids |= {f"count-{t}" for t in ("waiting", "active", "callback")}
    page_ids = set(re.findall(r'\bid="([a-z0-9-]+)"', html))
    assert ids - page_ids == set()
    # the hooks browser tests drive
    for hook in ("login-username", "login-password", "login-submit", "claim", "take-over", "reply-text",
                 "reply-send", "resolve", "note-text", "note-add", "logout"):
        assert hook in page_ids, hook
    for testid in ("queue-item", "transcript-message", "assist-entry", "assist-insert", "note", "queue-wait"):
        assert f"'data-testid': '{testid}'" in js, testid
    for label in ("認領", "接手", "結案", "送出", "內部備註", "建議回覆（知識庫）", "處理中", "回撥清單"):
        assert label in html, label
    assert "預定聯繫時間" in js and "插入回覆" in js and "分鐘" in js


# ---------------------------------------------------------------- login, sessions, CSRF
def test_login_sets_a_strict_httponly_cookie_and_returns_the_csrf_token(env):
    c = env.client()
    resp = c.post("/console/api/login", json={"username": "wang", "password": PW_WANG})
    assert resp.status_code == 200
    body = resp.json()
    assert body["officer"]["name"] == "王小明" and body["officer"]["id"] > 0
    assert len(body["csrf_token"]) >= 32
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/console" in cookie
    assert "Secure" not in cookie
    me = c.get("/console/api/me")
    assert me.status_code == 200
    assert me.json() == {"officer": body["officer"], "csrf_token": body["csrf_token"]}
    assert me.headers["cache-control"] == "no-store"


def test_cookie_is_secure_when_configured(tmp_path):
    e = make_env(tmp_path, settings=Settings(database_url=f"sqlite:///{tmp_path}/s.db", cookie_secure=True))
    resp = e.client().post("/console/api/login", json={"username": "wang", "password": PW_WANG})
    assert resp.status_code == 200
    assert "Secure" in resp.headers["set-cookie"]


@pytest.mark.parametrize("username,password", [("wang", "wrong-password-1"), ("nobody", PW_WANG),
                                               ("WANG", PW_WANG)])
def test_wrong_credentials_are_401_with_one_message(env, username, password):
    c = env.client()
    resp = c.post("/console/api/login", json={"username": username, "password": password})
    assert resp.status_code == 401
    assert resp.json()["detail"] == "帳號或密碼錯誤。"
    assert "set-cookie" not in resp.headers
    assert c.get("/console/api/me").status_code == 401


def test_login_only_accepts_json(env):
    c = env.client()
    form = c.post("/console/api/login", data={"username": "wang", "password": PW_WANG})
    assert form.status_code == 415
    plain = c.post("/console/api/login", content=f'{{"username":"wang","password":"{PW_WANG}"}}',
                   headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415
    assert "set-cookie" not in plain.headers and "JSON" in plain.json()["detail"]
    empty = c.post("/console/api/login", json={"username": "wang"})
    assert empty.status_code == 422 and empty.json()["detail"] == "請輸入帳號與密碼。"


def test_repeated_failures_lock_the_username_for_a_minute(env):
    now = [1000.0]
    throttle = console.login_throttle(clock=lambda: now[0])
    app = FastAPI()
    app.include_router(console.router(env.ctx, throttle=throttle))
    c = TestClient(app)
    for _ in range(5):
        failed = c.post("/console/api/login", json={"username": "wang", "password": "nope-nope-nope"})
        assert failed.status_code == 401
    locked = c.post("/console/api/login", json={"username": "wang", "password": PW_WANG})
    assert locked.status_code == 429
    assert "秒後再試" in locked.json()["detail"] and int(locked.headers["retry-after"]) == 60
    # another officer is not affected
    assert c.post("/console/api/login", json={"username": "lee", "password": PW_LEE}).status_code == 200
    now[0] += 61
    assert c.post("/console/api/login", json={"username": "wang", "password": PW_WANG}).status_code == 200


def test_every_api_route_but_login_needs_a_session(env):
    waiting_ticket(env)
    routes = api_routes(env)
    assert len(routes) >= 11
    anonymous = env.client()
    forged = env.client()
    forged.cookies.set(COOKIE, "forged-token", path="/console")
    for method, path in routes:
        if path == "/console/api/login":
            continue
        for c in (anonymous, forged):
            resp = c.request(method, path, json={"text": "x", "take_over": True})
            assert resp.status_code == 401, (method, path, resp.status_code)
            assert resp.json()["detail"] == "請先登入。"
    assert env.ctx.store.ticket(1).state is TicketState.WAITING


def test_every_post_needs_the_csrf_token(env):
    tid = waiting_ticket(env)
    c = env.client()
    csrf = login(c)
    posts = [p for m, p in api_routes(env) if m == "POST" and p != "/console/api/login"]
    assert {"/console/api/logout", f"/console/api/tickets/{tid}/claim", f"/console/api/tickets/{tid}/reply",
            f"/console/api/tickets/{tid}/notes", f"/console/api/tickets/{tid}/resolve"} <= set(posts)
    for path in posts:
        missing = c.post(path, json={"text": "hello", "take_over": True})
        wrong = c.post(path, json={"text": "hello", "take_over": True},
                       headers={"X-CSRF-Token": csrf[:-1] + ("x" if csrf[-1] != "x" else "y")})
        assert missing.status_code == 403 and wrong.status_code == 403, path
        assert missing.json()["detail"] == "安全驗證失敗，請重新整理頁面後再試。"
    # nothing happened
    assert env.ctx.store.ticket(tid).state is TicketState.WAITING
    assert env.ctx.store.notes(tid) == []
    assert c.get("/console/api/me").status_code == 200      # logout without the token did not log out


def test_logout_ends_the_session(env):
    c = env.client()
    csrf = login(c)
    token = c.cookies.get(COOKIE)
    assert token
    resp = post(c, "/console/api/logout", csrf)
    assert resp.status_code == 200
    assert f'{COOKIE}=""' in resp.headers["set-cookie"] or "Max-Age=0" in resp.headers["set-cookie"]
    assert c.get("/console/api/me").status_code == 401
    replay = env.client()
    replay.cookies.set(COOKIE, token, path="/console")
    assert replay.get("/console/api/me").status_code == 401
    assert replay.get("/console/api/tickets").status_code == 401


# ---------------------------------------------------------------- the state path
def test_full_path_from_request_to_resolution(env):
    store = env.ctx.store
    env.user_says("請問診斷輔導要多少錢")
    tid = waiting_ticket(env)
    assert [m for _, m in env.rasa.sent] == ["請問診斷輔導要多少錢", "找專人"]
    cid = env.conversation()
    c = env.client()
    csrf = login(c)

    queue = c.get("/console/api/tickets", params={"states": "waiting"})
    assert queue.status_code == 200
    [item] = queue.json()["tickets"]
    assert item["id"] == tid and item["state"] == "waiting"
    assert item["reason_label"] == console.labels.REASONS["requested"]   # written for the officer
    assert isinstance(item["waiting_seconds"], int) and item["waiting_seconds"] >= 0
    assert item["summary"]["slots"] == {"employees": 25, "total_budget": 8_000_000}
    assert c.get("/console/api/tickets", params={"states": "with_officer"}).json()["tickets"] == []
    assert c.get("/console/api/tickets", params={"states": "bogus"}).status_code == 422

    detail = c.get(f"/console/api/tickets/{tid}").json()
    assert [m["author"] for m in detail["messages"]] == ["user", "bot", "user", "system"]
    assert detail["messages"][2]["text"] == "找專人" and detail["notes"] == []
    cursor = detail["cursor"]

    claimed = post(c, f"/console/api/tickets/{tid}/claim", csrf, {"take_over": False})
    assert claimed.status_code == 200
    assert claimed.json()["ticket"]["state"] == "with_officer"
    assert claimed.json()["ticket"]["officer"] == "王小明"
    joined = store.messages(cid)[-1]
    assert joined.author == "system" and joined.text == texts.OFFICER_JOINED.format(name="王小明")
    assert post(c, f"/console/api/tickets/{tid}/claim", csrf).status_code == 200   # claiming again: no-op

    # the company writes (and tries some markup): it goes to the ticket, not to Rasa
    env.user_says("<img src=x onerror=alert(1)> 我們有25人")
    assert len(env.rasa.sent) == 2
    upd = c.get("/console/api/updates", params={"ticket": tid, "since": cursor}).json()
    assert [m["author"] for m in upd["messages"]] == ["system", "user"]
    assert upd["messages"][-1]["text"] == "<img src=x onerror=alert(1)> 我們有25人"
    assert upd["ticket"]["state"] == "with_officer" and [t["id"] for t in upd["tickets"]] == [tid]
    cursor = upd["cursor"]
    assert c.get("/console/api/updates", params={"ticket": tid, "since": cursor}).json()["messages"] == []

    reply = post(c, f"/console/api/tickets/{tid}/reply", csrf, {"text": "  您好，我是王小明，25人符合中小企業。  "})
    assert reply.status_code == 200
    assert reply.json()["message"]["author"] == "officer" and reply.json()["message"]["officer"] == "王小明"
    officer_msgs = [m for m in store.messages(cid) if m.author == "officer"]
    assert [m.text for m in officer_msgs] == ["您好，我是王小明，25人符合中小企業。"]
    assert officer_msgs[0].direction == "out" and officer_msgs[0].ticket_id == tid

    note = post(c, f"/console/api/tickets/{tid}/notes", csrf, {"text": "內部：已電話確認資本額"})
    assert note.status_code == 200 and note.json()["note"]["officer"] == "王小明"
    assert [n["text"] for n in c.get(f"/console/api/tickets/{tid}").json()["notes"]] == ["內部：已電話確認資本額"]
    assert all("已電話確認" not in m.text for m in store.messages(cid))      # never shown to the user
    upd = c.get("/console/api/updates", params={"ticket": tid, "since": cursor}).json()
    assert [m["author"] for m in upd["messages"]] == ["officer"] and len(upd["notes"]) == 1

    resolved = post(c, f"/console/api/tickets/{tid}/resolve", csrf)
    assert resolved.status_code == 200 and resolved.json()["ticket"]["state"] == "resolved"
    sender, events = env.rasa.events[-1]
    assert sender == cid
    assert events[-1] == {"event": "action", "name": "action_listen"}
    assert {"event": "bot", "text": "您好，我是王小明，25人符合中小企業。"}.items() <= events[0].items()
    assert [m.text for m in store.messages(cid)][-2:] == [texts.BOT_BACK, texts.CSAT_ASK]   # issue 16
    assert c.get("/console/api/tickets").json()["tickets"] == []
    again = post(c, f"/console/api/tickets/{tid}/resolve", csrf)
    assert again.status_code == 409 and again.json()["detail"] == "此案件已結案。"

    # the bot answers again
    env.user_says("謝謝，那貸款呢")
    assert env.rasa.sent[-1] == (cid, "謝謝，那貸款呢") and len(env.rasa.sent) == 3
    assert store.messages(cid)[-1].author == "bot"


def test_second_officer_needs_take_over(env):
    tid = waiting_ticket(env)
    wang, lee = env.client(), env.client()
    csrf_wang, csrf_lee = login(wang), login(lee, "lee", PW_LEE)
    assert post(wang, f"/console/api/tickets/{tid}/claim", csrf_wang).status_code == 200

    for action, body in (("claim", {"take_over": False}), ("claim", {}), ("reply", {"text": "我來回"}),
                         ("resolve", {})):
        resp = post(lee, f"/console/api/tickets/{tid}/{action}", csrf_lee, body)
        assert resp.status_code == 409, action
        assert "王小明" in resp.json()["detail"], action
        assert resp.json()["ticket"]["officer"] == "王小明"
    t = env.ctx.store.ticket(tid)
    assert t.state is TicketState.WITH_OFFICER and t.officer_name == "王小明"
    assert not [m for m in env.ctx.store.messages(env.conversation()) if m.author == "officer"]

    taken = post(lee, f"/console/api/tickets/{tid}/claim", csrf_lee, {"take_over": True})
    assert taken.status_code == 200 and taken.json()["ticket"]["officer"] == "李大華"
    assert env.ctx.store.messages(env.conversation())[-1].text == texts.OFFICER_JOINED.format(name="李大華")
    blocked = post(wang, f"/console/api/tickets/{tid}/reply", csrf_wang, {"text": "我還在"})
    assert blocked.status_code == 409 and "李大華" in blocked.json()["detail"]
    assert post(lee, f"/console/api/tickets/{tid}/reply", csrf_lee, {"text": "由我接手"}).status_code == 200
    assert post(wang, f"/console/api/tickets/{tid}/resolve", csrf_wang).status_code == 409
    assert post(lee, f"/console/api/tickets/{tid}/resolve", csrf_lee).status_code == 200
    assert post(lee, f"/console/api/tickets/{tid}/claim", csrf_lee, {"take_over": "yes"}).status_code == 422


def test_reply_before_claim_is_409(env):
    tid = waiting_ticket(env)
    c = env.client()
    csrf = login(c)
    resp = post(c, f"/console/api/tickets/{tid}/reply", csrf, {"text": "您好"})
    assert resp.status_code == 409 and resp.json()["detail"] == "請先認領此案件，才能回覆。"
    assert resp.json()["ticket"]["state"] == "waiting"
    assert not [m for m in env.ctx.store.messages(env.conversation()) if m.author == "officer"]


def test_text_must_be_present_and_at_most_2000_characters(env):
    tid = waiting_ticket(env)
    c = env.client()
    csrf = login(c)
    post(c, f"/console/api/tickets/{tid}/claim", csrf)
    url = f"/console/api/tickets/{tid}"
    for body, fragment in (({"text": ""}, "不可空白"), ({"text": " \n "}, "不可空白"), ({}, "必須是文字"),
                           ({"text": 5}, "必須是文字"), ({"text": "字" * 2001}, "最多 2000 字")):
        for action in ("reply", "notes"):
            resp = post(c, f"{url}/{action}", csrf, body)
            assert resp.status_code == 422, (action, body)
            assert fragment in resp.json()["detail"]
    assert post(c, f"{url}/reply", csrf, {"text": "字" * 2000}).status_code == 200
    assert post(c, f"{url}/notes", csrf, {"text": "註" * 2000}).status_code == 200
    bad_json = c.post(f"{url}/reply", content="{not json", headers={"X-CSRF-Token": csrf,
                                                                    "Content-Type": "application/json"})
    assert bad_json.status_code == 400
    officer_texts = [m.text for m in env.ctx.store.messages(env.conversation()) if m.author == "officer"]
    assert [len(t) for t in officer_texts] == [2000]


def test_unknown_ticket_is_404(env):
    c = env.client()
    csrf = login(c)
    for method, path, body in (("GET", "/console/api/tickets/999", None),
                               ("GET", "/console/api/tickets/999/assist", None),
                               ("GET", "/console/api/updates?ticket=999", None),
                               ("POST", "/console/api/tickets/999/claim", {}),
                               ("POST", "/console/api/tickets/999/reply", {"text": "x"}),
                               ("POST", "/console/api/tickets/999/notes", {"text": "x"}),
                               ("POST", "/console/api/tickets/999/resolve", {})):
        resp = c.request(method, path, json=body, headers={"X-CSRF-Token": csrf})
        assert resp.status_code == 404, path
        assert resp.json()["detail"] == "找不到此案件。"
    assert c.get("/console/api/tickets/abc").status_code == 422
    assert c.get("/console/api/updates", params={"since": "yesterday"}).status_code == 422


def test_assist_suggests_three_entries_for_the_last_user_question(env):
    tid = waiting_ticket(env)
    env.user_says("請問以大帶小的補助上限是多少")   # while waiting: stored on the ticket
    c = env.client()
    login(c)
    resp = c.get(f"/console/api/tickets/{tid}/assist")
    assert resp.status_code == 200
    body = resp.json()
    assert body["question"] == "請問以大帶小的補助上限是多少" and body["available"] is True
    assert env.retriever.questions == ["請問以大帶小的補助上限是多少"]
    assert [e["id"] for e in body["entries"]] == ["entry_0", "entry_1", "entry_2"]
    assert set(body["entries"][0]) == {"id", "title", "citation", "score", "text", "reply"}
    assert body["entries"][0]["text"] == "回覆內容0：請問以大帶小的補助上限是多少"
    override = c.get(f"/console/api/tickets/{tid}/assist", params={"q": "低碳化"}).json()
    assert override["question"] == "低碳化" and env.retriever.questions[-1] == "低碳化"


def test_assist_off_says_unavailable(tmp_path):
    e = make_env(tmp_path, assist_enabled=False)
    tid = waiting_ticket(e)
    c = e.client()
    login(c)
    body = c.get(f"/console/api/tickets/{tid}/assist").json()
    assert body["available"] is False and body["entries"] == [] and e.retriever.questions == []


def test_callback_tickets_show_contact_and_callback_time(tmp_path):
    e = make_env(tmp_path)
    e.ctx.hub.clock = fixed_clock(datetime(2026, 11, 28, 20, 0, tzinfo=TAIPEI))   # Saturday evening
    e.user_says("找專人")
    e.user_says("0912345678")
    c = e.client()
    csrf = login(c)
    [t] = c.get("/console/api/tickets", params={"states": "callback"}).json()["tickets"]
    assert t["contact"] == "0912-345-678"
    assert datetime.fromisoformat(t["callback_after"]) == datetime(2026, 11, 30, 8, 30, tzinfo=TAIPEI)
    assert post(c, f"/console/api/tickets/{t['id']}/claim", csrf).json()["ticket"]["state"] == "with_officer"


# ---------------------------------------------------------------- the accounts CLI
def run_cli(db_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "HANDOFF_DATABASE_URL": db_url,
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bot")])}
    return subprocess.run([sys.executable, "-m", "channels.officers", *args], input=stdin,
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_cli_creates_an_officer_who_can_log_in(tmp_path):
    db_url = f"sqlite:///{tmp_path}/cli.db"
    created = run_cli(db_url, "create", "chen", "--name", "陳專員", stdin="chen-secret-2026\n")
    assert created.returncode == 0, created.stderr
    assert "已建立" in created.stdout and "chen" in created.stdout

    too_short = run_cli(db_url, "create", "short", "--name", "短", "--password-stdin", stdin="abc123\n")
    assert too_short.returncode != 0 and "至少需要 10" in too_short.stderr
    duplicate = run_cli(db_url, "create", "chen", stdin="another-secret-1\n")
    assert duplicate.returncode != 0 and "已存在" in duplicate.stderr
    unknown = run_cli(db_url, "passwd", "nobody", stdin="another-secret-1\n")
    assert unknown.returncode != 0 and "找不到" in unknown.stderr
    listed = run_cli(db_url, "list")
    assert listed.returncode == 0 and "chen" in listed.stdout and "陳專員" in listed.stdout
    assert "short" not in listed.stdout

    ctx = build_context(Settings(database_url=db_url), rasa=FakeRasa(), clock=fixed_clock(MONDAY_10),
                        assist=AgentAssist(enabled=False))
    try:
        c = TestClient(create_app(context=ctx))
        resp = c.post("/console/api/login", json={"username": "chen", "password": "chen-secret-2026"})
        assert resp.status_code == 200 and resp.json()["officer"]["name"] == "陳專員"
        changed = run_cli(db_url, "passwd", "chen", "--password-stdin", stdin="chen-new-secret-99\n")
        assert changed.returncode == 0, changed.stderr
        old = c.post("/console/api/login", json={"username": "chen", "password": "chen-secret-2026"})
        assert old.status_code == 401
        new = c.post("/console/api/login", json={"username": "chen", "password": "chen-new-secret-99"})
        assert new.status_code == 200
        _, stored_hash = ctx.store.officer_credentials("chen")
        assert stored_hash.startswith("$argon2id$") and "chen-new-secret-99" not in stored_hash
    finally:
        ctx.store.dispose()


# ---------------------------------------------------------------- issue 15: the officer's working day
def test_plain_summary_facts_after_the_handoff_and_assist_in_the_officers_voice(env):
    env.user_says("今天天氣如何")
    tid = waiting_ticket(env)
    env.user_says("我們公司有25人，想問診斷輔導費用")
    c = env.client()
    login(c)
    detail = c.get(f"/console/api/tickets/{tid}").json()["ticket"]
    facts = {(f["label"], f["value"]) for f in detail["facts"]}
    labels = console.labels
    assert (labels.FACT_REF, f"#{tid}") in facts and detail["ref"] == f"#{tid}"
    assert (labels.FACT_REASON, labels.REASONS["requested"]) in facts
    assert (labels.SLOT_LABELS["employees"], "25") in facts
    assert (labels.SLOT_LABELS["total_budget"], "8,000,000 元") in facts
    assert (labels.FACT_AFTER, "我們公司有25人，想問診斷輔導費用") in facts     # given after the handoff
    assert not any(key in str(detail["facts"]) for key in ("request_text", "topic_id", "slots"))
    assert detail["age_seconds"] >= 0
    # 建議回覆 from the question after a bare 「找專人」, not the small talk before it
    body = c.get(f"/console/api/tickets/{tid}/assist").json()
    assert body["question"] == "我們公司有25人，想問診斷輔導費用"
    assert console.labels.ASSIST_REPLY.split("{")[0] in body["entries"][0]["reply"]


def test_officer_reply_drops_the_bots_citation():
    from channels.console.summary import officer_reply
    reply = officer_reply("診斷輔導要多少錢", "政府負擔大部分經費。\n（依據：診斷輔導．輔導經費）")
    assert "依據" not in reply and "政府負擔大部分經費。" in reply and "診斷輔導要多少錢" in reply


def test_transfer_resolve_with_outcome_canned_replies_and_search(env):
    tid = waiting_ticket(env)
    env.user_says("我的電話是 0933-444-555")
    wang, lee = env.client(), env.client()
    csrf, csrf_lee = login(wang), login(lee, "lee", PW_LEE)
    officers = {o["username"]: o["id"] for o in wang.get("/console/api/officers").json()["officers"]}
    assert post(wang, f"/console/api/tickets/{tid}/transfer", csrf,
                {"officer_id": officers["lee"], "text": "x"}).status_code == 409     # not claimed yet
    assert post(wang, f"/console/api/tickets/{tid}/claim", csrf).status_code == 200
    assert post(wang, f"/console/api/tickets/{tid}/transfer", csrf,
                {"officer_id": officers["wang"], "text": "x"}).status_code == 422    # not to oneself
    assert post(wang, f"/console/api/tickets/{tid}/transfer", csrf,
                {"officer_id": 999, "text": "x"}).status_code == 422
    moved = post(wang, f"/console/api/tickets/{tid}/transfer", csrf,
                 {"officer_id": officers["lee"], "text": "貸款問題，麻煩你"})
    assert moved.status_code == 200 and moved.json()["ticket"]["officer"] == "李大華"
    assert post(wang, f"/console/api/tickets/{tid}/reply", csrf, {"text": "x"}).status_code == 409
    assert post(lee, f"/console/api/tickets/{tid}/resolve", csrf_lee, {"outcome": "maybe"}).status_code == 422
    done = post(lee, f"/console/api/tickets/{tid}/resolve", csrf_lee, {"outcome": "called_no_answer"})
    assert done.status_code == 200 and done.json()["ticket"]["outcome"] == "called_no_answer"
    assert done.json()["ticket"]["outcome_label"] == console.labels.OUTCOME_LABELS["called_no_answer"]

    # a phone number typed in the chat is stored masked (issue 13) and still found by its keyed hash
    assert "0933-444-555" not in str([m.text for m in env.ctx.store.messages(env.ctx.store.ticket(tid).conversation_id)])
    for written in ("0933444555", "0933-444-555", "+886 933 444 555"):
        found = wang.get("/console/api/search", params={"phone": written}).json()["tickets"]
        assert [t["id"] for t in found] == [tid], written
    assert wang.get("/console/api/search", params={"phone": "0933444556"}).json()["tickets"] == []
    assert wang.get("/console/api/search", params={"q": "電話是"}).json()["tickets"][0]["id"] == tid
    assert wang.get("/console/api/search", params={"outcome": "answered"}).json()["tickets"] == []
    assert wang.get("/console/api/search", params={"from": "2001-01-01", "to": "2001-01-02"}).json()["tickets"] == []
    assert wang.get("/console/api/search", params={"from": "yesterday"}).status_code == 422

    added = post(wang, "/console/api/canned", csrf, {"title": "索取統編", "text": "請提供公司統一編號，以便查詢。"})
    assert added.status_code == 200
    assert post(wang, "/console/api/canned", csrf, {"title": "", "text": "x"}).status_code == 422
    listed = lee.get("/console/api/canned").json()["replies"]       # shared between officers
    assert [r["title"] for r in listed] == ["索取統編"]
    assert post(lee, f"/console/api/canned/{listed[0]['id']}/delete", csrf_lee).status_code == 200
    assert lee.get("/console/api/canned").json()["replies"] == []
    assert post(lee, f"/console/api/canned/{listed[0]['id']}/delete", csrf_lee).status_code == 404
