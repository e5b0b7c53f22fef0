"""A calculator result (knowledge.calc.result.CalcResult), rendered once, here: the chat text and
the card every channel draws (knowledge.contract.CalcCard). Channels only draw the card; they do
not load the knowledge, parse the text back or import this module.

No Rasa import: the action server sends ``render``'s text and ``calc_payload``'s payload.
"""
from __future__ import annotations

from knowledge import contract
from knowledge.calc.result import CalcResult, approx_wan, money, wan
from knowledge.loader import KnowledgeBase

from . import messages as msg


def amount_text(result: CalcResult) -> str:
    """The amount a card shows in large type, as truthful as the headline: 「須低於400萬元」 for the strict
    < 50 % share, the exact bound otherwise; for loans the interest-subsidy estimate (「約55.8萬元」; the card
    marks it as an estimate). Empty when the result has no amount."""
    if result.kind == "loan":
        return approx_wan(result.bound_value() if result.bound is not None else result.amount) \
            if result.amount is not None else ""
    if result.bound_exclusive and result.bound is not None:
        return msg.AMOUNT_TEXT_BELOW.format(limit=money(result.bound))
    if result.bound is not None:
        return money(result.bound)
    return wan(result.amount) if result.amount is not None else ""


def headline(result: CalcResult) -> str:
    """The one-sentence result, truthful as the rule is worded: a strict limit (政府補助款 < 50%) is said
    as 「須低於…」, never turned into a made-up amount; exact amounts (4,000,000.5元) are not rounded;
    an estimate is called one and a fixed loan limit is not."""
    if not result.eligible:
        return msg.NOT_ELIGIBLE.format(title=result.title, reason=result.binding_rule)
    if result.kind == "loan" and result.limit is not None:
        estimate = approx_wan(result.bound_value() if result.bound is not None else result.amount) \
            if result.amount is not None else msg.ESTIMATE_NONE
        options = result.extra.get("options") or [{}]
        limit = options[0].get("max_amount_exact")
        return msg.LOAN_HEADLINE.format(label=result.amount_label, estimate=estimate, limit_label=result.limit_label,
                                        limit=money(limit) if limit is not None else wan(result.limit))
    if result.kind == "loan":
        return msg.LOAN_HEADLINE_NO_LIMIT.format(label=result.limit_label or result.amount_label)
    suffix = msg.AMOUNT_UPPER_BOUND if result.upper_bound else ""
    if result.bound_exclusive and result.bound is not None:
        tier, cap = result.extra.get("tier_label"), result.extra.get("tier_cap")
        also = msg.ALSO_AT_MOST.format(tier=tier, cap=wan(cap)) if tier and cap is not None else ""
        return msg.AMOUNT_BELOW.format(limit=money(result.bound), basis=result.bound_basis, also=also) + suffix
    if result.bound is not None:
        amount = money(result.bound)
    else:
        amount = wan(result.amount) if result.amount is not None else ""
    if result.binding_rule:
        return msg.ELIGIBLE.format(label=result.amount_label, amount=amount, binding=result.binding_rule) + suffix
    return msg.ELIGIBLE_NO_BINDING.format(label=result.amount_label, amount=amount) + suffix


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
