"""Answer programme questions from the retrieval index, with the rule cited."""
from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge.loader import Entry
from knowledge.retriever import Retriever, Status

from . import messages as msg

logger = logging.getLogger(__name__)

HOTLINE_ENTRY = "hotline_main"

# Loaded once when the action server imports this module: a missing, stale or
# wrong-model index stops the server at start with a message saying how to fix it.
RETRIEVER = Retriever.from_env()
_missing = [t for t in (HOTLINE_ENTRY, *msg.GREET_TOPICS, *msg.OUT_OF_SCOPE_TOPICS) if RETRIEVER.get(t) is None]
if _missing:
    raise RuntimeError(f"knowledge entries missing: {_missing}")


def topic_button(entry: Entry) -> dict[str, str]:
    payload = "/choose_topic" + json.dumps({"topic_id": entry.id}, ensure_ascii=False)
    return {"title": entry.title, "payload": payload}


def human_button() -> dict[str, str]:
    return {"title": msg.NOT_THESE, "payload": "/request_human"}


def answer_entry(dispatcher: CollectingDispatcher, entry: Entry) -> list[dict[str, Any]]:
    dispatcher.utter_message(text=entry.reply_text())
    return [SlotSet("last_entry_id", entry.id)]


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = (tracker.latest_message.get("text") or "").strip()
        if not text:
            dispatcher.utter_message(text=msg.EMPTY_MESSAGE)
            return []
        result = RETRIEVER.search(text)
        if result.truncated:
            dispatcher.utter_message(text=msg.TRUNCATED)
        if result.status is Status.ANSWER:
            return answer_entry(dispatcher, result.candidates[0].entry)
        if result.status is Status.SUGGEST:
            buttons = [topic_button(c.entry) for c in result.candidates] + [human_button()]
            dispatcher.utter_message(text=msg.SUGGEST_INTRO, buttons=buttons)
            return []
        hotline = RETRIEVER.get(HOTLINE_ENTRY)
        dispatcher.utter_message(text=f"{msg.NONE_FOUND}\n{hotline.reply_text()}")
        return []


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
    """For now: the hotline and its hours from the knowledge base (real handoff comes later)."""

    def name(self) -> str:
        return "action_request_human"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        hotline = RETRIEVER.get(HOTLINE_ENTRY)
        dispatcher.utter_message(text=f"{msg.HUMAN_INTRO}\n{hotline.reply_text()}")
        return []
