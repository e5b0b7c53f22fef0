"""The action server's adapters, in-process: real actions over recorded-style trackers, with the
retriever on an index the tests build (no Rasa, no servers). Also the layout rules of actions/."""
from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from knowledge import contract

ROOT = Path(__file__).resolve().parents[1]
ACTIONS = ROOT / "actions"


@pytest.fixture(scope="module")
def act(index_dir):
    """The actions package, its retriever loaded from the index the tests built."""
    before = os.environ.get("HOTLINE_INDEX_DIR")
    os.environ["HOTLINE_INDEX_DIR"] = str(index_dir)
    try:
        from actions import forms, handoff, kb, knowledge_actions, render
    finally:
        if before is None:
            os.environ.pop("HOTLINE_INDEX_DIR", None)
        else:
            os.environ["HOTLINE_INDEX_DIR"] = before
    return forms, handoff, kb, knowledge_actions, render


def tracker(text: str, intent: str | None = None, slots: dict[str, Any] | None = None,
            events: list[dict[str, Any]] | None = None, loop: str | None = None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent} if intent else {}}
    return Tracker("test-user", dict(slots or {}), latest, events or [], False, None, {"name": loop}, None)


def run(action, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = action().run(dispatcher, t, {})
    return dispatcher.messages, events


def customs(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The payloads a channel or the hub acts on (the metrics' outcome payloads left out)."""
    return [m["custom"] for m in messages if m.get("custom") and m["custom"].get("type") != contract.OUTCOME]


def outcomes(messages: list[dict[str, Any]]) -> list[str]:
    return [m["custom"]["kind"] for m in messages if (m.get("custom") or {}).get("type") == contract.OUTCOME]


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_a_result_is_rendered_once_as_text_and_as_the_card(act):
    forms, *_, render = act
    slots = {"manufacturing": True, "sme": True, "employees": 25.0, "lead_factory": False,
             "total_budget": 8_000_000.0, "cost_items": {"new_equipment": 5_000_000}}
    messages, events = run(forms.ActionSubsidyResult, tracker("否", slots=slots))
    text = messages[0]["text"]
    assert "800萬元 × 30% = 240萬元" in text and "須低於400萬元" in text and "（依據：" in text
    [payload] = customs(messages)
    assert payload["type"] == contract.CALC_RESULT and payload["type"] in contract.PAYLOAD_KINDS
    card = payload["card"]
    assert card["text"] == text and f"結果：{card['headline']}" in text
    assert card["amount"] == payload["result"]["amount"] == 3_999_999
    assert card["amount_text"] in card["headline"]
    cited = {s["citation"] for s in card["steps"] if s["citation"]} | set(card["citations"])
    assert cited and set(card["citation_texts"]) == cited
    assert all(s["citation_text"] == card["citation_texts"][s["citation"]] for s in card["steps"] if s["citation"])
    assert all(name in text for name in card["citation_texts"].values() if name)
    after = slot_events(events)
    assert all(after[s] is None for s in forms.CALC_SLOTS) and after["last_calc"]["amount"] == 3_999_999


@pytest.mark.parametrize("intent", sorted(contract.INTENT_REASONS))
def test_each_intent_asking_for_a_person_sends_its_reason(act, intent):
    *_, knowledge_actions, _ = act
    slots = {"employees": 25.0, "sme": True, "tax_only": True}
    messages, events = run(knowledge_actions.ActionRequestHuman, tracker(f"/{intent}", intent, slots))
    [payload] = customs(messages)
    assert outcomes(messages) == ([contract.CITED_ANSWER] if payload["reason"] == contract.CASE_STATUS else [])
    assert payload["type"] == contract.HANDOFF
    assert payload["reason"] == contract.INTENT_REASONS[intent] and payload["reason"] in contract.HANDOFF_REASON_CODES
    assert payload["summary"]["slots"] == {"employees": 25.0, "sme": True}   # SUMMARY_SLOTS only
    assert slot_events(events)["misunderstood"] == 0


def test_the_summary_names_the_last_real_question(act):
    *_, knowledge_actions, _ = act
    events = [{"event": "user", "text": "診斷輔導要多少錢", "parse_data": {"intent": {"name": "ask_programme"}}},
              {"event": "user", "text": "找專人", "parse_data": {"intent": {"name": "request_human"}}}]
    messages, _ = run(knowledge_actions.ActionRequestHuman,
                      tracker("找專人", "request_human", {"last_entry_id": "diagnosis_cost"}, events, "subsidy_form"))
    summary = customs(messages)[0]["summary"]
    assert summary["last_question"] == "診斷輔導要多少錢" and summary["request_text"] == "找專人"
    assert summary["topic_id"] == "diagnosis_cost" and summary["form"] == "subsidy_form"


def test_two_unanswered_questions_in_a_row_hand_over_as_misunderstood(act):
    *_, knowledge_actions, _ = act
    question = "zxqv qwrt plmk"
    first, events = run(knowledge_actions.ActionAnswerQuestion, tracker(question, "nlu_fallback"))
    assert not customs(first) and slot_events(events)["misunderstood"] == 1
    assert outcomes(first) == [contract.NOT_FOUND]
    second, _ = run(knowledge_actions.ActionAnswerQuestion, tracker(question, "nlu_fallback", {"misunderstood": 1}))
    assert outcomes(second) == []   # the handoff payload says it
    [payload] = customs(second)
    assert payload["type"] == contract.HANDOFF and payload["reason"] == contract.MISUNDERSTOOD


def test_a_detail_the_brief_does_not_state_is_refused_with_the_hotline_and_a_person(act):
    """Issue 11 (knowledge/scope.py): 「補助款要不要繳所得稅」 overlaps the subsidy entries' words but
    the brief says nothing about tax: the reply says so, gives the hotline and offers a person."""
    *_, knowledge_actions, _ = act
    messages, events = run(knowledge_actions.ActionAnswerQuestion, tracker("升級轉型補助拿到的錢要繳所得稅嗎", "ask_programme"))
    [answer] = [m for m in messages if m.get("text")]
    assert "簡報沒有相關資料" in answer["text"] and "0800-000-257" in answer["text"]
    assert [b["payload"] for b in answer["buttons"]] == ["/request_human"]
    assert slot_events(events)["last_entry_id"] == "not_in_brief_other"
    # an answer the brief does give carries no person button
    messages, _ = run(knowledge_actions.ActionAnswerQuestion, tracker("種子培訓班要上幾天", "ask_programme"))
    assert not [m for m in messages if m.get("text")][0].get("buttons")


def test_the_form_validation_adapter_turns_one_step_into_events(act):
    forms, *_ = act
    text = "我們是25人的製造業中小企業，總經費800萬，新設備500萬，幫我算補助"
    messages, events = run(forms.ValidateSubsidyForm, tracker(text, "calc_subsidy"))
    assert "好的，我們來試算升級轉型補助" in messages[0]["text"] and "已記下" in messages[1]["text"]
    after = slot_events(events)
    assert after["requested_slot"] == "lead_factory" and after["form_failures"] == 0
    assert after["employees"] == 25 and after["total_budget"] == 8_000_000

    messages, events = run(forms.ValidateSubsidyForm, tracker("很多", None, {**after, "requested_slot": "lead_factory",
                                                                             "form_failures": 1}))
    assert {b["payload"] for b in messages[0]["buttons"]} == {"/stop", "/request_human"}
    assert slot_events(events) == {"form_failures": 2, "requested_slot": "lead_factory"}

    assert run(forms.ValidateSubsidyForm, tracker("不算了", "stop", {"requested_slot": "sme"})) == ([], [])


def test_a_programme_question_mid_form_is_let_go_to_the_rules(act):
    forms, *_ = act
    slots = {"manufacturing": True, "requested_slot": "sme"}
    assert run(forms.ValidateSubsidyForm, tracker("診斷輔導要多少錢", "ask_programme", slots)) == ([], [])


# ---------------------------------------------------------------- the layout of actions/

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def test_every_zh_tw_literal_of_the_actions_is_in_messages():
    found = []
    for path in sorted(ACTIONS.glob("*.py")):
        if path.name == "messages.py":
            continue
        tree = ast.parse(path.read_text("utf-8"))
        docs = _docstrings(tree)
        found += [(path.name, n.lineno, n.value) for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
                  and CJK.search(n.value)]
    assert not found


@pytest.mark.parametrize("module", ["form_step.py", "form_spec.py", "render.py", "messages.py"])
def test_the_dialogue_logic_and_rendering_import_no_framework(module):
    tree = ast.parse((ACTIONS / module).read_text("utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m.split(".")[0] in ("rasa", "rasa_sdk", "fastapi", "channels")}
    assert not {m for m in imported if m in ("kb", "forms", "knowledge_actions", "handoff")}


def test_an_about_amount_is_kept_then_confirmed_by_the_ask_action(act):
    """「大概八百萬」: the validation keeps it waiting (amount_to_confirm), the ask action turns the question
    into 「以800萬元計算，對嗎？」 with 是／否, and 「是」 fills the slot and clears the waiting amount."""
    forms, *_ = act
    known = {"manufacturing": True, "sme": True, "employees": 8.0, "lead_factory": False,
             "requested_slot": "total_budget"}
    _, events = run(forms.ValidateSubsidyForm, tracker("大概八百萬", None, known))
    after = slot_events(events)
    assert after["requested_slot"] == "total_budget" and "total_budget" not in after
    pending = after["amount_to_confirm"]
    assert pending["value"] == 8_000_000
    ask = next(a for a in forms.ASK_ACTIONS if a().name() == "action_ask_total_budget")
    messages, _ = run(ask, tracker("", None, {**known, "amount_to_confirm": pending}))
    assert messages[0]["text"] == "計畫總經費以800萬元計算，對嗎？不對請直接輸入金額。"
    assert [b["title"] for b in messages[0]["buttons"]] == ["是", "否"]
    _, events = run(forms.ValidateSubsidyForm, tracker("是", None, {**known, "amount_to_confirm": pending}))
    after = slot_events(events)
    assert after["total_budget"] == 8_000_000 and after["amount_to_confirm"] is None
    assert after["requested_slot"] == "cost_items"


def test_a_card_leads_with_a_plain_sentence_and_names_the_next_step_from_the_knowledge(act):
    *_, render = act
    from knowledge.calc.loans import LoanInput, Purpose, find_loans
    from knowledge.calc.subsidy import SubsidyInput, calculate_subsidy
    from knowledge.loader import load_knowledge

    kb = load_knowledge()
    subsidy = render.card(calculate_subsidy(SubsidyInput(True, True, 8, 8_000_000)), kb)
    assert subsidy["plain"] == "您最多可申請政府補助300萬元，其餘經費由企業自籌。"
    first_line = kb.get("hotline_main").answer.strip().splitlines()[0].rstrip("。")
    assert first_line in subsidy["next_step"] and subsidy["next_step_citation"] == kb.get("hotline_main").citation
    assert subsidy["limit_text"] == "" and subsidy["citation_line"].startswith("依據：")
    assert subsidy["headings"]["show_steps"] == "看計算過程"

    loan = render.card(find_loans(LoanInput(sme=True, employees=20, transformation_plan=True,
                                            purpose=Purpose.WORKING)), kb)
    assert loan["amount_text"] == "約55.8萬元" and loan["is_estimate"]
    assert loan["limit_text"] == "3,500萬元" and loan["limit_label"] == "轉型發展專案貸款額度上限"
    assert loan["plain"].index("約55.8萬元（估算）") < loan["plain"].index("3,500萬元")
    assert "0800-056-476" in loan["next_step"] and "0800-056-476" in kb.get("loan_application_flow").answer


@pytest.mark.parametrize("text", ["補助款核准後多久會撥下來？", "診斷輔導申請後大概要等幾天"])
def test_a_general_timeline_question_is_answered_with_who_knows_not_handed_off(act, text):
    *_, knowledge_actions, _ = act
    messages, events = run(knowledge_actions.ActionRequestHuman, tracker(text, "case_status"))
    assert customs(messages) == []                               # no unrequested handoff
    assert "0800-000-257" in messages[0]["text"] and "沒有寫明" in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/request_human"]


def test_a_question_about_the_users_own_case_is_still_handed_off(act):
    *_, knowledge_actions, _ = act
    messages, _ = run(knowledge_actions.ActionRequestHuman, tracker("我們上個月送件，多久會有結果", "case_status"))
    assert customs(messages)[0]["reason"] == contract.CASE_STATUS


@pytest.mark.parametrize("intent", ["ask_programme", "calc_subsidy"])
def test_a_computed_question_and_a_rule_question_are_answered_in_the_order_asked(act, intent):
    """Issue 11 item 6: one message, a head count with a cap question plus a course question — the
    computation (with its 「完整試算」 button) and the entry, each with its citation, under one
    「您問了2件事」 line; also when NLU files the message as a calculation request."""
    from actions import direct, messages as msg

    *_, knowledge_actions, _ = act
    action = knowledge_actions.ActionAnswerQuestion if intent == "ask_programme" else direct.ActionStartCalculation
    messages, events = run(action, tracker("我們公司員工12人，補助上限多少？還有課程是免費的嗎？", intent))
    texts = [m for m in messages if m.get("text")]
    assert [m["text"] for m in texts][0] == msg.TWO_TOPICS.format(count=2)
    computed, entry = texts[1], texts[2]
    assert "12人" in computed["text"] and "（依據：" in computed["text"] and "補助上限" in computed["text"]
    assert [b["payload"].split("{")[0] for b in computed["buttons"]] == ["/calc_subsidy"]
    assert "免費" in entry["text"] and "（依據：" in entry["text"] and "人才培訓" in entry["text"]
    assert outcomes(messages) == [contract.CALCULATION]
    assert slot_events(events) == {"last_entry_id": "subsidy_caps", "misunderstood": 0}


def test_an_english_question_with_its_own_figures_gets_the_english_line_then_the_computation(act):
    """Issue 11 item 4: an English question answered by a direct computation says, in one English
    line, that the answer is in Traditional Chinese — as the knowledge answers to English questions do."""
    *_, knowledge_actions, _ = act
    from actions import messages as msg
    messages, _ = run(knowledge_actions.ActionAnswerQuestion,
                      tracker("Our plan costs NT$9.5 million. How much can the new machinery get?", "ask_programme"))
    [answer] = [m for m in messages if m.get("text")][:1]
    assert answer["text"].startswith(msg.ANSWER_IN_CHINESE) and "950萬元 × 30%" in answer["text"]
    assert outcomes(messages) == [contract.CALCULATION]
    # a Chinese question gets no English line
    messages, _ = run(knowledge_actions.ActionAnswerQuestion, tracker("總經費950萬，買新機器最多補多少", "ask_programme"))
    assert not [m for m in messages if m.get("text")][0]["text"].startswith(msg.ANSWER_IN_CHINESE)
