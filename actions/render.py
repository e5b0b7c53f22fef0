"""Render a calculator result (knowledge.calc.result.CalcResult) as the chat text; the same
object is attached as a custom payload so other channels can draw it their own way."""
from __future__ import annotations

from knowledge.calc.result import CalcResult, wan
from knowledge.loader import KnowledgeBase

from . import messages as msg


def headline(result: CalcResult) -> str:
    if not result.eligible:
        return msg.NOT_ELIGIBLE.format(title=result.title, reason=result.binding_rule)
    amount = wan(result.amount) if result.amount is not None else ""
    limits = result.extra.get("limits", {})
    if result.kind == "subsidy" and limits.get("gov_share") == result.amount:
        amount = msg.AMOUNT_BELOW.format(limit=wan(result.amount + 1), amount=wan(result.amount))
    if result.binding_rule:
        return msg.ELIGIBLE.format(label=result.amount_label, amount=amount, binding=result.binding_rule)
    return msg.ELIGIBLE_NO_BINDING.format(label=result.amount_label, amount=amount)


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
