"""Direct answers with the user's own figures, and calculators started from the ways people ask,
through the real Rasa server and action server (REST channel)."""
from __future__ import annotations

import json

import pytest

from chatutil import buttons_of, text_of

pytestmark = pytest.mark.stack


def full_calculation(replies: list[dict]) -> dict:
    found = [b for b in buttons_of(replies) if b["title"] == "完整試算"]
    assert len(found) == 1, replies
    return found[0]


def test_a_question_with_its_own_figures_is_answered_in_one_turn_with_the_formula(chat):
    replies = chat.say("總經費950萬，買新機器最多補多少")
    text = text_of(replies)
    assert "950萬元 × 30% = 285萬元" in text
    assert "（依據：升級轉型補助．全新設備購置費）" in text
    assert "是依法登記的製造業嗎" not in text  # not the six-question form
    button = full_calculation(replies)
    assert button["payload"].startswith("/calc_subsidy")
    assert json.loads(button["payload"].removeprefix("/calc_subsidy")) == {"facts": "計畫總經費950萬元"}
    # the button starts the guided calculation, which already holds the user's total
    started = text_of(chat.say(button["payload"]))
    assert "已記下：計畫總經費950萬元" in started and "是依法登記的製造業嗎" in started


def test_an_interest_subsidy_estimate_for_an_amount_and_head_count(chat):
    replies = chat.say("我們3個人，借200萬，利息補貼多少")
    text = text_of(replies)
    assert "200萬元 × 1.5% × 2年 = 6萬元" in text and "估算" in text
    assert "（依據：低利貸款．利息補貼估算" in text
    # 「完整試算」 continues in the loan finder with the amount and the head-count already known
    started = text_of(chat.say(full_calculation(replies)["payload"]))
    assert "借款200萬元" in started and "員工3人" in started
    assert "轉型嗎" in started  # 3 people is an SME (未滿200人): the next thing it still needs


@pytest.mark.parametrize("message, starts", [
    ("估算利息補貼", "低利貸款"),
    ("幫忙估一下利息補貼能拿多少", "低利貸款"),
    ("幫我算算看補助大概有多少", "升級轉型補助"),
    ("想請你估算診斷我們要出多少", "診斷輔導費用"),
])
def test_a_calculator_is_started_from_the_ways_people_ask(chat, message, starts):
    text = text_of(chat.say(message))
    assert "我們來試算" in text or "找適合的低利貸款" in text, text
    assert starts in text
    assert "（依據：" not in text  # a question of the form, not a knowledge answer


def test_facts_in_the_first_message_are_kept_and_only_the_rest_is_asked(chat):
    text = text_of(chat.say("我們20人的製造業中小企業，總經費900萬，幫我估一下能拿多少補助"))
    assert "已記下" in text and "員工20人" in text and "計畫總經費900萬元" in text
    assert "以大帶小" in text  # the next thing it still needs
    assert "是依法登記的製造業嗎" not in text and "中小企業嗎" not in text


# Ways people ask for a calculation that are NOT training examples (bot/data/nlu/calculations.yml):
# Rasa must recognise the calculator from them.
HELD_OUT_CALCULATIONS = [
    ("幫忙估一下利息補貼能拿多少", "calc_loan"),
    ("利息補貼幫我試算看看", "calc_loan"),
    ("我想算算貸款的利息補貼", "calc_loan"),
    ("貸款可以省多少利息，幫我估", "calc_loan"),
    ("估一下我們公司能貸到多少", "calc_loan"),
    ("幫我試算看看能借多少錢", "calc_loan"),
    ("我們要借錢週轉，幫我估算貸款", "calc_loan"),
    ("帮我试算一下利息补贴", "calc_loan"),
    ("我們12人，想借800萬，幫我算貸款", "calc_loan"),
    ("利息補貼估算", "calc_loan"),
    ("幫我算算看補助大概有多少", "calc_subsidy"),
    ("我們大概可以拿到多少補助，估一下", "calc_subsidy"),
    ("補助金額幫我試算看看", "calc_subsidy"),
    ("想知道能補多少，幫我估算", "calc_subsidy"),
    ("我們這種規模能補多少，算給我看", "calc_subsidy"),
    ("可以幫我估一下補助款嗎", "calc_subsidy"),
    ("帮我估一下补助能拿多少", "calc_subsidy"),
    ("我們20人的製造業中小企業，計畫900萬，幫我估一下能拿多少補助", "calc_subsidy"),
    ("我們8個人的工廠，要做低碳化，預算四百萬，試算補助", "calc_subsidy"),
    ("升級轉型補助幫我算一下大概金額", "calc_subsidy"),
    ("想請你估算診斷我們要出多少", "calc_diagnosis"),
    ("診斷費用幫我估一下", "calc_diagnosis"),
    ("幫我算算診斷輔導的自付額", "calc_diagnosis"),
    ("我們不是中小企業，診斷費用幫我算", "calc_diagnosis"),
    ("诊断要付多少，帮我试算", "calc_diagnosis"),
]


def test_calculator_intents_are_recognised_from_held_out_phrasings(stack):
    import httpx

    from bench.intent import training_examples

    train = training_examples()
    assert not [q for q, _ in HELD_OUT_CALCULATIONS if q in train]
    misses = []
    for question, intent in HELD_OUT_CALCULATIONS:
        got = httpx.post(f"{stack.cfg.rasa_url}/model/parse", json={"text": question}, timeout=30).json()
        if got["intent"]["name"] != intent:
            misses.append((question, intent, got["intent"]["name"]))
    # measured: 22/25 before the new examples; at most 2 misses allowed now
    assert len(misses) <= 2, misses


def test_diagnosis_split_for_the_kind_given_then_the_full_calculation(chat):
    from chatutil import custom_of

    replies = chat.say("我們是以大帶小，診斷費用我們要負擔多少")
    text = text_of(replies)
    assert "20萬元／案 = 政府負擔16萬元 + 業者自籌4萬元" in text and "（依據：診斷輔導．輔導經費）" in text
    # the form already knows everything it needs: the result comes at once
    result = chat.say(full_calculation(replies)["payload"])
    cards = [c for c in custom_of(result) if c.get("type") == "calc_result"]
    assert cards and cards[-1]["result"]["extra"]["firm"] == 40_000, text_of(result)


def test_head_count_and_total_are_answered_in_one_turn_with_both_steps(chat):
    replies = chat.say("我們員工6個人，計畫700萬，最多補多少？")
    text = text_of(replies)
    assert "員工6人 → 製造業9人以下，補助上限每案300萬元" in text
    assert "700萬元 × 50% = 350萬元" in text and "政府補助款最多300萬元" in text
    assert "（依據：升級轉型補助．補助上限；升級轉型補助．政府補助比例）" in text
    assert "是依法登記的製造業嗎" not in text  # answered, not the six-question form
    button = full_calculation(replies)
    assert json.loads(button["payload"].removeprefix("/calc_subsidy")) == {"facts": "員工6人，計畫總經費700萬元"}


def test_an_interest_estimate_from_a_first_message_with_amount_and_years(chat):
    replies = chat.say("幫我估算利息補貼：我們3個人，借300萬，借1年")
    text = text_of(replies)
    # the user's amount and years, the micro class's rate from parameters.yml, the step shown
    assert "300萬元 × 1.5% × 1年 = 45,000元" in text and "估算" in text
    assert "（依據：低利貸款．利息補貼估算" in text
    started = text_of(chat.say(full_calculation(replies)["payload"]))
    assert "借款300萬元" in started and "員工3人" in started


def test_years_beyond_the_subsidised_period_are_said_and_not_computed_with(chat):
    text = text_of(chat.say("借500萬，借3年，利息補貼大概多少"))
    assert "500萬元 × 1.595% × 1年 = 79,750元" in text
    assert "您提到3年" in text and "以1年估算" in text


def test_several_figures_no_one_rule_settles_go_to_the_guided_calculation_with_those_figures(chat):
    # head-count, total and an item's cost: the whole subsidy needs the calculator, not one rule
    replies = chat.say("我們9個人，總經費700萬，新設備300萬，補助最多多少")
    text = text_of(replies)
    assert "× 50%" not in text and "× 30%" not in text   # no one-step figure for a several-fact question
    if "已記下" not in text:   # answered from the entries: the guided calculation is offered with the figures
        button = full_calculation(replies)
        assert button["payload"].startswith("/calc_subsidy")
        assert json.loads(button["payload"].removeprefix("/calc_subsidy")) == {
            "facts": "員工9人，計畫總經費700萬元，新設備300萬元"}
        text = text_of(chat.say(button["payload"]))
    assert "已記下" in text and "員工9人" in text and "計畫總經費700萬元" in text and "300萬元" in text, text
