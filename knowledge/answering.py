"""The answering decision for one free-text question, in the order the bot applies it — one home,
used by the action (actions/knowledge_actions.py) and by the bench (bench/answers.py):

1. a message that asks two or more things (knowledge/questions.py) with the user's figures in one
   of them: each question answered by its own decision — a direct computation for the one a rule
   settles, an entry for the other (「總經費800萬，買新機器補多少？另外診斷一案多少錢」);
2. a direct answer with the user's own figures, when ONE rule settles the question
   (knowledge/direct/: 「總經費950萬，買新機器最多補多少」 → 950萬 × 30% = 285萬);
3. otherwise the retrieval plan (knowledge/retriever.py ``plan``): an answer, an answer with
   「您可能也想問」, two answers for two questions, the menu, or "not found".

Pure domain code: no Rasa, no I/O besides what the retriever and the direct answers read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .calc.extract import extract_facts
from .direct import DirectAnswer, direct_answer
from .glossary import is_latin_question
from .questions import split_message
from .retriever import AnswerPlan, Candidate, Retriever, Status
from .scope import asked_slots
from .textnorm import normalize

CHECK_INPUT = "check_input"


@dataclass(frozen=True)
class Reply:
    """Exactly one of ``direct``, ``plan`` and ``parts`` is set. ``parts``: a message that asked
    several things, at least one of them settled by a direct computation — one Reply per question,
    in the order asked, each with exactly one of ``direct`` and ``plan`` (a plan part has one answer)."""
    text: str
    direct: DirectAnswer | None = None
    plan: AnswerPlan | None = None
    parts: tuple["Reply", ...] = ()

    @property
    def entry_ids(self) -> list[str]:
        """The entries the reply answers with, in order (a direct computation: the entries it cites)."""
        if self.parts:
            return [e for p in self.parts for e in p.entry_ids]
        if self.direct is not None:
            return [] if self.direct.rule == CHECK_INPUT else list(self.direct.citations or (self.direct.entry_id,))
        return [c.entry.id for c in self.plan.answers]


def decide(text: str, retriever: Retriever) -> Reply:
    """What the bot says first to ``text`` (a free-text question, not a button payload)."""
    direct = whole_direct(text, retriever)
    several = each_question(text, retriever, direct)
    if several is not None:
        return several
    if direct is not None:
        return Reply(text=text, direct=direct)
    plan = retriever.plan(text)
    return Reply(text=text, plan=_eligibility_first(text, plan, retriever) or plan)


# the subsidy's eligibility entry (補助對象: 依法登記之製造業) and what says the firm is not a manufacturer
ELIGIBILITY_ENTRY = "subsidy_eligibility"
_NOT_MANUFACTURER = re.compile(r"(不是|非|並非|不屬於?|不算)製造業|服務業|貿易|零售|餐飲|批發|物流")
_OTHER_HELP = re.compile(r"診斷|貸|借|融資|課程|培訓|上課|利息")


def _eligibility_first(text: str, plan: AnswerPlan, retriever: Retriever) -> AnswerPlan | None:
    """A firm that says it is not a manufacturer and asks about the subsidy's amounts (「不是製造業是批發業，
    補助上限500萬對嗎」): the subsidy's targets (依法登記之製造業) answer first — the cap or share entry
    would answer as if it qualified. The entry it would have answered with is offered next to it.
    None: keep the plan."""
    if len(plan.answers) != 1 or plan.parts:
        return None
    best = plan.answers[0]
    eligibility = retriever.get(ELIGIBILITY_ENTRY)
    if eligibility is None or best.entry.id == ELIGIBILITY_ENTRY or best.entry.topic != eligibility.topic:
        return None
    facts = extract_facts(text)
    norm = normalize(text)
    if facts.manufacturing is not False or not _NOT_MANUFACTURER.search(norm) or _OTHER_HELP.search(norm):
        return None
    ranked = {c.entry.id: c for c in plan.ranked}
    first = ranked.get(ELIGIBILITY_ENTRY) or Candidate(eligibility, best.score, best.dense, best.lexical)
    alternatives = (best, *(c for c in plan.alternatives if c.entry.id != ELIGIBILITY_ENTRY))
    alternatives = alternatives[: retriever.settings.max_alternatives]
    return replace(plan, status=Status.ANSWER_WITH_ALTERNATIVES, answers=(first,), alternatives=alternatives,
                   ranked=(first, *(c for c in plan.ranked if c.entry.id != ELIGIBILITY_ENTRY)))


def _direct_for(text: str, retriever: Retriever) -> DirectAnswer | None:
    answer = direct_answer(text, retriever.kb)
    if answer is None or answer.rule == CHECK_INPUT or _asks_beyond(text, answer, retriever):
        return None
    return answer


def whole_direct(text: str, retriever: Retriever) -> DirectAnswer | None:
    """The one-rule computation for the whole message (None when it asks for a detail the cited
    entries do not state, see ``_asks_beyond``)."""
    direct = direct_answer(text, retriever.kb)
    return None if direct is None or _asks_beyond(text, direct, retriever) else direct


def each_question(text: str, retriever: Retriever, whole: DirectAnswer | None) -> Reply | None:
    """Several questions in ``text``, one of them settled by a direct computation: each question
    with its own decision (the computation reads the part and the message's figure clauses; an
    entry answers the others). None when the message asks one thing, when no part is computed
    (the retrieval plan splits those itself), or when fewer than two different answers result (a
    part answered like an earlier one only repeats it). ``whole``: the computation for the whole
    message (``whole_direct``), kept when it already cites every part's entries."""
    if whole is not None and whole.rule == CHECK_INPUT:
        return None   # a figure to check first (負數, 999億): asked before anything else
    fixed = retriever.corrected(text)[0]
    split = split_message(fixed)
    if len(split.questions) < 2:
        return None
    # each question computed with the figures stated for all of them, else with its own alone
    # (「借款1000萬…利息補貼多少？另外總經費500萬買新機器補多少」: the loan is not the second's)
    computations = [_direct_for(split.facts_for(q), retriever)
                    or (_direct_for(q, retriever) if split.facts_for(q) != q else None)
                    for q in split.questions]
    if not any(computations):
        return None   # no figures computed: the retrieval plan answers (and splits) it
    latin = is_latin_question(text)
    parts: list[Reply] = []
    cited: set[str] = set()
    for question, answer in zip(split.questions, computations):
        if answer is not None:
            ids = set(answer.citations or (answer.entry_id,))
            if ids <= cited:
                continue
            parts.append(Reply(text=question, direct=answer))
            cited |= ids
            continue
        status, kept = retriever.part_answer(question)
        if not status.answers or kept[0].entry.id in cited:
            continue
        best: Candidate = kept[0]
        plan = AnswerPlan(query=question, status=Status.ANSWER, answers=(best,), alternatives=(), menu=(),
                          ranked=(best,), latin=latin)
        parts.append(Reply(text=question, plan=plan))
        cited.add(best.entry.id)
    parts = parts[: retriever.settings.max_topics]
    if len(parts) < 2 or not any(p.direct is not None for p in parts):
        return None
    if whole is not None and cited <= set(whole.citations or (whole.entry_id,)):
        # the one computation for the whole message already answers every part (「買設備3,000萬，可以
        # 貸多少？一年利息補貼多少？」: the subsidy is estimated on the amount lent, which the parts
        # computed alone would miss)
        return None
    return Reply(text=text, parts=tuple(parts))


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
