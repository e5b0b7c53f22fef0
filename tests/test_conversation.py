"""Whole conversations through the real Rasa server and action server (REST channel).

The servers are started once for the session on their own ports, with a fresh SQLite tracker
store, from the model `make test` trains (bot/models/hotline.tar.gz).
"""
from __future__ import annotations

import json
import re
import subprocess

import httpx
import pytest

from chatutil import custom_of, buttons_of, text_of
from scripts.stack import RASA_BIN, ROOT

pytestmark = pytest.mark.stack


def test_greeting_introduces_the_assistant_and_offers_topics(chat, kb):
    replies = chat.say("你好")
    assert "升級轉型" in text_of(replies) and "幫我試算補助" in text_of(replies)
    titles = [b["title"] for b in buttons_of(replies)]
    assert titles[:2] == [kb.get("subsidy_caps").title, kb.get("diagnosis_cost").title]
    assert all(b["payload"].startswith("/choose_topic") for b in buttons_of(replies))


def test_issue_example_eight_employees_gets_300_wan_with_citation(chat):
    reply = text_of(chat.say("員工8人的製造業補助上限多少"))
    assert "9人以下" in reply and "300萬" in reply
    assert "（依據：升級轉型補助．補助上限）" in reply


@pytest.mark.parametrize("question, must_contain, citation", [
    ("診斷輔導我們中小企業要自己出多少錢？", ["20萬", "16萬", "4萬"], "診斷輔導"),
    ("員工不到五個人可以借多少貸款", ["400萬"], "低利貸款"),
    ("课程要钱吗", ["免費"], "人才培訓"),
    ("委託研究費最多補幾%", ["40%"], "升級轉型補助"),
])
def test_programme_questions_are_answered_with_figure_and_citation(chat, question, must_contain, citation):
    reply = text_of(chat.say(question))
    assert [m for m in must_contain if m not in reply] == []
    assert re.search(r"（依據：[^）]*" + citation + r"[^）]*）", reply), reply


def test_three_questions_in_one_conversation(chat):
    assert "500萬" in text_of(chat.say("10人以上的製造業補助上限是多少"))
    assert "0800-000-257" in text_of(chat.say("客服專線幾號"))
    assert "110億" in text_of(chat.say("整個計畫預算多少"))


@pytest.mark.parametrize("message", ["今天台北天氣如何", "推薦我一支股票", "講個笑話"])
def test_out_of_scope_gets_a_polite_reply_without_any_figure(chat, message):
    reply = text_of(chat.say(message))
    assert "不在我能協助的範圍" in reply
    assert not re.search(r"\d", reply)


def test_vague_question_offers_likeliest_topics_as_buttons(chat):
    replies = chat.say("補助")
    buttons = buttons_of(replies)
    topics = [json.loads(b["payload"].removeprefix("/choose_topic"))["topic_id"]
              for b in buttons if b["payload"].startswith("/choose_topic")]
    assert 2 <= len(topics) <= 3 and all(t.startswith("subsidy_") for t in topics)
    assert any(b["payload"] == "/request_human" for b in buttons)
    assert "（依據" not in text_of(replies)
    # pressing the first button answers that entry
    answer = text_of(chat.say(buttons[0]["payload"]))
    assert "（依據：升級轉型補助" in answer


def test_unknown_programme_like_question_is_not_guessed(chat):
    reply = text_of(chat.say("請問補助款匯款要填哪一家銀行的帳號格式"))
    # either an honest "not found" or a cited answer: never an uncited figure
    assert "（依據：" in reply


def handoff_of(replies: list[dict]) -> dict | None:
    return next((c for c in custom_of(replies) if c.get("type") == "handoff"), None)


@pytest.mark.parametrize("message", ["我要找真人", "可以幫我轉接專人嗎"])
def test_asking_for_a_person_hands_off_with_a_summary(chat, message):
    chat.say("員工25人的製造業補助上限多少")
    handoff = handoff_of(chat.say(message))
    assert handoff is not None and handoff["reason"] == "requested"
    assert handoff["summary"]["last_question"] == "員工25人的製造業補助上限多少"
    assert handoff["summary"]["request_text"] == message
    assert handoff["summary"]["topic_id"]  # the entry answered just before


@pytest.mark.parametrize("message", ["我要投訴，打了好幾次專線都沒人接", "承辦人態度很差 我要申訴"])
def test_a_complaint_goes_to_a_person(chat, message):
    handoff = handoff_of(chat.say(message))
    assert handoff is not None and handoff["reason"] == "complaint"


def test_case_status_is_explained_then_handed_to_a_person(chat):
    replies = chat.say("我們公司的補助申請審查到哪裡了")
    assert "0800-000-257" in text_of(replies) and "（依據：總覽．案件進度" in text_of(replies)
    handoff = handoff_of(replies)
    assert handoff is not None and handoff["reason"] == "case_status"


@pytest.mark.parametrize("question", ["我們公司十二個人，補助有到五百萬嗎", "我们公司一百五十个人 算不算中小"])
def test_questions_about_our_company_are_answered_not_handed_off(chat, question):
    replies = chat.say(question)
    assert handoff_of(replies) is None and "案件進度" not in text_of(replies)
    # a cited answer, the likeliest topics as buttons, or the calculator taking the facts given
    assert "（依據：" in text_of(replies) or buttons_of(replies) or "試算" in text_of(replies), replies


def test_two_unanswered_questions_in_a_row_hand_off(chat):
    first = chat.say("請問補助款匯款要填哪一家銀行的帳號格式")
    assert handoff_of(first) is None
    second = chat.say("那發票抬頭要寫什麼格式才可以核銷")
    handoff = handoff_of(second)
    assert handoff is not None and handoff["reason"] == "misunderstood", second
    assert "請專人來協助" in text_of(second)


def test_an_answer_in_between_resets_the_count(chat):
    assert handoff_of(chat.say("請問補助款匯款要填哪一家銀行的帳號格式")) is None
    assert "（依據：" in text_of(chat.say("診斷輔導要多少錢"))
    assert handoff_of(chat.say("那發票抬頭要寫什麼格式才可以核銷")) is None


def test_oversized_message_is_answered_politely(chat):
    story = "我們是一家做螺絲的工廠，最近訂單變少，老闆想做智慧化轉型。" * 40
    reply = text_of(chat.say(story + "請問診斷輔導費用多少？"))
    assert "訊息較長" in reply and "20萬" in reply


def test_button_with_unknown_topic_is_handled(chat):
    assert "選項已失效" in text_of(chat.say('/choose_topic{"topic_id":"no_such_entry"}'))


def test_gateway_health_reports_both_upstreams(stack):
    body = httpx.get(f"{stack.cfg.gateway_url}/health", timeout=10).json()
    assert body["status"] == "ok" and body["rasa"]["ok"] and body["action_server"]["ok"]


def test_rasa_data_validates():
    proc = subprocess.run([str(RASA_BIN), "data", "validate", "--fail-on-warnings"], cwd=ROOT / "bot",
                          capture_output=True, text=True,
                          env={"RASA_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": f"{ROOT}:{ROOT / 'bot'}"}, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
