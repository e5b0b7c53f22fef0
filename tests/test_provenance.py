"""Issue 10 (build item 6): the provenance check, the guard against the next invented figure.

Every number in the text a user sees must be
- from the user's input (calculators), or
- from knowledge/parameters.yml or a knowledge entry (calculators), or from the sources an entry
  rests on, the brief and verified-facts (knowledge answers: an entry cannot vouch for itself), or
- the result of a step shown in the same reply (「A × B = C」 is recomputed exactly: a wrong or
  rounded result is itself a failure), or an 「約…」 rounding of a number shown exactly in that reply.

Run over many calculator inputs (hypothesis; all three calculators, eligible and not) rendered by the
real rendering (actions.render.render, whose first line is headline()), and over every knowledge answer
(entry.reply_text()). Phone numbers and clock times must appear verbatim in the knowledge.
"""
from __future__ import annotations

import re
from fractions import Fraction

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions import messages as msg
from actions.render import card, headline, render
from knowledge.calc.diagnosis import calculate_diagnosis
from knowledge.calc.loans import LoanInput, Purpose, find_loans
from knowledge.calc.params import PARAMETERS_FILE, parameters
from knowledge.calc.subsidy import SubsidyInput, Track, calculate_subsidy
from knowledge.loader import load_knowledge, source_text

P = parameters()
KB = load_knowledge()
萬 = 10_000

# ---------- reading the numbers in a text ----------

PHONE = re.compile(r"0\d{1,3}-\d{3,8}(?:-\d{3,4})?(?:#\d+(?:-\d+)?)?")
CLOCK = re.compile(r"\d{1,2}:\d{2}")
_N = r"\d[\d,]*(?:\.\d+)?"
# one written amount: 1億2,000萬元, 3,500萬元, 4,000,000.5元, 1.595%, 8成, 25人 (the unit scales it)
NUMBER = re.compile(rf"(約|≈\s*)?({_N})(?:(億)(?:({_N})(萬))?|(萬))?(%|成)?")
OPS = {"×": "*", "÷": "/", "＋": "+", "−": "-"}
TERM = rf"(?:{_N}(?:億(?:{_N}萬)?|萬)?(?:%|成)?[^\s×÷＋−=，。；（）]{{0,2}})"
EQUATION = re.compile(rf"({TERM}(?:\s*[×÷＋−]\s*{TERM})+)\s*=\s*({TERM})")


def value_of(m: re.Match) -> Fraction:
    _, a, yi, b, wan_b, wan, unit = m.groups()
    v = Fraction(a.replace(",", ""))
    if yi:
        v *= 100_000_000
        if b:
            v += Fraction(b.replace(",", "")) * 10_000
    elif wan:
        v *= 10_000
    if unit == "%":
        v /= 100
    elif unit == "成":
        v /= 10
    return v


def numbers(text: str) -> list[tuple[Fraction, bool, str]]:
    """(value, approximate?, as written) for every number in ``text`` (phones and clock times apart)."""
    text = PHONE.sub(" ", text)
    text = CLOCK.sub(" ", text)
    return [(value_of(m), bool(m.group(1)), m.group(0)) for m in NUMBER.finditer(text)]


def evaluate(expr: str) -> Fraction:
    """A shown step's left side, exactly: 8,000,001元 × 50% → 4000000.5."""
    values, ops = [], []
    pos = 0
    for m in re.finditer(r"[×÷＋−]", expr):
        values.append(numbers(expr[pos:m.start()])[0][0])
        ops.append(m.group(0))
        pos = m.end()
    values.append(numbers(expr[pos:])[0][0])
    # × and ÷ before ＋ and −
    terms, signs, acc = [], [], values[0]
    for op, v in zip(ops, values[1:]):
        if op == "×":
            acc *= v
        elif op == "÷":
            acc /= v
        else:
            terms.append(acc)
            signs.append(op)
            acc = v
    terms.append(acc)
    total = terms[0]
    for op, v in zip(signs, terms[1:]):
        total = total + v if op == "＋" else total - v
    return total


def steps_shown(text: str) -> tuple[set[Fraction], list[str]]:
    """Results of the equations in ``text`` that are right; and the equations that are wrong."""
    good, bad = set(), []
    for m in EQUATION.finditer(text):
        left, right = evaluate(m.group(1)), numbers(m.group(2))[0][0]
        if left == right:
            good.add(right)
        else:
            bad.append(m.group(0))
    return good, bad


def strip_list_numbers(text: str) -> str:
    return re.sub(r"(?m)^\d+\. ", "", text)


# ---------- what a number may come from ----------

def _yaml_numbers(node, key: str = "") -> set[Fraction]:
    out: set[Fraction] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            out |= _yaml_numbers(v, str(k))
    elif isinstance(node, list):
        for v in node:
            out |= _yaml_numbers(v, key)
    elif isinstance(node, bool) or node is None:
        pass
    elif isinstance(node, (int, float)):
        v = Fraction(str(node))
        out.add(v)
        if key.endswith("milli_pct"):
            out.add(v / 100_000)
        elif key.endswith("_pct") or key.endswith("pct_of_total"):
            out.add(v / 100)
        elif key.endswith("_tenths"):
            out.add(v / 10)
    elif isinstance(node, str):
        out |= {v for v, _, _ in numbers(node)}
    return out


PARAM_NUMBERS = _yaml_numbers(yaml.safe_load(PARAMETERS_FILE.read_text("utf-8")))
ENTRY_NUMBERS = {v for e in KB.entries for v, _, _ in numbers(e.answer)}
SOURCE_TEXT = source_text("seed") + "\n" + source_text("verified-facts")
SOURCE_NUMBERS = {v for v, _, _ in numbers(SOURCE_TEXT.replace("**", "").replace(" 萬", "萬").replace(" %", "%"))}
KNOWN_LITERALS = {m for e in KB.entries for m in PHONE.findall(e.answer) + CLOCK.findall(e.answer)} | {
    P.service_open, P.service_close}


def unexplained(text: str, allowed: set[Fraction]) -> list[str]:
    """Numbers in ``text`` with no provenance (empty when every number is accounted for)."""
    text = strip_list_numbers(text)
    problems = [f"wrong step: {eq}" for eq in steps_shown(text)[1]]
    problems += [f"unknown literal: {x}" for x in PHONE.findall(text) + CLOCK.findall(text)
                 if x not in KNOWN_LITERALS and x not in SOURCE_TEXT]
    shown_steps = steps_shown(text)[0]
    ok = allowed | shown_steps
    exact_here = {v for v, approx, _ in numbers(text) if not approx and v in ok}
    for value, approx, written in numbers(text):
        if value in ok:
            continue
        # 約55.8萬元: the rounding (to 0.1萬) of a figure shown exactly in the same reply
        if approx and any(abs(v - value) <= Fraction(500) for v in exact_here):
            continue
        problems.append(written)
    return problems


def input_numbers(*values) -> set[Fraction]:
    out = set()
    for v in values:
        if isinstance(v, dict):
            out |= input_numbers(*v.values())
        elif isinstance(v, (int, Fraction)) and not isinstance(v, bool):
            out.add(Fraction(v))
    return out


# the parameter groups each calculator may quote (a loan reply quoting a diagnosis figure is wrong)
PARAM_GROUPS = {"subsidy": ("subsidy", "cost_items", "diagnosis", "sme_definition"),
                "loan": ("loans", "sme_definition"), "diagnosis": ("diagnosis",)}
_RAW = yaml.safe_load(PARAMETERS_FILE.read_text("utf-8"))
ENTRY_TEXT = {e.id: e.answer for e in KB.entries}


def allowed_for(result) -> set[Fraction]:
    """What a result may quote: its calculator's parameter groups and the entries it cites."""
    out = set()
    for group in PARAM_GROUPS[result.kind]:
        out |= _yaml_numbers(_RAW[group])
    for entry_id in result.citations:
        out |= {v for v, _, _ in numbers(ENTRY_TEXT.get(entry_id, ""))}
    return out


def card_text(c) -> str:
    """Every field of a result card a channel draws, as one text (the card is checked as it is shown:
    its lead, amounts, steps, notes, alternatives, next step and citation line)."""
    return "\n".join([c["headline"], c["plain"], c["amount_text"], c["limit_text"],
                      *(s["text"] for s in c["steps"]), *c["notes"], *c["alternatives"],
                      c["next_step"], c["citation_line"]])


def assert_provenance(result, *user_input) -> None:
    text = render(result, KB)
    assert text.splitlines()[1] == headline(result)
    # 0: 「政府補助0元」 for the self-funded items (the brief's 「-」 in the government column)
    allowed = allowed_for(result) | input_numbers(*user_input) | {Fraction(0)}
    problems = unexplained(text, allowed)
    assert not problems, f"numbers without provenance {problems} in:\n{text}"
    shown = card_text(card(result, KB))
    problems = unexplained(shown, allowed)
    assert not problems, f"numbers without provenance {problems} in the card:\n{shown}"


def test_the_card_check_catches_an_invented_figure_in_a_card_field():
    result = calculate_subsidy(SubsidyInput(True, True, 20, 800 * 萬))
    c = card(result, KB)
    allowed = allowed_for(result) | {Fraction(800 * 萬), Fraction(20), Fraction(0)}
    assert unexplained(card_text(c), allowed) == []
    for field in ("plain", "amount_text", "limit_text", "next_step"):
        bad = {**c, field: "政府補助款最多3,999,999元，請撥 0800-123-456"}
        assert unexplained(card_text(bad), allowed), field


# ---------- the check can fail: invented or wrong figures are caught ----------

@pytest.mark.parametrize("text, total", [
    ("結果：政府補助款上限須低於400萬元，即最多3,999,999元。", 800 * 萬),               # invented precision
    ("8,000,001元 × 50% = 400萬元，須低於此數 → 最多400萬元", 8_000_001),            # rounded step
    ("1,234,567元 × 50% = 617,283元", 1_234_567),                                   # rounded step
    ("利息補貼估算：3,500萬元 × 1.595% × 1年 = 558,250元（約57萬元）", 800 * 萬),     # a bad 「約」
    ("請撥 0800-123-456 詢問", 800 * 萬),                                            # an invented phone
    ("政府補助款最多437萬元", 800 * 萬),                                              # a figure from nowhere
])
def test_the_check_catches_invented_and_wrong_figures(text, total):
    assert unexplained(text, PARAM_NUMBERS | ENTRY_NUMBERS | {Fraction(total)})


def test_the_check_accepts_a_right_step_and_its_rounding():
    text = "利息補貼估算：3,500萬元 × 1.595% × 1年 = 558,250元（約55.8萬元）"
    assert unexplained(text, PARAM_NUMBERS) == []
    assert unexplained("8,000,001元 × 50% = 4,000,000.5元", {Fraction(8_000_001), Fraction(1, 2)}) == []


# ---------- calculators: many inputs through the real rendering ----------

item_ids = st.sampled_from(sorted(P.cost_items))
amounts = st.one_of(st.integers(min_value=1, max_value=99_999),
                    st.integers(min_value=1, max_value=20_000).map(lambda x: x * 萬),
                    st.integers(min_value=1, max_value=10_000_000_000))


@st.composite
def subsidy_inputs(draw):
    total = draw(amounts)
    costs, remaining = {}, total
    for item in draw(st.lists(item_ids, unique=True, max_size=4)):
        amount = draw(st.integers(min_value=0, max_value=remaining))
        costs[item] = amount
        remaining -= amount
    lead = draw(st.booleans())
    return SubsidyInput(manufacturing=draw(st.booleans() | st.just(True)), sme=draw(st.booleans()),
                        employees=draw(st.integers(min_value=0, max_value=3000)), total_budget=total,
                        lead_factory=lead, track=draw(st.sampled_from(list(Track))) if lead else None,
                        costs=costs, remainder_item=draw(st.none() | item_ids) if costs else None)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subsidy_inputs())
def test_every_number_in_a_subsidy_result_has_provenance(inp):
    assert_provenance(calculate_subsidy(inp), inp.total_budget, inp.employees, inp.costs)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.builds(LoanInput, sme=st.booleans(), employees=st.none() | st.integers(min_value=0, max_value=500),
                 tax_registration_only=st.booleans(), transformation_plan=st.booleans(),
                 purpose=st.none() | st.sampled_from(list(Purpose)), amount_wanted=st.none() | amounts,
                 capital_spending=st.none() | amounts, registered_factory=st.booleans()))
def test_every_number_in_a_loan_result_has_provenance(inp):
    assert_provenance(find_loans(inp), inp.employees, inp.amount_wanted, inp.capital_spending)


@pytest.mark.parametrize("sme", [True, False])
@pytest.mark.parametrize("lead", [True, False])
def test_every_number_in_a_diagnosis_result_has_provenance(sme, lead):
    assert_provenance(calculate_diagnosis(sme=sme, lead_factory=lead))


def test_the_calculators_are_covered_eligible_and_not():
    seen = set()
    for r in (calculate_subsidy(SubsidyInput(True, True, 20, 800 * 萬)),
              calculate_subsidy(SubsidyInput(False, True, 20, 800 * 萬)),
              calculate_subsidy(SubsidyInput(True, False, 300, 800 * 萬)),
              find_loans(LoanInput(sme=True, employees=3)), find_loans(LoanInput(sme=False, employees=300)),
              calculate_diagnosis(sme=True)):
        assert_provenance(r, 20, 300, 3, 800 * 萬)
        seen.add((r.kind, r.eligible))
    assert {("subsidy", True), ("subsidy", False), ("loan", True), ("loan", False), ("diagnosis", True)} <= seen


# ---------- every knowledge answer ----------

@pytest.mark.parametrize("entry", KB.entries, ids=lambda e: e.id)
def test_every_number_in_a_knowledge_answer_comes_from_its_sources(entry):
    text = entry.reply_text()
    allowed = PARAM_NUMBERS | SOURCE_NUMBERS
    problems = unexplained(text, allowed)
    assert not problems, f"{entry.id}: numbers without a source {problems}"
