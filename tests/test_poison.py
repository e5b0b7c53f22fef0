"""Issue 13, item 1: a poison message (a lone surrogate or NUL) can't block a conversation.

It is refused at the entrances (widget: a zh-TW 422; LINE: a polite reply) and never stored; a
row that holds one anyway (stored by an older gateway, written by hand) is read back safely
(history 200), and a gateway restart answers every other pending message."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text as sql

from channels import texts
from channels.app import build_context, create_app
from channels.core.assist import AgentAssist
from channels.core.hours import fixed_clock
from channels.settings import Settings
from conftest import LINE_TOKEN
from fakes import FakeRasa
from test_widget import API, IN_HOURS

POISONS = ["a\ud800b", "\udfff", "前\x00後", "😀"[:1] + "\udc00"]


def gateway(db_url: str, rasa: FakeRasa | None = None, **settings):
    ctx = build_context(Settings(database_url=db_url, **settings), rasa=rasa or FakeRasa(),
                        clock=fixed_clock(IN_HOURS), assist=AgentAssist(False))
    return ctx, TestClient(create_app(context=ctx))


def raw_post(client: TestClient, body: dict) -> httpx.Response:
    # ensure_ascii keeps the surrogate as a JSON escape (as a browser or an attacker would send it)
    return client.post(API, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("bad", POISONS)
@pytest.mark.parametrize("field", ["text", "payload", "client_id"])
def test_the_widget_refuses_a_lone_surrogate_or_nul_with_a_clear_422(tmp_path, bad, field):
    ctx, client = gateway(f"sqlite:///{tmp_path}/h.db")
    session = uuid.uuid4().hex
    body = {"session_id": session, "text": "診斷輔導", field: bad}
    resp = raw_post(client, body)
    assert resp.status_code == 422
    assert "無法辨識的字元" in resp.json()["detail"]
    assert ctx.store.messages(f"web:{session}") == [] and ctx.hub.rasa.sent == []
    # the session still works afterwards
    ok = raw_post(client, {"session_id": session, "text": "診斷輔導"})
    assert ok.status_code == 200 and ok.json()["messages"][0]["text"] == "bot: 診斷輔導"


def test_a_line_text_with_a_lone_surrogate_gets_a_polite_reply_and_is_not_stored(tmp_path, line_api):
    secret = "poison-secret"
    ctx = build_context(Settings(database_url=f"sqlite:///{tmp_path}/h.db", line_channel_secret=secret,
                                 line_channel_access_token=LINE_TOKEN, line_api_base=line_api.url,
                                 fake_now="2026-11-30T10:00:00+08:00", assist_enabled=False), rasa=FakeRasa())
    app = create_app(context=ctx)
    user, token = "U" + uuid.uuid4().hex, uuid.uuid4().hex
    event = {"type": "message", "mode": "active", "timestamp": 1, "source": {"type": "user", "userId": user},
             "webhookEventId": uuid.uuid4().hex.upper()[:26], "deliveryContext": {"isRedelivery": False},
             "replyToken": token, "message": {"id": "1234", "type": "text", "quoteToken": "q", "text": "x\ud800\x00"}}
    body = json.dumps({"destination": "U" + "0" * 32, "events": [event]}).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c:
            resp = await c.post("/line/webhook", content=body,
                                headers={"Content-Type": "application/json", "X-Line-Signature": signature})
        replies = await line_api.wait_for_async(lambda _: line_api.replies(token), 15)
        return resp, replies
    resp, replies = asyncio.run(go())
    assert resp.status_code == 200
    assert [m["text"] for r in replies for m in r["json"]["messages"]] == [texts.POISON_INPUT]
    stored = ctx.store.messages(f"line:{user}")
    assert [(m.direction, m.author) for m in stored] == [("out", "system")]   # the user's text is not kept
    assert ctx.hub.rasa.sent == []
    ctx.store.dispose()


def _old_poison_rows(ctx, conversation_id: str) -> None:
    """Rows an older gateway could have stored: a JSON escape of a lone surrogate in the payload,
    NUL in the text, and text that is not valid UTF-8 at all."""
    ctx.store.touch_conversation(conversation_id, "web", conversation_id.split(":", 1)[1])
    with ctx.store.engine.begin() as conn:
        insert = ("INSERT INTO messages (conversation_id, direction, author, text, payload, created_at, attempts) "
                  "VALUES (:c, 'in', 'user', {text}, :p, CURRENT_TIMESTAMP, 0)")
        conn.execute(sql(insert.format(text=":t")), {"c": conversation_id, "t": "選單",
                                                     "p": '{"payload": "/greet\\ud800"}'})
        conn.execute(sql(insert.format(text=":t")), {"c": conversation_id, "t": "前\x00後", "p": None})
        conn.execute(sql(insert.format(text="CAST(X'E585A8EDA080' AS TEXT)")), {"c": conversation_id, "p": None})


def test_stored_poison_messages_block_nothing_after_a_restart(tmp_path):
    db = f"sqlite:///{tmp_path}/h.db"
    ctx, _ = gateway(db)
    good = uuid.uuid4().hex
    bad = uuid.uuid4().hex
    # pending when the gateway died: a good conversation, and one with poison rows among good ones
    ctx.store.touch_conversation(f"web:{good}", "web", good)
    for q in ("補助上限多少", "要準備什麼文件"):
        ctx.store.add_message(f"web:{good}", "in", "user", q)
    ctx.store.touch_conversation(f"web:{bad}", "web", bad)
    ctx.store.add_message(f"web:{bad}", "in", "user", "在毒訊息之前")
    _old_poison_rows(ctx, f"web:{bad}")
    ctx.store.add_message(f"web:{bad}", "in", "user", "在毒訊息之後")
    ctx.store.dispose()

    rasa = FakeRasa()
    ctx2, client = gateway(db, rasa)   # the restart
    assert asyncio.run(ctx2.hub.replay_unhandled()) == 2
    assert ctx2.store.unhandled_inbound() == []            # every message answered or marked failed
    sent = [m for _, m in rasa.sent]
    assert [m for m in sent if m in ("補助上限多少", "要準備什麼文件")] == ["補助上限多少", "要準備什麼文件"]
    assert "在毒訊息之前" in sent and "在毒訊息之後" in sent
    assert sent.index("在毒訊息之前") < sent.index("在毒訊息之後")    # still in order around them
    for session in (good, bad):
        resp = client.get(API, params={"session_id": session, "after": 0})
        assert resp.status_code == 200                       # the history reads, poison and all
        body = resp.json()
        ins = [m for m in body["messages"] if m["direction"] == "in"]
        answered = {m["reply_to"] for m in body["messages"] if m["direction"] == "out"}
        assert {m["id"] for m in ins} <= answered            # each user message got its answer (or apology)
    # and the conversation carries on
    resp = raw_post(client, {"session_id": bad, "text": "還在嗎"})
    assert resp.status_code == 200 and resp.json()["messages"][-1]["text"] == "bot: 還在嗎"
