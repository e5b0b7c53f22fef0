"""The diagnosis rule: the cost split for the kind of firm the question states (or the kind whose
amount it names)."""
from __future__ import annotations

from .common import *  # noqa: F403 (the shared cues, readers and builders)


# the diagnosis split asked otherwise than "what do we pay": the government's part or share
# (「政府補幾成」), or which of the kinds' amounts applies (「一案是20萬還是30萬」)
_DIAG_ASK = re.compile(r"政府(會|能|可以)?(補|出|負擔|付|給)|幾成|比例|成數|還是")


def _diagnosis_kind_by_amount(q: Question, p: Parameters) -> str | None:
    """「診斷一案20萬，政府補幾成」: the one amount given is a kind's total, and every kind with that
    total splits it alike (個案中小企業 and 以大帶小 are both 20萬 = 16萬 + 4萬): that kind."""
    amounts = {v for values in q.roles.values() for v in values}
    if len(amounts) != 1:
        return None
    amount = amounts.pop()
    kinds = [k for k in p.diagnosis.values() if k.total == amount]
    if not kinds or len({(k.government, k.firm) for k in kinds}) != 1:
        return None
    return kinds[0].id


def diagnosis(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """The diagnosis cost split for the kind of firm the question states."""
    if (not _DIAGNOSIS.search(q.text) or not (_PAY.search(q.text) or _DIAG_ASK.search(q.text))
            or not (_ASK.search(q.text) or "還是" in q.text)):
        return None
    if _ELIGIBILITY.search(q.text) and not _AMOUNT_ASKED.search(q.text):
        return None  # 「我們8個人，可以申請診斷嗎」: who may apply, not what it costs
    if _SEVERAL_CASES.search(q.text) or _COMPARE.search(q.text):
        return None  # 「三個廠區都做診斷，總共多少」: whether several cases are allowed the brief does not say
    f = q.facts
    by_staff = by_capital = by_amount = False
    if f.lead_factory:
        sme, lead = True, True
    elif f.sme is not None:
        sme, lead = f.sme, False
    else:
        verdict = is_sme(f.capital, q.staff.exact if q.staff else None, p)
        if verdict is None:
            kind_id = None if (f.capital is not None or q.staff is not None) else _diagnosis_kind_by_amount(q, p)
            if kind_id is None:
                return None
            # the kind is the one whose amount the user gave (its split is the same for all that share it)
            verdict, by_amount = kind_id != "non_sme", True
        sme, lead = verdict, False
        by_staff = verdict and f.capital is None and not by_amount
        by_capital = f.capital is not None
    result = calculate_diagnosis(sme=sme, lead_factory=lead, p=p)
    e = result.extra
    kind = p.diagnosis[e["kind"]]
    formula = _t("diagnosis_split", "step", total=wan(e["total"]), government=wan(e["government"]), firm=wan(e["firm"]))
    same_total = "、".join(k.label for k in p.diagnosis.values() if k.total == kind.total)
    lead_line = _t("diagnosis_split", "lead_amount" if by_amount else "lead", kind=kind.label, total=wan(kind.total),
                   kinds=same_total)
    lines = [lead_line, formula]
    if re.search(r"幾成|比例|成數|幾%|百分之幾", q.text):
        share = Fraction(e["government"] * 100, e["total"])
        if share.denominator == 1:
            step = f"{wan(e['government'])} ÷ {wan(e['total'])} = {share.numerator}%"
            lines.append(_t("diagnosis_split", "gov_share", step=step))
            formula = f"{formula}；{step}"
    lines.append(_t("diagnosis_split", "result", firm=wan(e["firm"])))
    # another kind's amount the user named (「是20萬還是30萬」): said with its kind, so both are answered
    given = {v for values in q.roles.values() for v in values}
    for other in p.diagnosis.values():
        if other.total in given and other.total != kind.total:
            lines.append(_t("diagnosis_split", "other_kind", kind=other.label, total=wan(other.total),
                            government=wan(other.government), firm=wan(other.firm)))
    if e["kind"] == "non_sme":
        lead_kind = p.diagnosis["lead"]
        lines.append(_t("diagnosis_split", "note_non_sme", lead_total=wan(lead_kind.total), lead_firm=wan(lead_kind.firm)))
    if by_staff:
        lines.append(_t("diagnosis_split", "note_by_staff", employees_n=q.staff.exact, staff_limit=p.sme_employees_below))
    elif by_capital:
        # the capital the verdict rests on is shown (every amount the user gave is used in the reply)
        if sme and f.capital <= p.sme_capital_max:
            lines.append(_t("diagnosis_split", "note_by_capital", capital=wan(f.capital), capital_limit=wan(p.sme_capital_max)))
        elif sme:
            lines.append(_t("diagnosis_split", "note_staff_not_capital", capital=wan(f.capital),
                            capital_limit=wan(p.sme_capital_max), employees_n=q.staff.exact,
                            staff_limit=p.sme_employees_below))
        else:
            lines.append(_t("diagnosis_split", "note_not_sme", capital=wan(f.capital), capital_limit=wan(p.sme_capital_max),
                            employees_n=q.staff.exact, staff_limit=p.sme_employees_below))
    prefill = {"sme": "中小企業", "non_sme": "非中小企業", "lead": "以大帶小"}[e["kind"]]
    entries = ("diagnosis_cost", "sme_definition") if by_staff or by_capital else ("diagnosis_cost",)
    return _compose(kb, "diagnosis_split", lines, entries, DIAGNOSIS_FORM,
                    {"kind": e["kind"], **({"employees": q.staff.exact} if by_staff else {})}, formula, prefill)
