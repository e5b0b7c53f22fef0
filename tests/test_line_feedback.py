"""LINE: 👍/👎 under answers and the satisfaction question as signed postbacks (issue 16), in process
against the local LINE stand-in (tests/line_standin.py); the webhooks are signed like LINE's."""
from __future__ import annotations

import json

import pytest

from channels import texts
from channels.line import feedback
from knowledge.loader import load_knowledge
from test_line import WAIT_S, gateway, new_token, new_user, postback_event, push_messages, text_event  # noqa: F401

ENTRY = load_knowledge().get("diagnosis_cost")


@pytest.fixture
def anyio_backend():
    return "asyncio"


def script(sender: str, message: str):
    if "找專人" in message:
        return [{"custom": {"type": "handoff", "reason": "requested", "summary": {"last_question": message}}}]
    return [{"text": ENTRY.reply_text()}]


def quick_items(reply: dict) -> list[dict]:
    return reply["json"]["messages"][-1].get("quickReply", {}).get("items", [])


@pytest.mark.anyio
async def test_thumbs_under_an_answer_are_signed_postbacks_stored_apart_from_the_dialogue(gateway, line_api):
    gw = gateway(script)
    user, token = new_user(), new_token()
    await gw.post([text_event(user, "診斷輔導要多少錢", token)])
    [reply] = await line_api.wait_for_async(lambda _: line_api.replies(token), WAIT_S)
    items = quick_items(reply)
    assert [i["action"]["label"] for i in items] == [texts.FEEDBACK_UP, texts.FEEDBACK_DOWN]
    down = items[1]["action"]["data"]
    assert feedback.is_feedback(down)
    answer_id = json.loads(down[len(feedback.PREFIX):])["m"]
    sent = list(gw.rasa.sent)

    t2 = new_token()
    await gw.post([postback_event(user, down, t2)])
    [r2] = await line_api.wait_for_async(lambda _: line_api.replies(t2), WAIT_S)
    assert r2["json"]["messages"][0]["text"] == texts.FEEDBACK_ASK_REASON
    reasons = quick_items(r2)
    assert [i["action"]["label"] for i in reasons] == list(texts.FEEDBACK_REASONS.values())
    t3 = new_token()
    await gw.post([postback_event(user, reasons[0]["action"]["data"], t3)])
    [r3] = await line_api.wait_for_async(lambda _: line_api.replies(t3), WAIT_S)
    assert r3["json"]["messages"][0]["text"] == texts.FEEDBACK_REASON_THANKS
    assert gw.ctx.store.feedback_of([answer_id])[answer_id].to_json() == \
        {"message_id": answer_id, "score": -1, "reason": "wrong"}
    assert gw.rasa.sent == sent                                    # never sent to Rasa

    # a forged postback for another user's answer, and an unsigned one, change nothing
    other = new_user()
    t4 = new_token()
    await gw.post([postback_event(other, feedback.PREFIX + json.dumps({"m": answer_id, "s": 1}), t4)])
    [r4] = await line_api.wait_for_async(lambda _: line_api.replies(t4), WAIT_S)
    assert r4["json"]["messages"][0]["text"] == texts.WIDGET_ERR_FEEDBACK
    resp = await gw.post([postback_event(user, feedback.PREFIX + json.dumps({"m": answer_id, "s": 1}), new_token())],
                         signature="forged")
    assert resp.status_code == 400
    assert gw.ctx.store.feedback_of([answer_id])[answer_id].score == -1

    # the next question is answered as usual
    t5 = new_token()
    await gw.post([text_event(user, "診斷輔導要多少錢", t5)])
    [r5] = await line_api.wait_for_async(lambda _: line_api.replies(t5), WAIT_S)
    assert r5["json"]["messages"][0]["text"] == ENTRY.reply_text()


@pytest.mark.anyio
async def test_satisfaction_question_after_resolve_answered_by_postback_once(gateway, line_api):
    gw = gateway(script)
    user, token = new_user(), new_token()
    await gw.post([text_event(user, "找專人", token)])
    await line_api.wait_for_async(lambda _: line_api.replies(token), WAIT_S)
    ticket = gw.ctx.store.open_ticket(f"line:{user}")
    officer = gw.ctx.store.create_officer("o1", "王小明", "x")
    await gw.ctx.hub.claim(ticket.id, officer)
    await gw.ctx.hub.officer_reply(ticket.id, officer, "您好")
    await gw.ctx.hub.resolve(ticket.id, officer)
    pushed = await line_api.wait_for_async(
        lambda _: [m for m in push_messages(line_api, user) if m.get("text") == texts.CSAT_ASK], WAIT_S)
    items = pushed[0]["quickReply"]["items"]
    assert [i["action"]["label"] for i in items] == [*texts.CSAT_SCORES.values(), texts.CSAT_SKIP]
    t2 = new_token()
    await gw.post([postback_event(user, items[4]["action"]["data"], t2)])     # 5 points
    [r2] = await line_api.wait_for_async(lambda _: line_api.replies(t2), WAIT_S)
    assert r2["json"]["messages"][0]["text"] == texts.CSAT_THANKS_LINE
    outcome = gw.ctx.store.outcome(ticket.id)
    assert (outcome.csat_state, outcome.csat_score) == ("answered", 5)
    t3 = new_token()
    await gw.post([postback_event(user, items[5]["action"]["data"], t3)])     # skip after answering: refused
    [r3] = await line_api.wait_for_async(lambda _: line_api.replies(t3), WAIT_S)
    assert r3["json"]["messages"][0]["text"] == texts.WIDGET_ERR_CSAT
    assert gw.ctx.store.outcome(ticket.id).csat_score == 5
