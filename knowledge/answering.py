"""The answering decision for one free-text question, in the order the bot applies it — one home,
used by the action (actions/knowledge_actions.py) and by the bench (bench/answers.py):

1. a direct answer with the user's own figures, when ONE rule settles the question
   (knowledge/direct/: 「總經費950萬，買新機器最多補多少」 → 950萬 × 30% = 285萬);
2. otherwise the retrieval plan (knowledge/retriever.py ``plan``): an answer, an answer with
   「您可能也想問」, two answers for two questions, the menu, or "not found".

Pure domain code: no Rasa, no I/O besides what the retriever and the direct answers read.
"""
from __future__ import annotations

from dataclasses import dataclass

from .direct import DirectAnswer, direct_answer
from .retriever import AnswerPlan, Retriever
from .scope import asked_slots


@dataclass(frozen=True)
class Reply:
    """Exactly one of ``direct`` and ``plan`` is set."""
    text: str
    direct: DirectAnswer | None = None
    plan: AnswerPlan | None = None


def decide(text: str, retriever: Retriever) -> Reply:
    """What the bot says first to ``text`` (a free-text question, not a button payload)."""
    direct = direct_answer(text, retriever.kb)
    if direct is not None and not _asks_beyond(text, direct, retriever):
        return Reply(text=text, direct=direct)
    return Reply(text=text, plan=retriever.plan(text))


def _asks_beyond(text: str, direct: DirectAnswer, retriever: Retriever) -> bool:
    """The message carries figures a rule can compute with but asks for a kind of detail
    (knowledge/scope.py: when, tax, documents, …) that none of the entries the computation cites
    states — 「借3500萬，利息補貼什麼時候入帳」: the retrieval plan answers it (with the not_in_brief
    entry that says the brief does not state it), not the computation."""
    asked = asked_slots(text)
    if not asked or direct.rule == "check_input":
        return False
    stated: set[str] = set()
    for entry_id in direct.citations or (direct.entry_id,):
        entry = retriever.get(entry_id)
        if entry is not None:
            stated |= entry.details
    return not asked <= stated
