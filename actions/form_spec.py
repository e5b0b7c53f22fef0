"""What each guided calculation asks, and how answers are read — plain Python, no Rasa import.

Three forms (subsidy, diagnosis, loan) share one set of slots. For each form: which slots it still
needs given what is known (the order of the questions), how the answer to one question is parsed
in context (「是」, 「八百萬」, 「25」), which values are plausible, how a fact is repeated back
(「已記下：員工25人」), the question and its explanation, and the result once all is known.
Facts are parsed by knowledge.calc.extract and computed by knowledge.calc.*; every sentence is in
actions/messages.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from knowledge import contract
from knowledge.calc import extract as ex
from knowledge.calc.diagnosis import calculate_diagnosis
from knowledge.calc.loans import LoanInput, Purpose, find_loans
from knowledge.calc.params import parameters
from knowledge.calc.result import CalcResult, wan
from knowledge.calc.subsidy import SubsidyInput, Track, calculate_subsidy

from . import messages as msg

P = parameters()
# Every slot a form fills: the facts the officer sees (the contract), and two only the loan form reads
# (僅有稅籍登記; 特定工廠登記／納管工廠, said by the user, never asked).
CALC_SLOTS: tuple[str, ...] = (*contract.SUMMARY_SLOTS, "tax_only", "registered_factory")
# An amount said as "about" (大概八百萬, 七百多萬) waiting to be confirmed: {"slot", "value", "said", "kind"}
PENDING_SLOT = "amount_to_confirm"
BOOL_SLOTS = {"manufacturing", "sme", "lead_factory", "transformation_plan", "registered_factory"}
AMOUNT_SLOTS = ("total_budget", "capital_spending", "company_capital")
# amounts a calculation rests on: said as "about", they are confirmed before they are used
CONFIRM_SLOTS = ("total_budget", "capital_spending", "loan_amount")
MAX_AMOUNT = 100_000_000_000  # 1,000億: above this a number is a typo, not a plan
LOAN_MAX = "max"              # loan_amount: "as much as allowed"


# ---------- which slots each form still needs, given what is known ----------

def subsidy_slots(v: Mapping[str, Any]) -> list[str]:
    order = ["manufacturing"]
    if v.get("manufacturing") is False:
        return order
    order.append("sme")
    if v.get("sme"):
        order.append("employees")
    order.append("lead_factory")
    if v.get("lead_factory"):
        order.append("track")
    if v.get("sme") is False and v.get("lead_factory") is False:
        return order
    return order + ["total_budget", "cost_items"]


def diagnosis_slots(v: Mapping[str, Any]) -> list[str]:
    return ["lead_factory"] + ([] if v.get("lead_factory") else ["sme"])


def loan_slots(v: Mapping[str, Any]) -> list[str]:
    if v.get("tax_only"):
        return ["loan_amount"]
    order = ["sme"]
    factory = bool(v.get("registered_factory"))   # 特定工廠登記／納管工廠: 轉型發展 applies, SME or not
    if v.get("sme") is False and not factory:
        return order
    if v.get("sme") is not False:
        order.append("employees")                  # the micro-loan depends on the head count
    if not factory:
        order.append("transformation_plan")
    if v.get("transformation_plan") or factory:
        order.append("loan_purpose")
        if v.get("loan_purpose") == "capital":
            order.append("capital_spending")
    return order + ["loan_amount"]


# ---------- the result once a form is complete ----------

def subsidy_result(v: Mapping[str, Any]) -> CalcResult:
    """Raises knowledge.calc.subsidy.InputError on inconsistent input (told to the user)."""
    return calculate_subsidy(SubsidyInput(
        manufacturing=bool(v.get("manufacturing")), sme=bool(v.get("sme")),
        employees=int(v.get("employees") or 0), total_budget=int(v.get("total_budget") or 1),
        track=Track(v["track"]) if v.get("track") else None, lead_factory=bool(v.get("lead_factory")),
        costs={k: int(x) for k, x in (v.get("cost_items") or {}).items()}))


def diagnosis_result(v: Mapping[str, Any]) -> CalcResult:
    return calculate_diagnosis(sme=bool(v.get("sme")), lead_factory=bool(v.get("lead_factory")))


def loan_result(v: Mapping[str, Any]) -> CalcResult:
    amount = v.get("loan_amount")
    return find_loans(LoanInput(
        sme=bool(v.get("sme")), employees=int(v["employees"]) if v.get("employees") is not None else None,
        tax_registration_only=bool(v.get("tax_only")), transformation_plan=bool(v.get("transformation_plan")),
        purpose=Purpose(v["loan_purpose"]) if v.get("loan_purpose") else None,
        amount_wanted=int(amount) if isinstance(amount, (int, float)) else None,
        capital_spending=int(v["capital_spending"]) if v.get("capital_spending") else None,
        registered_factory=bool(v.get("registered_factory"))))


@dataclass(frozen=True)
class Form:
    name: str                                            # the Rasa form (bot/domain.yml)
    required: Callable[[Mapping[str, Any]], list[str]]   # the questions still to ask, in order
    result: Callable[[Mapping[str, Any]], CalcResult]


FORMS: dict[str, Form] = {f.name: f for f in (
    Form("subsidy_form", subsidy_slots, subsidy_result),
    Form("diagnosis_form", diagnosis_slots, diagnosis_result),
    Form("loan_form", loan_slots, loan_result),
)}


# ---------- reading answers ----------

# what a slot may hold (bot/domain.yml's types): a tracker posted to the action server by anyone but
# Rasa, or an old tracker, may hold anything; a value of the wrong type counts as not known
NUMBER_SLOTS = {"employees", *AMOUNT_SLOTS, "loan_amount"}
TEXT_SLOTS = {"track", "loan_purpose"}
MAX_NUMBER = 10**13


def slot_ok(slot: str, value: Any) -> bool:
    if slot in BOOL_SLOTS or slot == "tax_only":
        return isinstance(value, bool)
    if slot in NUMBER_SLOTS:
        return (isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
                and 0 <= value <= MAX_NUMBER)
    if slot in TEXT_SLOTS:
        return isinstance(value, str) and len(value) <= 200
    if slot == "cost_items":
        return isinstance(value, (list, dict))
    return True


def count_slot(value: Any, limit: int = 1000) -> int:
    """A counter slot (misunderstood, form_failures): 0 unless a plain number in range."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and 0 <= value <= limit:
        return int(value)
    return 0


def known_values(slots: Mapping[str, Any]) -> dict[str, Any]:
    """The calculation slots that are set (with a value of their type); whole floats (Rasa stores 25
    as 25.0) become ints."""
    out = {}
    for slot in CALC_SLOTS:
        value = slots.get(slot)
        if value is not None and slot_ok(slot, value):
            out[slot] = int(value) if isinstance(value, float) and value.is_integer() else value
    return out


def facts_to_slots(f: ex.Facts) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for slot, value in [("manufacturing", f.manufacturing), ("sme", f.sme), ("employees", f.employees),
                        ("lead_factory", f.lead_factory), ("track", f.track), ("total_budget", f.total_budget),
                        ("company_capital", f.capital), ("transformation_plan", f.transformation_plan),
                        ("loan_purpose", f.loan_purpose), ("loan_amount", f.loan_amount), ("tax_only", f.tax_only),
                        ("registered_factory", f.registered_factory)]:
        if value is not None:
            out[slot] = value
    if f.costs:
        out["cost_items"] = dict(f.costs)
    return out


def parse_answer(slot: str, text: str, known: Mapping[str, Any] | None = None) -> Any:
    """The answer to the question about ``slot``, or None. ``known``: what is known already (the total
    budget, on which 「其他是人事費」 puts the rest of the budget)."""
    if slot in BOOL_SLOTS:
        yn = ex.yes_no(text)
        return {ex.YES: True, ex.NO: False}.get(yn)
    if slot == "employees":
        return ex.answer_count(text)
    if slot in ("total_budget", "capital_spending"):
        return ex.answer_amount(text)
    if slot == "loan_amount":
        if ex.dont_know(text) or any(w in text for w in msg.LOAN_MAX_WORDS):
            return LOAN_MAX
        return ex.answer_amount(text)
    if slot == "cost_items":
        return ex.answer_costs(text, total_budget=(known or {}).get("total_budget"))
    if slot == "track":
        return ex.answer_track(text)
    if slot == "loan_purpose":
        return ex.answer_purpose(text)
    return None


def sane(slot: str, value: Any, known: Mapping[str, Any]) -> bool:
    if slot == "employees":
        return isinstance(value, int) and 0 <= value <= 1_000_000
    if slot in AMOUNT_SLOTS:
        return isinstance(value, int) and 0 < value <= MAX_AMOUNT
    if slot == "loan_amount":
        return value == LOAN_MAX or (isinstance(value, int) and 0 < value <= MAX_AMOUNT)
    if slot == "cost_items":
        budget = known.get("total_budget")
        return isinstance(value, dict) and (budget is None or sum(value.values()) <= budget)
    return True


# ---------- what the bot says about a slot ----------

def describe(slot: str, value: Any) -> str:
    """A fact as repeated back to the user: 「員工25人」, 「計畫總經費800萬元」."""
    if slot in BOOL_SLOTS:
        return msg.DESCRIBE_BOOL[slot][0 if value else 1]
    if slot == "employees":
        return msg.DESCRIBE_EMPLOYEES.format(count=value)
    if slot == "track":
        return msg.DESCRIBE_TRACK[value]
    if slot in AMOUNT_SLOTS:
        return msg.DESCRIBE_AMOUNT.format(name=msg.AMOUNT_NAMES[slot], amount=wan(int(value)))
    if slot == "cost_items":
        return msg.LIST_SEP.join(msg.DESCRIBE_COST.format(label=P.cost_items[k].label, amount=wan(int(v)))
                                 for k, v in value.items()) or msg.NO_COST_DETAIL
    if slot == "loan_purpose":
        return msg.DESCRIBE_PURPOSE[value]
    if slot == "loan_amount":
        return msg.LOAN_AT_MAX if value == LOAN_MAX else msg.DESCRIBE_LOAN.format(amount=wan(int(value)))
    if slot == "tax_only":
        return msg.TAX_ONLY
    return str(value)


def _figures() -> dict[str, Any]:
    """The programme figures questions may quote, from knowledge/parameters.yml."""
    return {
        "capital": wan(P.sme_capital_max), "staff": P.sme_employees_below,
        "items": msg.LIST_SEP.join(i.label for i in P.cost_items.values()),
    }


def ask_text(slot: str, pending: Mapping[str, Any] | None = None) -> str:
    """The question about ``slot``; when an amount said as "about" waits for it, the confirmation."""
    if is_pending(slot, pending):
        template = msg.CONFIRM_MORE_THAN if pending.get("kind") == "more_than" else msg.CONFIRM_ABOUT
        return template.format(name=msg.AMOUNT_NAMES[slot], said=pending.get("said") or "",
                               amount=wan(int(pending["value"])))
    return msg.ASK[slot].format(**_figures())


def is_pending(slot: str, pending: Mapping[str, Any] | None) -> bool:
    return bool(pending) and pending.get("slot") == slot and isinstance(pending.get("value"), (int, float))


def explain_text(slot: str) -> str:
    return msg.EXPLAIN[slot].format(**_figures())


def ask_buttons(slot: str, pending: Mapping[str, Any] | None = None) -> list[dict[str, str]]:
    def buttons(*titles: str) -> list[dict[str, str]]:
        return [{"title": t, "payload": t} for t in titles]

    if is_pending(slot, pending):
        return buttons(msg.YES_BUTTON, msg.NO_BUTTON)
    if slot == "sme":
        return buttons(msg.YES_BUTTON, msg.NO_BUTTON, msg.DONT_KNOW_BUTTON)
    if slot in BOOL_SLOTS:
        return buttons(msg.YES_BUTTON, msg.NO_BUTTON)
    if slot in msg.CHOICE_BUTTONS:
        return buttons(*msg.CHOICE_BUTTONS[slot])
    if slot == "cost_items":
        return buttons(msg.NO_DETAIL_BUTTON)
    if slot == "loan_amount":
        return buttons(msg.DONT_KNOW_BUTTON)
    return []
