"""A calculator result (knowledge.calc.result.CalcResult), rendered once, here: the chat text and
the card every channel draws (knowledge.contract.CalcCard). Channels only draw the card; they do
not load the knowledge, parse the text back or import this module.

No Rasa import: the action server sends ``render``'s text and ``calc_payload``'s payload.
"""
from __future__ import annotations

from knowledge import contract
from knowledge.calc.result import CalcResult, wan
from knowledge.loader import KnowledgeBase

from . import messages as msg


def amount_text(result: CalcResult) -> str:
    """The amount as said to users: 「300萬元」, or 「須低於400萬元，即最多3,999,999元」 when the
    government's share must stay below half the budget. Empty when the result has no amount."""
    if result.amount is None:
        return ""
    limits = result.extra.get("limits", {})
    if result.kind == "subsidy" and limits.get("gov_share") == result.amount:
        return msg.AMOUNT_BELOW.format(limit=wan(result.amount + 1), amount=wan(result.amount))
    return wan(result.amount)


def headline(result: CalcResult) -> str:
    """The one plain sentence that leads the result (the card's headline; the text's 「結果：」 line)."""
    if not result.eligible:
        return msg.NOT_ELIGIBLE.format(title=result.title, reason=result.binding_rule)
    if result.binding_rule:
        return msg.ELIGIBLE.format(label=result.amount_label, amount=amount_text(result), binding=result.binding_rule)
    return msg.ELIGIBLE_NO_BINDING.format(label=result.amount_label, amount=amount_text(result))


def citation_texts(result: CalcResult, kb: KnowledgeBase) -> dict[str, str]:
    """Entry id → its citation, for every known id the result and its steps rest on, in order."""
    ids = [*result.citations, *(s.citation for s in result.steps if s.citation)]
    known = set(kb.ids())
    return {i: kb.get(i).citation for i in dict.fromkeys(ids) if i in known}


def render(result: CalcResult, kb: KnowledgeBase) -> str:
    """The chat text of a result: title, headline, working, alternatives, notes, citations."""
    lines = [msg.RESULT_TITLE.format(title=result.title), msg.RESULT_LINE.format(headline=headline(result))]

    def section(key: str, items: list[str]) -> None:
        if items:
            lines.append(msg.RESULT_SECTION.format(heading=msg.HEADINGS[key]))
            lines.extend(items)

    section("steps", [msg.RESULT_STEP.format(number=i, text=s.text) for i, s in enumerate(result.steps, 1)])
    section("alternatives", [msg.RESULT_BULLET.format(text=a) for a in result.alternatives])
    section("notes", [msg.RESULT_BULLET.format(text=n) for n in result.notes])
    texts = citation_texts(result, kb)
    cited = [texts[c] for c in result.citations if c in texts]
    lines.append(msg.RESULT_CITATION.format(heading=msg.HEADINGS["citations"],
                                            citations=msg.CITATION_SEP.join(dict.fromkeys(cited))))
    return "\n".join(lines)


def card(result: CalcResult, kb: KnowledgeBase) -> contract.CalcCard:
    """Everything a channel draws for a result, with the citations already resolved."""
    texts = citation_texts(result, kb)
    return contract.CalcCard(
        kind=result.kind, title=result.title, eligible=result.eligible, headline=headline(result),
        amount=result.amount, amount_label=result.amount_label, amount_text=amount_text(result),
        binding_rule=result.binding_rule, is_estimate=result.is_estimate,
        steps=[contract.CalcStep(text=s.text, citation=s.citation,
                                 citation_text=texts.get(s.citation) if s.citation else None) for s in result.steps],
        notes=list(result.notes), alternatives=list(result.alternatives),
        citations=list(result.citations), citation_texts=texts,
        headings=contract.CalcHeadings(**msg.HEADINGS), text=render(result, kb))


def calc_payload(result: CalcResult, kb: KnowledgeBase) -> contract.CalcResultPayload:
    """The ``calc_result`` custom payload: the card, and the raw result for older readers."""
    return contract.CalcResultPayload(type=contract.CALC_RESULT, card=card(result, kb), result=result.to_dict())
