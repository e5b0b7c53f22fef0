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
    """The result line of the chat text: 「結果：」 and :func:`sentence` (the card shows the sentence)."""
    return msg.RESULT_LINE.format(headline=sentence(result))


def sentence(result: CalcResult) -> str:
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


def _loan_limit(result: CalcResult) -> str:
    """A loan's fixed limit, exactly (8成 of 1,234,567元 = 987,653.6元); "" when there is none."""
    if result.kind != "loan" or result.limit is None:
        return ""
    limit = (result.extra.get("options") or [{}])[0].get("max_amount_exact")
    return money(limit) if limit is not None else wan(result.limit)


def _estimate(result: CalcResult) -> str:
    if result.amount is None:
        return msg.ESTIMATE_NONE
    return approx_wan(result.bound_value() if result.bound is not None else result.amount)


def plain(result: CalcResult) -> str:
    """The card's lead: one short sentence a non-accountant reads right, with the same figures as the
    headline (no new one): what the firm may get, or that it must stay below the strict share; for loans
    the interest-subsidy estimate first and the fixed limit second."""
    if not result.eligible:
        return msg.PLAIN_NOT_ELIGIBLE.format(title=result.title, reason=result.binding_rule)
    if result.kind == "loan":
        if result.limit is None:
            return sentence(result)
        return msg.PLAIN_LOAN.format(label=result.amount_label, estimate=_estimate(result),
                                     limit_label=result.limit_label, limit=_loan_limit(result))
    extra = result.extra
    if result.kind == "diagnosis" and all(extra.get(k) is not None for k in ("total", "government", "firm")):
        return msg.PLAIN_DIAGNOSIS.format(total=wan(extra["total"]), government=wan(extra["government"]),
                                          firm=wan(extra["firm"]))
    if result.kind != "subsidy":
        return sentence(result)
    suffix = msg.PLAIN_UPPER_BOUND if result.upper_bound else ""
    if result.bound_exclusive and result.bound is not None:
        return msg.PLAIN_BELOW.format(limit=money(result.bound), basis=result.bound_basis) + suffix
    amount = money(result.bound) if result.bound is not None else wan(result.amount or 0)
    return msg.PLAIN_AT_MOST.format(amount=amount) + suffix


def next_step(result: CalcResult, kb: KnowledgeBase) -> tuple[str, str]:
    """What to do next and the citation of the entry it quotes: the contact line is taken from the
    knowledge entry (msg.NEXT_STEP names which), never written in code. ("", "") when it is missing."""
    spec = msg.NEXT_STEP.get(result.kind)
    if spec is None or spec[0] not in set(kb.ids()):
        return "", ""
    entry_id, marker, sentence = spec
    entry = kb.get(entry_id)
    lines = [ln.strip().lstrip("・").strip() for ln in entry.answer.strip().splitlines() if ln.strip()]
    found = [ln for ln in lines if marker is None or marker in ln]
    if not found:
        return "", ""
    return sentence.format(contact=found[0].rstrip(msg.SENTENCE_END)), entry.citation


def citation_texts(result: CalcResult, kb: KnowledgeBase) -> dict[str, str]:
    """Entry id → its citation, for every known id the result and its steps rest on, in order."""
    ids = [*result.citations, *(s.citation for s in result.steps if s.citation)]
    known = set(kb.ids())
    return {i: kb.get(i).citation for i in dict.fromkeys(ids) if i in known}


def render(result: CalcResult, kb: KnowledgeBase) -> str:
    """The chat text of a result: title, headline, working, alternatives, notes, citations."""
    lines = [msg.RESULT_TITLE.format(title=result.title), headline(result)]

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


def citation_line(result: CalcResult, kb: KnowledgeBase) -> str:
    """The card's one citation line: 「依據：A；B」 ("" when nothing is cited)."""
    texts = citation_texts(result, kb)
    cited = list(dict.fromkeys(texts[c] for c in result.citations if c in texts))
    return msg.RESULT_CITATION_LINE.format(heading=msg.HEADINGS["citations"],
                                           citations=msg.CITATION_SEP.join(cited)) if cited else ""


def card(result: CalcResult, kb: KnowledgeBase) -> contract.CalcCard:
    """Everything a channel draws for a result, with the citations already resolved: the plain lead,
    the amount (an estimate marked as one; a loan's fixed limit beside it), the steps (drawn collapsed),
    what to do next and one citation line."""
    texts = citation_texts(result, kb)
    step_next, step_next_cite = next_step(result, kb)
    return contract.CalcCard(
        kind=result.kind, title=result.title, eligible=result.eligible, headline=sentence(result),
        plain=plain(result),
        amount=result.amount, amount_label=result.amount_label, amount_text=amount_text(result),
        binding_rule=result.binding_rule, is_estimate=result.is_estimate,
        limit_label=(result.limit_label or "") if _loan_limit(result) else "", limit_text=_loan_limit(result),
        next_step=step_next, next_step_citation=step_next_cite, citation_line=citation_line(result, kb),
        steps=[contract.CalcStep(text=s.text, citation=s.citation,
                                 citation_text=texts.get(s.citation) if s.citation else None) for s in result.steps],
        notes=list(result.notes), alternatives=list(result.alternatives),
        citations=list(result.citations), citation_texts=texts,
        headings=contract.CalcHeadings(**msg.HEADINGS), text=render(result, kb))


def calc_payload(result: CalcResult, kb: KnowledgeBase) -> contract.CalcResultPayload:
    """The ``calc_result`` custom payload: the card, and the raw result for older readers."""
    return contract.CalcResultPayload(type=contract.CALC_RESULT, card=card(result, kb), result=result.to_dict())
