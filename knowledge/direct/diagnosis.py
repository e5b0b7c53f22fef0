"""The diagnosis rule: the cost split for the kind of firm the question states (or the kind whose
amount it names)."""
from __future__ import annotations

from .common import *  # noqa: F403 (the shared cues, readers and builders)


# the diagnosis split asked otherwise than "what do we pay": the government's part or share
# (「政府補幾成」), or which of the kinds' amounts applies (「一案是20萬還是30萬」)
_DIAG_ASK = re.compile(r"政府(會|能|可以)?(補|出|負擔|付|給)|幾成|比例|成數|還是")


# several firms (「3家子公司」, 「兩家大企業加一家中小企業」), not the partners a lead factory brings (帶4家)
_SEVERAL_FIRMS = re.compile(r"(?<!帶)([2-9]|\d{2,}|[兩二三四五六七八九十]+)\s*家|各(家|公司|廠)|每(一)?家")


_FIRM_KIND = r"(?P<non>非中小(?:型)?企業|大(?:型)?企業|大公司|大廠)|(?P<sme>中小(?:型)?企業|小公司|小廠)"
_FIRMS = re.compile(rf"(?<!帶)(?P<n>\d+|[一兩二三四五六七八九十]+)\s*家\s*(?:的)?\s*(?:{_FIRM_KIND})?")


def _staff_for_verdict(q: Question, p: Parameters) -> int | None:
    """The head-count the SME verdict reads: the exact one, or for a head-count said roughly
    (「三四十人」) the end of its range that settles it (all below the SME line, or all at or above it)."""
    if q.staff is None:
        return None
    if q.staff.exact is not None or not q.staff.approximate or q.staff.high is None:
        return q.staff.exact
    if q.staff.high < p.sme_employees_below:
        return q.staff.high
    return q.staff.low if q.staff.low >= p.sme_employees_below else None


def _several_firms(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """「集團3家中小企業子公司各做一次診斷，自籌總共多少」, 「兩家大企業加一家中小企業」: several
    firms, each its own case, each of a kind the message names (or the one kind it states for all):
    the per-case split times the firms of each kind, summed. None when a firm's kind is not said."""
    if q.facts.lead_factory or q.roles or q.staff is not None or _COMPARE.search(q.text):
        return None
    found = list(_FIRMS.finditer(q.text))
    if not found:
        return None
    counts: dict[str, int] = {}
    for m in found:
        n = parse_numeral(m.group("n"))
        if n is None or n != n.to_integral_value() or n < 1:
            return None
        kind = "non_sme" if m.group("non") else "sme" if m.group("sme") else None
        if kind is None:
            if len(found) != 1 or q.facts.sme is None:
                return None
            kind = "sme" if q.facts.sme else "non_sme"
        counts[kind] = counts.get(kind, 0) + int(n)
    if sum(counts.values()) < 2:
        return None
    lines = [_t("diagnosis_split", "firms_lead")]
    firm_sums, gov_sums, steps = [], [], []
    for kind_id, n in counts.items():
        kind = p.diagnosis[kind_id]
        firm_sums.append(n * kind.firm)
        gov_sums.append(n * kind.government)
        step = _t("diagnosis_split", "firms_step", kind=kind.label, n=n, firm=wan(kind.firm), firm_sum=wan(n * kind.firm),
                  government=wan(kind.government), government_sum=wan(n * kind.government))
        steps.append(step)
        lines.append(step)
    if len(counts) > 1:
        for key, sums in (("firms_sum_firm", firm_sums), ("firms_sum_government", gov_sums)):
            step = " + ".join(wan(v) for v in sums) + f" = {wan(sum(sums))}"
            steps.append(step)
            lines.append(_t("diagnosis_split", key, step=step))
    lines.append(_t("diagnosis_split", "firms_result", firm=wan(sum(firm_sums)), government=wan(sum(gov_sums))))
    lines.append(_t("diagnosis_split", "firms_note"))
    return _compose(kb, "diagnosis_split", lines, ("diagnosis_cost",), DIAGNOSIS_FORM,
                    {"firms": dict(counts)}, "；".join(steps), "")


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
    f = q.facts
    firms = _several_firms(q, kb, p)
    if firms is not None:
        return firms
    if (_SEVERAL_CASES.search(q.text) or _COMPARE.search(q.text)
            or (not f.lead_factory and _SEVERAL_FIRMS.search(q.text))):
        # 「三個廠區都做診斷，總共多少」, 「集團3家子公司各做一次」: whether several cases are allowed, and
        # of which kinds, the brief does not say — the entry states the amount per case
        return None
    by_staff = by_capital = by_amount = False
    staff_n = _staff_for_verdict(q, p)
    if f.lead_factory:
        sme, lead = True, True
    elif f.sme is not None and (f.capital is None or is_sme(f.capital, staff_n, p) is None):
        sme, lead = f.sme, False
    else:
        verdict = is_sme(f.capital, staff_n, p)
        if f.sme is not None and verdict != f.sme:
            return None   # 「資本2億、300人的中小企業」: the kind said and the figures disagree — not guessed
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
    # 「是不是要自付10萬」: the amount the user supposes is none of this kind's figures — said so
    supposed = q.one("target")
    if supposed is not None and supposed not in (e["total"], e["government"], e["firm"]) \
            and all(supposed != k.total for k in p.diagnosis.values()):
        lines.append(_t("diagnosis_split", "supposed_no", supposed=wan(supposed), kind=kind.label,
                        firm=wan(e["firm"]), government=wan(e["government"])))
    # another kind's amount the user named (「是20萬還是30萬」): said with its kind, so both are answered
    given = {v for values in q.roles.values() for v in values}
    for other in p.diagnosis.values():
        if other.total in given and other.total != kind.total:
            lines.append(_t("diagnosis_split", "other_kind", kind=other.label, total=wan(other.total),
                            government=wan(other.government), firm=wan(other.firm)))
    if e["kind"] == "non_sme":
        lead_kind = p.diagnosis["lead"]
        lines.append(_t("diagnosis_split", "note_non_sme", lead_total=wan(lead_kind.total), lead_firm=wan(lead_kind.firm)))
    # the head-count as the user said it (「三四十」 for a rough one)
    said = None if q.staff is None else (q.staff.exact if q.staff.exact is not None
                                         else q.staff.text.removeprefix("員工").removesuffix("人"))
    if by_staff:
        lines.append(_t("diagnosis_split", "note_by_staff", employees_n=said, staff_limit=p.sme_employees_below))
    elif by_capital:
        # the capital the verdict rests on is shown (every amount the user gave is used in the reply)
        if sme and f.capital <= p.sme_capital_max:
            lines.append(_t("diagnosis_split", "note_by_capital", capital=wan(f.capital), capital_limit=wan(p.sme_capital_max)))
        elif sme:
            lines.append(_t("diagnosis_split", "note_staff_not_capital", capital=wan(f.capital),
                            capital_limit=wan(p.sme_capital_max), employees_n=said,
                            staff_limit=p.sme_employees_below))
        else:
            lines.append(_t("diagnosis_split", "note_not_sme", capital=wan(f.capital), capital_limit=wan(p.sme_capital_max),
                            employees_n=said, staff_limit=p.sme_employees_below))
    prefill = {"sme": "中小企業", "non_sme": "非中小企業", "lead": "以大帶小"}[e["kind"]]
    entries = ("diagnosis_cost", "sme_definition") if by_staff or by_capital else ("diagnosis_cost",)
    return _compose(kb, "diagnosis_split", lines, entries, DIAGNOSIS_FORM,
                    {"kind": e["kind"], **({"employees": q.staff.exact} if by_staff else {})}, formula, prefill)
