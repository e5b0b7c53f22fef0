"""Issue 10: no wrong or invented figure. One test (or a few) per numbered finding, each stating what
the user reads: exact arithmetic, strict limits said in words, loan estimates that stay within what
the brief illustrates, fixed loan limits not called estimates, the derived micro-loan rate, the
non-SME loan answer, the unitemised remainder and the 0800-888-968 wording."""
from __future__ import annotations

from fractions import Fraction

import pytest

from actions.render import headline, render
from knowledge.calc.extract import answer_costs, extract_facts
from knowledge.calc.loans import LoanInput, Purpose, find_loans
from knowledge.calc.params import parameters
from knowledge.calc.result import money
from knowledge.calc.subsidy import SubsidyInput, calculate_subsidy
from knowledge.loader import load_knowledge

P = parameters()
KB = load_knowledge()
萬 = 10_000


def sub(**kw) -> SubsidyInput:
    base = dict(manufacturing=True, sme=True, employees=20, total_budget=800 * 萬)
    return SubsidyInput(**{**base, **kw})


def shown(result) -> str:
    return render(result, KB)


# ---------- 1. half of an odd total is exact ----------

@pytest.mark.parametrize("total, half", [(8_000_001, "4,000,000.5元"), (1_234_567, "617,283.5元"),
                                         (800 * 萬, "400萬元"), (3, "1.5元")])
def test_half_of_the_total_is_printed_exactly(total, half):
    text = shown(calculate_subsidy(sub(total_budget=total)))
    assert f"× 50% = {half}" in text


def test_money_is_exact_and_never_rounded():
    assert money(Fraction(8_000_001, 2)) == "4,000,000.5元"
    assert money(Fraction(1_234_567 * 30, 100)) == "370,370.1元"
    assert money(4_000_000) == "400萬元"


def test_percentage_caps_of_an_odd_total_are_exact():
    r = calculate_subsidy(sub(total_budget=1_234_567, costs={"new_equipment": 1_234_567}))
    text = shown(r)
    assert "1,234,567元 × 30% = 370,370.1元" in text
    assert "370,370.1元" in headline(r) and r.amount == 370_370


# ---------- 2. a strict limit is said in words, never as a made-up amount ----------

@pytest.mark.parametrize("total", [800 * 萬, 8_000_001, 400 * 萬, 1_234_567])
def test_strict_half_limit_is_said_as_below_not_at_most(total):
    r = calculate_subsidy(sub(total_budget=total))
    line = headline(r)
    half = money(Fraction(total, 2))
    assert f"須低於{half}" in line and f"計畫總經費{money(total)}的50%" in line
    assert "最多" not in line and "即" not in line
    assert r.bound_exclusive and Fraction(r.bound) == Fraction(total, 2)
    text = shown(r)
    # never an invented whole-dollar figure one below the limit, and never "below X … at most X"
    invented = money(-(-total // 2) - 1)
    assert invented not in text
    assert f"最多{half}" not in text


def test_headline_names_the_tier_cap_too():
    line = headline(calculate_subsidy(sub(total_budget=800 * 萬)))
    assert line == "結果：政府補助款須低於400萬元（計畫總經費800萬元的50%），且不超過製造業10人以上補助上限每案500萬元。"


def test_when_the_tier_cap_binds_the_amount_is_an_at_most():
    r = calculate_subsidy(sub(total_budget=2000 * 萬))
    assert not r.bound_exclusive and "500萬元" in headline(r) and "須低於" not in headline(r)


def test_a_cap_equal_to_half_is_still_strict():
    r = calculate_subsidy(sub(total_budget=1000 * 萬))      # cap 500萬 = half of 1,000萬: must be below
    assert r.bound_exclusive and "須低於500萬元" in headline(r)


# ---------- 3. the 轉型發展 estimate stays within what the brief illustrates ----------

def test_transformation_estimate_for_a_large_capital_loan_is_bounded_and_explained():
    r = find_loans(LoanInput(sme=True, employees=30, transformation_plan=True, purpose=Purpose.CAPITAL,
                             capital_spending=100_000_000))
    first = r.extra["options"][0]
    assert first["loan"] == "transformation" and first["max_amount"] == 8000 * 萬
    assert first["subsidy_estimate"] <= 3500 * 萬 * 1595 // 100_000      # no more than the brief's example
    text = shown(r)
    assert "1,276,000" not in text and "127.6萬" not in text
    assert "簡報未載明" in text and "1年約55萬" in text
    assert P.raw["loans"]["transformation"]["estimate_principal_max"] == 3500 * 萬
    assert P.raw["loans"]["transformation"]["reasons"]


# ---------- 4. the loan limit is fixed; only the interest subsidy is an estimate ----------

def test_loan_limit_is_not_called_an_estimate():
    r = find_loans(LoanInput(sme=True, employees=30))
    assert r.limit == 3500 * 萬 and "額度上限" in r.limit_label
    option = r.extra["options"][0]
    assert option["max_amount_is_estimate"] is False and option["subsidy_is_estimate"] is True
    assert r.is_estimate and r.amount == option["subsidy_estimate"]      # the headline amount IS the estimate
    line = headline(r)
    assert "約3,500萬" not in line and "3,500萬元（估算）" not in line
    assert line.index("利息補貼") < line.index("額度上限")             # estimate first, limit second
    assert "約55.8萬元（估算）" in line and "3,500萬元（依簡報規則，非估算）" in line


# ---------- 5. the micro-loan 1.5 % is derived and said to be ----------

def test_micro_loan_rate_is_said_to_be_derived_from_the_brief_example():
    text = shown(find_loans(LoanInput(sme=True, employees=2, amount_wanted=100 * 萬)))
    assert "由簡報「2年約12萬」（400萬元）反推" in text
    assert "按比例推算" in text                                         # other amounts: proportional
    yml = (P.raw["loans"]["recovery_micro"])
    assert "反推" in yml["rate_basis"] and yml["reasons"]


def test_micro_loan_at_the_example_amount_quotes_the_brief():
    text = shown(find_loans(LoanInput(sme=True, employees=2)))
    assert "400萬元 × 1.5% × 2年 = 12萬元" in text and "簡報：2年約12萬" in text


# ---------- 6. non-SME loan answers name the 納管工廠 target ----------

def test_non_sme_loan_answer_names_registered_factories():
    r = find_loans(LoanInput(sme=False, employees=300))
    assert not r.eligible
    text = shown(r)
    assert "取得特定工廠登記或經地方政府核定改善計畫之納管工廠業者" in text
    assert "簡報所列專案貸款以中小企業為對象" not in text


def test_registered_factory_that_is_not_an_sme_gets_the_transformation_loan():
    r = find_loans(LoanInput(sme=False, employees=300, registered_factory=True))
    assert r.eligible and [o["loan"] for o in r.extra["options"]] == ["transformation"]


def test_registered_factory_is_read_from_text():
    assert extract_facts("我們是取得特定工廠登記的工廠，不是中小企業").registered_factory is True
    assert extract_facts("我們是納管工廠").registered_factory is True


# ---------- 9. the unitemised remainder ----------

def test_remainder_named_in_words_is_understood():
    f = extract_facts("總經費800萬，新設備大概三百萬，其他是人事費")
    assert f.total_budget == 800 * 萬 and f.costs == {"new_equipment": 300 * 萬, "personnel": 500 * 萬}
    for phrase in ("其餘是人事費", "剩下的是人事費", "其他都是人事費", "剩下都是薪水"):
        g = extract_facts(f"總經費800萬，新設備三百萬，{phrase}")
        assert g.costs == {"new_equipment": 300 * 萬, "personnel": 500 * 萬}, phrase


def test_remainder_answer_with_the_known_total():
    assert answer_costs("新設備大概三百萬，其他是人事費", total_budget=800 * 萬) == {
        "new_equipment": 300 * 萬, "personnel": 500 * 萬}
    assert extract_facts("新設備大概三百萬，其他是人事費").remainder_item == "personnel"


def test_remainder_gives_the_same_result_as_itemised_wording():
    a = calculate_subsidy(sub(costs=extract_facts("總經費800萬，新設備大概三百萬，其他是人事費").costs))
    b = calculate_subsidy(sub(costs=extract_facts("總經費800萬，新設備三百萬、人事費五百萬").costs))
    c = calculate_subsidy(sub(costs={"new_equipment": 300 * 萬}, remainder_item="personnel"))
    assert a.amount == b.amount == c.amount == 240 * 萬


def test_an_unitemised_remainder_is_an_upper_bound_and_said_to_be():
    r = calculate_subsidy(sub(costs={"new_equipment": 300 * 萬}))
    assert r.upper_bound
    assert "上限" in headline(r) and "未說明用途" in shown(r)
    itemised = calculate_subsidy(sub(costs={"new_equipment": 300 * 萬, "personnel": 500 * 萬}))
    assert not itemised.upper_bound and "未說明用途" not in shown(itemised)


# ---------- 10. 0800-888-968 is given as the brief gives it ----------

def test_every_entry_gives_0800_888_968_with_the_hedge():
    for entry in KB.entries:
        if "0800-888-968" in entry.answer:
            assert "補助諮詢專線" not in entry.answer, entry.id
            assert "0800-000-257" in entry.answer, entry.id
            assert entry.answer.index("0800-000-257") < entry.answer.index("0800-888-968"), entry.id
