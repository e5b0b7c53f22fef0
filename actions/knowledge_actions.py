"""The actions that answer programme questions from the knowledge (Action classes only: the
retriever and answering are in kb.py, handing over to a person in handoff.py)."""
from __future__ import annotations

from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge import contract
from knowledge.answering import Reply, decide
from knowledge.glossary import is_latin_question
from knowledge.retriever import AnswerPlan, Status
from knowledge.scope import HANDOFF_ENTRIES

from . import messages as msg
from .handoff import hand_off, is_general_timeline_question, not_understood, reason_for, will_hand_off
from .kb import (CASE_STATUS_ENTRY, HOTLINE_ENTRY, RETRIEVER, answer_entry, assist_payload, human_button, say_outcome,
                 topic_button, topic_buttons)
from .metrics import METRICS
from .direct import offer_guided, say_direct


def answer_plan(dispatcher: CollectingDispatcher, plan: AnswerPlan,
                then: Callable[[], None] | None = None) -> list[dict[str, Any]]:
    """Answer every entry of the plan, each with its citation (two when the message asked two
    things), then offer the runner-ups as 「您可能也想問」 buttons when the answer was likely, not sure."""
    if len(plan.answers) > 1:
        dispatcher.utter_message(text=msg.TWO_TOPICS.format(count=len(plan.answers)))
    # only "the brief does not say" (a not_in_brief entry, knowledge/scope.py): offer a person too
    person = [{"title": msg.ASK_PERSON, "payload": "/request_human"}] \
        if all(c.entry.id in HANDOFF_ENTRIES for c in plan.answers) and not plan.alternatives else None
    for i, cand in enumerate(plan.answers):
        text = cand.entry.reply_text()
        last = i == len(plan.answers) - 1
        dispatcher.utter_message(text=f"{msg.ANSWER_IN_CHINESE}\n{text}" if plan.latin and i == 0 else text,
                                 buttons=person if last else None)
    if plan.alternatives:
        dispatcher.utter_message(text=msg.ALSO_ASKED, buttons=[topic_button(c.entry) for c in plan.alternatives])
    if then is not None:
        then()   # e.g. the guided calculation offered with the user's figures
    say_outcome(dispatcher, contract.CITED_ANSWER)
    return [SlotSet("last_entry_id", plan.answers[0].entry.id), SlotSet("misunderstood", 0)]


def answer_parts(dispatcher: CollectingDispatcher, tracker: Tracker, reply: Reply) -> list[dict[str, Any]]:
    """Several questions in one message, one of them computed with the user's figures
    (knowledge.answering ``Reply.parts``): each answer in the order asked — the computation with its
    「完整試算」 button, the entry with its citation — under the same 「您問了…件事」 line as
    ``answer_plan``."""
    dispatcher.utter_message(text=msg.TWO_TOPICS.format(count=len(reply.parts)))
    latin = is_latin_question(reply.text) or any(p.plan is not None and p.plan.latin for p in reply.parts)
    events: list[dict[str, Any]] = []
    for i, part in enumerate(reply.parts):
        lead = msg.ANSWER_IN_CHINESE if latin and i == 0 else ""
        if part.direct is not None:
            said = say_direct(dispatcher, tracker, part.direct, outcome=False, lead=lead)
        else:
            entry = part.plan.answers[0].entry
            dispatcher.utter_message(text=f"{lead}\n{entry.reply_text()}" if lead else entry.reply_text())
            said = [SlotSet("last_entry_id", entry.id), SlotSet("misunderstood", 0)]
        events = events or said   # the first question's entry is the one a follow-up refers to
    say_outcome(dispatcher, contract.CALCULATION)
    return events


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = (tracker.latest_message.get("text") or "").strip()
        if not text:
            dispatcher.utter_message(text=msg.EMPTY_MESSAGE)
            return []
        reply = decide(text, RETRIEVER)  # the user's own figures (one rule) first, then retrieval
        if reply.parts:
            return answer_parts(dispatcher, tracker, reply)
        if reply.direct is not None:
            return say_direct(dispatcher, tracker, reply.direct, latin=is_latin_question(text))
        plan = reply.plan
        METRICS.retrieval(plan.status.value, answers=len(plan.answers), alternatives=len(plan.alternatives))
        if plan.truncated:
            dispatcher.utter_message(text=msg.TRUNCATED)
        if plan.answers:
            # several of the user's figures and no one rule: the guided calculation is offered too
            return answer_plan(dispatcher, plan, then=lambda: offer_guided(dispatcher, tracker, text))
        if plan.status is Status.SUGGEST:
            if not will_hand_off(tracker):
                buttons = [topic_button(c.entry) for c in plan.menu] + [human_button()]
                intro = f"{msg.ANSWER_IN_CHINESE}\n{msg.SUGGEST_INTRO}" if plan.latin else msg.SUGGEST_INTRO
                dispatcher.utter_message(text=intro, buttons=buttons)
                say_outcome(dispatcher, contract.CHOICES_OFFERED)
            return not_understood(dispatcher, tracker)
        if not will_hand_off(tracker):
            hotline = RETRIEVER.get(HOTLINE_ENTRY)
            dispatcher.utter_message(text=f"{msg.NONE_FOUND}\n{hotline.reply_text()}")
            say_outcome(dispatcher, contract.NOT_FOUND)
        return not_understood(dispatcher, tracker)


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=msg.GREET, buttons=topic_buttons(msg.GREET_TOPICS))
        return []


class ActionOutOfScope(Action):
    """A polite refusal that states no programme figure, with topics to start from."""

    def name(self) -> str:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=msg.OUT_OF_SCOPE, buttons=topic_buttons(msg.OUT_OF_SCOPE_TOPICS))
        say_outcome(dispatcher, contract.REFUSED)
        return []


class ActionAnswerTopic(Action):
    """A topic button was pressed: answer that entry directly."""

    def name(self) -> str:
        return "action_answer_topic"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        topic_id = next(tracker.get_latest_entity_values("topic_id"), None) or tracker.get_slot("topic_id")
        entry = RETRIEVER.get(str(topic_id)) if topic_id else None
        if entry is None:
            dispatcher.utter_message(text=msg.UNKNOWN_TOPIC)
            return []
        return answer_entry(dispatcher, entry)


class ActionRequestHuman(Action):
    """Hand the conversation to a person: asked for, a complaint, or a case-status question (which
    the bot first answers with what it can say: it cannot see cases)."""

    def name(self) -> str:
        return "action_request_human"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        reason = reason_for((tracker.latest_message.get("intent") or {}).get("name"))
        events: list[dict[str, Any]] = []
        if reason == contract.CASE_STATUS:
            # NLU can mistake a programme question about "our company" for one about its case:
            # when retrieval is confident the question is answered by another rule, answer that.
            text = (tracker.latest_message.get("text") or "").strip()
            result = RETRIEVER.search(text) if text and not text.startswith("/") else None
            if result is not None and result.status is Status.ANSWER \
                    and result.candidates[0].entry.id not in (CASE_STATUS_ENTRY, *HANDOFF_ENTRIES):
                return answer_entry(dispatcher, result.candidates[0].entry)
            if is_general_timeline_question(text):
                # nobody asked for a person: say the brief does not state it and who knows (issue 15)
                entry = RETRIEVER.get(CASE_STATUS_ENTRY)
                dispatcher.utter_message(text=msg.TIMELINE_NOT_STATED + "\n" + entry.reply_text(),
                                         buttons=[{"title": msg.ASK_PERSON, "payload": "/request_human"}])
                return [SlotSet("last_entry_id", entry.id), SlotSet("misunderstood", 0)]
            events += answer_entry(dispatcher, RETRIEVER.get(CASE_STATUS_ENTRY))
        return events + hand_off(dispatcher, tracker, reason)


class ActionAgentAssist(Action):
    """Agent assist for the officer console (channels/core/assist.py): the entries that best match
    a question, ranked by the retriever this server already holds, so the gateway does not load a
    second copy of the model and index. Called by the gateway only (not in the Rasa domain); the
    question is the tracker's latest message text; the reply is one json_message
    ``{"type": "assist", "entries": [...]}``. Says nothing to the user, sets nothing."""

    def name(self) -> str:
        return "action_agent_assist"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        question = str(tracker.latest_message.get("text") or "").strip()
        k = tracker.latest_message.get("assist_k")
        k = k if isinstance(k, int) and 0 < k <= 10 else 3
        _, _, ranked = RETRIEVER.rank(question) if question else (None, None, [])
        dispatcher.utter_message(json_message=assist_payload(ranked, k))
        return []
