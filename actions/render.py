"""Render a calculator result (knowledge.calc.result.CalcResult) as the chat text; the same
object is attached as a custom payload so other channels can draw it their own way."""
from __future__ import annotations

from knowledge.calc.result import CalcResult, approx_wan, money, wan
from knowledge.loader import KnowledgeBase

from . import messages as msg


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


def render(result: CalcResult, kb: KnowledgeBase) -> str:
    lines = [f"【{result.title}】", headline(result)]
    if result.steps:
        lines.append(msg.RESULT_FORMULA)
        lines += [f"{i}. {s.text}" for i, s in enumerate(result.steps, 1)]
    if result.alternatives:
        lines.append(msg.RESULT_ALTERNATIVES)
        lines += [f"・{a}" for a in result.alternatives]
    if result.notes:
        lines.append(msg.RESULT_NOTES)
        lines += [f"・{n}" for n in result.notes]
    ids = set(kb.ids())
    citations = [kb.get(c).citation for c in result.citations if c in ids]
    lines.append(msg.RESULT_CITATION.format(citations="；".join(dict.fromkeys(citations))))
    return "\n".join(lines)
