"""The knowledge the actions answer from: the retriever (loaded once), answering one entry, and
the topic and person buttons. No Action class here (knowledge_actions.py and forms.py hold them).
"""
from __future__ import annotations

import json
import os
import threading
from typing import Any, cast

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge import contract
from knowledge.embeddings import model_id_for_spec
from knowledge.index import check_index, index_dir_from_env
from knowledge.loader import Entry, KnowledgeBase, load_knowledge
from knowledge.retriever import Retriever, Status

from . import messages as msg

HOTLINE_ENTRY = "hotline_main"
CASE_STATUS_ENTRY = "not_in_brief_case_status"
_NEEDED = (HOTLINE_ENTRY, CASE_STATUS_ENTRY, *msg.GREET_TOPICS, *msg.OUT_OF_SCOPE_TOPICS)


def _require_entries(kb: KnowledgeBase) -> None:
    ids = set(kb.ids())
    missing = [t for t in _NEEDED if t not in ids]
    if missing:
        raise RuntimeError(f"knowledge entries missing: {missing}")


class _Once:
    """The retriever, loaded once per process on first use; attribute access goes to it."""

    def __init__(self) -> None:
        self._retriever: Retriever | None = None
        self._lock = threading.Lock()

    def load(self) -> Retriever:
        if self._retriever is None:
            with self._lock:
                if self._retriever is None:
                    retriever = Retriever.from_env()
                    _require_entries(retriever.kb)
                    self._retriever = retriever
        return self._retriever

    @property
    def loaded(self) -> bool:
        return self._retriever is not None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.load(), name)


def _check_only() -> None:
    """What loading would refuse, without loading the model or building the retriever."""
    kb = load_knowledge()
    check_index(index_dir_from_env(), kb, model_id_for_spec())
    _require_entries(kb)


# `python -m rasa_sdk` imports this package twice: in its supervising process (only to list the
# action classes; it never runs an action) and in the Sanic worker that serves the requests.
# The worker loads the retriever (model, index, BM25) here, at import; any other process checks
# the index and the entries here and loads the retriever on first use, so the supervising process
# does not hold a second copy (~200 MB, docs/performance.md). Either way a missing, stale or
# wrong-model index stops the server at start with a message saying how to fix it.
def _allow_slow_worker_start(seconds: int = 120) -> None:
    """Sanic's supervisor shuts the server down when its worker has not started within 30 s (a
    constant, not a setting); the worker loads the model and builds the retriever first, which on
    a loaded 2-core machine can take longer (observed: killed at 30 s during a load bench)."""
    try:
        from sanic.worker.manager import WorkerManager
        from sanic.worker.process import WorkerProcess
    except ImportError:   # another server (gRPC): nothing supervises the start
        return
    for cls in (WorkerManager, WorkerProcess):
        if isinstance(getattr(cls, "THRESHOLD", None), int):
            cls.THRESHOLD = max(cls.THRESHOLD, seconds * 10)   # in tenths of a second


RETRIEVER = cast(Retriever, _Once())
if os.environ.get("SANIC_WORKER_NAME"):
    cast(_Once, RETRIEVER).load()
else:
    _check_only()
    _allow_slow_worker_start()


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


def assist_payload(ranked: list[Any], k: int) -> contract.AssistPayload:
    """Agent assist's answer to the gateway (channels/core/assist.py): the ``k`` best entries."""
    return contract.AssistPayload(type=contract.ASSIST, entries=[
        contract.AssistEntry(id=c.entry.id, title=c.entry.title, citation=c.entry.citation,
                             score=float(c.score), text=c.entry.reply_text()) for c in ranked[:k]])


def say_outcome(dispatcher: CollectingDispatcher, kind: str) -> None:
    from .metrics import METRICS   # the action server's own count of the same outcome
    METRICS.outcome(kind)
    dispatcher.utter_message(json_message=outcome_payload(kind))


def answer_entry(dispatcher: CollectingDispatcher, entry: Entry) -> list[dict[str, Any]]:
    dispatcher.utter_message(text=entry.reply_text())
    say_outcome(dispatcher, contract.CITED_ANSWER)
    return [SlotSet("last_entry_id", entry.id), SlotSet("misunderstood", 0)]
