"""The loan rules: the 疫後振興 class for a head-count, the interest-subsidy estimate, and the
轉型發展 loan's 8成 of a capital outlay (with the own funds beside it)."""
from __future__ import annotations

from .common import *  # noqa: F403 (the shared cues, readers and builders)


def _micro_by_staff(q: Question, p: Parameters) -> bool | None:
    """Does the stated head-count put the firm in the micro loan class (未滿5人)? None: not said."""
    below = p.loans["recovery_micro"].employees_below
    if q.staff is None:
        return None
    if q.staff.high is not None and q.staff.high < below:
        return True
    if q.staff.low >= below:
        return False
    return None


# "5 people counting me": the loan classes count employees without the owner (不含負責人)
_OWNER_INCLUDED = re.compile(r"(?<![不沒未])(連|包括|包含|含|算上)(我|老闆|負責人|我這個老闆)"
                             r"|(我|老闆|負責人)(也|有)?(算在內|在內|算進去|算進來|也算)")


def _without_owner(q: Question) -> StaffRange | None:
    """The head-count without the owner, when the message says it counted the owner in."""
    n = q.staff.exact if q.staff else None
    if n is None or n < 1 or not _OWNER_INCLUDED.search(q.text):
        return None
    return StaffRange(n - 1, n - 1, _t("loan_class", "owner_included", employees=q.staff.text, n=n - 1))


def _micro_by_words(q: Question) -> bool:
    """小規模, 稅籍登記, 未滿5人那類: the micro class named without a head-count."""
    return bool(q.facts.tax_only or _MICRO_WORDS.search(q.text))


def loan_class(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """Which 疫後振興 class a head-count falls in, and its limit (未滿5人 → the micro class)."""
    if (q.staff is None or not _LOAN.search(q.text) or not _ASK.search(q.text) or _INTEREST.search(q.text)
            or "轉型發展" in q.text):   # the other loan named too: its own terms are the entries' to state
        return None
    owner_out = _without_owner(q)
    if owner_out is not None:
        q = replace(q, staff=owner_out)
    micro_fit = _micro_by_staff(q, p)
    if q.facts.tax_only and micro_fit is False:
        return None   # 僅有稅籍登記 fits the micro class whatever the head-count: the entries say so
    if q.staff.exact is None and micro_fit is None:
        return None   # a bound that does not settle the class (「不到10人」): the entries state both
    # an exact head-count, or a bound that settles the class (「員工未滿5人」 → the micro class)
    n = q.staff.exact if q.staff.exact is not None else (q.staff.high if micro_fit else q.staff.low)
    general, micro, transform = (p.loans[k] for k in ("recovery_general", "recovery_micro", "transformation"))
    result = find_loans(LoanInput(sme=True, employees=n), p)
    chosen = micro if micro_fit else general
    option = next(o for o in result.extra["options"] if o["loan"] == chosen.id)
    cited: tuple[str, ...] = (chosen.entry,)
    lines = [_t("loan_class", "lead")]
    formula = _t("loan_class", "step", employees=q.staff.text, label=chosen.label, max=wan(option["max_amount"]))
    lines.append(formula + _t("loan_class", "terms", rates=rate_text(chosen), brief=chosen.brief_estimate))
    if micro_fit:
        lines.append(_t("loan_class", "micro_note", other=general.label, other_max=wan(general.max_amount)))
    else:
        lines.append(_t("loan_class", "general_note", transformation=transform.label))
        if _MICRO_WORDS.search(q.text) and micro_fit is False:
            # 「我們6個人，可以用小規模那一類借嗎」: the class asked about does not fit — said, and cited first
            lines.insert(1, _t("loan_class", "micro_asked_no", employees=q.staff.text, micro=micro.label,
                               below=micro.employees_below))
            cited = (micro.entry, chosen.entry)
        if q.staff.low >= p.sme_employees_below and q.facts.sme is None:
            lines.append(_t("loan_class", "not_sme_by_staff" if q.staff.exact is not None else "not_sme_by_bound",
                            employees=q.staff.text, employees_n=q.staff.low,
                            staff_limit=p.sme_employees_below, capital_limit=wan(p.sme_capital_max)))
    wanted = q.one("loan")
    if wanted is not None:
        if wanted > IMPLAUSIBLE_AMOUNT:
            return _check(kb, "too_large", chosen.entry, LOAN_FORM, value=wan(wanted))
        key = "wanted_over" if wanted > option["max_amount"] else "wanted_within"
        lines.append(_t("loan_class", key, wanted=wan(wanted), max=wan(option["max_amount"])))
        tier = _rate_tier(chosen, wanted)
        if tier is not None and "利率" in q.text and wanted <= option["max_amount"]:
            # 「借200萬…利率最高多少」: the class's rate for the amount asked (100萬以內 / 超過100萬)
            lines.append(_t("loan_class", "wanted_rate", wanted=wan(wanted), tier=tier[0], rate=pct(tier[1])))
    prefill = f"中小企業，{q.staff.text}"
    return _compose(kb, "loan_class", lines, cited, LOAN_FORM,
                    {"employees": n, **({"loan_amount": wanted} if wanted is not None else {})}, formula, prefill)


def _rate_tier(loan: Loan, amount: int) -> tuple[str, int] | None:
    """The rate tier (as the brief words it, its ceiling) an amount falls in, for a loan whose rate
    depends on the amount (100萬以內 / 超過100萬); None for a loan with one rate."""
    previous = None
    for t in loan.rate_tiers:
        if t.up_to is not None and amount <= t.up_to:
            return f"{wan(t.up_to).removesuffix('元')}以內", t.rate_ceiling_milli_pct
        if t.up_to is None and previous is not None:
            return f"超過{wan(previous).removesuffix('元')}", t.rate_ceiling_milli_pct
        previous = t.up_to
    return None


def _principal(q: Question) -> int | None:
    loan = q.one("loan")
    if loan is not None:
        return loan
    unknown = q.roles.get("unknown", [])
    others = [r for r in q.roles if r not in ("unknown",)]
    if len(unknown) == 1 and not others:
        return unknown[0]
    # 「轉型發展：買設備3,000萬，…利息補貼」: the one amount is the capital spending the loan is for
    equipment = q.roles.get("new_equipment", [])
    if len(equipment) == 1 and set(q.roles) == {"new_equipment"} and _TRANSFORM.search(q.text):
        return equipment[0]
    return None


# 「借1,500萬，補一年大概多少」: the subsidy asked by its years, without the word 補貼
_SUBSIDY_YEARS = re.compile(r"補\s*(\d+|[一兩二三四五])\s*年")
# 「補貼利率最高多少」: a rate asked, not an amount — the loan's entry states its rates
_RATE_ASKED = re.compile(r"利率[^，,。？?]{0,4}(多少|幾)|(幾|多少)\s*(%|％|趴|個百分點)")
_AMOUNT_WORDS = re.compile(r"多少錢|幾萬|金額|省多少|省下|補貼?(大概|大約|約)?多少|能拿|可以拿|拿多少|領多少")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|％)")


def interest(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """利息補貼估算 = 本金 × 補貼利率 × 年數, with the loan calculator's own function and rates."""
    if not (_INTEREST.search(q.text.replace("補助", "")) or (_LOAN.search(q.text) and _SUBSIDY_YEARS.search(q.text))):
        return None
    if _RATE_ASKED.search(q.text) and not _AMOUNT_WORDS.search(q.text):
        return None
    principal = _principal(q)
    if principal is None:
        return None
    general, micro, transform = (p.loans[k] for k in ("recovery_general", "recovery_micro", "transformation"))
    by_staff = _micro_by_staff(q, p)
    micro_fit = by_staff if by_staff is not None else (True if _micro_by_words(q) else None)
    loan: Loan = micro if micro_fit else (transform if _TRANSFORM.search(q.text) else general)
    if principal > IMPLAUSIBLE_AMOUNT:
        return _check(kb, "too_large", "loan_interest_subsidy", LOAN_FORM, value=wan(principal))
    capex_line = capex_step = None
    if loan is transform and _CAPEX.search(q.text) and q.one("loan") is None:
        # 「設備3,000萬」: the amount is the capital spending, the loan at most its 8成 (calc/loans.py's step);
        # 「借2,500萬買設備」 states the amount lent itself: the subsidy is estimated on it
        if _WORKING.search(q.text) or sum(len(v) for v in q.roles.values()) != 1:
            return None   # capital and working capital, or several amounts: the loan finder asks
        capital = principal
        if capital * loan.capital_max_tenths % 10:
            return None
        principal = capital * loan.capital_max_tenths // 10
        if loan.estimate_principal_max and principal > loan.estimate_principal_max:
            return None   # the subsidy on a capital loan above the brief's example is not stated: the loan finder says so
        capex_step = f"{wan(capital)} × {loan.capital_max_tenths}成 = {wan(principal)}"
        capex_line = _t("interest_subsidy", "capex", tenths=loan.capital_max_tenths, step=capex_step, amount=wan(principal))
    elif (loan is transform and _CAPEX.search(q.text) and not _WORKING.search(q.text) and loan.estimate_principal_max
          and principal > loan.estimate_principal_max):
        return None   # a capital loan above the brief's example: its subsidy is not stated (the loan finder says so)
    employees = None if q.staff is None else (q.staff.high if micro_fit else q.staff.low)
    result = find_loans(LoanInput(sme=True, employees=employees, tax_registration_only=bool(micro_fit and by_staff is None),
                                  transformation_plan=loan is transform, amount_wanted=principal), p)
    option = next(o for o in result.extra["options"] if o["loan"] == loan.id)
    stated = {Decimal(m) for m in _PERCENT.findall(q.text)}
    if stated and stated != {Decimal(loan.subsidy_rate_milli_pct) / 1000}:
        return None   # a rate of the user's own that is not this loan's subsidy rate: not computed with ours
    used = option["principal"]
    years = loan.subsidy_years
    lines = [_t("interest_subsidy", "lead", label=loan.label), capex_line]
    if q.years is not None and q.years < loan.subsidy_years:
        years = q.years
    estimate = interest_subsidy(used, replace(loan, subsidy_years=years))
    formula = f"{wan(used)} × {pct(loan.subsidy_rate_milli_pct)} × {years}年 = {wan(estimate)}"
    lines.append(formula)
    if capex_step:
        formula = f"{capex_step}；{formula}"
    lines.append(_t("interest_subsidy", "result", approx=approx_wan(estimate).removeprefix("約")))
    if used == loan.example_principal and years == loan.subsidy_years:
        lines.append(_t("interest_subsidy", "brief", principal=wan(used), brief=loan.brief_estimate))
    if used < principal:
        lines.append(_t("interest_subsidy", "capped", wanted=wan(principal), max=wan(used)))
    if q.years is not None and q.years > loan.subsidy_years:
        lines.append(_t("interest_subsidy", "years_capped", years=q.years, subsidy_years=loan.subsidy_years))
    if micro_fit is None and loan is general:
        lines.append(_t("interest_subsidy", "assumed", label=general.label, micro_below=micro.employees_below,
                        micro=micro.label, micro_rate=pct(micro.subsidy_rate_milli_pct),
                        micro_years=micro.subsidy_years))
    figures = {"loan_amount": principal, **({"years": q.years} if q.years else {}),
               **({"employees": employees} if employees is not None else {})}
    prefill = f"借款{wan(principal)}" + (f"，{q.staff.text}" if q.staff and q.staff.exact is not None else "")
    return _compose(kb, "interest_subsidy", lines, ("loan_interest_subsidy", loan.entry), LOAN_FORM, figures,
                    formula, prefill)


def transformation_capex(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """轉型發展貸款 for a capital outlay: at most 8成 of it (「買設備2,500萬，能貸多少」)."""
    amounts = {v for values in q.roles.values() for v in values}
    if (not _TRANSFORM.search(q.text) or not _LOAN.search(q.text) or not _CAPEX.search(q.text)
            or _WORKING.search(q.text) or _INTEREST.search(q.text.replace("補助", "")) or not _ASK.search(q.text)
            or len(amounts) != 1 or (q.staff is not None and "轉型發展" not in q.text)):
        # a head-count beside 「轉型」 alone may be asking the 疫後振興 class; the 轉型發展 loan named
        # outright has no head-count condition, so its 8成 is the answer whatever the size
        return None
    loan = p.loans["transformation"]
    capital = amounts.pop()
    if capital > IMPLAUSIBLE_AMOUNT:
        return _check(kb, "too_large", loan.entry, LOAN_FORM, value=wan(capital))
    if capital * loan.capital_max_tenths % 10:
        return None
    most = capital * loan.capital_max_tenths // 10
    formula = f"{wan(capital)} × {loan.capital_max_tenths}成 = {wan(most)}"
    lines = [_t("loan_capex", "lead", label=loan.label, tenths=loan.capital_max_tenths), formula,
             _t("loan_capex", "result", amount=wan(most))]
    if _REST_ASKED.search(q.text):
        # 「自己要準備多少自有資金」: the outlay the loan does not cover, at least
        own = f"{wan(capital)} − {wan(most)} = {wan(capital - most)}"
        lines.append(_t("loan_capex", "own_funds", step=own))
        formula = f"{formula}；{own}"
    lines.append(_t("loan_capex", "note", working=wan(loan.working_capital_max), target=loan.factory_target))
    return _compose(kb, "loan_capex", lines, (loan.entry,), LOAN_FORM, {"capital_spending": capital}, formula,
                    f"轉型發展，資本性支出{wan(capital)}")
