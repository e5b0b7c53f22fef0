"""Direct answers with the user's own figures (knowledge.direct) in the conversation.

- ``answer_directly``: the one-step answer, with a 「完整試算」 button that starts the guided
  calculation already holding the user's figures (the payload carries them as words the form's
  fact reader understands: ``/calc_subsidy{"facts": "計畫總經費950萬元"}``).
- ``ActionStartCalculation``: a calculation request (calc_* intent) that asks two things, one of
  them computed, gets each answered (knowledge.answering.each_question); one that one rule settles is
  answered directly; any other starts the intent's form (which asks only what is still missing),
  unless the message does not ask for a calculation at all: then it is answered as a question.
"""
from __future__ import annotations

import json
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge import contract
from knowledge.calc.numbers import clean_text
from knowledge.direct import DirectAnswer, direct_answer, guided_offer, templates
from knowledge.loader import KnowledgeBase

from . import messages as msg

# A calculation request says so: a calc verb (試算/算算/估一下/評估), "how much can WE get/borrow"
# (能拿多少, 可以借多少, 補多少), or "which loan fits us". A message NLU filed under calc_* without
# any of these (「補助」, 「經費科目表可以給我看嗎」) is answered as a question instead of starting a form.
CALCULATION_CUE = re.compile(msg.CALCULATION_CUE_PATTERN, re.I)

FORM_INTENT = {"subsidy_form": "calc_subsidy", "loan_form": "calc_loan", "diagnosis_form": "calc_diagnosis"}
INTENT_FORM = {intent: form for form, intent in FORM_INTENT.items()}


def full_calculation_button(answer: DirectAnswer) -> dict[str, str]:
    payload = "/" + FORM_INTENT[answer.form]
    if answer.prefill:
        payload += json.dumps({"facts": answer.prefill}, ensure_ascii=False)
    return {"title": templates()["button"], "payload": payload}


def say_direct(dispatcher: CollectingDispatcher, tracker: Tracker, answer: DirectAnswer,
               outcome: bool = True, lead: str = "", latin: bool = False) -> list[dict[str, Any]]:
    """Say a direct answer (with its 「完整試算」 button) and return its events. ``outcome``: also
    say the reply's outcome (not when the answer is one part of a reply); ``lead``: a line before it;
    ``latin``: the question was in English, so one English line says the answer is in Traditional Chinese."""
    # inside a guided calculation the form continues by itself: no button to start another
    buttons = [full_calculation_button(answer)] if answer.form and not tracker.active_loop_name else []
    text = f"{lead}\n{answer.text}" if lead else answer.text
    if latin:
        text = f"{msg.ANSWER_IN_CHINESE}\n{text}"
    dispatcher.utter_message(text=text, buttons=buttons)
    if outcome:
        from .kb import say_outcome
        say_outcome(dispatcher, contract.CALCULATION)
    return [SlotSet("last_entry_id", answer.entry_id), SlotSet("misunderstood", 0)]


def offer_guided(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> None:
    """After a knowledge answer to a question with several of the user's figures that no one rule
    settles: offer the guided calculation, holding those figures (knowledge.direct.guided_offer)."""
    if tracker.active_loop_name:
        return
    offer = guided_offer(text)
    if offer is None:
        return
    payload = "/" + FORM_INTENT[offer.form] + json.dumps({"facts": offer.prefill}, ensure_ascii=False)
    dispatcher.utter_message(text=offer.text, buttons=[{"title": templates()["button"], "payload": payload}])


def answer_directly(dispatcher: CollectingDispatcher, tracker: Tracker, text: str,
                    kb: KnowledgeBase) -> list[dict[str, Any]] | None:
    """Say the direct answer to ``text`` and return its events, or None when no single rule applies."""
    answer = direct_answer(text, kb)
    return None if answer is None else say_direct(dispatcher, tracker, answer)


class ActionStartCalculation(Action):
    def name(self) -> str:
        return "action_start_calculation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        from .kb import RETRIEVER
        from knowledge.answering import each_question, whole_direct

        from .knowledge_actions import ActionAnswerQuestion, answer_parts

        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = (tracker.latest_message.get("text") or "").strip()
        if text and not text.startswith("/"):
            # two questions, one computed (「總經費800萬買新機器補多少？另外課程要錢嗎」): each answered
            several = each_question(text, RETRIEVER, whole_direct(text, RETRIEVER))
            if several is not None:
                return answer_parts(dispatcher, tracker, several)
        events = answer_directly(dispatcher, tracker, text, RETRIEVER.kb)
        if events is not None:
            return events
        if text and not text.startswith("/") and not CALCULATION_CUE.search(clean_text(text)):
            return ActionAnswerQuestion().run(dispatcher, tracker, domain)  # a question, not a calculation
        return [FollowupAction(INTENT_FORM.get(intent, "subsidy_form"))]
