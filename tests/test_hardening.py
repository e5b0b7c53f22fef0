"""Issue 13: odd and oversized inputs at the gateway's entrances get a clear 4xx, never a 500, and
bodies are read no further than their limit (items 1, 6 and 7 of the issue). In process, real Store
(SQLite file), FakeRasa for the bot."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json

import pytest
from fastapi.testclient import TestClient

from channels.console import labels
from channels.core.textsafe import parse_json, plain_int
from test_console_api import PW_WANG, login, make_env, post


@pytest.fixture
def env(tmp_path):
    e = make_env(tmp_path)
    yield e
    e.ctx.store.dispose()


def client_of(env) -> TestClient:
    return TestClient(env.app, raise_server_exceptions=False)   # a 500 is a status here, not an exception


def raw_json(client: TestClient, path: str, body, **headers):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()   # ensure_ascii keeps \\ud800 escaped
    return client.post(path, content=data, headers={"Content-Type": "application/json", **headers})


class Counting:
    """A chunked request body (no Content-Length) of ``total`` bytes sent straight to the ASGI app
    (the TestClient reads a body whole before the app sees it); counts what the app pulled."""

    def __init__(self, head: bytes, total: int, chunk: int = 64 * 1024):
        self.head, self.total, self.chunk, self.pulled = head, total, chunk, 0

    def post(self, app, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
                 "root_path": "", "client": ("127.0.0.1", 5000), "server": ("gw", 80),
                 "headers": [(k.lower().encode(), v.encode()) for k, v in
                             {**headers, "transfer-encoding": "chunked"}.items()]}
        out: dict = {"body": b""}

        async def receive():
            if self.pulled == 0:
                self.pulled = len(self.head)
                return {"type": "http.request", "body": self.head, "more_body": True}
            self.pulled += self.chunk
            return {"type": "http.request", "body": b"x" * self.chunk, "more_body": self.pulled < self.total}

        async def send(message):
            if message["type"] == "http.response.start":
                out["status"] = message["status"]
            elif message["type"] == "http.response.body":
                out["body"] += message.get("body", b"")

        asyncio.run(app(scope, receive, send))
        return out["status"], out["body"]


# ---------------------------------------------------------------- the console
@pytest.mark.parametrize("username,password", [("wang\ud800", PW_WANG), ("wa\x00ng", PW_WANG), ("wang", "pw\udfff")])
def test_a_login_with_a_lone_surrogate_or_nul_is_a_422_not_a_500(env, username, password):
    resp = raw_json(client_of(env), "/console/api/login", {"username": username, "password": password})
    assert resp.status_code == 422 and resp.json()["detail"] == labels.MSG_POISON


def test_deeply_nested_json_is_a_400_not_a_recursion_error(env):
    client = client_of(env)
    resp = raw_json(client, "/console/api/login", b"[" * 30000)
    assert resp.status_code == 400 and resp.json()["detail"] == labels.MSG_BAD_JSON
    csrf = login(client)
    resp = client.post("/console/api/tickets/1/reply", content=b'{"text": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                       headers={"Content-Type": "application/json", "X-CSRF-Token": csrf})
    assert resp.status_code == 400


@pytest.mark.parametrize("ticket", [str(2**63), str(2**31), "0", "-1"])
def test_ticket_ids_out_of_range_are_a_422_not_an_overflow(env, ticket):
    client = client_of(env)
    csrf = login(client)
    for resp in (client.get(f"/console/api/tickets/{ticket}"), client.get(f"/console/api/tickets/{ticket}/assist"),
                 post(client, f"/console/api/tickets/{ticket}/claim", csrf),
                 post(client, f"/console/api/tickets/{ticket}/reply", csrf, {"text": "您好"}),
                 post(client, f"/console/api/tickets/{ticket}/resolve", csrf),
                 client.get("/console/api/updates", params={"ticket": ticket})):
        assert resp.status_code == 422, (resp.request.url, resp.status_code, resp.text)
        assert resp.json()["detail"] == labels.MSG_BAD_REQUEST
    assert client.get(f"/console/api/tickets/{2**31 - 1}").status_code == 404   # in range: unknown ticket


@pytest.mark.parametrize("since", ["²", "٣", "1²", "9" * 30, " 1"])
def test_a_cursor_of_unicode_digits_is_a_422(env, since):
    client = client_of(env)
    login(client)
    resp = client.get("/console/api/updates", params={"since": since})
    assert resp.status_code == 422 and resp.json()["detail"] == labels.MSG_BAD_CURSOR


def test_console_texts_with_poison_are_refused(env):
    client = client_of(env)
    csrf = login(client)
    env.user_says("找專人")
    ticket = env.ctx.store.open_ticket(env.conversation()).id
    assert post(client, f"/console/api/tickets/{ticket}/claim", csrf).status_code == 200
    for path in ("reply", "notes"):
        resp = client.post(f"/console/api/tickets/{ticket}/{path}", content=json.dumps({"text": "好\ud800"}).encode(),
                           headers={"Content-Type": "application/json", "X-CSRF-Token": csrf})
        assert resp.status_code == 422 and resp.json()["detail"] == labels.MSG_POISON
    assert client.get(f"/console/api/tickets/{ticket}/assist", params={"q": "a\x00"}).status_code == 422
    assert client.get(f"/console/api/tickets/{ticket}").status_code == 200


def test_a_chunked_console_body_is_not_read_past_its_limit(env):
    body = Counting(b'{"username": "wang", "password": "', 8 * 1024 * 1024)
    status, _ = body.post(env.app, "/console/api/login", {"Content-Type": "application/json"})
    assert status == 413
    assert body.pulled < 1024 * 1024


# ---------------------------------------------------------------- the widget
def test_a_chunked_widget_body_is_not_read_whole(env):
    body = Counting(b'{"session_id": "' + b"a" * 20 + b'", "text": "', 8 * 1024 * 1024)
    status, _ = body.post(env.app, "/api/widget/messages", {"Content-Type": "application/json"})
    assert status == 413
    assert body.pulled < 1024 * 1024, body.pulled   # stopped near the 256 KB limit, not at 8 MiB


def test_the_widget_session_id_may_not_end_in_a_newline(env):
    client = client_of(env)
    session = "a" * 20
    resp = raw_json(client, "/api/widget/messages", {"session_id": session + "\n", "text": "你好"})
    assert resp.status_code == 422
    assert client.get("/api/widget/messages", params={"session_id": session + "\n"}).status_code == 422
    assert raw_json(client, "/api/widget/messages", {"session_id": session, "text": "你好",
                                                     "client_id": "c1\n"}).status_code == 422
    assert env.ctx.store.messages(f"web:{session}\n") == []


def test_a_deeply_nested_widget_body_is_a_422(env):
    resp = raw_json(client_of(env), "/api/widget/messages", b"[" * 30000)
    assert resp.status_code == 422


@pytest.mark.parametrize("after", ["²", "1²", "9" * 19])
def test_widget_history_cursor_must_be_ascii_digits(env, after):
    resp = client_of(env).get("/api/widget/messages", params={"session_id": "a" * 20, "after": after})
    assert resp.status_code == 422


# ---------------------------------------------------------------- LINE
def test_the_line_webhook_refuses_a_huge_body_before_reading_it(tmp_path):
    from channels.app import build_context, create_app
    from channels.settings import Settings
    from fakes import FakeRasa

    ctx = build_context(Settings(database_url=f"sqlite:///{tmp_path}/h.db", line_channel_secret="s",
                                 line_channel_access_token="t", assist_enabled=False), rasa=FakeRasa())
    app = create_app(context=ctx)
    client = TestClient(app, raise_server_exceptions=False)
    body = Counting(b'{"destination": "U0", "events": [], "pad": "', 8 * 1024 * 1024)
    status, _ = body.post(app, "/line/webhook", {"Content-Type": "application/json", "X-Line-Signature": "forged"})
    assert status == 413
    assert body.pulled < 2 * 1024 * 1024
    # a signed body nested too deeply is a 400, not a 500
    deep = b'{"destination": "U0", "events": [], "x": ' + b"[" * 30000 + b"]" * 30000 + b"}"
    sig = base64.b64encode(hmac.new(b"s", deep, hashlib.sha256).digest()).decode()
    resp = client.post("/line/webhook", content=deep, headers={"Content-Type": "application/json",
                                                               "X-Line-Signature": sig})
    assert resp.status_code == 400
    ctx.store.dispose()


# ---------------------------------------------------------------- the helpers
def test_parse_json_bounds_depth_and_plain_int_bounds_digits():
    assert parse_json(b'{"a": [[1]]}') == {"a": [[1]]}
    with pytest.raises(ValueError):
        parse_json("[" * 21 + "]" * 21)
    with pytest.raises(ValueError):
        parse_json("[" * 100000)
    assert plain_int("42") == 42 and plain_int("²") is None and plain_int(str(2**31)) is None
    assert plain_int("") is None and plain_int(None) is None and plain_int("1\n") is None


# ---------------------------------------------------------------- login limits (item 2)
def _guarded_app(env, now, pool=None):
    from fastapi import FastAPI

    from channels.console import api as console

    app = FastAPI()
    app.include_router(console.router(env.ctx, throttle=console.login_throttle(clock=lambda: now[0]),
                                      **({"passwords": pool} if pool else {})))
    return app


def test_failures_from_one_address_do_not_lock_the_officer_out_elsewhere(env):
    now = [1000.0]
    app = _guarded_app(env, now)
    attacker = TestClient(app, client=("203.0.113.7", 40000))
    officer = TestClient(app, client=("198.51.100.2", 40000))
    for _ in range(5):
        assert attacker.post("/console/api/login", json={"username": "wang", "password": "wrong-wrong"}).status_code == 401
    locked = attacker.post("/console/api/login", json={"username": "wang", "password": PW_WANG})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) == 60
    assert officer.post("/console/api/login", json={"username": "wang", "password": PW_WANG}).status_code == 200


def test_random_usernames_from_one_address_lock_that_address(env):
    now = [1000.0]
    app = _guarded_app(env, now)
    attacker = TestClient(app, client=("203.0.113.8", 40000))
    statuses = [attacker.post("/console/api/login", json={"username": f"u{i}x", "password": "whatever-123"}).status_code
                for i in range(25)]
    assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}
    other = TestClient(app, client=("198.51.100.3", 40000))
    assert other.post("/console/api/login", json={"username": "lee", "password": "lee-password-456"}).status_code == 200
    now[0] += 301
    assert attacker.post("/console/api/login", json={"username": "wang", "password": PW_WANG}).status_code == 200


def test_password_checks_beyond_the_pool_are_refused_not_queued(env):
    import threading

    from channels.core.passwords import PasswordPool

    gate = threading.Event()
    pool = PasswordPool(workers=1, queue=0)
    blocker = pool._executor.submit(gate.wait)   # the only worker is busy
    app = _guarded_app(env, [0.0], pool)

    async def go():
        import httpx
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c:
            first = asyncio.create_task(c.post("/console/api/login", json={"username": "wang", "password": PW_WANG}))
            await asyncio.sleep(0.2)
            second = await c.post("/console/api/login", json={"username": "lee", "password": "lee-password-456"})
            gate.set()
            return (await first), second
    first, second = asyncio.run(go())
    blocker.result()
    assert second.status_code == 429 and second.json()["detail"] == labels.MSG_LOGIN_BUSY
    assert first.status_code == 200


# ---------------------------------------------------------------- ticket flooding (item 3)
def _widget_env(tmp_path, **settings):
    from channels.settings import Settings

    return make_env(tmp_path, settings=Settings(database_url=f"sqlite:///{tmp_path}/h.db", **settings))


def _say(client: TestClient, session: str, text: str, payload: str | None = None):
    body = {"session_id": session, "text": text, **({"payload": payload} if payload else {})}
    resp = client.post("/api/widget/messages", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_300_handoff_requests_from_one_address_do_not_hide_a_real_ticket(tmp_path):
    from channels import texts

    env = _widget_env(tmp_path, widget_rate_per_address=0)
    attacker = TestClient(env.app, client=("203.0.113.50", 40000))
    capped = 0
    for i in range(300):
        replies = _say(attacker, f"flood{i:04d}" + "x" * 12, "找專人")["messages"]
        capped += any(m["text"] == texts.HANDOFF_CAPPED for m in replies)
    assert capped == 297                                   # 3 tickets, then a polite no each time
    real = TestClient(env.app, client=("198.51.100.20", 40000))
    session = "real-company-0001"
    _say(real, session, "找專人")
    officer = client_of(env)
    login(officer)
    page = officer.get("/console/api/tickets", params={"limit": 20}).json()
    assert page["total"] == 4
    assert page["tickets"][0]["conversation_id"] == f"web:{session}"   # newest first
    oldest = officer.get("/console/api/tickets", params={"order": "oldest", "limit": 2}).json()
    assert [t["id"] for t in oldest["tickets"]] == sorted(t["id"] for t in page["tickets"])[:2]
    assert oldest["next_offset"] == 2
    second = officer.get("/console/api/tickets", params={"order": "oldest", "limit": 2, "offset": 2}).json()
    assert second["next_offset"] is None and len(second["tickets"]) == 2
    env.ctx.store.dispose()


def test_bulk_resolve_and_mark_as_spam(env):
    client = client_of(env)
    csrf = login(client)
    ids = []
    for i in range(3):
        env.user_says("找專人", f"s{i}")
        ids.append(env.ctx.store.open_ticket(env.conversation(f"s{i}")).id)
    lee = client_of(env)
    lee_csrf = login(lee, "lee", "lee-password-456")
    assert post(lee, f"/console/api/tickets/{ids[2]}/claim", lee_csrf).status_code == 200
    resp = post(client, "/console/api/tickets/bulk", csrf, {"ids": ids, "action": "spam"})
    assert resp.status_code == 200
    body = resp.json()
    assert [t["id"] for t in body["tickets"]] == ids[:2] and all(t["spam"] for t in body["tickets"])
    assert [f["id"] for f in body["failed"]] == [ids[2]] and "李大華" in body["failed"][0]["detail"]
    spam = client.get("/console/api/tickets", params={"states": "resolved", "spam": "true"}).json()
    assert sorted(t["id"] for t in spam["tickets"]) == ids[:2]
    assert [t["id"] for t in client.get("/console/api/tickets").json()["tickets"]] == [ids[2]]
    for bad in ({"ids": ids, "action": "delete"}, {"ids": [], "action": "resolve"}, {"ids": [2**63], "action": "resolve"},
                {"ids": list(range(1, 102)), "action": "resolve"}, {"ids": ["1"], "action": "resolve"}):
        assert post(client, "/console/api/tickets/bulk", csrf, bad).status_code == 422
    assert post(lee, f"/console/api/tickets/{ids[2]}/spam", lee_csrf).json()["ticket"]["spam"] is True


def test_a_payload_the_bot_never_offered_is_answered_as_text(tmp_path):
    env = _widget_env(tmp_path)
    env.rasa.script = lambda sender, message: (
        [{"text": "請選擇", "buttons": [{"title": "診斷輔導", "payload": "/ask_diagnosis"}]}]
        if message == "選單" else [{"text": f"bot: {message}"}])
    client = client_of(env)
    session = "payload-check-0001"
    _say(client, session, "找真人", "/request_human")            # not offered: the text is what counts
    assert env.rasa.sent[-1] == (f"web:{session}", "找真人")
    _say(client, session, "選單")
    _say(client, session, "診斷輔導", "/ask_diagnosis")        # offered by the bot just before
    assert env.rasa.sent[-1] == (f"web:{session}", "/ask_diagnosis")
    stored = [m for m in env.ctx.store.messages(f"web:{session}") if m.direction == "in"]
    assert [(m.payload or {}).get("payload") for m in stored] == [None, None, "/ask_diagnosis"]
    env.ctx.store.dispose()


# ---------------------------------------------------------------- LINE background work (item 6)
def test_line_events_are_answered_a_few_at_a_time_and_cancelled_at_shutdown(tmp_path):
    from channels.app import build_context, create_app
    from channels.settings import Settings
    from fakes import FakeRasa

    ctx = build_context(Settings(database_url=f"sqlite:///{tmp_path}/h.db", line_channel_secret="s",
                                 line_channel_access_token="t", assist_enabled=False), rasa=FakeRasa())
    app = create_app(context=ctx)
    channel = app.state.line
    running, most = [0], [0]
    release = asyncio.Event()

    async def slow() -> None:
        running[0] += 1
        most[0] = max(most[0], running[0])
        try:
            await release.wait()
        finally:
            running[0] -= 1

    async def go():
        for i in range(40):
            channel.spawn(f"U{i:032x}", slow)
        await asyncio.sleep(0.2)
        assert running[0] == channel.max_running        # the rest wait for a slot
        release.set()
        await channel.idle()
        release.clear()
        tasks = [channel.spawn(f"U{i:032x}", slow) for i in range(5)]
        await asyncio.sleep(0.05)
        await channel.close(grace_s=0.2)                 # shutdown: waiting work is cancelled, not hung
        assert all(t.done() for t in tasks) and running[0] == 0
    asyncio.run(go())
    assert most[0] == channel.max_running
    ctx.store.dispose()


def test_no_public_api_docs(env):
    client = client_of(env)
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404, path


def test_the_ticket_cap_keys_on_real_addresses_only():
    from channels.core.hub import origin_of

    assert origin_of("127.0.0.1") is None and origin_of("::1") is None and origin_of(None) is None
    assert origin_of("203.0.113.5") == origin_of("203.0.113.5") != origin_of("203.0.113.6")
    assert "203.0.113.5" not in (origin_of("203.0.113.5") or "")
