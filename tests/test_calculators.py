"""Domain calculators: every tier, cost-item rule, loan class and the SME test, with the brief's
own figures; property tests for the subsidy invariants."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.calc.diagnosis import calculate_diagnosis
from knowledge.calc.loans import LoanInput, Purpose, find_loans, interest_subsidy
from knowledge.calc.numbers import find_amounts, parse_amount, parse_count
from knowledge.calc.params import parameters
from knowledge.calc.result import approx_wan, pct, wan
from knowledge.calc.sme import explain_sme, is_sme
from knowledge.calc.subsidy import InputError, SubsidyInput, Track, calculate_subsidy
from knowledge.loader import load_knowledge, source_text

P = parameters()
萬 = 10_000


# ---------- parameters are the knowledge's own figures ----------

def squash(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("**", "")


def test_parameter_quotes_are_verbatim_in_their_sources():
    def groups(node):
        if isinstance(node, dict):
            if "sources" in node:
                yield node
            for v in node.values():
                yield from groups(v)

    found = 0
    for g in groups(P.raw):
        for src in g["sources"]:
            for q in src["quotes"]:
                assert squash(q) in squash(source_text(src["doc"])), q
                found += 1
    assert found >= 15


def test_parameter_figures_are_stated_in_the_linked_entries():
    kb = load_knowledge()
    text = {e.id: e.answer for e in kb.entries}
    for tier in P.tiers.values():
        assert wan(tier.cap).removesuffix("元") in text["subsidy_caps"]
    for kind in P.diagnosis.values():
        for amount in (kind.total, kind.government, kind.firm):
            assert wan(amount).removesuffix("元") in text["diagnosis_cost"]
    for loan in P.loans.values():
        body = text[loan.entry]
        for amount in filter(None, (loan.max_amount, loan.working_capital_max)):
            assert wan(amount).removesuffix("元") in body
        assert loan.brief_estimate.replace(" ", "") in body.replace(" ", "")
    assert f"{P.service_open}～{P.service_close}" in text[P.entries["service_hours"]]
    for item in P.cost_items.values():
        assert item.label in text["subsidy_cost_items"]
        if item.max_pct_of_total:
            assert f"{item.max_pct_of_total}%" in text["subsidy_cost_items"]


# ---------- amounts and counts as people type them ----------

@pytest.mark.parametrize("text, value", [
    ("800萬", 800 * 萬), ("八百萬", 800 * 萬), ("3.5千萬", 3500 * 萬), ("3,500萬元", 3500 * 萬),
    ("8000000", 800 * 萬), ("NT$8,000,000", 800 * 萬), ("新台幣 500 萬元", 500 * 萬), ("兩千萬", 2000 * 萬),
    ("三千五百萬", 3500 * 萬), ("1億2千萬", 12000 * 萬), ("一千零五十萬", 1050 * 萬), ("十二萬", 12 * 萬),
    ("1.2億", 12000 * 萬), ("８００萬", 800 * 萬), ("八百五十萬元", 850 * 萬),
])
def test_amounts_as_people_write_them(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("text", ["800", "很多", "", "30%", "1+4", "abc"])
def test_unclear_amounts_are_not_guessed(text):
    assert parse_amount(text) is None


@pytest.mark.parametrize("text, value", [
    ("25人", 25), ("八個人", 8), ("兩百人", 200), ("25", 25), ("大約30人", 30), ("十二個員工", 12),
    ("我們有一百五十名員工", 150),
])
def test_counts_as_people_write_them(text, value):
    assert parse_count(text) == value


def test_amounts_in_a_sentence_skip_head_counts():
    found = [v for _, _, v in find_amounts("我們是25人的製造業中小企業，總經費800萬，新設備500萬")]
    assert found == [800 * 萬, 500 * 萬]


# ---------- subsidy: every tier ----------

def sub(**kw) -> SubsidyInput:
    base = dict(manufacturing=True, sme=True, employees=8, total_budget=2000 * 萬)
    return SubsidyInput(**{**base, **kw})


@pytest.mark.parametrize("employees, cap", [(1, 300), (9, 300), (10, 500), (199, 500)])
def test_sme_tiers_by_head_count(employees, cap):
    r = calculate_subsidy(sub(employees=employees))
    assert r.eligible and r.amount == cap * 萬 and r.extra["limits"]["tier_cap"] == cap * 萬
    assert "補助上限" in r.binding_rule


@pytest.mark.parametrize("track, cap", [(Track.SMART, 2000), (Track.LOWCARBON, 3000)])
def test_lead_factory_tiers_are_open_to_non_smes(track, cap):
    r = calculate_subsidy(sub(sme=False, employees=500, lead_factory=True, track=track, total_budget=10_000 * 萬))
    assert r.eligible and r.amount == cap * 萬


def test_non_manufacturing_is_not_eligible_and_is_told_why():
    r = calculate_subsidy(sub(manufacturing=False))
    assert not r.eligible and r.amount is None and "製造業" in r.binding_rule and r.alternatives


def test_non_sme_without_lead_factory_is_pointed_to_lead_factory_and_diagnosis():
    r = calculate_subsidy(sub(sme=False, employees=300))
    assert not r.eligible
    text = " ".join(r.alternatives)
    assert "以大帶小" in text and "30萬元" in text and "2,000萬元" in text and "3,000萬元" in text


# ---------- subsidy: every cost-item rule ----------

def test_brief_worked_example_new_equipment_800_wan_gives_240_wan():
    r = calculate_subsidy(sub(total_budget=800 * 萬, costs={"new_equipment": 800 * 萬}))
    assert r.extra["limits"]["cost_items"] == 240 * 萬 and r.amount == 240 * 萬
    assert any("800萬元 × 30% = 240萬元" in s.text for s in r.steps)


def test_gov_share_stays_strictly_below_half():
    r = calculate_subsidy(sub(total_budget=400 * 萬))
    assert r.amount == 400 * 萬 // 2 - 1 and "50%" in r.binding_rule


def test_commissioned_research_is_capped_at_40_percent_of_total():
    r = calculate_subsidy(sub(employees=20, total_budget=1000 * 萬, costs={"commissioned_research": 1000 * 萬}))
    assert r.extra["limits"]["cost_items"] == 400 * 萬 and r.amount == 400 * 萬


@pytest.mark.parametrize("item", ["personnel", "intangible_assets"])
def test_personnel_and_intangible_assets_are_self_funded_only(item):
    r = calculate_subsidy(sub(total_budget=600 * 萬, costs={item: 600 * 萬}))
    assert r.extra["limits"]["cost_items"] == 0 and r.amount == 0


@pytest.mark.parametrize("item", ["consumables", "existing_equipment"])
def test_uncapped_items_are_limited_by_their_own_cost(item):
    r = calculate_subsidy(sub(employees=30, total_budget=1000 * 萬, costs={item: 100 * 萬, "personnel": 900 * 萬}))
    assert r.extra["limits"]["cost_items"] == 100 * 萬 and r.amount == 100 * 萬


def test_items_larger_than_the_budget_are_refused():
    with pytest.raises(InputError):
        calculate_subsidy(sub(total_budget=100 * 萬, costs={"consumables": 200 * 萬}))


@pytest.mark.parametrize("bad", [dict(total_budget=0), dict(employees=-1), dict(lead_factory=True, track=None)])
def test_nonsense_inputs_are_refused(bad):
    with pytest.raises(InputError):
        calculate_subsidy(sub(**bad))


# ---------- subsidy: properties ----------

item_ids = st.sampled_from(sorted(P.cost_items))


@st.composite
def plans(draw):
    total = draw(st.integers(min_value=1, max_value=200_000 * 萬))
    costs = {}
    remaining = total
    for item in draw(st.lists(item_ids, unique=True, max_size=6)):
        amount = draw(st.integers(min_value=0, max_value=remaining))
        costs[item] = amount
        remaining -= amount
    lead = draw(st.booleans())
    return SubsidyInput(manufacturing=True, sme=draw(st.booleans()),
                        employees=draw(st.integers(min_value=0, max_value=5000)), total_budget=total,
                        lead_factory=lead, track=draw(st.sampled_from(list(Track))) if lead else None,
                        costs=costs)


@settings(max_examples=400, deadline=None)
@given(plans())
def test_subsidy_never_exceeds_cap_half_or_item_costs(inp):
    r = calculate_subsidy(inp)
    if not r.eligible:
        return
    tier = P.tiers[r.extra["tier"]]
    assert 0 <= r.amount <= tier.cap
    assert r.amount * 2 < inp.total_budget or r.amount == 0
    if inp.costs:
        eligible_cost = sum(v for k, v in inp.costs.items() if P.cost_items[k].government)
        eligible_cost += inp.total_budget - sum(inp.costs.values())
        assert r.amount <= eligible_cost


@settings(max_examples=300, deadline=None)
@given(plans(), st.integers(min_value=0, max_value=50_000 * 萬))
def test_subsidy_never_decreases_when_the_budget_grows(inp, more):
    bigger = SubsidyInput(**{**inp.__dict__, "total_budget": inp.total_budget + more})
    a, b = calculate_subsidy(inp), calculate_subsidy(bigger)
    if a.eligible:
        assert b.amount >= a.amount


# ---------- diagnosis ----------

@pytest.mark.parametrize("sme, lead, total, gov, firm, reports", [
    (True, False, 20, 16, 4, 3), (False, False, 30, 24, 6, 3), (True, True, 20, 16, 4, 2), (False, True, 20, 16, 4, 2),
])
def test_diagnosis_split_and_reports(sme, lead, total, gov, firm, reports):
    r = calculate_diagnosis(sme=sme, lead_factory=lead)
    assert (r.extra["total"], r.extra["government"], r.extra["firm"]) == (total * 萬, gov * 萬, firm * 萬)
    assert r.amount == firm * 萬 and len(r.extra["reports"]) == reports


# ---------- loans ----------

def test_brief_interest_estimates_are_reproduced():
    general, micro, transform = P.loans["recovery_general"], P.loans["recovery_micro"], P.loans["transformation"]
    assert approx_wan(interest_subsidy(3500 * 萬, general)) == "約55.8萬元"   # brief: 1年約55萬
    assert interest_subsidy(400 * 萬, micro) == 12 * 萬                      # brief: 2年約12萬
    assert approx_wan(interest_subsidy(3500 * 萬, transform)) == "約55.8萬元"


def test_small_firm_gets_both_recovery_classes_and_the_choose_one_note():
    r = find_loans(LoanInput(sme=True, employees=3))
    loans = [o["loan"] for o in r.extra["options"]]
    assert loans == ["recovery_general", "recovery_micro"]
    assert [o["max_amount"] for o in r.extra["options"]] == [3500 * 萬, 400 * 萬]
    assert any("擇一" in n for n in r.notes) and r.is_estimate


def test_tax_registration_only_gets_the_micro_class_only():
    r = find_loans(LoanInput(sme=False, tax_registration_only=True))
    assert [o["loan"] for o in r.extra["options"]] == ["recovery_micro"]


def test_micro_class_rate_tiers_are_stated():
    r = find_loans(LoanInput(sme=True, employees=2))
    text = " ".join(s.text for s in r.steps)
    assert "100萬以內最高1.595%" in text and "超過100萬最高2.095%" in text


def test_transformation_loan_capital_spending_up_to_eight_tenths():
    r = find_loans(LoanInput(sme=True, employees=30, transformation_plan=True, purpose=Purpose.CAPITAL,
                             capital_spending=1000 * 萬))
    first = r.extra["options"][0]
    assert first["loan"] == "transformation" and first["max_amount"] == 800 * 萬
    assert first["subsidy_estimate"] == 800 * 萬 * 1595 // 100_000


def test_transformation_loan_working_capital_up_to_3500_wan():
    r = find_loans(LoanInput(sme=True, employees=30, transformation_plan=True, purpose=Purpose.WORKING,
                             amount_wanted=5000 * 萬))
    first = r.extra["options"][0]
    assert first["max_amount"] == 3500 * 萬 and first["principal"] == 3500 * 萬


def test_non_sme_gets_no_loan_and_is_told_why():
    r = find_loans(LoanInput(sme=False, employees=300))
    assert not r.eligible and "中小企業" in r.binding_rule


# ---------- SME test ----------

@pytest.mark.parametrize("capital, employees, verdict", [
    (100_000_000, None, True), (100_000_001, None, None), (100_000_001, 199, True), (None, 199, True),
    (None, 200, None), (200_000_000, 200, False), (None, None, None), (5_000_000, 500, True),
])
def test_sme_definition(capital, employees, verdict):
    assert is_sme(capital, employees) is verdict
    assert explain_sme(capital, employees).extra["verdict"] is verdict


def test_formatting():
    assert wan(3000 * 萬) == "3,000萬元" and wan(3_999_999) == "3,999,999元" and pct(1595) == "1.595%"
    assert wan(100_000_000) == "1億元" and wan(120_000_000) == "1億2,000萬元"


@pytest.mark.parametrize("text, answer", [
    ("是", "yes"), ("對啊", "yes"), ("沒錯", "yes"), ("有", "yes"), ("嗯嗯", "yes"), ("yes", "yes"),
    ("不是", "no"), ("否", "no"), ("沒有", "no"), ("不對喔", "no"), ("No", "no"),
    ("不知道", "dont_know"), ("什麼是中小企業", "dont_know"), ("不算了", None), ("取消", None), ("很多", None),
])
def test_yes_no_in_its_many_forms(text, answer):
    from knowledge.calc.extract import yes_no

    assert yes_no(text) == answer


def test_several_facts_from_one_message():
    from knowledge.calc.extract import extract_facts

    f = extract_facts("我們是25人的製造業中小企業，總經費800萬，新設備500萬")
    assert (f.manufacturing, f.sme, f.employees, f.total_budget) == (True, True, 25, 800 * 萬)
    assert f.costs == {"new_equipment": 500 * 萬}
    g = extract_facts("我們不是製造業，是貿易公司")
    assert g.manufacturing is False
    h = extract_facts("我們是非中小企業，想以大帶小做低碳化1+10，總預算1億")
    assert (h.sme, h.lead_factory, h.track, h.total_budget) == (False, True, "lowcarbon", 100_000_000)
