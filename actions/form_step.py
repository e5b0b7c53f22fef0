"""One turn of a guided calculation, as a pure function: no Rasa import, no I/O.

Given what is known, the question just asked, the user's text and its intent, ``step`` decides:
- the facts the message states — several at once (「我們是25人的製造業中小企業，總經費800萬」) —
  and the answer to the question asked, read in context (「是」, 「八百萬」, 「25」);
- or that the form should let go (``Outcome.declined``): the user stops (「不算了」), asks for a
  person, or asks a programme question the knowledge answers — Rasa's rules then stop the form,
  hand over, or answer and come back to the same question;
- or, for an answer it does not understand, the explanation to give and the question to ask again;
  the second miss in a row also offers to stop or to talk to a person; 「不知道」 is explained
  without counting as a miss; a bare amount without a unit is asked again with its unit;
- for an amount the calculation rests on said as "about" (大概八百萬, 七百多萬): to confirm it first
  (``Outcome.pending``; the question becomes 「以800萬元計算，對嗎？」, answered 是／否 or with the
  right amount); a range (七八百萬, 一千萬出頭) is asked back, never guessed.
actions/forms.py turns the outcome into Rasa events and messages.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Callable, Mapping

from knowledge.calc import extract as ex
from knowledge.calc.numbers import AmountReading, find_amount_readings, read_amount
from knowledge.calc.result import wan
from knowledge.calc.sme import is_sme

from . import messages as msg
from .form_spec import CONFIRM_SLOTS, Form, describe, explain_text, facts_to_slots, is_pending, parse_answer, sane

MAX_MISSES = 2              # misunderstood answers in a row before stop / a person is offered
UNIT_SLOTS = ("total_budget", "capital_spending", "loan_amount")   # amounts asked for with a unit


class Decline(str, Enum):
    """Why the form lets go of a message (the rules in bot/data/rules/forms.yml take it)."""
    STOP = "stop"                 # 「不算了」: the form ends
    HANDOFF = "handoff"           # the user asks for a person
    QUESTION = "question"         # a programme question: answered, then the form asks again


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class Outcome:
    updates: dict[str, Any] = field(default_factory=dict)   # slot → value to set
    replies: tuple[Reply, ...] = ()
    next_slot: str | None = None     # the question to ask next; None when the form is complete
    failures: int = 0                # misunderstood answers in a row after this turn
    declined: Decline | None = None  # set: nothing else applies, the form lets the message go
    pending: dict[str, Any] | None = None   # an "about" amount to confirm (form_spec.PENDING_SLOT), or None

    @property
    def complete(self) -> bool:
        return self.declined is None and self.next_slot is None


def read_facts(text: str, known: Mapping[str, Any], asked: str | None) -> dict[str, Any]:
    """The plausible slot values ``text`` states. Facts already known are kept unless the message
    answers the question asked or opens the form; whether the firm is an SME follows from its
    capital or head count when not stated."""
    first_turn = asked is None
    updates = {k: v for k, v in facts_to_slots(ex.extract_facts(text)).items()
               if k not in known or k == asked or first_turn}
    if asked == "cost_items" or (asked and asked not in updates):
        answer = parse_answer(asked, text, known)   # in context: 「其他是人事費」 needs the known total
        if answer is not None:
            updates[asked] = answer
    updates = {k: v for k, v in updates.items() if sane(k, v, {**known, **updates})}
    if "sme" not in known and "sme" not in updates:
        verdict = is_sme(updates.get("company_capital", known.get("company_capital")),
                         updates.get("employees", known.get("employees")))
        if verdict is not None:
            updates["sme"] = verdict
    return updates


def _explain_miss(asked: str, text: str, known: Mapping[str, Any]) -> str:
    """Why the answer to ``asked`` was not taken, and how to give it."""
    if asked in UNIT_SLOTS and ex.extract_facts(text).unclear_amounts:
        return msg.UNIT_MISSING
    costs = ex.answer_costs(text) if asked == "cost_items" else None
    if costs and not sane("cost_items", costs, known):
        return msg.COSTS_TOO_LARGE
    return f"{msg.NOT_UNDERSTOOD}{explain_text(asked)}"


def _about_amounts(text: str, updates: dict[str, Any]) -> list[tuple[str, AmountReading]]:
    """The amounts in ``updates`` a calculation rests on that ``text`` says as "about" (大概八百萬)."""
    about = [r for r in find_amount_readings(text) if r.kind == "about" and r.value is not None]
    return [(slot, r) for slot in CONFIRM_SLOTS for r in about
            if isinstance(updates.get(slot), int) and updates[slot] == r.value]


def _approximate_answer(asked: str, text: str) -> AmountReading | None:
    """The answer to an amount question when it is not one figure: 七八百萬, 七百多萬, 一千萬出頭."""
    if asked not in CONFIRM_SLOTS:
        return None
    reading = read_amount(text)
    if reading is None or reading.kind not in ("range", "more_than") or not reading.unit_clear:
        return None
    return reading if reading.low else None


def _confirmation(slot: str, reading: AmountReading, value: int) -> dict[str, Any]:
    return {"slot": slot, "value": value, "said": reading.text, "kind": reading.kind}


def step(form: Form, known: Mapping[str, Any], asked: str | None, text: str, intent: str | None,
         failures: int = 0, answers_question: Callable[[str], bool] = lambda text: False,
         pending: Mapping[str, Any] | None = None) -> Outcome:
    """One user message in ``form``. ``known``: the calculation slots already set; ``asked``: the
    slot just asked for (None on the message that opens the form); ``failures``: misunderstood
    answers in a row so far; ``answers_question(text)``: whether the knowledge answers ``text``
    with confidence (asked only for a programme question that fills nothing); ``pending``: an amount
    said as "about" that the question just asked confirms (「以800萬元計算，對嗎？」)."""
    outcome = _step(form, known, asked, text, intent, failures, answers_question, pending)
    if not pending or outcome.pending is not None or outcome.declined is not None \
            or pending.get("slot") in outcome.updates:
        return outcome
    if asked is not None and is_pending(asked, pending) and _settles(text):
        return outcome      # confirmed (是) or turned down (否): settled
    # an answer to something else (another question, 「什麼意思」): the amount still waits
    return replace(outcome, pending=dict(pending))


def _settles(text: str) -> bool:
    """Whether ``text`` answers 「以800萬元計算，對嗎？」: 是／否, or the right amount."""
    reading = read_amount(text)
    return (reading is not None and reading.kind in ("exact", "about")) or ex.yes_no(text) in (ex.YES, ex.NO)


def _step(form: Form, known: Mapping[str, Any], asked: str | None, text: str, intent: str | None,
          failures: int, answers_question: Callable[[str], bool], pending: Mapping[str, Any] | None) -> Outcome:
    text = text.strip()
    if ex.is_stop(text) or (intent == "stop" and asked and parse_answer(asked, text, known) is None):
        return Outcome(declined=Decline.STOP)
    confirming = asked is not None and is_pending(asked, pending)
    if confirming:
        reading = read_amount(text)
        if reading is None or reading.kind not in ("exact", "about"):   # no new amount: 是 or 否
            yn = ex.yes_no(text)
            if yn == ex.YES:
                text_known = {**known, asked: int(pending["value"])}
                missing = [s for s in form.required(text_known) if text_known.get(s) is None]
                return Outcome({asked: int(pending["value"])}, (), next_slot=missing[0] if missing else None)
            if yn == ex.NO:
                said = msg.CONFIRM_NO.format(amount=wan(int(pending["value"])))
                return Outcome({}, (Reply(said),), next_slot=asked, failures=failures)
    updates = read_facts(text, known, asked)
    about = _about_amounts(text, updates)
    new_pending: dict[str, Any] | None = None
    if about:   # 大概八百萬: confirmed before it is used (the question about its slot confirms it)
        slot, reading = about[0]
        new_pending = _confirmation(slot, reading, updates[slot])
        for s, _ in about:
            updates.pop(s, None)
        if asked == slot:
            return Outcome(updates, (), next_slot=slot, failures=0, pending=new_pending)
    if asked and asked not in updates and not (about and about[0][0] == asked):
        rough = _approximate_answer(asked, text)
        if rough is not None and rough.kind == "more_than" and rough.high:   # 七百多萬: the lower figure, confirmed
            return Outcome(updates, (), next_slot=asked, failures=0, pending=_confirmation(asked, rough, rough.low))
        if rough is not None:   # 七八百萬, 一千萬出頭: asked back
            example = (rough.low + rough.high) // 2 if rough.high else rough.low
            reply = Reply(msg.RANGE_ASK_BACK.format(said=rough.text, example=wan(example)))
            return Outcome(updates, (reply,), next_slot=asked, failures=failures)

    if asked and asked not in updates:
        if intent == "request_human":
            return Outcome(declined=Decline.HANDOFF)
        if intent == "ask_programme" and not updates and answers_question(text):
            return Outcome(declined=Decline.QUESTION)
        if ex.dont_know(text):  # explained, asked again; not counted as a miss
            return Outcome(updates, (Reply(explain_text(asked)),), next_slot=asked, failures=failures)
        misses = failures + 1
        if misses >= MAX_MISSES:
            reply = Reply(f"{msg.STILL_NOT_UNDERSTOOD}\n{explain_text(asked)}", (
                {"title": msg.STOP_BUTTON, "payload": "/stop"},
                {"title": msg.HUMAN_BUTTON, "payload": "/request_human"}))
        else:
            reply = Reply(_explain_miss(asked, text, known))
        return Outcome(updates, (reply,), next_slot=asked, failures=misses)

    replies: list[Reply] = []
    if asked is None:
        replies.append(Reply(msg.FORM_INTRO[form.name]))
    values = {**known, **updates}
    relevant = set(form.required(values)) | {"company_capital"}
    noted = [describe(k, v) for k, v in updates.items() if k in relevant]
    # 「其他是人事費」: the rest of the budget was put on an item; it is said back before it is used
    remainder = asked == "cost_items" and bool(updates.get("cost_items")) and ex.remainder_item(text) is not None
    if len(noted) >= 2 or (asked is None and noted) or (remainder and noted):
        replies.append(Reply(msg.NOTED.format(facts=msg.LIST_SEP.join(noted))))
    missing = [s for s in form.required(values) if values.get(s) is None]
    if new_pending is not None and new_pending["slot"] not in missing:
        new_pending = None   # an amount this form does not use
    return Outcome(updates, tuple(replies), next_slot=missing[0] if missing else None, failures=0,
                   pending=new_pending)
