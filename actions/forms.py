"""Guided calculations as Rasa forms: the validation actions, the questions and the results.

Adapters only: facts are parsed by knowledge.calc.extract and computed by knowledge.calc.*.
Each user message may fill several slots at once (「我們是25人的製造業中小企業，總經費800萬」);
the answer to the question just asked is parsed in context (「是」, 「八百萬」, 「25」). A message
that answers nothing is declined (so Rasa's rules can stop the form, hand over to a person, or
answer a programme question and come back), or, when it is just not understood, explained and
asked again; after two misses in a row the user is offered to stop or to talk to a person.
"""
from __future__ import annotations

from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge.calc import extract as ex
from knowledge.calc.diagnosis import calculate_diagnosis
from knowledge.calc.loans import LoanInput, Purpose, find_loans
from knowledge.calc.params import parameters
from knowledge.calc.result import CalcResult, wan
from knowledge.calc.sme import is_sme
from knowledge.calc.subsidy import InputError, SubsidyInput, Track, calculate_subsidy
from knowledge.retriever import Status

from . import messages as msg
from .knowledge_actions import RETRIEVER
from .render import render

P = parameters()
MAX_MISSES = 2
CALC_SLOTS = ["manufacturing", "sme", "employees", "lead_factory", "track", "total_budget", "cost_items",
              "company_capital", "transformation_plan", "loan_purpose", "capital_spending", "loan_amount",
              "tax_only"]
BOOL_SLOTS = {"manufacturing", "sme", "lead_factory", "transformation_plan"}
MAX_AMOUNT = 100_000_000_000  # 1,000億: above this a number is a typo, not a plan
LOAN_MAX = "max"


def fill() -> dict[str, Any]:
    return {
        "capital": wan(P.sme_capital_max), "staff": P.sme_employees_below,
        "items": "、".join(i.label for i in P.cost_items.values()),
    }


def ask_text(slot: str) -> str:
    return msg.ASK[slot].format(**fill())


def explain_text(slot: str) -> str:
    return msg.EXPLAIN[slot].format(**fill())


def ask_buttons(slot: str) -> list[dict[str, str]]:
    yes_no = [{"title": msg.YES_BUTTON, "payload": msg.YES_BUTTON}, {"title": msg.NO_BUTTON, "payload": msg.NO_BUTTON}]
    if slot == "sme":
        return yes_no + [{"title": msg.DONT_KNOW_BUTTON, "payload": msg.DONT_KNOW_BUTTON}]
    if slot in BOOL_SLOTS:
        return yes_no
    if slot == "track":
        return [{"title": "智慧化", "payload": "智慧化"}, {"title": "低碳化", "payload": "低碳化"}]
    if slot == "loan_purpose":
        return [{"title": "資本性支出", "payload": "資本性支出"}, {"title": "週轉金", "payload": "週轉金"}]
    if slot == "cost_items":
        return [{"title": msg.NO_DETAIL_BUTTON, "payload": msg.NO_DETAIL_BUTTON}]
    if slot == "loan_amount":
        return [{"title": msg.DONT_KNOW_BUTTON, "payload": msg.DONT_KNOW_BUTTON}]
    return []


# ---------- which slots each form still needs, given what is known ----------

def subsidy_slots(v: dict[str, Any]) -> list[str]:
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


def diagnosis_slots(v: dict[str, Any]) -> list[str]:
    return ["lead_factory"] + ([] if v.get("lead_factory") else ["sme"])


def loan_slots(v: dict[str, Any]) -> list[str]:
    if v.get("tax_only"):
        return ["loan_amount"]
    order = ["sme"]
    if v.get("sme") is False:
        return order
    order += ["employees", "transformation_plan"]
    if v.get("transformation_plan"):
        order.append("loan_purpose")
        if v.get("loan_purpose") == "capital":
            order.append("capital_spending")
    return order + ["loan_amount"]


# ---------- parsing ----------

def facts_to_slots(f: ex.Facts) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for slot, value in [("manufacturing", f.manufacturing), ("sme", f.sme), ("employees", f.employees),
                        ("lead_factory", f.lead_factory), ("track", f.track), ("total_budget", f.total_budget),
                        ("company_capital", f.capital), ("transformation_plan", f.transformation_plan),
                        ("loan_purpose", f.loan_purpose), ("loan_amount", f.loan_amount), ("tax_only", f.tax_only)]:
        if value is not None:
            out[slot] = value
    if f.costs:
        out["cost_items"] = dict(f.costs)
    return out


def parse_answer(slot: str, text: str) -> Any:
    """The answer to the question about ``slot``, or None."""
    if slot in BOOL_SLOTS:
        yn = ex.yes_no(text)
        return {ex.YES: True, ex.NO: False}.get(yn)
    if slot == "employees":
        return ex.answer_count(text)
    if slot in ("total_budget", "capital_spending"):
        return ex.answer_amount(text)
    if slot == "loan_amount":
        if ex.dont_know(text) or any(w in text for w in ("最高", "上限", "最多", "都可以")):
            return LOAN_MAX
        return ex.answer_amount(text)
    if slot == "cost_items":
        return ex.answer_costs(text)
    if slot == "track":
        return ex.answer_track(text)
    if slot == "loan_purpose":
        return ex.answer_purpose(text)
    return None


def sane(slot: str, value: Any, known: dict[str, Any]) -> bool:
    if slot == "employees":
        return isinstance(value, int) and 0 <= value <= 1_000_000
    if slot in ("total_budget", "capital_spending", "company_capital"):
        return isinstance(value, int) and 0 < value <= MAX_AMOUNT
    if slot == "loan_amount":
        return value == LOAN_MAX or (isinstance(value, int) and 0 < value <= MAX_AMOUNT)
    if slot == "cost_items":
        budget = known.get("total_budget")
        return isinstance(value, dict) and (budget is None or sum(value.values()) <= budget)
    return True


def describe(slot: str, value: Any) -> str:
    if slot in BOOL_SLOTS:
        labels = {"manufacturing": ("製造業", "非製造業"), "sme": ("中小企業", "非中小企業"),
                  "lead_factory": ("以大帶小", "非以大帶小"), "transformation_plan": ("智慧化／低碳化轉型", "非轉型用途")}
        return labels[slot][0 if value else 1]
    if slot == "employees":
        return f"員工{value}人"
    if slot == "track":
        return "智慧化" if value == "smart" else "低碳化"
    if slot in ("total_budget", "capital_spending", "company_capital"):
        names = {"total_budget": "計畫總經費", "capital_spending": "資本性支出", "company_capital": "資本額"}
        return f"{names[slot]}{wan(int(value))}"
    if slot == "cost_items":
        return "、".join(f"{P.cost_items[k].label}{wan(int(v))}" for k, v in value.items()) or "無經費明細"
    if slot == "loan_purpose":
        return "資本性支出" if value == "capital" else "週轉金"
    if slot == "loan_amount":
        return "借款金額以最高額度試算" if value == LOAN_MAX else f"借款{wan(int(value))}"
    if slot == "tax_only":
        return "僅有稅籍登記"
    return str(value)


def known_values(tracker: Tracker) -> dict[str, Any]:
    out = {}
    for slot in CALC_SLOTS:
        value = tracker.get_slot(slot)
        if value is not None:
            out[slot] = int(value) if isinstance(value, float) and value.is_integer() else value
    return out


class GuidedFormValidation(Action):
    """Validation action for one form (``validate_<form>``)."""

    form: str = ""
    required: Callable[[dict[str, Any]], list[str]] = staticmethod(lambda v: [])

    def name(self) -> str:
        return f"validate_{self.form}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = (tracker.latest_message.get("text") or "").strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        requested = tracker.get_slot("requested_slot")
        known = known_values(tracker)
        first_turn = requested is None

        if ex.is_stop(text) or (intent == "stop" and requested and parse_answer(requested, text) is None):
            return []  # decline: the stop rule ends the form
        updates = {k: v for k, v in facts_to_slots(ex.extract_facts(text)).items()
                   if k not in known or k == requested or first_turn}
        if requested and requested not in updates:
            answer = parse_answer(requested, text)
            if answer is not None:
                updates[requested] = answer
        updates = {k: v for k, v in updates.items() if sane(k, v, {**known, **updates})}
        if "sme" not in known and "sme" not in updates:
            verdict = is_sme(updates.get("company_capital", known.get("company_capital")),
                             updates.get("employees", known.get("employees")))
            if verdict is not None:
                updates["sme"] = verdict

        events: list[dict[str, Any]] = []
        if requested and requested not in updates:
            if intent == "request_human" or (
                    intent == "ask_programme" and not updates and RETRIEVER.search(text).status is Status.ANSWER):
                return []  # decline: the rules stop, hand over, or answer and come back
            if ex.dont_know(text):
                # explain and ask again; a slot event (not just requested_slot) keeps the form
                # from being rejected by Rasa, which would drop this message
                dispatcher.utter_message(text=explain_text(requested))
                return [SlotSet("form_failures", tracker.get_slot("form_failures") or 0),
                        SlotSet("requested_slot", requested)] + [SlotSet(k, v) for k, v in updates.items()]
            misses = int(tracker.get_slot("form_failures") or 0) + 1
            if requested in ("total_budget", "capital_spending", "loan_amount") and ex.extract_facts(text).unclear_amounts:
                explanation = msg.UNIT_MISSING
            elif requested == "cost_items" and ex.answer_costs(text) and not sane("cost_items", ex.answer_costs(text), known):
                explanation = msg.COSTS_TOO_LARGE
            else:
                explanation = f"{msg.NOT_UNDERSTOOD}{explain_text(requested)}"
            if misses >= MAX_MISSES:
                dispatcher.utter_message(text=f"{msg.STILL_NOT_UNDERSTOOD}\n{explain_text(requested)}", buttons=[
                    {"title": msg.STOP_BUTTON, "payload": "/stop"},
                    {"title": msg.HUMAN_BUTTON, "payload": "/request_human"}])
            else:
                dispatcher.utter_message(text=explanation)
            return [SlotSet("form_failures", misses), SlotSet("requested_slot", requested)] + [
                SlotSet(k, v) for k, v in updates.items()]

        if first_turn:
            dispatcher.utter_message(text=msg.FORM_INTRO[self.form])
        values = {**known, **updates}
        relevant = set(self.required(values)) | {"company_capital"}
        noted = [describe(k, v) for k, v in updates.items() if k in relevant]
        if len(noted) >= 2 or (first_turn and noted):
            dispatcher.utter_message(text=msg.NOTED.format(facts="、".join(noted)))
        events += [SlotSet(k, v) for k, v in updates.items()]
        events.append(SlotSet("form_failures", 0))
        missing = [s for s in self.required(values) if values.get(s) is None]
        events.append(SlotSet("requested_slot", missing[0] if missing else None))
        return events


class ValidateSubsidyForm(GuidedFormValidation):
    form = "subsidy_form"
    required = staticmethod(subsidy_slots)


class ValidateDiagnosisForm(GuidedFormValidation):
    form = "diagnosis_form"
    required = staticmethod(diagnosis_slots)


class ValidateLoanForm(GuidedFormValidation):
    form = "loan_form"
    required = staticmethod(loan_slots)


def _make_ask(slot: str) -> type[Action]:
    class AskSlot(Action):
        def name(self) -> str:
            return f"action_ask_{slot}"

        def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                domain: dict[str, Any]) -> list[dict[str, Any]]:
            dispatcher.utter_message(text=ask_text(slot), buttons=ask_buttons(slot))
            return []

    AskSlot.__name__ = AskSlot.__qualname__ = f"ActionAsk_{slot}"
    return AskSlot


ASK_ACTIONS = [_make_ask(slot) for slot in msg.ASK]
globals().update({cls.__name__: cls for cls in ASK_ACTIONS})  # importable by name (sanic pickles them)


# ---------- results ----------

def finish(dispatcher: CollectingDispatcher, result: CalcResult) -> list[dict[str, Any]]:
    dispatcher.utter_message(text=render(result, RETRIEVER.kb))
    dispatcher.utter_message(json_message={"type": "calc_result", "result": result.to_dict()})
    summary = {"kind": result.kind, "eligible": result.eligible, "amount": result.amount}
    return [SlotSet(s, None) for s in CALC_SLOTS] + [SlotSet("form_failures", 0), SlotSet("last_calc", summary)]


class ActionSubsidyResult(Action):
    def name(self) -> str:
        return "action_subsidy_result"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        v = known_values(tracker)
        try:
            result = calculate_subsidy(SubsidyInput(
                manufacturing=bool(v.get("manufacturing")), sme=bool(v.get("sme")),
                employees=int(v.get("employees") or 0), total_budget=int(v.get("total_budget") or 1),
                track=Track(v["track"]) if v.get("track") else None, lead_factory=bool(v.get("lead_factory")),
                costs={k: int(x) for k, x in (v.get("cost_items") or {}).items()}))
        except InputError as exc:
            dispatcher.utter_message(text=f"{msg.NOT_UNDERSTOOD}{exc}")
            return [SlotSet(s, None) for s in CALC_SLOTS]
        return finish(dispatcher, result)


class ActionDiagnosisResult(Action):
    def name(self) -> str:
        return "action_diagnosis_result"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        v = known_values(tracker)
        return finish(dispatcher, calculate_diagnosis(sme=bool(v.get("sme")), lead_factory=bool(v.get("lead_factory"))))


class ActionLoanResult(Action):
    def name(self) -> str:
        return "action_loan_result"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        v = known_values(tracker)
        amount = v.get("loan_amount")
        result = find_loans(LoanInput(
            sme=bool(v.get("sme")), employees=int(v["employees"]) if v.get("employees") is not None else None,
            tax_registration_only=bool(v.get("tax_only")), transformation_plan=bool(v.get("transformation_plan")),
            purpose=Purpose(v["loan_purpose"]) if v.get("loan_purpose") else None,
            amount_wanted=int(amount) if isinstance(amount, (int, float)) else None,
            capital_spending=int(v["capital_spending"]) if v.get("capital_spending") else None))
        return finish(dispatcher, result)
