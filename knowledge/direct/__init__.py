"""Direct answers with the user's own numbers.

A question that carries the figures ONE rule needs (「總經費950萬，買新機器最多補多少」) is answered
with that rule applied, in one step, formula shown, with the rule's citation — instead of the
rule in general or a guided calculation that asks six questions. Questions that need several
facts (the whole subsidy across tier, share and cost items; eligibility) return None: the guided
calculation handles them. A rule question without the user's numbers also returns None: the
knowledge answer states the rule.

Every figure in a reply comes from the user's message, knowledge/parameters.yml (through the
calculators in knowledge.calc, which compute it) or a step shown in the same reply. The sentences
are in knowledge/direct.yml. The rules live by topic in common.py (reading a question), subsidy.py,
loans.py and diagnosis.py; this module chooses and combines them (two computations asked in one
message are answered together, each cited; a second question no rule answers leaves both to the
knowledge answers). Pure domain code: no Rasa, no I/O besides reading those two files.
"""
from __future__ import annotations

from .common import *  # noqa: F403 (the public names: DirectAnswer, templates, read_question, staff_range, ...)
from .diagnosis import diagnosis
from .loans import interest, loan_class, transformation_capex
from .subsidy import gov_share, reverse_total, subsidy_item, subsidy_overview, tier_cap


@dataclass(frozen=True)
class GuidedOffer:
    """A question with several of the user's figures that no one rule settles: the guided
    calculation is offered, holding those figures (issue 11 item 3)."""
    form: str
    prefill: str     # the user's figures in words, for the form's fact reader
    text: str


_ROLE_WORDS = {"total": "計畫總經費", "new_equipment": "新設備", "commissioned_research": "委託研究",
               "loan": "借款", "capital": "實收資本額"}


def guided_offer(text: str, p: Parameters | None = None) -> GuidedOffer | None:
    """The guided calculation to offer for ``text`` when it carries two or more figures of one
    calculator's topic and asks an amount, else None. Call it when ``direct_answer`` gave None."""
    if not text or text.startswith("/"):
        return None
    q = read_question(text)
    if q.negative is not None or not _ASK.search(q.text):
        return None
    parts = [q.staff.text] if q.staff is not None and q.staff.exact is not None else []
    for role, word in _ROLE_WORDS.items():
        values = q.roles.get(role, [])
        if len(values) == 1:
            parts.append(f"{word}{wan(values[0])}")
    if len(parts) < 2:
        return None
    interest_asked = bool(_INTEREST.search(q.text.replace("補助", "")))
    topics = {name for name, hit in (("diagnosis", _DIAGNOSIS.search(q.text)),
                                     ("loan", _LOAN.search(q.text) or interest_asked),
                                     ("subsidy", _SUBSIDY.search(q.text) or q.roles.get("total"))) if hit}
    if len(topics) != 1:
        return None   # two calculations in one message: each is asked on its own
    form = {"diagnosis": DIAGNOSIS_FORM, "loan": LOAN_FORM, "subsidy": SUBSIDY_FORM}[topics.pop()]
    facts = "，".join(parts)
    return GuidedOffer(form=form, prefill=facts, text=templates()["guided"].format(facts=facts))


def _other_question(q: Question) -> bool:
    parts = [part for part in re.split(r"[?？!！。]|還有|另外|順便|以及", q.text) if part]
    if len(parts) < 2:
        return False
    return any(_OTHER_TOPIC.search(part) and not find_amounts(part) and not find_counts(part) for part in parts)


RULES = (interest, transformation_capex, loan_class, diagnosis, reverse_total, subsidy_item, gov_share, tier_cap,
         subsidy_overview)

# a clause beside a diagnosis one that asks about the subsidy or a loan on its own (「補助上限又是多少」);
# 「政府補幾成」 after 「診斷一案20萬」 is still the diagnosis question
_SECOND_TOPIC = re.compile(r"補助(上限|款|金額|最多|最高)|(升級轉型|申請|的)補助|貸|借|融資|利息|補貼|loan|subsidy", re.I)


SUBSIDY_RULES = (reverse_total, subsidy_item, gov_share, tier_cap)
# the subsidy asked about beside a loan (not 利息補貼, the loan's own subsidy)
_SUBSIDY_ASKED = re.compile(r"(?<!利息)補助(的)?(上限|最多|最高|金額|額度|多少|能|可以|可)|(申請|拿|領)(到)?(多少)?(?<!利息)補助")
_LOAN_WORDS_RE = re.compile(r"(貸款|借款|融資)(額度|金額)?|借錢|貸|借")


def _beside_diagnosis(q: Question) -> str | None:
    """The message without its diagnosis clauses, when one of the remaining clauses asks about a
    subsidy or a loan (「我們20人，診斷要花多少、補助上限又是多少」 → 「我們20人，補助上限又是多少」)."""
    rest = [c for c in q.clauses if not _DIAGNOSIS.search(c)]
    if not any(_ASK.search(c) and _SECOND_TOPIC.search(c) for c in rest):
        return None
    return "，".join(rest)


def _both(kb: KnowledgeBase, first: DirectAnswer, second: DirectAnswer) -> DirectAnswer:
    """Two one-step answers in one reply, each with its steps, citing both rules."""
    def body(answer: DirectAnswer) -> list[str]:
        return [line for line in answer.text.splitlines()[:-1] if line != templates()["offer"]]
    citations = tuple(dict.fromkeys(first.citations + second.citations))
    lines = body(first) + body(second)
    if first.form:
        lines.append(templates()["offer"])
    lines.append(_cite(kb, *citations))
    formula = "；".join(f for f in (first.formula, second.formula) if f) or None
    return DirectAnswer(rule=first.rule, text="\n".join(lines), entry_id=first.entry_id, form=first.form,
                        figures={**second.figures, **first.figures}, formula=formula, prefill=first.prefill,
                        citations=citations)


def _one_rule(q: Question, kb: KnowledgeBase, p: Parameters, rules=RULES) -> DirectAnswer | None:
    for rule in rules:
        answer = rule(q, kb, p)
        if answer is not None:
            return answer
    return None


def direct_answer(text: str, kb: KnowledgeBase, p: Parameters | None = None) -> DirectAnswer | None:
    """The one-rule answer to ``text`` computed with the user's own figures, or None."""
    if not text or text.startswith("/"):
        return None
    p = p or parameters()
    q = read_question(text)
    if q.negative is not None:
        topical = (_SUBSIDY.search(q.text) or _LOAN.search(q.text) or _INTEREST.search(q.text)
                   or _DIAGNOSIS.search(q.text))
        if topical:
            form = LOAN_FORM if (_LOAN.search(q.text) or _INTEREST.search(q.text)) else SUBSIDY_FORM
            entry = "loan_overview" if form == LOAN_FORM else "subsidy_caps"
            return _check(kb, "negative", entry, form, value=q.negative)
        return None
    if _other_question(q):
        return None
    # every amount the user gave must be used by the one rule, but the turnover no rule reads
    given = {v for role, values in q.roles.items() if role != "revenue" for v in values}
    for rule in RULES:
        answer = rule(q, kb, p)
        if answer is None:
            continue
        if answer.rule not in ("check_input", "diagnosis_split") and _DIAGNOSIS.search(q.text):
            continue   # 「做診斷和申請補助，各要出多少」: two calculations, not one rule
        if answer.rule == "diagnosis_split":
            rest = _beside_diagnosis(q)
            if rest is not None:
                # a second question beside the diagnosis one: answered by its own rule, or the
                # knowledge answers take both (a diagnosis-only reply would drop it)
                other = _one_rule(read_question(rest), kb, p, tuple(r for r in RULES if r is not diagnosis))
                if other is None or other.rule == "check_input":
                    return None
                answer = _both(kb, answer, other)
        elif answer.rule in ("loan_class", "interest_subsidy", "loan_capex") and _SUBSIDY_ASKED.search(q.text):
            # 「我們30人，補助上限跟貸款額度各多少」: the subsidy is asked too — its own rule answers it
            # (read without the loan words), or the knowledge answers take both
            other = _one_rule(read_question(_LOAN_WORDS_RE.sub("", q.text)), kb, p, SUBSIDY_RULES)
            asked_share = any(_SHARE.search(part) for part in re.split(r"[?？。！!]|另外|還有", q.text)
                              if _SUBSIDY_ASKED.search(part))
            if (other is None or other.rule == "check_input"
                    or (asked_share and "subsidy_gov_share" not in other.citations)):
                return None
            answer = _both(kb, answer, other)
        if answer.rule != "check_input" and not given <= {v for _, _, v in find_amounts(answer.text)}:
            # an amount the user gave that the reply does not use: the question needs more than this
            # one rule (「總經費500萬，做診斷和申請補助各要出多少」), so no one-step answer
            continue
        return answer
    return None
