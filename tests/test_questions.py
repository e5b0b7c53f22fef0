"""The questions of one message (knowledge/questions.py, issue 11 item 6): where a message that asks
two things is cut, and where a message that asks one thing is not. Pure text, no index."""
from __future__ import annotations

import pytest

from knowledge.questions import elliptic, split_message, without_disowned


@pytest.mark.parametrize("message, questions", [
    # sentence ends, joining words
    ("補助上限多少？課程免費？", ["補助上限多少", "課程免費"]),
    ("借款1000萬、3年，利息補貼大概多少？順便問一下信保基金電話", ["借款1000萬、3年，利息補貼大概多少", "信保基金電話"]),
    ("What is the loan rate, and also are the courses free?", ["What is the loan rate", "are the courses free"]),
    # numbered items (never a decimal)
    ("1. 診斷輔導要自付多少 2. 有沒有AI的課", ["診斷輔導要自付多少", "有沒有AI的課"]),
    ("(1)新設備補幾成 (2)委託研究補幾成", ["新設備補幾成", "委託研究補幾成"]),
    ("①信保基金電話 ②疫後振興貸款利率", ["信保基金電話", "疫後振興貸款利率"]),
    # a comma between two questions that each name a thing
    ("診斷輔導要付多少、人才培訓又要不要錢", ["診斷輔導要付多少", "人才培訓又要不要錢"]),
    # the same question asked of two things
    ("智慧化與低碳化的課程分別在教什麼", ["智慧化的課程在教什麼", "低碳化的課程在教什麼"]),
    ("疫後振興貸款和轉型發展貸款的利率各是多少", ["疫後振興貸款的利率是多少", "轉型發展貸款的利率是多少"]),
    ("疫後振興貸款跟轉型發展貸款的申請對象", ["疫後振興貸款的申請對象", "轉型發展貸款的申請對象"]),
])
def test_a_message_asking_two_things_is_cut_into_its_questions(message, questions):
    assert list(split_message(message).questions) == questions


@pytest.mark.parametrize("message", [
    "人事費、耗材、無形資產可以用補助款嗎",       # a list of things, one question
    "新設備可以補助嗎，最多補幾成",               # the second clause names nothing new
    "我們是做螺絲的，30人。診斷輔導費用多少？",    # a statement, then the question
    "中小企業跟大企業的補助差在哪",               # a comparison is one question
    "2.5連結化跟3.0可視化差在哪",                 # decimals are no item numbers
    "以大帶小1+4要怎麼申請",
    "信保基金是做什麼的？電話呢？",               # 「電話呢」 asks about what the first named
    "總經費900萬買新機器，政府補多少？我們自己要出多少？",
])
def test_a_message_asking_one_thing_stays_one_question(message):
    assert len(split_message(message).questions) == 1, split_message(message)


def test_statements_are_context_and_their_figures_reach_every_question():
    parts = split_message("我們工廠15人，想做診斷也想申請補助，診斷自付多少、補助上限又是多少")
    assert parts.questions == ("我們工廠15人，想做診斷也想申請補助，診斷自付多少", "補助上限又是多少")
    assert parts.figures == ("我們工廠15人",)
    assert parts.facts_for(parts.questions[1]) == "我們工廠15人，補助上限又是多少"
    # the figure clause already in the question is not repeated; a thousands comma is no clause end
    first = split_message("總經費3,600萬，買新機器補多少？另外課程要錢嗎")
    assert first.figures == ("總經費3,600萬",)
    assert first.facts_for(first.questions[0]) == first.questions[0]
    assert split_message("我們是做螺絲的。請問診斷輔導費用多少？").context == "我們是做螺絲的"


@pytest.mark.parametrize("part, expected", [
    ("電話", True), ("目的是什麼", True), ("我們至少要自己出多少", True), ("上限呢", True),
    ("補助上限又是多少", False), ("課程免費", False), ("委託研究呢", False),
])
def test_a_part_naming_nothing_of_its_own_is_elliptic(part, expected):
    assert elliptic(part) is expected


@pytest.mark.parametrize("part, expected", [
    ("and what are the opening hours", True), ("what's the maximum", True), ("which number do I call", True),
    ("are the courses free", False), ("what about the diagnosis fee", False), ("is there a loan for working capital", False),
])
def test_an_english_part_naming_nothing_of_its_own_is_elliptic(part, expected):
    assert elliptic(part) is expected


def test_an_english_follow_up_stays_with_the_question_it_continues():
    parts = split_message("Who should I phone about the interest subsidy, and what are the office hours?")
    assert len(parts.questions) == 1
    parts = split_message("How much does the diagnosis cost, and are the training courses free?")
    assert len(parts.questions) == 2


@pytest.mark.parametrize("message", [
    "計畫六百萬，員工三十幾個，補助最多多少",       # 三十幾個 states a head-count, asks nothing
    "我們十幾個人，診斷要自付多少",
    "買設備2,000萬，轉型發展貸款可以貸多少？我們自己要準備多少？",   # own funds beside what was asked
])
def test_an_approximate_figure_or_an_own_funds_follow_up_is_no_question_of_its_own(message):
    assert len(split_message(message).questions) == 1, split_message(message)


@pytest.mark.parametrize("message, questions", [
    ("非中小企業診斷多少錢？以大帶小又是多少？", ["非中小企業診斷多少錢", "以大帶小診斷又是多少"]),
    ("智慧化課程教什麼？低碳化呢？", ["智慧化課程教什麼", "低碳化課程呢"]),
    ("診斷一案多少錢？補助上限又是多少？", ["診斷一案多少錢", "補助上限又是多少"]),   # a topic of its own
])
def test_a_follow_up_about_another_kind_carries_the_topic_before_it(message, questions):
    assert list(split_message(message).questions) == questions


@pytest.mark.parametrize("message, rest", [
    ("不是要問補助，是要問貸款，政府的貸款有哪幾種", "貸款，政府的貸款有哪幾種"),
    ("不是問課程喔，我想問診斷多少錢", "診斷多少錢"),
    ("我不是要問補助，我要問貸款利率", "貸款利率"),
    ("我問的不是補助，是貸款的利率多少", "是貸款的利率多少"),
])
def test_the_topic_a_message_disowns_is_dropped(message, rest):
    """h58: 「不是要問X，是要問Y」 names X only to say it is not asked about."""
    assert without_disowned(message) == rest


@pytest.mark.parametrize("message", ["我們不是製造業，是批發業，可以申請嗎", "這不是說要找專家嗎？", "補助上限多少"])
def test_a_negation_that_disowns_no_question_is_kept(message):
    assert without_disowned(message) == message
