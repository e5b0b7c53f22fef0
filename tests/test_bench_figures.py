"""The bench's figure check (bench/figures.py): a direct computation counts as right only if the
figures the question set expects are in its reply — compared by value however they are written,
rounded only where the item's note calls the figure an estimate."""
from __future__ import annotations

import pytest

from bench.answers import outcome, wrong_figure
from bench.figures import figure_in, missing_figures
from knowledge.answering import Reply
from knowledge.direct import direct_answer
from knowledge.loader import load_knowledge

KB = load_knowledge()


@pytest.mark.parametrize("figure, reply", [
    ("285萬", "950萬元 × 30% = 285萬元"),
    ("285萬", "合計NT$2,850,000"),
    ("285万", "2,850,000元"),
    ("2,850,000", "最多285萬元"),
    ("1,500萬", "須低於1,500萬元"),
    ("1.2億", "每案1億2,000萬元"),
    ("30%", "以個案總經費30 %為上限"),
    ("80%", "資本性支出最高不超過8成"),
    ("1+4", "製造業以大帶小（智慧化1+4）"),
    ("10人", "員工未滿10人"),
    ("免費", "課程免費"),
])
def test_a_figure_is_found_however_it_is_written(figure, reply):
    assert figure_in(figure, reply)


@pytest.mark.parametrize("figure, reply", [
    ("285萬", "950萬元 × 30% = 284萬元"),
    ("285萬", "28.5萬元"),
    ("30%", "40%"),
    ("1年", "補貼11年"),
    ("10人", "員工100人"),
    ("400萬", "貸款額度最高3,500萬元"),
])
def test_a_different_figure_is_not_taken_for_it(figure, reply):
    assert not figure_in(figure, reply)


def test_rounding_only_where_the_note_calls_the_figure_an_estimate():
    assert figure_in("38.28萬", "利息補貼約38萬元", "2,400萬 × 1.595% = 38.28萬 (estimate)")
    assert not figure_in("38.28萬", "利息補貼約38萬元", "2,400萬 × 1.595% = 38.28萬")
    assert figure_in("16萬", "1,000萬元 × 1.595% × 1年 = 159,500元", "約16萬")
    # 558,250元 rounds to 56萬, not to the brief's 「約55萬」
    assert not figure_in("55萬", "3,500萬元 × 1.595% × 1年 = 558,250元，約55.8萬元", "brief: 1年約55萬")
    assert missing_figures(["1年", "55萬"], "補貼1年，簡報估算「1年約55萬」", "brief: 1年約55萬") == []


def test_a_direct_computation_with_a_wrong_figure_counts_as_wrong():
    answer = direct_answer("總經費950萬，買新機器最多補多少", KB)
    reply = Reply(text="", direct=answer)
    right = {"q": "", "kind": "numbers", "expect": ["subsidy_new_equipment"], "figures": ["285萬"], "note": ""}
    assert outcome(right, reply) == "right" and not wrong_figure(right, reply)
    # the right entry cited, but not the figure the item expects
    wrong = dict(right, figures=["300萬"])
    assert wrong_figure(wrong, reply) and outcome(wrong, reply) == "wrong"
    # an item without figures (the old set) is judged by its entry alone
    assert outcome(dict(right, figures=[]), reply) == "right"
