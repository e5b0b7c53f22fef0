"""The web widget's page, script and JSON API, in process (FakeRasa instead of the real bot)."""
from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from channels.app import build_context, create_app
from channels.core.assist import AgentAssist
from channels.core.hours import TAIPEI, fixed_clock
from channels.settings import Settings
from fakes import FakeRasa, calc_answer, handoff_script

IN_HOURS = datetime(2026, 11, 30, 10, 0, tzinfo=TAIPEI)      # a Monday morning
OUT_OF_HOURS = datetime(2026, 11, 30, 20, 0, tzinfo=TAIPEI)
API = "/api/widget/messages"
ZH = re.compile(r"[\u4e00-\u9fff]")


class Widget:
    """One gateway (in process) and helpers for a widget session."""

    def __init__(self, tmp_path, script=None, clock=IN_HOURS, settings: dict | None = None):
        self.rasa = FakeRasa(script)
        self.ctx = build_context(Settings(database_url=f"sqlite:///{tmp_path}/h.db", **(settings or {})),
                                 rasa=self.rasa, clock=fixed_clock(clock), assist=AgentAssist(False))
        self.client = TestClient(create_app(context=self.ctx))

    @staticmethod
    def new_session() -> str:
        return uuid.uuid4().hex

    def send(self, session_id: str, text: str, **extra):
        resp = self.client.post(API, json={"session_id": session_id, "text": text, **extra})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def poll(self, session_id: str, after: int = 0):
        resp = self.client.get(API, params={"session_id": session_id, "after": after})
        assert resp.status_code == 200, resp.text
        return resp.json()


@pytest.fixture
def widget(tmp_path):
    return Widget(tmp_path)


def texts(messages):
    return [(m["author"], m["text"]) for m in messages]


# ---------------------------------------------------------------- page and assets
def test_demo_page_embeds_the_widget_and_shows_the_snippet(widget):
    resp = widget.client.get("/")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    page = resp.text
    assert '<html lang="zh-Hant-TW">' in page
    assert "產業及中小企業升級轉型" in page
    assert '<script src="/widget.js" defer></script>' in page                      # loads the widget
    assert "&lt;script src=&quot;/widget.js&quot; defer&gt;&lt;/script&gt;" in page or \
        '&lt;script src="/widget.js" defer&gt;&lt;/script&gt;' in page              # shows the snippet
    assert "{{" not in page
    assert "script-src 'self'" in resp.headers["content-security-policy"]


def test_demo_page_uses_the_public_base_url(tmp_path):
    w = Widget(tmp_path, settings={"public_base_url": "https://hotline.example.gov.tw"})
    page = w.client.get("/").text
    assert '<script src="https://hotline.example.gov.tw/widget.js" defer></script>' in page


def test_widget_script_and_stylesheet_are_served(widget):
    js = widget.client.get("/widget.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("application/javascript")
    for marker in ("hotline-widget-toggle", "hotline-widget-input", "hotline-widget-send", "開啟線上諮詢",
                   'role: "dialog"', "api/widget/messages", "連線中斷，重新連線中…", "localStorage"):
        assert marker in js.text, marker
    # data is only ever inserted as text
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in js.text, sink
    code = js.text.split("*/", 1)[1].replace('"http://www.w3.org/2000/svg"', "")   # minus the SVG namespace
    assert not re.search(r"[\"'`]https?://", code)          # no external resource (CDN, fonts…)
    css = widget.client.get("/widget.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "#hotline-widget" in css.text


# ---------------------------------------------------------------- send and read
def test_send_returns_the_replies_and_history_has_both_sides_in_order(widget):
    sid = widget.new_session()
    body = widget.send(sid, "診斷輔導要多少錢")
    assert texts(body["messages"]) == [("bot", "bot: 診斷輔導要多少錢")]
    assert body["messages"][0]["direction"] == "out"
    assert body["handoff"] is None
    mine = body["user_message"]                       # the stored copy of what the user sent
    assert (mine["author"], mine["direction"], mine["text"]) == ("user", "in", "診斷輔導要多少錢")
    assert mine["id"] < body["messages"][0]["id"]
    assert widget.rasa.sent == [(f"web:{sid}", "診斷輔導要多少錢")]
    widget.send(sid, "補助上限多少")

    # a reload reads the whole conversation again
    history = widget.poll(sid, 0)
    assert texts(history["messages"]) == [
        ("user", "診斷輔導要多少錢"), ("bot", "bot: 診斷輔導要多少錢"),
        ("user", "補助上限多少"), ("bot", "bot: 補助上限多少"),
    ]
    assert [m["direction"] for m in history["messages"]] == ["in", "out", "in", "out"]
    ids = [m["id"] for m in history["messages"]]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert history["handoff"] is None
    for m in history["messages"]:
        assert set(m) >= {"id", "direction", "author", "officer", "text", "payload", "created_at"}


def test_polling_after_an_id_returns_only_newer_messages(widget):
    sid = widget.new_session()
    widget.send(sid, "第一個問題")
    last = widget.poll(sid)["messages"][-1]["id"]
    assert widget.poll(sid, last)["messages"] == []
    widget.send(sid, "第二個問題")
    newer = widget.poll(sid, last)["messages"]
    assert texts(newer) == [("user", "第二個問題"), ("bot", "bot: 第二個問題")]
    assert all(m["id"] > last for m in newer)


def test_sessions_do_not_see_each_other(widget):
    a, b = widget.new_session(), widget.new_session()
    widget.send(a, "甲公司的問題")
    assert widget.poll(b)["messages"] == []
    assert widget.poll(a)["messages"][0]["text"] == "甲公司的問題"


def test_button_payload_goes_to_rasa_and_its_title_is_the_user_text(tmp_path):
    w = Widget(tmp_path, script=lambda s, m: [{"text": "請選擇：", "buttons": [
        {"title": "診斷輔導費用", "payload": '/choose_topic{"topic":"diagnosis_cost"}'}]}])
    sid = w.new_session()
    reply = w.send(sid, "你好")["messages"][0]
    assert reply["payload"]["buttons"] == [{"title": "診斷輔導費用",
                                            "payload": '/choose_topic{"topic":"diagnosis_cost"}'}]
    w.send(sid, "診斷輔導費用", payload='/choose_topic{"topic":"diagnosis_cost"}')
    assert w.rasa.sent[-1] == (f"web:{sid}", '/choose_topic{"topic":"diagnosis_cost"}')
    user = [m for m in w.poll(sid)["messages"] if m["author"] == "user"][-1]
    assert user["text"] == "診斷輔導費用"


def test_a_resent_message_is_stored_and_answered_once(widget):
    sid = widget.new_session()
    first = widget.send(sid, "補助怎麼申請", client_id="c-1")
    again = widget.send(sid, "補助怎麼申請", client_id="c-1")
    assert len(first["messages"]) == 1
    assert again["messages"] == [] and again["duplicate"] is True and again["user_message"] is None
    assert len(widget.rasa.sent) == 1
    assert texts(widget.poll(sid)["messages"]) == [("user", "補助怎麼申請"), ("bot", "bot: 補助怎麼申請")]
    widget.send(sid, "補助怎麼申請", client_id="c-2")          # the same words sent again on purpose
    assert len(widget.rasa.sent) == 2


def test_calc_result_payload_reaches_the_widget_with_citation_texts(tmp_path):
    from knowledge.calc.diagnosis import calculate_diagnosis

    calc = calculate_diagnosis(sme=True)
    result = calc.to_dict()
    w = Widget(tmp_path, script=lambda s, m: [
        {"text": "【診斷輔導費用】…（依據：診斷輔導．輔導經費）"},
        calc_answer(calc),
    ])
    sid = w.new_session()
    body = w.send(sid, "幫我試算診斷費用")
    card = body["messages"][1]
    assert card["text"] == ""
    custom = card["payload"]["custom"]
    assert custom["type"] == "calc_result"
    assert custom["result"]["amount"] == result["amount"]
    assert custom["result"]["steps"] == [dict(s) for s in result["steps"]]
    assert custom["citation_texts"]["diagnosis_cost"] == "診斷輔導．輔導經費"
    assert set(custom["citation_texts"]) >= set(result["citations"])
    assert w.poll(sid)["messages"][2]["payload"]["custom"]["citation_texts"] == custom["citation_texts"]


def test_a_result_stored_before_cards_existed_is_returned_as_stored(tmp_path):
    from knowledge.calc.diagnosis import calculate_diagnosis

    old = {"custom": {"type": "calc_result", "result": calculate_diagnosis(sme=True).to_dict()}}
    w = Widget(tmp_path, script=lambda s, m: [{"text": "【診斷輔導費用】…"}, old])
    body = w.send(w.new_session(), "幫我試算診斷費用")
    assert [m["text"] for m in body["messages"]] == ["【診斷輔導費用】…", ""]
    custom = body["messages"][1]["payload"]["custom"]
    assert set(custom) == {"type", "result"}        # nothing looked up or added: widget.js shows the text


def test_markup_is_stored_verbatim_and_returned_as_data(widget):
    sid = widget.new_session()
    attack = '<img src=x onerror=alert(1)><script>alert("x")</script>'
    body = widget.send(sid, attack)
    assert body["messages"][0]["text"] == f"bot: {attack}"
    user = widget.poll(sid)["messages"][0]
    assert user["text"] == attack
    assert widget.rasa.sent[-1][1] == attack


# ---------------------------------------------------------------- validation (zh-TW)
@pytest.mark.parametrize("session_id", ["", "short", "a" * 65, "有中文的session-id-1234", "bad id with spaces!",
                                        None, 12345])
def test_bad_session_ids_are_refused_in_chinese(widget, session_id):
    resp = widget.client.post(API, json={"session_id": session_id, "text": "你好"})
    assert resp.status_code == 422
    assert "session_id" in resp.json()["detail"] and ZH.search(resp.json()["detail"])
    assert resp.headers["access-control-allow-origin"] == "*"
    if isinstance(session_id, str):
        got = widget.client.get(API, params={"session_id": session_id, "after": 0})
        assert got.status_code == 422 and ZH.search(got.json()["detail"])
    assert widget.rasa.sent == []


@pytest.mark.parametrize("text", ["", "   \n ", None])
def test_empty_text_is_refused_in_chinese(widget, text):
    resp = widget.client.post(API, json={"session_id": widget.new_session(), "text": text})
    assert resp.status_code == 422
    assert resp.json()["detail"] == "請輸入訊息內容。"
    assert widget.rasa.sent == []


def test_malformed_requests_are_refused_in_chinese(widget):
    sid = widget.new_session()
    cases = [
        widget.client.post(API, content=b"not json", headers={"content-type": "application/json"}),
        widget.client.post(API, json=["a list"]),
        widget.client.post(API, json={"session_id": sid, "text": 123}),
        widget.client.post(API, json={"session_id": sid, "text": "hi", "payload": {"x": 1}}),
        widget.client.post(API, json={"session_id": sid, "text": "hi", "client_id": "有空白 的 id"}),
        widget.client.get(API, params={"session_id": sid, "after": "-1"}),
        widget.client.get(API, params={"session_id": sid, "after": "abc"}),
    ]
    for resp in cases:
        assert resp.status_code == 422, resp.text
        assert ZH.search(resp.json()["detail"]), resp.text
    assert widget.rasa.sent == []


def test_oversized_text_is_cut_and_the_user_is_told(widget):
    sid = widget.new_session()
    body = widget.send(sid, "診" * 1500)
    note, answer = body["messages"]
    assert note["author"] == "system" and "1000" in note["text"]
    assert answer["text"] == "bot: " + "診" * 1000
    assert widget.poll(sid)["messages"][0]["text"] == "診" * 1000


def test_absurdly_long_requests_are_refused(widget):
    resp = widget.client.post(API, json={"session_id": widget.new_session(), "text": "診" * 25_000})
    assert resp.status_code == 413 and "過長" in resp.json()["detail"]
    resp = widget.client.post(API, json={"session_id": widget.new_session(), "text": "x" * 300_000})
    assert resp.status_code == 413
    assert widget.rasa.sent == []


def test_rasa_down_gives_a_stored_notice_not_an_error(widget):
    widget.rasa.down = True
    sid = widget.new_session()
    body = widget.send(sid, "你好")
    # the notice says the message is kept and will be answered (it stays pending: issue 12)
    assert body["messages"][0]["author"] == "system" and "恢復後會立即回覆" in body["messages"][0]["text"]
    assert [m["author"] for m in widget.poll(sid)["messages"]] == ["user", "system"]


# ---------------------------------------------------------------- CORS
def test_cors_for_another_origin(widget):
    origin = {"Origin": "https://www.example-sme.com.tw"}
    pre = widget.client.options(API, headers={**origin, "Access-Control-Request-Method": "POST",
                                              "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code in (200, 204)
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert "content-type" in pre.headers["access-control-allow-headers"].lower()
    sid = widget.new_session()
    post = widget.client.post(API, json={"session_id": sid, "text": "你好"}, headers=origin)
    assert post.headers["access-control-allow-origin"] == "*"
    get = widget.client.get(API, params={"session_id": sid, "after": 0}, headers=origin)
    assert get.headers["access-control-allow-origin"] == "*"
    assert get.headers["cache-control"] == "no-store"


# ---------------------------------------------------------------- handoff and officer replies
def test_handoff_state_and_an_officer_reply_reach_the_widget_by_polling(tmp_path):
    w = Widget(tmp_path, script=handoff_script())
    sid = w.new_session()
    w.send(sid, "補助上限多少")
    body = w.send(sid, "找專人")
    assert body["handoff"] == {"state": "waiting", "officer": None}
    notice = body["messages"][0]
    assert notice["author"] == "system" and "排隊第1位" in notice["text"]
    assert notice["payload"]["custom"] == {"type": "handoff_state", "state": "waiting"}
    seen = w.poll(sid)
    assert seen["handoff"] == {"state": "waiting", "officer": None}
    last = seen["messages"][-1]["id"]

    officer = w.ctx.store.create_officer("wang", "王小明", "not-a-real-hash")
    ticket = w.ctx.store.open_ticket(f"web:{sid}")
    asyncio.run(w.ctx.hub.claim(ticket.id, officer))
    joined = w.poll(sid, last)
    assert joined["handoff"] == {"state": "with_officer", "officer": "王小明"}
    assert texts(joined["messages"]) == [("system", "專人「王小明」已加入對話，接下來由專人為您服務。")]
    assert joined["messages"][0]["payload"]["custom"]["officer"] == "王小明"
    last = joined["messages"][-1]["id"]

    asyncio.run(w.ctx.hub.officer_reply(ticket.id, officer, "您好，我是王小明，請問貴公司員工幾人？"))
    reply = w.poll(sid, last)["messages"]
    assert len(reply) == 1
    assert reply[0]["author"] == "officer" and reply[0]["officer"] == "王小明"
    assert reply[0]["text"] == "您好，我是王小明，請問貴公司員工幾人？"
    last = reply[0]["id"]

    # while the officer holds the conversation the bot is silent; the user's message is stored for them
    sent_before = len(w.rasa.sent)
    answer = w.send(sid, "25人")
    assert answer["messages"] == [] and answer["handoff"]["state"] == "with_officer"
    assert len(w.rasa.sent) == sent_before
    assert texts(w.poll(sid, last)["messages"]) == [("user", "25人")]

    asyncio.run(w.ctx.hub.resolve(ticket.id, officer))
    back = w.poll(sid, last)
    assert back["handoff"] is None
    assert back["messages"][-2]["payload"]["custom"]["state"] == "resolved"
    assert back["messages"][-1]["payload"]["custom"]["type"] == "csat"      # issue 16: how satisfied?


def test_out_of_hours_handoff_asks_for_contact(tmp_path):
    w = Widget(tmp_path, script=handoff_script(), clock=OUT_OF_HOURS)
    sid = w.new_session()
    body = w.send(sid, "找專人")
    assert body["handoff"] == {"state": "awaiting_contact", "officer": None}
    assert "非專人服務時間" in body["messages"][0]["text"]
    assert w.send(sid, "不用")["handoff"] == {"state": "callback", "officer": None}


# ---------------------------------------------------------------- the contract (Pydantic models, OpenAPI)
def test_the_widget_api_bodies_are_in_the_openapi_schema(widget):
    spec = widget.client.app.openapi()   # not served publicly (API_DOCS=false); python -m channels.openapi prints it
    post = spec["paths"]["/api/widget/messages"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["session_id", "text"]
    assert set(body["properties"]) == {"session_id", "text", "payload", "client_id"}
    assert body["properties"]["session_id"]["pattern"] == r"^[A-Za-z0-9_-]{16,64}$"
    assert post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SendResponse")
    for status in ("413", "422", "429"):
        assert post["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    get = spec["paths"]["/api/widget/messages"]["get"]
    assert get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/HistoryResponse")
    assert {"SendResponse", "HistoryResponse", "Message", "Handoff", "ErrorResponse"} <= set(spec["components"]["schemas"])


def test_every_answer_validates_against_the_models_and_errors_stay_zh_tw(tmp_path):
    from channels.widget.models import ErrorResponse, HistoryResponse, SendResponse

    w = Widget(tmp_path, script=handoff_script())
    sid = w.new_session()
    SendResponse.model_validate(w.send(sid, "診斷輔導要多少錢", client_id="c1"))
    duplicate = w.send(sid, "診斷輔導要多少錢", client_id="c1")
    assert duplicate["duplicate"] is True and SendResponse.model_validate(duplicate).user_message is None
    handed = SendResponse.model_validate(w.send(sid, "找專人"))
    assert handed.handoff is not None and handed.handoff.state == "waiting"
    HistoryResponse.model_validate(w.poll(sid))
    for bad in ({"session_id": "short", "text": "hi"}, {"session_id": sid, "text": 3},
                {"session_id": sid, "text": "  "}, {"session_id": sid, "text": "hi", "payload": "x" * 501},
                {"session_id": sid, "text": "hi", "client_id": "bad id"}):
        resp = w.client.post(API, json=bad)
        assert resp.status_code == 422
        assert set(resp.json()) == {"detail"} and ZH.search(ErrorResponse.model_validate(resp.json()).detail)
