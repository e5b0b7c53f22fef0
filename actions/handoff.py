"""Handing a conversation to a person: the summary the officer reads first, the ``handoff``
payload the gateway opens a ticket from (knowledge.contract.HandoffPayload), and the count of
questions in a row the bot could not answer.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge import contract

from . import messages as msg
from .form_spec import count_slot
from .kb import RETRIEVER

MISUNDERSTOOD_LIMIT = 2     # unanswered questions in a row before a person takes over
# Intents whose messages are not the user's question (the summary looks further back).
_NOT_QUESTIONS = {"request_human", "affirm", "deny", "greet", "thank", "goodbye", "stop", "choose_topic"}


def reason_for(intent: str | None) -> str:
    """The handoff reason code for the intent that asked for a person."""
    return contract.INTENT_REASONS.get(intent or "", contract.REQUESTED)


def handoff_summary(tracker: Tracker) -> contract.HandoffSummary:
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
    topic = RETRIEVER.get(topic_id) if isinstance(topic_id, str) and topic_id else None
    slots = {name: tracker.get_slot(name) for name in contract.SUMMARY_SLOTS if tracker.get_slot(name) is not None}
    return contract.HandoffSummary(
        last_question=last_question,
        request_text=request_text,
        intent=(tracker.latest_message.get("intent") or {}).get("name"),
        topic_id=topic.id if topic else None,
        topic=topic.title if topic else None,
        slots=slots,
        form=tracker.active_loop_name,
    )


def handoff_payload(reason: str, summary: contract.HandoffSummary) -> contract.HandoffPayload:
    if reason not in contract.HANDOFF_REASON_CODES:
        raise ValueError(f"not a handoff reason of knowledge/contract.py: {reason!r}")
    return contract.HandoffPayload(type=contract.HANDOFF, reason=reason, summary=summary)


def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[dict[str, Any]]:
    """Ask the gateway for a person: it opens the ticket and tells the user what happens next
    (channels/hub.py); the bot stays silent until the officer resolves the ticket."""
    dispatcher.utter_message(json_message=handoff_payload(reason, handoff_summary(tracker)))
    return [SlotSet("misunderstood", 0), SlotSet("form_failures", 0)]


def not_understood(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """Count one unanswered question; at the limit, say so and hand over."""
    count = count_slot(tracker.get_slot("misunderstood")) + 1
    if count >= MISUNDERSTOOD_LIMIT:
        dispatcher.utter_message(text=msg.MISUNDERSTOOD_HANDOFF)
        return hand_off(dispatcher, tracker, contract.MISUNDERSTOOD)
    return [SlotSet("misunderstood", count)]


def will_hand_off(tracker: Tracker) -> bool:
    """Whether one more unanswered question reaches the limit (then the bot skips its own reply)."""
    return count_slot(tracker.get_slot("misunderstood")) + 1 >= MISUNDERSTOOD_LIMIT


def is_general_timeline_question(text: str) -> bool:
    """A question about how long something takes in general, not about the user's own case."""
    t = (text or "").strip()
    return any(w in t for w in msg.TIMELINE_WORDS) and not any(w in t for w in msg.OWN_CASE_WORDS)
