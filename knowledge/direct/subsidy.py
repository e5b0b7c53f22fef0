"""The subsidy rules: an item's share of the total (新設備 30 %, 委託研究 40 %), the < 50 % government
share, the tier cap for a head-count or a lead factory's track, the total a wanted subsidy needs, and
「我們大概能拿多少補助」 without any fact (the limits that decide it)."""
from __future__ import annotations

from .common import *  # noqa: F403 (the shared cues, readers and builders)


def _item_cost(q: Question, item: str, only_item: bool) -> int | None:
    """The item's own amount: named (新設備400萬), or, when the question asks about this one item
    only, the one amount that is not the total (「一座燒結爐1,000萬，總經費1,400萬，設備補助最多多少」)."""
    if "各" in q.text:
        return None
    if len(q.roles.get(item, [])) == 1:
        return q.one(item)
    unknown = q.roles.get("unknown", [])
    if only_item and len(unknown) == 1 and not any(q.roles.get(i) for i in ITEM_WORDS):
        return unknown[0]
    return None


def _item_answer(q: Question, p: Parameters, item: str, total: int, only_item: bool = False) -> tuple[str, list[str]]:
    cost_item = p.cost_items[item]
    share = cost_item.max_pct_of_total
    cap = total * share // 100          # the subsidy calculator's own step (calc/subsidy.py)
    formula = f"{wan(total)} × {share}% = {wan(cap)}"
    lines = [_t(item, "lead", pct=share), formula]
    cost = _item_cost(q, item, only_item)
    if cost is not None and cost <= total:
        allowed = min(cost, cap)
        excess = cost - allowed
        relation = "超過" if cost > cap else "未超過"
        rest = ""
        if excess:
            step = f"{wan(cost)} − {wan(allowed)} = {wan(excess)}"   # shown, so every figure has its step
            rest = _t(item, "rest", step=step)
            formula = f"{formula}；{step}"
        lines.append(_t(item, "with_cost", cost=wan(cost), relation=relation, amount=wan(allowed), rest=rest))
    else:
        lines.append(_t(item, "result", amount=wan(cap)))
        if _REST_ASKED.search(q.text):
            # what the firm pays itself: sure only when the whole total is this item (the subsidy is then
            # at most the item's share, so the firm pays at least the rest); otherwise the < 50 % rule
            if _WHOLE_ON_ITEM.search(q.text):
                step = f"{wan(total)} − {wan(cap)} = {wan(total - cap)}"
                lines.append(_t(item, "whole_rest", step=step))
            else:
                half = Decimal(total) * p.gov_share_below_pct / 100
                step = f"{wan(total)} × {p.gov_share_below_pct}% = {money(half)}"
                lines.append(_t(item, "plan_rest", step=step, gov_pct=p.gov_share_below_pct, half=money(half)))
            formula = f"{formula}；{step}"
    lines.append(_t(item, "note", gov_pct=p.gov_share_below_pct))
    tier = _staff_tier(q, p)
    if tier is not None:
        key = "tier_binds" if tier.cap < min(cap, cost if cost is not None and cost <= total else cap) else "tier"
        lines.append(_t("item_tier", key, employees=q.staff.text, tier=tier.label, cap=wan(tier.cap)))
    lead = _lead_tier(q, p)
    if lead is not None:
        key = "lead_binds" if lead.cap < min(cap, cost if cost is not None and cost <= total else cap) else "lead"
        lines.append(_t("item_tier", key, tier=lead.label, cap=wan(lead.cap)))
    return formula, lines


def _lead_tier(q: Question, p: Parameters):
    """The 以大帶小 tier of a lead factory whose track the question names (and whose partner count,
    if stated, is that track's), else None."""
    if not q.facts.lead_factory or not q.facts.track or q.staff is not None:
        return None
    tier = tier_for(SubsidyInput(manufacturing=True, sme=True, employees=0, total_budget=1, lead_factory=True,
                                 track=Track(q.facts.track)), p)
    partners = re.search(r"帶\s*(\d+|[一二兩三四五六七八九十]+)\s*家", q.text)
    if tier is None or (partners and parse_numeral(partners.group(1)) != tier.partners):
        return None
    return tier


def _staff_tier(q: Question, p: Parameters):
    """The tier of an exact head-count stated in the question (not a lead factory), else None."""
    if q.staff is None or q.staff.exact is None or q.staff.exact < 1 or q.facts.lead_factory or q.facts.sme is False:
        return None
    return tier_for(SubsidyInput(manufacturing=True, sme=True, employees=q.staff.exact, total_budget=1), p)


def subsidy_item(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """總經費 × 30 % (new equipment) or × 40 % (commissioned research), when the question asks
    about that item and states the plan's total."""
    total = q.one("total")
    if total is None or q.facts.manufacturing is False or (_LOAN.search(q.text) and not _SUBSIDY.search(q.text)):
        return None
    last = q.clauses[-1] if q.clauses else ""

    def is_asked(item: str, words: tuple[str, ...]) -> bool:
        # named in the clause that asks (「買新機器最多補多少」), or named before a bare question
        # (「總經費950萬，新設備，最多補多少」) when its own amount is not given: a question with the
        # item's amount and a general ask (「…新設備400萬，政府能補多少」) is about the whole subsidy
        if any(any(w in c for w in words) and _ASK.search(c) for c in q.clauses):
            return True
        return (any(w in q.text for w in words) and q.one(item) is None and bool(_ASK.search(last))
                and not _CALC_VERB.search(last) and not _SUBSIDY_OVERALL.search(last))

    # 「設備費」 beside 既有/改善/二手 may be 既有設備之改善費 (no share limit): not read as new equipment
    existing = bool(_EXISTING.search(q.text))
    asked = [item for item, words in ITEM_WORDS.items()
             if is_asked(item, tuple(w for w in words if not (existing and w == "設備費")))]
    if not asked:
        return None
    if total > IMPLAUSIBLE_AMOUNT:
        return _check(kb, "too_large", ITEM_ENTRY[asked[0]], SUBSIDY_FORM, value=wan(total))
    lines, formulas = [], []
    for item in asked:
        formula, item_lines = _item_answer(q, p, item, total, only_item=len(asked) == 1)
        formulas.append(formula)
        lines += item_lines
    # one note about the whole plan is enough
    note = _t(asked[0], "note", gov_pct=p.gov_share_below_pct)
    lines = [line for line in dict.fromkeys(lines) if line != note] + [note]
    figures = {"total_budget": total, **{item: q.one(item) for item in asked if q.one(item) is not None}}
    entries = tuple(ITEM_ENTRY[i] for i in asked)
    if any(f"× {p.gov_share_below_pct}% =" in f for f in formulas):
        entries += ("subsidy_gov_share",)   # the firm's share was said with the < 50 % rule: cited too
    prefill = f"計畫總經費{wan(total)}"
    if _staff_tier(q, p) is not None:
        entries += ("subsidy_caps",)
        figures["employees"] = q.staff.exact
        prefill = f"{q.staff.text}，{prefill}"
    if _lead_tier(q, p) is not None:
        entries += ("subsidy_lead_factory",)
        prefill = f"以大帶小，{TRACK_LABEL[Track(q.facts.track)]}，{prefill}"
    return _compose(kb, asked[0], lines, entries, SUBSIDY_FORM, figures, "；".join(formulas), prefill)


def gov_share(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """政府補助款 < 計畫總經費50 %: the half of the user's total, said as 「須低於」."""
    total = q.one("total")
    asked_amount = q.one("target") is not None and _ASK.search(q.text) and not _LOAN.search(q.text)
    # 「總經費500萬，政府最多補多少」 without a head-count: when half the total is below every size's
    # cap, the < 50 % rule alone settles the most, whatever the head-count
    smallest_cap = min(t.cap for t in p.tiers.values() if not t.lead_factory)
    below_every_cap = (total is not None and total * p.gov_share_below_pct <= smallest_cap * 100
                       and _SUBSIDY.search(q.text) and _CAP.search(q.text) and not q.facts.lead_factory
                       and not any(w in q.text for words in ITEM_WORDS.values() for w in words)
                       and not _CALC_VERB.search(q.text) and not _ELIGIBILITY.search(q.text)
                       and not _INTEREST.search(q.text.replace("補助", "")) and not _LOAN.search(q.text))
    if (total is None or not (_SHARE.search(q.text) or asked_amount or below_every_cap) or q.staff is not None
            or q.facts.lead_factory   # 以大帶小 with its total: the tier cap's two steps (tier_cap)
            or q.facts.manufacturing is False):
        return None
    if total > IMPLAUSIBLE_AMOUNT:
        return _check(kb, "too_large", "subsidy_gov_share", SUBSIDY_FORM, value=wan(total))
    share = p.gov_share_below_pct
    half_exact = Decimal(total) * share / 100
    half = wan(int(half_exact)) if half_exact == half_exact.to_integral_value() else f"{half_exact:,}元"
    formula = f"{wan(total)} × {share}% = {half}"
    lines = [_t("gov_share", "lead", pct=share), formula]
    asked = q.one("target")
    if asked is not None and asked != total:
        key = "asked_yes" if asked < half_exact else "asked_no"
        lines.append(_t("gov_share", key, asked=wan(asked), half=half))
    else:
        lines.append(_t("gov_share", "result", half=half))
    if below_every_cap and not _SHARE.search(q.text) and not asked_amount:
        lines.append(_t("gov_share", "below_every_cap", half=half, smallest_cap=wan(smallest_cap)))
    caps = "、".join(f"{t.label}{wan(t.cap)}" for t in p.tiers.values())
    lines.append(_t("gov_share", "note", caps=caps))
    return _compose(kb, "gov_share", lines, ("subsidy_gov_share",), SUBSIDY_FORM,
                    {"total_budget": total, **({"asked": asked} if asked is not None else {})},
                    formula, f"計畫總經費{wan(total)}")


# 「員工8人，可以申請哪一類補助」: which size tier (and so which cap) the firm's head-count falls in
_WHICH_TIER = re.compile(r"(哪一?(類|種|級|個類別|個級距|個方案)|什麼類別)的?(補助|方案)|(屬於|算|適用|是)哪一?(類|種|級|個)")

# 「我們4個人，補助能不能補到計畫的一半以上」 without the plan's total: the < 50 % share is asked, which
# the share's entry states (the head-count's cap does not answer it)
_HALF_ASKED = re.compile(r"一半|半數|五成|50%|百分之五十|比例|幾成|成數")
# 「我們8人，哪些項目可以補助」: which costs the subsidy pays for (the cost-items entry), not the tier's cap
_ITEMS_ASKED = re.compile(r"(哪些|哪一?類|哪一?種|什麼|甚麼)的?(費用|項目|科目|東西|支出|開銷|花費)"
                          r"|(費用|項目|科目|支出)(可以|能|可|有)(補|申請|列)")


def _bound_tier(staff: StaffRange, p: Parameters):
    """The size tier every head-count in ``staff`` falls in (員工8人, 9人以下, 10人以上, 不到5人), or None
    when the head-count is not settled to one tier (「不到20人」 spans both)."""
    def tier(n: int):
        return tier_for(SubsidyInput(manufacturing=True, sme=True, employees=n, total_budget=1), p)
    low = tier(staff.low)
    if staff.high is None:
        top = [t for t in p.tiers.values() if not t.lead_factory and t.max_employees is None]
        return low if low is not None and low in top else None
    return low if low is not None and tier(staff.high) is low else None


def _tier_head_count(staff: StaffRange | None, tier) -> int:
    """A head-count for the subsidy calculator: the stated one, or one inside the stated bound's tier."""
    if staff is None:
        return 0
    if staff.exact is not None:
        return staff.exact
    return max(staff.low, tier.min_employees or 0, 1)


def tier_cap(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """The subsidy cap of the head-count's tier (製造業9人以下 / 10人以上) or of a lead factory's
    track (以大帶小 1+4 / 1+10); with the plan's total also the < 50 % share, and the lower of the
    two — the subsidy calculator's own steps (calc/subsidy.py), nothing else asked."""
    f = q.facts
    programme = None
    if p.programme_budget and any(p.programme_budget in values for values in q.roles.values()):
        # 「計畫預算有110億，我們9個人一案最多分到多少」: the programme's budget, not the plan's total
        programme = p.programme_budget
        roles = {r: [v for v in values if v != programme] for r, values in q.roles.items()}
        q = replace(q, roles={r: values for r, values in roles.items() if values})
    total = q.one("total")
    other_amounts = [r for r in q.roles if r not in ("total", "capital")]
    capital = q.one("capital")
    if q.roles.get("capital") and (capital is None or f.lead_factory):
        return None
    if capital is not None and is_sme(capital, q.staff.exact if q.staff else None, p) is not True:
        return None   # not an SME, or not settled by the figures given: the entries and the form say more
    which = _WHICH_TIER.search(q.text) and not _NOT_WHOLE_SUBSIDY.search(q.text)
    if (not (_SUBSIDY.search(q.text) or ((total or programme) and (_TAKE.search(q.text) or _SELF_PAY.search(q.text))))
            or not (_CAP.search(q.text) or which) or _LOAN.search(q.text)
            or _CALC_VERB.search(q.text)   # 「幫我估一下」 asks for the guided calculation (with the facts given)
            or other_amounts or (q.roles.get("total") and total is None)
            or f.manufacturing is False
            or _INTEREST.search(q.text.replace("補助", "")) or (_ELIGIBILITY.search(q.text) and not which)
            or _ITEMS_ASKED.search(q.text)
            or (total is None and programme is None and _HALF_ASKED.search(q.text))):
        return None
    if f.lead_factory:
        partners = re.search(r"帶\s*(\d+|[一二兩三四五六七八九十]+)\s*家", q.text)
        n_partners = parse_numeral(partners.group(1)) if partners else None
        track = Track(f.track) if f.track else None
        # 「智慧化1+4最高補多少」 with neither the plan's total nor the user's own partner count restates
        # the rule: the entry answers; 「我們帶4家做智慧化」 states the firm's own case: its cap is the answer
        if track is None or q.staff is not None or (total is None and n_partners is None):
            return None
        tier = tier_for(SubsidyInput(manufacturing=True, sme=True, employees=0, total_budget=1, lead_factory=True,
                                     track=track), p)
        if tier is None or (n_partners is not None and n_partners != tier.partners):
            return None   # 「帶2家」: whether fewer partners qualify the brief does not say
        step = _t("tier_cap", "step_lead", tier=tier.label, partners=tier.partners, cap=wan(tier.cap))
        prefill = f"以大帶小，{TRACK_LABEL[track]}"
        entries: tuple[str, ...] = ("subsidy_lead_factory", "subsidy_caps")
        note = _t("tier_cap", "note_lead")
    else:
        # an exact head-count, or a bound (9人以下, 10人以上) that falls in one tier when the plan's total is
        # given too (the lower of cap and share is then a computation); a bound alone restates the rule,
        # which the knowledge answer gives
        # (a head-count said roughly, 「我們二十幾個人」, is the firm's own: its tier is the answer, as for 20人)
        if q.staff is None or f.sme is False or (q.staff.exact is None and not q.staff.approximate and total is None):
            return None
        if q.staff.exact == 0:
            return _check(kb, "zero_staff", "subsidy_caps", SUBSIDY_FORM, n=q.staff.exact)
        tier = _bound_tier(q.staff, p)
        if tier is None:
            return None
        if (q.staff.high is not None and q.staff.low < p.sme_employees_below <= q.staff.high
                and f.sme is None and capital is None):
            return None   # 「幾百人」: whether the firm is an SME (which the size tiers require) is not settled
        step = _t("tier_cap", "step", employees=q.staff.text, tier=tier.label, cap=wan(tier.cap))
        prefill, entries = q.staff.text, ("subsidy_caps",)
        # the conditions are another rule's: cited on their own line, the cap on the last
        note = _t("tier_cap", "note_small" if tier.id == "small" else "note_medium") + _cite(kb, "subsidy_eligibility")
    figures: dict[str, Any] = {"employees": q.staff.exact} if q.staff and q.staff.exact is not None else {"tier": tier.id}
    if total is None:
        lines = [_t("tier_cap", "lead_lead" if tier.lead_factory else "lead"),
                 step + _t("tier_cap", "share", gov_pct=p.gov_share_below_pct), note]
        formula = step
    else:
        if total > IMPLAUSIBLE_AMOUNT:
            return None   # 「計畫預算有110億」: the programme's budget, not the plan's
        result = calculate_subsidy(SubsidyInput(manufacturing=True, sme=True, employees=_tier_head_count(q.staff, tier),
                                                total_budget=total, lead_factory=tier.lead_factory,
                                                track=Track(tier.track) if tier.track else None), p)
        share = money(result.bound_value()) if result.bound_exclusive else None
        half = Fraction(total * p.gov_share_below_pct, 100)
        share_step = f"{wan(total)} × {p.gov_share_below_pct}% = {money(half)}"
        if result.bound_exclusive:
            outcome = _t("tier_cap", "result_share", bound=share, cap=wan(tier.cap))
        else:
            outcome = _t("tier_cap", "result_cap", cap=wan(tier.cap), half=money(half))
        lines = [_t("tier_cap", "lead_total", gov_pct=p.gov_share_below_pct), step,
                 _t("tier_cap", "share_step", step=share_step), outcome, note]
        if "subsidy_gov_share" not in entries:
            # the rule that binds is cited first: the < 50 % share when it is below the cap
            entries = (("subsidy_gov_share",) + entries) if result.bound_exclusive and not tier.lead_factory \
                else entries + ("subsidy_gov_share",)
        figures["total_budget"] = total
        formula = f"{step}；{share_step}"
        prefill = f"{prefill}，計畫總經費{wan(total)}"
        if _SELF_PAY.search(q.text):
            if result.bound_exclusive:
                lines.insert(4, _t("tier_cap", "self_pay", half=money(half)))
            else:
                rest = f"{wan(total)} − {wan(tier.cap)} = {wan(total - tier.cap)}"
                lines.insert(4, _t("tier_cap", "self_pay_cap", step=rest))
                formula = f"{formula}；{rest}"
    if programme is not None:
        lines.insert(0, _t("tier_cap", "programme_budget", amount=wan(programme)))
        entries = entries + (p.entries["programme"],)
    if capital is not None:
        key = "sme_by_capital" if capital <= p.sme_capital_max else "sme_by_staff_not_capital"
        lines.append(_t("tier_cap", key, capital=wan(capital), capital_limit=wan(p.sme_capital_max),
                        employees_n=q.staff.exact if q.staff else None, staff_limit=p.sme_employees_below))
        entries = entries + ("sme_definition",)
    elif q.staff is not None and q.staff.low >= p.sme_employees_below and f.sme is None and not tier.lead_factory:
        key = "note_not_sme_by_staff" if q.staff.exact is not None else "note_not_sme_by_bound"
        lines.append(_t("tier_cap", key, employees_n=q.staff.low, employees=q.staff.text, staff_limit=p.sme_employees_below,
                        capital_limit=wan(p.sme_capital_max)))
    return _compose(kb, "tier_cap", lines, entries, SUBSIDY_FORM, figures, formula, prefill)


# 「總經費至少要多少，才能補到300萬」: the total asked for, from the subsidy wanted
_TOTAL_ASKED = re.compile(r"(總經費|計畫經費|計畫總|預算|經費|計畫)[^，,。？?]{0,4}(至少|最少|要多少|多少|抓多少|要抓|要有多少)"
                          r"|(才能|才可以|才會)(補|拿)")


def reverse_total(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """The plan total a wanted subsidy needs: the item's share (新設備 300萬 ÷ 30%) or the < 50 % rule
    (500萬 → 總經費須超過1,000萬), when the question gives only the amount wanted."""
    amounts = {v for values in q.roles.values() for v in values}
    if (not _TOTAL_ASKED.search(q.text) or q.roles.get("total") or len(amounts) != 1 or q.facts.lead_factory
            or q.staff is not None   # the head-count's cap is another fact: the guided calculation
            or _LOAN.search(q.text) or _INTEREST.search(q.text.replace("補助", "")) or _DIAGNOSIS.search(q.text)):
        return None
    wanted = amounts.pop()
    if wanted > IMPLAUSIBLE_AMOUNT:
        return _check(kb, "too_large", "subsidy_gov_share", SUBSIDY_FORM, value=wan(wanted))
    items = [i for i, words in ITEM_WORDS.items() if any(w in q.text for w in words)]
    if len(items) > 1:
        return None
    caps = "、".join(f"{t.label}{wan(t.cap)}" for t in p.tiers.values() if not t.lead_factory)
    if items:
        item = items[0]
        share = p.cost_items[item].max_pct_of_total
        if wanted * 100 % share:
            return None
        need = wanted * 100 // share
        formula = f"{wan(wanted)} ÷ {share}% = {wan(need)}"
        lines = [_t("reverse_total", "lead_item", item=p.cost_items[item].label, pct=share), formula,
                 _t("reverse_total", "result_item", need=wan(need), wanted=wan(wanted)),
                 _t("reverse_total", "note", gov_pct=p.gov_share_below_pct, caps=caps)]
        entries: tuple[str, ...] = (ITEM_ENTRY[item], "subsidy_gov_share")
    else:
        need = wanted * 100 // p.gov_share_below_pct
        if wanted * 100 % p.gov_share_below_pct:
            return None
        formula = f"{wan(wanted)} ÷ {p.gov_share_below_pct}% = {wan(need)}"
        lines = [_t("reverse_total", "lead", gov_pct=p.gov_share_below_pct), formula,
                 _t("reverse_total", "result", need=wan(need), wanted=wan(wanted))]
        top = max(t.cap for t in p.tiers.values() if not t.lead_factory)
        lines.append(_t("reverse_total", "over_caps" if wanted > top else "caps", caps=caps))
        entries = ("subsidy_gov_share", "subsidy_caps")
    return _compose(kb, "reverse_total", lines, entries, SUBSIDY_FORM, {"wanted": wanted}, formula, "")


# "how much can WE get" about the subsidy as a whole, said without a calc verb and without any fact
_WE = re.compile(r"我們|我司|本公司|敝公司|我家|公司|我")
# a cost item, a course, a case...: not the subsidy as a whole
_NOT_WHOLE_SUBSIDY = re.compile(r"費|科目|人事|無形|原料|材料|耗材|既有|課|訓|案例|電話")
_HOW_MUCH_WE_GET = re.compile(r"(能|可以|可|會)?(拿|領|申請|補)(到)?(多少|幾百萬|幾萬)(?!次|個|家|件|年)|多少補助"
                              r"|補助(大概|大約)?(有)?多少(?!次|個|家|件|年)")


def subsidy_overview(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """「我們公司想申請補助，大概能拿多少」 with none of the facts it depends on: the two limits that
    decide it (each size's per-case cap, the < 50 % share), and the guided calculation to get the figure.
    A calc verb (「幫我估」) starts the guided calculation instead; any fact given goes to the rules above."""
    if (q.roles or q.staff is not None or q.facts.lead_factory or q.facts.track
            or not _SUBSIDY.search(q.text) or not _HOW_MUCH_WE_GET.search(q.text) or not _WE.search(q.text)
            or _CALC_VERB.search(q.text) or _ELIGIBILITY.search(q.text) or _LOAN.search(q.text)
            or _INTEREST.search(q.text.replace("補助", "")) or _DIAGNOSIS.search(q.text) or _COMPARE.search(q.text)
            or any(w in q.text for words in ITEM_WORDS.values() for w in words)
            or _NOT_WHOLE_SUBSIDY.search(q.text) or _OTHER_TOPIC.search(q.text)):
        return None
    lines = [_t("subsidy_overview", "lead", gov_pct=p.gov_share_below_pct)]
    lines += [_t("subsidy_overview", "tier_sme" if t.sme_only else "tier", tier=t.label, cap=wan(t.cap))
              for t in p.tiers.values()]
    lines.append(_t("subsidy_overview", "share", gov_pct=p.gov_share_below_pct))
    lines.append(_t("subsidy_overview", "ask"))
    return _compose(kb, "subsidy_overview", lines, ("subsidy_caps", "subsidy_gov_share"), SUBSIDY_FORM, {}, None, "")
