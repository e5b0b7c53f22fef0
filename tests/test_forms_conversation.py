"""Guided calculations through the real Rasa + action server."""
from __future__ import annotations

import pytest

from chatutil import buttons_of, custom_of, text_of

pytestmark = pytest.mark.stack


def result_of(replies):
    found = [c["result"] for c in custom_of(replies) if c.get("type") == "calc_result"]
    assert found, text_of(replies)
    return found[-1]


def test_subsidy_dialogue_one_slot_at_a_time(chat):
    first = chat.say("幫我試算補助")
    assert "是依法登記的製造業嗎" in text_of(first)
    assert [b["title"] for b in buttons_of(first)] == ["是", "否"]
    assert "中小企業嗎" in text_of(chat.say("是"))
    assert "員工有幾人" in text_of(chat.say("對"))
    assert "以大帶小" in text_of(chat.say("25人"))
    assert "計畫總經費" in text_of(chat.say("不是"))
    assert "各科目" in text_of(chat.say("八百萬"))
    replies = chat.say("新設備500萬")
    result = result_of(replies)
    assert result["eligible"] and result["amount"] == 3_999_999
    text = text_of(replies)
    assert "製造業10人以上" in text and "800萬元 × 30% = 240萬元" in text and "須低於400萬元" in text
    assert "（依據：" in text


def test_subsidy_dialogue_in_one_message(chat):
    replies = chat.say("我們是25人的製造業中小企業，總經費800萬，新設備500萬，幫我算補助")
    text = text_of(replies)
    assert "已記下" in text and "員工25人" in text and "計畫總經費800萬元" in text
    assert "以大帶小" in text  # the only thing it still needs
    result = result_of(chat.say("否"))
    assert result["amount"] == 3_999_999 and result["extra"]["tier"] == "medium"


def test_chinese_numerals_and_small_firm_tier(chat):
    chat.say("補助試算")
    chat.say("是")
    chat.say("是")
    chat.say("八個人")
    chat.say("否")
    chat.say("一千萬")
    result = result_of(chat.say("沒有明細"))
    assert result["amount"] == 3_000_000 and result["extra"]["tier"] == "small"


def test_wrong_answer_is_explained_and_asked_again_then_help_is_offered(chat):
    chat.say("幫我試算補助")
    chat.say("是")
    chat.say("是")
    first = text_of(chat.say("很多"))
    assert "沒能理解" in first and "員工人數" in first
    second = chat.say("好多好多")
    assert "還是沒能理解" in text_of(second)
    assert {b["payload"] for b in buttons_of(second)} == {"/stop", "/request_human"}
    assert "以大帶小" in text_of(chat.say("12人"))  # still in the form, answer accepted


def test_budget_without_unit_is_not_guessed(chat):
    chat.say("我們是10人的製造業中小企業，幫我算補助")
    chat.say("否")
    assert "單位" in text_of(chat.say("800"))


def test_dont_know_sme_explains_the_definition(chat):
    chat.say("幫我試算補助")
    chat.say("是")
    reply = text_of(chat.say("不知道"))
    assert "1億元" in reply and "200人" in reply
    assert "員工有幾人" in text_of(chat.say("資本額5000萬"))


def test_stop_mid_form(chat):
    chat.say("幫我試算補助")
    chat.say("是")
    assert "已停止試算" in text_of(chat.say("不算了"))
    assert "（依據：" in text_of(chat.say("診斷輔導費用多少"))


def test_programme_question_mid_form_then_continue(chat):
    chat.say("幫我試算補助")
    chat.say("是")
    replies = text_of(chat.say("請問課程要收費嗎"))
    assert "免費" in replies and "中小企業嗎" in replies


def test_non_sme_is_told_why_and_what_fits(chat):
    chat.say("幫我試算補助")
    chat.say("是")
    chat.say("不是")
    replies = chat.say("否")
    result = result_of(replies)
    assert not result["eligible"]
    assert "以大帶小" in text_of(replies) and "30萬元" in text_of(replies)


def test_diagnosis_dialogue(chat):
    assert "以大帶小" in text_of(chat.say("幫我試算診斷費用"))
    chat.say("否")
    replies = chat.say("不是")
    result = result_of(replies)
    assert (result["extra"]["government"], result["extra"]["firm"]) == (240_000, 60_000)
    assert "碳盤查報告" in text_of(replies)


def test_loan_dialogue(chat):
    chat.say("幫我找適合的低利貸款")
    chat.say("是")
    chat.say("3人")
    chat.say("否")
    replies = chat.say("不知道")
    result = result_of(replies)
    assert [o["loan"] for o in result["extra"]["options"]] == ["recovery_general", "recovery_micro"]
    text = text_of(replies)
    assert "約55.8萬元" in text and "12萬元" in text and "估算" in text


def test_about_amount_confirmed_and_the_rest_of_the_budget_named_in_words(chat):
    """Issue 10: 「大概八百萬」 is confirmed before it is used; 「其他是人事費」 puts the rest of the known
    total on 人事費 (self-funded) → 240萬, not 300萬."""
    chat.say("補助試算")
    chat.say("是")
    chat.say("是")
    chat.say("八個人")
    chat.say("否")
    confirm = chat.say("大概八百萬")
    assert "計畫總經費以800萬元計算，對嗎？" in text_of(confirm)
    assert [b["title"] for b in buttons_of(confirm)] == ["是", "否"]
    assert "各科目" in text_of(chat.say("是"))
    replies = chat.say("新設備大概三百萬，其他是人事費")
    result = result_of(replies)
    assert result["eligible"] and result["amount"] == 2_400_000
    assert "人事費500萬元" in text_of(replies)


def test_a_range_is_asked_back_in_the_dialogue(chat):
    chat.say("補助試算")
    chat.say("是")
    chat.say("是")
    chat.say("八個人")
    chat.say("否")
    assert "請給一個金額，例如「750萬元」" in text_of(chat.say("七八百萬"))
    assert "各科目" in text_of(chat.say("750萬"))
