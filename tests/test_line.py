"""The LINE channel: signed webhooks in, reply/push out, against a local stand-in for LINE's API.

The gateway runs in-process (httpx ASGITransport, so its background tasks run on the test's event
loop) with a FakeRasa; the stand-in (tests/line_standin.py) is a real HTTP server reached through the
real SDK client. The last test drives the real stack (Rasa + actions + gateway) through LINE.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from channels import texts
from channels.app import build_context, create_app
from channels.line.messages import MAX_LABEL, decode_postback
from channels.settings import Settings
from fakes import FakeRasa, calc_answer, handoff_script
from scripts.stack import MODEL
from testenv import LINE_SECRET, LINE_TOKEN

SECRET = "in-process-secret"
WAIT_S = 15.0


@pytest.fixture
def anyio_backend():
    return "asyncio"


# ---------------------------------------------------------------- LINE-shaped webhooks
def new_user() -> str:
    return "U" + uuid.uuid4().hex


def new_token() -> str:
    return uuid.uuid4().hex


def _event(kind: str, user: str, *, redelivery: bool = False, event_id: str | None = None,
           **extra: Any) -> dict[str, Any]:
    return {"type": kind, "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user},
            "webhookEventId": event_id or uuid.uuid4().hex.upper()[:26],
            "deliveryContext": {"isRedelivery": redelivery}, **extra}


def text_event(user: str, text: str, reply_token: str, **kw: Any) -> dict[str, Any]:
    return _event("message", user, replyToken=reply_token,
                  message={"id": str(uuid.uuid4().int)[:18], "type": "text", "quoteToken": new_token(),
                           "text": text}, **kw)


def sticker_event(user: str, reply_token: str) -> dict[str, Any]:
    return _event("message", user, replyToken=reply_token,
                  message={"id": str(uuid.uuid4().int)[:18], "type": "sticker", "quoteToken": new_token(),
                           "packageId": "446", "stickerId": "1988", "stickerResourceType": "STATIC"})


def follow_event(user: str, reply_token: str) -> dict[str, Any]:
    return _event("follow", user, replyToken=reply_token, follow={"isUnblocked": False})


def postback_event(user: str, data: str, reply_token: str) -> dict[str, Any]:
    return _event("postback", user, replyToken=reply_token, postback={"data": data})


def signed(events: list[dict[str, Any]], secret: str) -> tuple[bytes, str]:
    body = json.dumps({"destination": "U" + "0" * 32, "events": events}, ensure_ascii=False).encode("utf-8")
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return body, signature


# ---------------------------------------------------------------- the in-process gateway
@dataclass
class Gateway:
    ctx: Any
    app: Any
    rasa: FakeRasa

    async def post(self, events: list[dict[str, Any]], *, signature: str | None = "sign",
                   secret: str = SECRET) -> httpx.Response:
        body, good = signed(events, secret)
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            headers["X-Line-Signature"] = good
        elif signature is not None:
            headers["X-Line-Signature"] = signature
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://gw") as c:
            return await c.post("/line/webhook", content=body, headers=headers)

    def conversation(self, user: str) -> list[Any]:
        return self.ctx.store.messages(f"line:{user}", 0)

    def undelivered(self, user: str) -> list[Any]:
        return [m for m in self.ctx.store.undelivered_outbound("line") if m.conversation_id == f"line:{user}"]


@pytest.fixture
def gateway(tmp_path, line_api):
    made: list[Gateway] = []

    def make(script=None, **overrides: Any) -> Gateway:
        settings = dict(database_url=f"sqlite:///{tmp_path}/h{len(made)}.db", line_channel_secret=SECRET,
                        line_channel_access_token=LINE_TOKEN, line_api_base=line_api.url,
                        fake_now="2026-11-30T10:00:00+08:00", assist_enabled=False)
        settings.update(overrides)
        rasa = FakeRasa(script)
        ctx = build_context(Settings(**settings), rasa=rasa)
        gw = Gateway(ctx, create_app(context=ctx), rasa)
        made.append(gw)
        return gw

    yield make
    line_api.expire_reply_tokens = False
    for gw in made:
        gw.ctx.store.dispose()


def reply_texts(line_api, token: str) -> list[str]:
    return [m.get("text") for r in line_api.replies(token) for m in r["json"]["messages"]]


def push_messages(line_api, user: str) -> list[dict[str, Any]]:
    return [m for r in line_api.pushes(user) for m in r["json"]["messages"]]


# ---------------------------------------------------------------- signature and configuration
@pytest.mark.anyio
async def test_text_message_is_answered_with_the_reply_token(gateway, line_api):
    gw = gateway()
    user, token = new_user(), new_token()
    resp = await gw.post([text_event(user, "診斷輔導要多少錢", token)])
    assert resp.status_code == 200
    replies = await line_api.wait_for_async(lambda _: line_api.replies(token), WAIT_S)
    assert len(replies) == 1
    assert replies[0]["headers"]["authorization"] == f"Bearer {LINE_TOKEN}"
    assert [m["text"] for m in replies[0]["json"]["messages"]] == ["bot: 診斷輔導要多少錢"]
    assert gw.rasa.sent == [(f"line:{user}", "診斷輔導要多少錢")]
    stored = gw.conversation(user)
    assert [(m.author, m.text) for m in stored] == [("user", "診斷輔導要多少錢"), ("bot", "bot: 診斷輔導要多少錢")]
    assert await line_api.wait_for_async(lambda _: not gw.undelivered(user), 5)  # marked delivered
    assert not line_api.pushes(user)


@pytest.mark.anyio
async def test_forged_or_missing_signature_is_rejected_and_nothing_is_processed(gateway, line_api):
    gw = gateway()
    forged_user, unsigned_user, token = new_user(), new_user(), new_token()
    wrong_secret = await gw.post([text_event(forged_user, "你好", new_token())], secret="not-the-secret")
    tampered = await gw.post([text_event(forged_user, "你好", new_token())],
                             signature=base64.b64encode(b"x" * 32).decode())
    unsigned = await gw.post([text_event(unsigned_user, "你好", new_token())], signature=None)
    assert (wrong_secret.status_code, tampered.status_code, unsigned.status_code) == (400, 400, 400)
    # a valid event afterwards is answered: nothing from the rejected ones was queued before it
    await gw.post([text_event(forged_user, "真的訊息", token)])
    await line_api.wait_for_async(lambda _: line_api.replies(token), WAIT_S)
    assert gw.rasa.sent == [(f"line:{forged_user}", "真的訊息")]
    assert [m.text for m in gw.conversation(forged_user)] == ["真的訊息", "bot: 真的訊息"]
    assert gw.conversation(unsigned_user) == []
    assert not line_api.pushes(forged_user) and not line_api.pushes(unsigned_user)


@pytest.mark.anyio
async def test_unconfigured_channel_answers_503(gateway):
    gw = gateway(line_channel_secret="")
    resp = await gw.post([text_event(new_user(), "你好", new_token())])
    assert resp.status_code == 503
    assert gw.rasa.sent == []


@pytest.mark.anyio
async def test_a_redelivered_event_is_answered_once(gateway, line_api):
    gw = gateway()
    user, token, tap, later = new_user(), new_token(), new_token(), new_token()
    event = text_event(user, "第一則", token)
    postback = postback_event(user, "/greet", tap)          # no message id: only the event id tells
    for e in (event, postback):
        assert (await gw.post([e])).status_code == 200
        assert (await gw.post([{**e, "deliveryContext": {"isRedelivery": True}}])).status_code == 200
    await gw.post([text_event(user, "第二則", later)])  # answered after anything queued before it
    await line_api.wait_for_async(lambda _: line_api.replies(later), WAIT_S)
    assert gw.rasa.sent == [(f"line:{user}", "第一則"), (f"line:{user}", "/greet"), (f"line:{user}", "第二則")]
    assert len(line_api.replies(token, ok_only=False)) == 1
    assert len(line_api.replies(tap, ok_only=False)) == 1
    assert [m.text for m in gw.conversation(user) if m.author == "user"] == ["第一則", "/greet", "第二則"]


# ---------------------------------------------------------------- event kinds
def greeter(sender: str, message: str) -> list[dict[str, Any]]:
    if message == "/greet":
        return [{"text": "您好！我是升級轉型諮詢小幫手。",
                 "buttons": [{"title": "診斷輔導", "payload": '/choose_topic{"topic_id": "diagnosis_cost"}'},
                             {"title": "低利貸款", "payload": '/choose_topic{"topic_id": "loans_overview"}'}]}]
    return [{"text": f"bot: {message}"}]


@pytest.mark.anyio
async def test_follow_greets_with_topic_buttons(gateway, line_api):
    gw = gateway(greeter)
    user, token = new_user(), new_token()
    await gw.post([follow_event(user, token)])
    replies = await line_api.wait_for_async(lambda _: line_api.replies(token), WAIT_S)
    assert gw.rasa.sent == [(f"line:{user}", "/greet")]
    (message,) = replies[0]["json"]["messages"]
    assert message["text"] == "您好！我是升級轉型諮詢小幫手。"
    labels = [i["action"]["label"] for i in message["quickReply"]["items"]]
    assert labels == ["診斷輔導", "低利貸款"]


@pytest.mark.anyio
async def test_unfollow_does_nothing(gateway, line_api):
    gw = gateway()
    user, token = new_user(), new_token()
    await gw.post([_event("unfollow", user)])
    await gw.post([text_event(user, "還在嗎", token)])
    await line_api.wait_for_async(lambda _: line_api.replies(token), WAIT_S)
    assert gw.rasa.sent == [(f"line:{user}", "還在嗎")]


@pytest.mark.anyio
async def test_sticker_gets_the_polite_text_only(gateway, line_api):
    gw = gateway()
    user, token = new_user(), new_token()
    await gw.post([sticker_event(user, token)])
    assert await line_api.wait_for_async(lambda _: reply_texts(line_api, token), WAIT_S) == [texts.UNSUPPORTED_MEDIA]
    assert gw.rasa.sent == []
    assert [(m.author, m.text) for m in gw.conversation(user)] == [("system", texts.UNSUPPORTED_MEDIA)]
    assert await line_api.wait_for_async(lambda _: not gw.undelivered(user), 5)


@pytest.mark.anyio
async def test_quick_reply_buttons_and_the_postback_they_send(gateway, line_api):
    long_title = "我想了解升級轉型補助的申請資格與申請流程說明"  # 22 characters
    buttons = [{"title": long_title, "payload": '/choose_topic{"topic_id": "subsidy_overview"}'},
               {"title": "是", "payload": "是"}]
    buttons += [{"title": f"選項{i}", "payload": f"/pick{{\"n\": {i}}}"} for i in range(14)]

    def script(sender: str, message: str) -> list[dict[str, Any]]:
        if message == "選單":
            return [{"text": "先說明一下。"}, {"text": "請選擇：", "buttons": buttons}]
        return [{"text": f"bot: {message}"}]

    gw = gateway(script)
    user, token = new_user(), new_token()
    await gw.post([text_event(user, "選單", token)])
    replies = await line_api.wait_for_async(lambda _: line_api.replies(token), WAIT_S)
    first, last = replies[0]["json"]["messages"]
    assert "quickReply" not in first and last["text"] == "請選擇："
    items = last["quickReply"]["items"]
    assert len(items) == 13
    topic, yes = items[0]["action"], items[1]["action"]
    assert topic["type"] == "postback" and topic["displayText"] == long_title
    assert len(topic["label"]) == MAX_LABEL and topic["label"].endswith("…")
    assert decode_postback(topic["data"]) == ('/choose_topic{"topic_id": "subsidy_overview"}', long_title)
    assert yes == {"type": "message", "label": "是", "text": "是"}

    # the user taps the topic: Rasa gets the payload, the transcript shows the title
    tap = new_token()
    await gw.post([postback_event(user, topic["data"], tap)])
    await line_api.wait_for_async(lambda _: line_api.replies(tap), WAIT_S)
    assert gw.rasa.sent[-1] == (f"line:{user}", '/choose_topic{"topic_id": "subsidy_overview"}')
    assert [m.text for m in gw.conversation(user) if m.author == "user"] == ["選單", long_title]


@pytest.mark.anyio
async def test_six_answers_go_five_by_reply_and_the_rest_by_push_in_order(gateway, line_api):
    gw = gateway(lambda sender, message: [{"text": f"第{i}則"} for i in range(1, 7)])
    user, token = new_user(), new_token()
    await gw.post([text_event(user, "很多", token)])
    await line_api.wait_for_async(lambda _: line_api.pushes(user), WAIT_S)
    assert reply_texts(line_api, token) == [f"第{i}則" for i in range(1, 6)]
    assert [m["text"] for m in push_messages(line_api, user)] == ["第6則"]
    reply_at = line_api.requests.index(line_api.replies(token)[0])
    push_at = line_api.requests.index(line_api.pushes(user)[0])
    assert reply_at < push_at
    assert await line_api.wait_for_async(lambda _: not gw.undelivered(user), 5)


@pytest.mark.anyio
async def test_a_text_longer_than_line_allows_is_split(gateway, line_api):
    paragraph = "升級轉型補助說明。" * 100 + "\n"          # 901 characters a line
    long_text = paragraph * 7                               # > 5000
    gw = gateway(lambda sender, message: [{"text": long_text}])
    user, token = new_user(), new_token()
    await gw.post([text_event(user, "長文", token)])
    parts = await line_api.wait_for_async(lambda _: reply_texts(line_api, token), WAIT_S)
    assert len(parts) == 2 and all(len(p) <= 5000 for p in parts)
    assert "\n".join(parts) == long_text.strip()


def calc_result() -> tuple[str, dict[str, Any]]:
    """The chat text of a diagnosis result and the Rasa answer carrying its card."""
    from actions.render import render
    from knowledge.calc.diagnosis import calculate_diagnosis
    from knowledge.loader import load_knowledge

    result = calculate_diagnosis(sme=True)
    rendered = render(result, load_knowledge())
    return rendered, calc_answer(result, rendered)


@pytest.mark.anyio
async def test_a_calculator_result_becomes_a_flex_bubble(gateway, line_api):
    rendered, answer = calc_result()
    gw = gateway(lambda sender, message: [{"text": rendered},
                                          answer,
                                          {"text": "還想試算其他項目嗎？",
                                           "buttons": [{"title": "是", "payload": "是"}]}])
    user, token = new_user(), new_token()
    await gw.post([text_event(user, "診斷要自付多少", token)])
    replies = await line_api.wait_for_async(lambda _: line_api.replies(token), WAIT_S)
    flex, follow_up = replies[0]["json"]["messages"]
    assert flex["type"] == "flex"
    assert flex["altText"] == (rendered if len(rendered) <= 400 else rendered[:399] + "…")
    bubble = flex["contents"]
    assert bubble["type"] == "bubble"

    def words(box: dict[str, Any]) -> str:
        return "\n".join(c.get("text", "") for c in box["contents"])
    assert "診斷輔導費用" in words(bubble["header"])
    assert "業者自籌4萬元" in words(bubble["header"])
    body = words(bubble["body"])
    assert "4萬元" in body and "政府負擔16萬元＋業者自籌4萬元 = 20萬元。" in body
    assert "診斷輔導．輔導經費" in words(bubble["footer"])
    assert follow_up["text"] == "還想試算其他項目嗎？" and follow_up["quickReply"]["items"]
    assert await line_api.wait_for_async(lambda _: not gw.undelivered(user), 5)  # text and result both delivered


@pytest.mark.anyio
async def test_a_result_stored_before_cards_existed_is_sent_as_its_text(gateway, line_api):
    rendered, answer = calc_result()
    old = {"custom": {"type": "calc_result", "result": answer["custom"]["result"]}}   # no card
    gw = gateway(lambda sender, message: [{"text": rendered}, old])
    user, token = new_user(), new_token()
    await gw.post([text_event(user, "診斷要自付多少", token)])
    replies = await line_api.wait_for_async(lambda _: line_api.replies(token), WAIT_S)
    (message,) = replies[0]["json"]["messages"]
    assert message == {"type": "text", "text": rendered}


@pytest.mark.anyio
async def test_handoff_state_is_not_shown_but_its_text_is(gateway, line_api):
    gw = gateway(handoff_script())
    user, token = new_user(), new_token()
    await gw.post([text_event(user, "找專人", token)])
    replies = await line_api.wait_for_async(lambda _: line_api.replies(token), WAIT_S)
    (message,) = replies[0]["json"]["messages"]
    assert message["type"] == "text" and "已為您轉接專人" in message["text"]


@pytest.mark.anyio
async def test_an_expired_reply_token_falls_back_to_push(gateway, line_api):
    gw = gateway()
    user, token = new_user(), new_token()
    line_api.expire_reply_tokens = True
    await gw.post([text_event(user, "晚了嗎", token)])
    await line_api.wait_for_async(lambda _: line_api.pushes(user), WAIT_S)
    (failed,) = line_api.replies(token, ok_only=False)
    assert failed["status"] == 400
    assert [m["text"] for m in push_messages(line_api, user)] == ["bot: 晚了嗎"]
    assert await line_api.wait_for_async(lambda _: not gw.undelivered(user), 5)


@pytest.mark.anyio
async def test_officer_messages_are_pushed(gateway, line_api):
    gw = gateway(handoff_script())
    user, token = new_user(), new_token()
    await gw.post([text_event(user, "找專人", token)])
    await line_api.wait_for_async(lambda _: line_api.replies(token), WAIT_S)
    ticket = gw.ctx.store.open_ticket(f"line:{user}")
    assert ticket is not None
    officer = gw.ctx.store.create_officer("o1", "王小明", "x")

    await gw.ctx.hub.claim(ticket.id, officer)
    joined = await line_api.wait_for_async(lambda _: push_messages(line_api, user), WAIT_S)
    assert joined[0]["text"] == texts.OFFICER_JOINED.format(name="王小明")

    await gw.ctx.hub.officer_reply(ticket.id, officer, "您好，我是王小明，請問公司有幾位員工？")
    pushed = await line_api.wait_for_async(
        lambda _: [m for m in push_messages(line_api, user) if "請問公司有幾位員工" in m["text"]], WAIT_S)
    assert pushed[0]["text"] == "您好，我是王小明，請問公司有幾位員工？"
    assert pushed[0]["sender"] == {"name": "王小明"}
    assert not gw.undelivered(user)

    # the user's answer goes to the officer's ticket, not to Rasa
    answer = new_token()
    await gw.post([text_event(user, "25人", answer)])
    await line_api.wait_for_async(
        lambda _: any(m.text == "25人" for m in gw.conversation(user)), WAIT_S)
    assert all(message != "25人" for _, message in gw.rasa.sent)


@pytest.mark.anyio
async def test_officers_see_the_line_display_name(gateway, line_api):
    gw = gateway(handoff_script())
    user, unknown = new_user(), new_user()
    line_api.profiles[user] = "陳老闆（螺絲廠）"
    token = new_token()
    await gw.post([text_event(user, "找專人", token)])
    await line_api.wait_for_async(
        lambda _: gw.ctx.store.display_name(f"line:{user}") == "陳老闆（螺絲廠）", WAIT_S)
    assert gw.ctx.store.open_ticket(f"line:{user}").display_name == "陳老闆（螺絲廠）"
    profile_calls = [r for r in line_api.requests if r["path"] == f"/v2/bot/profile/{user}"]
    assert len(profile_calls) == 1 and profile_calls[0]["headers"]["authorization"] == f"Bearer {LINE_TOKEN}"
    await gw.post([text_event(user, "還在嗎", new_token())])   # asked once, not per message
    await line_api.wait_for_async(lambda _: any(m.text == "還在嗎" for m in gw.conversation(user)), WAIT_S)
    await gw.post([text_event(unknown, "你好", new_token())])   # no profile (404): the id stays, no error
    await line_api.wait_for_async(lambda _: any(r["path"] == f"/v2/bot/profile/{unknown}" for r in line_api.requests),
                                  WAIT_S)
    assert len([r for r in line_api.requests if r["path"] == f"/v2/bot/profile/{user}"]) == 1
    assert gw.ctx.store.display_name(f"line:{unknown}") is None


# ---------------------------------------------------------------- the real stack
@pytest.mark.stack
@pytest.mark.skipif(not MODEL.exists(), reason="no trained model (make train)")
def test_real_stack_answers_a_line_user_with_a_cited_answer(stack, line_api):
    # Rasa's first prediction after start (loading the NLU pipeline and the retriever) can take longer
    # than the gateway's upstream timeout: warm it up directly, as earlier stack tests would have
    warm = httpx.post(f"{stack.cfg.rasa_url}/webhooks/rest/webhook",
                      json={"sender": "line-test-warmup", "message": "診斷輔導要多少錢"}, timeout=180)
    assert warm.status_code == 200
    user, token = new_user(), new_token()
    body, signature = signed([text_event(user, "診斷輔導要多少錢", token)], LINE_SECRET)
    resp = httpx.post(stack.cfg.gateway_url + "/line/webhook", content=body,
                      headers={"Content-Type": "application/json", "X-Line-Signature": signature}, timeout=10)
    assert resp.status_code == 200
    line_api.wait_for(lambda _: line_api.replies(token) or line_api.pushes(user), 60)
    sent = [m.get("text") or m.get("altText") or "" for r in line_api.replies(token) + line_api.pushes(user)
            for m in r["json"]["messages"]]
    assert any("依據" in t for t in sent), sent

    forged = httpx.post(stack.cfg.gateway_url + "/line/webhook", content=body,
                        headers={"Content-Type": "application/json", "X-Line-Signature": "Zm9yZ2Vk"}, timeout=10)
    assert forged.status_code == 400


def real_result(result) -> tuple[str, dict[str, Any]]:
    """A result as the action server sends it: its chat text and the answer carrying the real card."""
    from actions.render import calc_payload, render
    from knowledge.loader import load_knowledge

    kb = load_knowledge()
    return render(result, kb), {"custom": dict(calc_payload(result, kb))}


def flex_of(replies: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    (flex,) = [m for m in replies[0]["json"]["messages"] if m["type"] == "flex"]
    return flex, flex["contents"]


def box_words(box: dict[str, Any]) -> list[str]:
    return [c.get("text", "") for c in box["contents"]]


@pytest.mark.anyio
async def test_a_loan_bubble_leads_with_the_estimate_then_the_fixed_limit(gateway, line_api):
    """Issue 10: the interest subsidy is an estimate and said to be; the loan limit is a fixed amount."""
    from knowledge.calc.loans import LoanInput, Purpose, find_loans

    result = find_loans(LoanInput(sme=True, employees=20, transformation_plan=True, purpose=Purpose.WORKING))
    rendered, answer = real_result(result)
    card = answer["custom"]["card"]
    gw = gateway(lambda sender, message: [{"text": rendered}, answer])
    user, token = new_user(), new_token()
    await gw.post([text_event(user, "我想借週轉金", token)])
    replies = await line_api.wait_for_async(lambda _: line_api.replies(token), WAIT_S)
    assert len(replies[0]["json"]["messages"]) == 1            # the text is the card's altText, not a 2nd message
    flex, bubble = flex_of(replies)
    assert flex["altText"] == (rendered if len(rendered) <= 400 else rendered[:399] + "…")
    header = box_words(bubble["header"])
    assert header[1] == card["plain"] == "轉型發展專案貸款利息補貼約55.8萬元（估算）；轉型發展專案貸款額度上限3,500萬元（固定金額）。"
    body = box_words(bubble["body"])
    estimate, limit = body.index("約55.8萬元（估算）"), body.index("3,500萬元（固定金額）")
    assert estimate < limit                                      # the estimate first, the limit second
    assert "3,500萬元（估算）" not in "\n".join(body) and "約3,500萬元" not in "\n".join(body)
    assert body[limit - 1] == "轉型發展專案貸款額度上限"
    assert any(w.startswith("貸款申請與核貸問題，請洽馬上辦服務中心：0800-056-476") for w in body)   # what to do next
    steps = body.index("計算過程")
    assert body.index("下一步") < steps                           # the working comes after the answer
    assert [c for c in bubble["body"]["contents"] if c.get("text", "").startswith("1. ")][0]["size"] == "xs"
    (footer,) = box_words(bubble["footer"])
    assert footer == card["citation_line"] and footer.startswith("依據：")


@pytest.mark.anyio
async def test_a_subsidy_bubble_says_the_strict_share_in_words(gateway, line_api):
    from knowledge.calc.subsidy import SubsidyInput, calculate_subsidy

    result = calculate_subsidy(SubsidyInput(True, True, 25, 8_000_001))
    rendered, answer = real_result(result)
    gw = gateway(lambda sender, message: [{"text": rendered}, answer])
    user, token = new_user(), new_token()
    await gw.post([text_event(user, "試算補助", token)])
    replies = await line_api.wait_for_async(lambda _: line_api.replies(token), WAIT_S)
    _, bubble = flex_of(replies)
    assert box_words(bubble["header"])[1] == "政府補助款須低於4,000,000.5元（計畫總經費8,000,001元的50%），其餘經費由企業自籌。"
    body = "\n".join(box_words(bubble["body"]))
    assert "須低於4,000,000.5元" in body and "3,999,999" not in body and "4,000,000元" not in body
    assert "（估算）" not in body and "（固定金額）" not in body
    assert "產業競爭力發展中心諮詢專線：0800-000-257" in body
