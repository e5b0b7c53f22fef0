"""Issue 10, finding 8: amounts and counts as Taiwanese people write them. A table of written forms
(colloquial shortenings, formal 大寫 numerals, Arabic with units, mixed), ranges and approximations
that are read as such (never one guessed figure), and a round trip against cn2an's own writing."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.calc.extract import extract_facts
from knowledge.calc.numbers import find_amounts, parse_amount, parse_count, parse_numeral, read_amount

萬, 億 = 10_000, 100_000_000

AMOUNTS = [
    # colloquial shortenings: the trailing digit is the next lower place
    ("三萬五", 35_000), ("三萬五千", 35_000), ("一億二", 120_000_000), ("一億二千萬", 120_000_000),
    ("兩千五元", 2_500), ("兩千五百元", 2_500), ("十萬五", 105_000), ("八萬八", 88_000), ("1萬5", 15_000),
    ("3萬5千元", 35_000), ("五百五十萬", 550 * 萬), ("一千二百萬", 1200 * 萬), ("一千二", None),
    ("兩億五", 250_000_000), ("一百二十萬", 120 * 萬), ("一百二萬", 120 * 萬), ("兩千五萬", 2500 * 萬),
    # complete forms
    ("一萬零五元", 10_005), ("一千零五十萬", 1050 * 萬), ("一億零五百萬", 10_500 * 萬), ("十二萬", 12 * 萬),
    ("三千五百萬", 3500 * 萬), ("三千五百萬元", 3500 * 萬), ("三千五百萬元整", 3500 * 萬), ("八百萬", 800 * 萬),
    ("八百五十萬元", 850 * 萬), ("兩百萬", 200 * 萬), ("二百萬", 200 * 萬), ("九千九百九十九萬", 9999 * 萬),
    ("一億", 億), ("十億", 10 * 億), ("五十萬元", 50 * 萬), ("四百萬", 400 * 萬),
    # formal numerals (支票、合約)
    ("壹佰萬元", 100 * 萬), ("壹佰萬元整", 100 * 萬), ("參仟伍佰萬元", 3500 * 萬), ("貳拾萬元", 20 * 萬),
    ("伍佰萬元整", 500 * 萬), ("壹億貳仟萬元", 12_000 * 萬), ("捌佰萬", 800 * 萬), ("新臺幣壹佰伍拾萬元整", 150 * 萬),
    ("叁拾伍萬元", 35 * 萬),
    # Arabic and mixed
    ("800萬", 800 * 萬), ("1.2億", 12_000 * 萬), ("3,500萬", 3500 * 萬), ("3,500萬元", 3500 * 萬),
    ("3.5千萬", 3500 * 萬), ("1億2千萬", 12_000 * 萬), ("NT$8,000,000", 800 * 萬), ("8000000", 800 * 萬),
    ("8,000,000元", 800 * 萬), ("新台幣 500 萬元", 500 * 萬), ("$35,000,000", 3500 * 萬), ("0.5億", 5000 * 萬),
    ("１２００萬", 1200 * 萬), ("2.5萬元", 25_000), ("1,234,567元", 1_234_567), ("35000元", 35_000),
    # simplified characters
    ("一亿二", 120_000_000), ("三万五", 35_000), ("两千万", 2000 * 萬), ("八百万元", 800 * 萬),
    # approximate but one figure: read, marked "about"
    ("大概三百萬", 300 * 萬), ("300萬左右", 300 * 萬), ("約五百萬", 500 * 萬),
    # unclear unit or not an amount: not guessed
    ("800", None), ("兩千五", None), ("很多", None), ("30%", None), ("1+4", None),
]


@pytest.mark.parametrize("text, value", AMOUNTS)
def test_amounts_as_taiwanese_people_write_them(text, value):
    assert parse_amount(text) == value


RANGES = [
    ("七八百萬", "range", 700 * 萬, 800 * 萬), ("三四千萬", "range", 3000 * 萬, 4000 * 萬),
    ("兩三百萬", "range", 200 * 萬, 300 * 萬), ("七百多萬", "more_than", 700 * 萬, 800 * 萬),
    ("一千多萬", "more_than", 1000 * 萬, 2000 * 萬), ("300多萬", "more_than", 300 * 萬, 400 * 萬),
    ("五十多萬", "more_than", 50 * 萬, 60 * 萬), ("一千萬出頭", "more_than", 1000 * 萬, None),
    ("一千出頭", "more_than", 1000, None), ("一億多", "more_than", 億, 2 * 億),
]


@pytest.mark.parametrize("text, kind, low, high", RANGES)
def test_ranges_and_approximations_are_returned_as_such_not_guessed(text, kind, low, high):
    reading = read_amount(text)
    assert reading is not None and (reading.kind, reading.low, reading.high) == (kind, low, high)
    assert reading.value is None and parse_amount(text) is None     # the dialogue asks back
    assert find_amounts(text) == []


def test_about_amounts_are_marked():
    assert read_amount("大概三百萬").kind == "about" and read_amount("三百萬").kind == "exact"


def test_unclear_unit_of_a_more_than_amount():
    assert read_amount("一千出頭").unit_clear is False and read_amount("七百多萬").unit_clear is True


def test_a_range_in_a_sentence_is_kept_for_asking_back():
    f = extract_facts("我們總經費大概七八百萬")
    assert f.total_budget is None and f.approximate and f.approximate[0].low == 700 * 萬


COUNTS = [
    ("一百二", 120), ("一百二個人", 120), ("一百二十人", 120), ("兩百人", 200), ("二十五人", 25), ("八個人", 8),
    ("十二個員工", 12), ("壹佰人", 100), ("25人", 25), ("大約30人", 30), ("五十人左右", 50), ("兩千五百人", 2500),
    ("三四十人", None), ("五十多人", None), ("三十出頭人", None),
]


@pytest.mark.parametrize("text, value", COUNTS)
def test_counts_as_people_write_them(text, value):
    assert parse_count(text) == value


def test_the_table_has_at_least_sixty_written_forms():
    assert len(AMOUNTS) + len(RANGES) + len(COUNTS) >= 60


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=999_999_999_999))
def test_round_trip_with_cn2an_writing(n):
    import cn2an
    written = cn2an.an2cn(n, "low")          # 一千二百三十四万五千六百七十八
    assert parse_numeral(written) == n
    formal = cn2an.an2cn(n, "up")            # 壹仟贰佰叁拾肆万...
    assert parse_numeral(formal) == n


@pytest.mark.parametrize("text, amounts, counts", [
    ("借3500萬一年多少", [35_000_000], []),          # not 3,500萬1千: 一 counts the year
    ("借500萬三年", [5_000_000], []),
    ("一百二十萬兩年", [1_200_000], []),
    ("借500萬三個人", [5_000_000], [3]),
    ("三萬五", [35_000], []),                       # the elliptic tail stays one amount
    ("一億二", [120_000_000], []),
])
def test_digits_after_wan_that_count_the_next_thing_are_not_the_amounts_tail(text, amounts, counts):
    from knowledge.calc.numbers import find_amounts, find_counts
    assert [v for _, _, v in find_amounts(text)] == amounts
    assert [v for _, _, v in find_counts(text)] == counts


@pytest.mark.parametrize("text, counts", [
    ("人數50，總經費3000萬", [50]),
    ("員工數12，想借款", [12]),
    ("員工人數：8", [8]),
    ("員工人數為一百二", [120]),
    ("員工500萬", []),          # an amount after the word, not a head-count
    ("員工3年", []),
    ("員工100多", []),           # an approximation
    ("員工12人", [12]),          # counted once
])
def test_a_head_count_after_its_label_without_a_counter_word(text, counts):
    from knowledge.calc.numbers import find_counts
    assert [v for _, _, v in find_counts(text)] == counts
