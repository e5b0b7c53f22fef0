"""The knowledge the actions answer from: the retriever (loaded once), answering one entry, and
the topic and person buttons. No Action class here (knowledge_actions.py and forms.py hold them).
"""
from __future__ import annotations

import json
from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge import contract
from knowledge.loader import Entry
from knowledge.retriever import Retriever, Status

from . import messages as msg

HOTLINE_ENTRY = "hotline_main"
CASE_STATUS_ENTRY = "not_in_brief_case_status"

# Loaded once when the action server imports this module: a missing, stale or
# wrong-model index stops the server at start with a message saying how to fix it.
RETRIEVER = Retriever.from_env()
_missing = [t for t in (HOTLINE_ENTRY, CASE_STATUS_ENTRY, *msg.GREET_TOPICS, *msg.OUT_OF_SCOPE_TOPICS)
            if RETRIEVER.get(t) is None]
if _missing:
    raise RuntimeError(f"knowledge entries missing: {_missing}")


def answers(text: str) -> bool:
    """Whether retrieval answers ``text`` with confidence (a programme question asked mid-form)."""
    return RETRIEVER.search(text).status is Status.ANSWER


def topic_button(entry: Entry) -> dict[str, str]:
    payload = "/choose_topic" + json.dumps({"topic_id": entry.id}, ensure_ascii=False)
    return {"title": entry.title, "payload": payload}


def topic_buttons(entry_ids: tuple[str, ...]) -> list[dict[str, str]]:
    return [topic_button(RETRIEVER.get(t)) for t in entry_ids]


def human_button() -> dict[str, str]:
    return {"title": msg.NOT_THESE, "payload": "/request_human"}


def outcome_payload(kind: str) -> contract.OutcomePayload:
    """What this reply did (contract.OUTCOME_KINDS): the gateway counts it and drops the payload."""
    if kind not in contract.OUTCOME_KINDS:
        raise ValueError(f"unknown outcome kind {kind!r}")
    return contract.OutcomePayload(type="outcome", kind=kind)


def say_outcome(dispatcher: CollectingDispatcher, kind: str) -> None:
    from .metrics import METRICS   # the action server's own count of the same outcome
    METRICS.outcome(kind)
    dispatcher.utter_message(json_message=outcome_payload(kind))


def answer_entry(dispatcher: CollectingDispatcher, entry: Entry) -> list[dict[str, Any]]:
    dispatcher.utter_message(text=entry.reply_text())
    say_outcome(dispatcher, contract.CITED_ANSWER)
    return [SlotSet("last_entry_id", entry.id), SlotSet("misunderstood", 0)]
