"""Answer programme questions from the retrieval index, with the rule cited."""
from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge.loader import Entry
from knowledge.retriever import AnswerPlan, Retriever, Status

from . import messages as msg

logger = logging.getLogger(__name__)

HOTLINE_ENTRY = "hotline_main"
CASE_STATUS_ENTRY = "not_in_brief_case_status"
MISUNDERSTOOD_LIMIT = 2     # unanswered questions in a row before a person takes over

# Why the conversation goes to a person, by the intent that asked for it (channels/texts.py REASONS).
HANDOFF_REASONS = {"request_human": "requested", "complain": "complaint", "case_status": "case_status"}
# Facts the officer sees in the ticket summary, when the user has stated them.
SUMMARY_SLOTS = ("manufacturing", "sme", "employees", "lead_factory", "track", "total_budget", "cost_items",
                 "company_capital", "transformation_plan", "loan_purpose", "capital_spending", "loan_amount")
_NOT_QUESTIONS = {"request_human", "affirm", "deny", "greet", "thank", "goodbye", "stop", "choose_topic"}

# Loaded once when the action server imports this module: a missing, stale or
# wrong-model index stops the server at start with a message saying how to fix it.
RETRIEVER = Retriever.from_env()
_missing = [t for t in (HOTLINE_ENTRY, CASE_STATUS_ENTRY, *msg.GREET_TOPICS, *msg.OUT_OF_SCOPE_TOPICS) if RETRIEVER.get(t) is None]
if _missing:
    raise RuntimeError(f"knowledge entries missing: {_missing}")


def topic_button(entry: Entry) -> dict[str, str]:
    payload = "/choose_topic" + json.dumps({"topic_id": entry.id}, ensure_ascii=False)
    return {"title": entry.title, "payload": payload}


def human_button() -> dict[str, str]:
    return {"title": msg.NOT_THESE, "payload": "/request_human"}


def answer_entry(dispatcher: CollectingDispatcher, entry: Entry) -> list[dict[str, Any]]:
    dispatcher.utter_message(text=entry.reply_text())
    return [SlotSet("last_entry_id", entry.id), SlotSet("misunderstood", 0)]


def answer_plan(dispatcher: CollectingDispatcher, plan: AnswerPlan) -> list[dict[str, Any]]:
    """Answer every entry of the plan, each with its citation (two when the message asked two
    things), then offer the runner-ups as 「您可能也想問」 buttons when the answer was likely, not sure."""
    if len(plan.answers) > 1:
        dispatcher.utter_message(text=msg.TWO_TOPICS.format(count=len(plan.answers)))
    for i, cand in enumerate(plan.answers):
        text = cand.entry.reply_text()
        dispatcher.utter_message(text=f"{msg.ANSWER_IN_CHINESE}\n{text}" if plan.latin and i == 0 else text)
    if plan.alternatives:
        dispatcher.utter_message(text=msg.ALSO_ASKED, buttons=[topic_button(c.entry) for c in plan.alternatives])
    return [SlotSet("last_entry_id", plan.answers[0].entry.id), SlotSet("misunderstood", 0)]


def handoff_summary(tracker: Tracker) -> dict[str, Any]:
    """What the officer needs first: the user's last real question, the topic, the facts collected."""
    request_text = (tracker.latest_message.get("text") or "").strip()
    last_question = request_text
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        text = (event.get("text") or "").strip()
        if text and not text.startswith("/") and intent not in _NOT_QUESTIONS:
            last_question = text
            break
    topic_id = tracker.get_slot("last_entry_id")
    topic = RETRIEVER.get(topic_id) if topic_id else None
    slots = {name: tracker.get_slot(name) for name in SUMMARY_SLOTS if tracker.get_slot(name) is not None}
    return {
        "last_question": last_question,
        "request_text": request_text,
        "intent": (tracker.latest_message.get("intent") or {}).get("name"),
        "topic_id": topic.id if topic else None,
        "topic": topic.title if topic else None,
        "slots": slots,
        "form": tracker.active_loop_name,
    }


def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[dict[str, Any]]:
    """Ask the gateway for a person: it opens the ticket and tells the user what happens next
    (channels/hub.py); the bot stays silent until the officer resolves the ticket."""
    dispatcher.utter_message(json_message={"type": "handoff", "reason": reason, "summary": handoff_summary(tracker)})
    return [SlotSet("misunderstood", 0), SlotSet("form_failures", 0)]


def not_understood(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    count = int(tracker.get_slot("misunderstood") or 0) + 1
    if count >= MISUNDERSTOOD_LIMIT:
        dispatcher.utter_message(text=msg.MISUNDERSTOOD_HANDOFF)
        return hand_off(dispatcher, tracker, "misunderstood")
    return [SlotSet("misunderstood", count)]


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = (tracker.latest_message.get("text") or "").strip()
        if not text:
            dispatcher.utter_message(text=msg.EMPTY_MESSAGE)
            return []
        plan = RETRIEVER.plan(text)
        if plan.truncated:
            dispatcher.utter_message(text=msg.TRUNCATED)
        if plan.answers:
            return answer_plan(dispatcher, plan)
        if plan.status is Status.SUGGEST:
            if int(tracker.get_slot("misunderstood") or 0) + 1 < MISUNDERSTOOD_LIMIT:
                buttons = [topic_button(c.entry) for c in plan.menu] + [human_button()]
                intro = f"{msg.ANSWER_IN_CHINESE}\n{msg.SUGGEST_INTRO}" if plan.latin else msg.SUGGEST_INTRO
                dispatcher.utter_message(text=intro, buttons=buttons)
            return not_understood(dispatcher, tracker)
        if int(tracker.get_slot("misunderstood") or 0) + 1 < MISUNDERSTOOD_LIMIT:
            hotline = RETRIEVER.get(HOTLINE_ENTRY)
            dispatcher.utter_message(text=f"{msg.NONE_FOUND}\n{hotline.reply_text()}")
        return not_understood(dispatcher, tracker)


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=msg.GREET, buttons=[topic_button(RETRIEVER.get(t)) for t in msg.GREET_TOPICS])
        return []


class ActionOutOfScope(Action):
    """A polite refusal that states no programme figure, with topics to start from."""

    def name(self) -> str:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        buttons = [topic_button(RETRIEVER.get(t)) for t in msg.OUT_OF_SCOPE_TOPICS]
        dispatcher.utter_message(text=msg.OUT_OF_SCOPE, buttons=buttons)
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
        intent = (tracker.latest_message.get("intent") or {}).get("name") or "request_human"
        reason = HANDOFF_REASONS.get(intent, "requested")
        events: list[dict[str, Any]] = []
        if reason == "case_status":
            # NLU can mistake a programme question about "our company" for one about its case:
            # when retrieval is confident the question is answered by another rule, answer that.
            text = (tracker.latest_message.get("text") or "").strip()
            result = RETRIEVER.search(text) if text and not text.startswith("/") else None
            if result is not None and result.status is Status.ANSWER \
                    and result.candidates[0].entry.id != CASE_STATUS_ENTRY:
                return answer_entry(dispatcher, result.candidates[0].entry)
            events += answer_entry(dispatcher, RETRIEVER.get(CASE_STATUS_ENTRY))
        return events + hand_off(dispatcher, tracker, reason)
