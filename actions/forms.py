"""Guided calculations as Rasa forms: thin adapters from the tracker to the pure form logic.

What each form asks and how answers are read: form_spec.py. One turn of a form (several facts per
message, misunderstood answers, 不知道, stop, a question mid-form): form_step.step. The result's
text and card: render.py. This module only reads the tracker and writes events and messages.
"""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge.calc.result import CalcResult
from knowledge.calc.subsidy import InputError

from . import messages as msg
from .form_spec import CALC_SLOTS, FORMS, PENDING_SLOT, Form, ask_buttons, ask_text, count_slot, known_values
from .form_step import step
from .kb import RETRIEVER, answers
from .render import calc_payload, render


def tracker_values(tracker: Tracker) -> dict[str, Any]:
    return known_values({slot: tracker.get_slot(slot) for slot in CALC_SLOTS})


class GuidedFormValidation(Action, metaclass=ABCMeta):
    """Validation action for one form (``validate_<form>``); abstract, so rasa_sdk registers only
    the subclasses, which name their form."""

    @property
    @abstractmethod
    def form(self) -> str: ...

    def name(self) -> str:
        return f"validate_{self.form}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        asked = tracker.get_slot("requested_slot")
        if not (isinstance(asked, str) and asked in CALC_SLOTS):   # a forged or stale tracker: start afresh
            asked = None
        pending = tracker.get_slot(PENDING_SLOT) if asked else None   # a new form starts afresh
        outcome = step(FORMS[self.form], tracker_values(tracker), asked,
                       tracker.latest_message.get("text") or "",
                       (tracker.latest_message.get("intent") or {}).get("name"),
                       count_slot(tracker.get_slot("form_failures")), answers,
                       pending if isinstance(pending, dict) else None)
        if outcome.declined:
            return []  # the rules stop the form, hand over, or answer and come back
        for reply in outcome.replies:
            dispatcher.utter_message(text=reply.text, buttons=list(reply.buttons) or None)
        # form_failures is always set: a slot event besides requested_slot keeps Rasa from
        # rejecting the form's turn (which would drop this message) when nothing else was filled
        events = [SlotSet(k, v) for k, v in outcome.updates.items()]
        if outcome.pending != tracker.get_slot(PENDING_SLOT):   # an "about" amount to confirm, or settled
            events.append(SlotSet(PENDING_SLOT, outcome.pending))
        return events + [SlotSet("form_failures", outcome.failures), SlotSet("requested_slot", outcome.next_slot)]


class ValidateSubsidyForm(GuidedFormValidation):
    form = "subsidy_form"


class ValidateDiagnosisForm(GuidedFormValidation):
    form = "diagnosis_form"


class ValidateLoanForm(GuidedFormValidation):
    form = "loan_form"


def _make_ask(slot: str) -> type[Action]:
    class AskSlot(Action):
        def name(self) -> str:
            return f"action_ask_{slot}"

        def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                domain: dict[str, Any]) -> list[dict[str, Any]]:
            pending = tracker.get_slot(PENDING_SLOT)   # 「以800萬元計算，對嗎？」 instead of the question
            pending = pending if isinstance(pending, dict) else None
            dispatcher.utter_message(text=ask_text(slot, pending), buttons=ask_buttons(slot, pending))
            return []

    AskSlot.__name__ = AskSlot.__qualname__ = f"ActionAsk_{slot}"
    return AskSlot


ASK_ACTIONS = [_make_ask(slot) for slot in msg.ASK]
globals().update({cls.__name__: cls for cls in ASK_ACTIONS})  # importable by name (sanic pickles them)


# ---------- results ----------

def finish(dispatcher: CollectingDispatcher, result: CalcResult) -> list[dict[str, Any]]:
    """Say the result (text, then the card every channel draws) and clear the form's facts."""
    dispatcher.utter_message(text=render(result, RETRIEVER.kb))
    dispatcher.utter_message(json_message=calc_payload(result, RETRIEVER.kb))
    summary = {"kind": result.kind, "eligible": result.eligible, "amount": result.amount}
    return [SlotSet(s, None) for s in CALC_SLOTS] + [SlotSet(PENDING_SLOT, None), SlotSet("form_failures", 0),
                                                     SlotSet("last_calc", summary)]


class FormResult(Action, metaclass=ABCMeta):
    """The result action of one form (``action_<kind>_result``); abstract like GuidedFormValidation."""

    @property
    @abstractmethod
    def form(self) -> str: ...

    @property
    @abstractmethod
    def kind(self) -> str: ...

    def name(self) -> str:
        return f"action_{self.kind}_result"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        spec: Form = FORMS[self.form]
        try:
            result = spec.result(tracker_values(tracker))
        except InputError as exc:
            dispatcher.utter_message(text=f"{msg.NOT_UNDERSTOOD}{exc}")
            return [SlotSet(s, None) for s in CALC_SLOTS] + [SlotSet(PENDING_SLOT, None)]
        return finish(dispatcher, result)


class ActionSubsidyResult(FormResult):
    form, kind = "subsidy_form", "subsidy"


class ActionDiagnosisResult(FormResult):
    form, kind = "diagnosis_form", "diagnosis"


class ActionLoanResult(FormResult):
    form, kind = "loan_form", "loan"
