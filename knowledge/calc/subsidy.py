"""升級轉型補助: eligible tier and the maximum government subsidy, with its working."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction

from .params import Parameters, Tier, parameters
from .result import CalcResult, Step, exact, money, wan


class Track(str, Enum):
    SMART = "smart"          # 智慧化
    LOWCARBON = "lowcarbon"  # 低碳化


TRACK_LABEL = {Track.SMART: "智慧化", Track.LOWCARBON: "低碳化"}


class InputError(ValueError):
    """Inputs that cannot describe a real plan (the message says which, in zh-TW)."""


@dataclass(frozen=True)
class SubsidyInput:
    manufacturing: bool
    sme: bool
    employees: int
    total_budget: int                              # 計畫總經費, NT$
    track: Track | None = None                     # needed for 以大帶小
    lead_factory: bool = False                     # 以大帶小 (the applicant is the 中心廠)
    costs: dict[str, int] = field(default_factory=dict)  # cost item id → NT$ (may be partial)
    remainder_item: str | None = None              # 「其他是人事費」: the item the unitemised rest is


def _minus(total: int, parts) -> str:
    """「800萬元 − 300萬元 − 100萬元」: the remainder's working, shown."""
    return " − ".join([wan(total)] + [wan(v) for v in parts])


def tier_for(inp: SubsidyInput, p: Parameters) -> Tier | None:
    for tier in p.tiers.values():
        if tier.lead_factory != inp.lead_factory:
            continue
        if tier.lead_factory:
            if inp.track is not None and tier.track == inp.track.value:
                return tier
            continue
        if tier.min_employees is not None and inp.employees < tier.min_employees:
            continue
        if tier.max_employees is not None and inp.employees > tier.max_employees:
            continue
        return tier
    return None


def validate(inp: SubsidyInput, p: Parameters) -> None:
    if inp.employees < 0 or inp.employees > 1_000_000:
        raise InputError("員工人數需為合理的人數。")
    if inp.total_budget <= 0:
        raise InputError("計畫總經費需大於0元。")
    if inp.total_budget > 100_000_000_000:
        raise InputError("計畫總經費超過1,000億元，請確認金額是否正確。")
    unknown = set(inp.costs) - set(p.cost_items)
    if inp.remainder_item is not None and inp.remainder_item not in p.cost_items:
        unknown.add(inp.remainder_item)
    if unknown:
        raise InputError(f"無法辨識的經費科目：{'、'.join(sorted(unknown))}")
    if any(v < 0 for v in inp.costs.values()):
        raise InputError("經費科目金額不可為負數。")
    if sum(inp.costs.values()) > inp.total_budget:
        raise InputError("各經費科目加總超過計畫總經費，請確認金額。")
    if inp.lead_factory and inp.track is None:
        raise InputError("以大帶小需指定智慧化（1+4）或低碳化（1+10）。")


def calculate_subsidy(inp: SubsidyInput, p: Parameters | None = None) -> CalcResult:
    p = p or parameters()
    validate(inp, p)
    cite_caps, cite_items = p.entries["subsidy"], p.entries["cost_items"]
    small, medium = p.tiers["small"], p.tiers["medium"]

    if not inp.manufacturing:
        return CalcResult(
            kind="subsidy", title="升級轉型補助試算", eligible=False, amount=None,
            amount_label="政府補助款上限", binding_rule="補助對象限依法登記之製造業",
            steps=(Step("補助對象：依法登記之製造業（三類皆同）→ 非製造業不在補助對象內。", cite_caps),),
            citations=("subsidy_eligibility",),
            alternatives=("人才培訓課程：政府出錢、企業免費",
                          "低利貸款：疫後振興專案貸款的對象是辦理公司／商業／有限合夥登記之中小企業"),
        )
    tier = tier_for(inp, p)
    if tier is None or (tier.sme_only and not inp.sme):
        lead = [t for t in p.tiers.values() if t.lead_factory]
        return CalcResult(
            kind="subsidy", title="升級轉型補助試算", eligible=False, amount=None,
            amount_label="政府補助款上限", binding_rule=f"{small.label}、{medium.label}兩類限中小企業",
            steps=(Step(f"{small.label}、{medium.label}：依法登記之製造業，並限中小企業 → 非中小企業不適用。",
                        cite_caps),),
            citations=("subsidy_eligibility", "subsidy_lead_factory", "diagnosis_cost"),
            alternatives=tuple(
                [f"以中心廠身分申請{t.label}，每案最高{wan(t.cap)}" for t in lead]
                + [f"診斷輔導（非中小企業）每案{wan(p.diagnosis['non_sme'].total)}"
                   f"（政府{wan(p.diagnosis['non_sme'].government)}、業者自籌{wan(p.diagnosis['non_sme'].firm)}）"]),
        )

    total = inp.total_budget
    steps: list[Step] = []
    if tier.lead_factory:
        steps.append(Step(f"類別：{tier.label}（1家中心廠帶{tier.partners}家合作廠商）→ 每案最高{wan(tier.cap)}。", cite_caps))
    else:
        size = f"員工{inp.employees}人" + ("（9人以下）" if tier.id == "small" else "（10人以上）")
        steps.append(Step(f"類別：{size}、中小企業製造業 → {tier.label}，補助上限每案{wan(tier.cap)}。", cite_caps))

    # 政府補助款 < 計畫總經費50%: exact (8,000,001元 × 50% = 4,000,000.5元), strict, never rounded
    share = Fraction(total * p.gov_share_below_pct, 100)
    basis = f"計畫總經費{wan(total)}的{p.gov_share_below_pct}%"
    steps.append(Step(f"政府補助款 < 計畫總經費{p.gov_share_below_pct}%：{wan(total)} × {p.gov_share_below_pct}% = "
                      f"{money(share)}，政府補助款須低於此數。", cite_caps))

    # exact limits; "gov_share" is the only strict one
    exact_limits: dict[str, Fraction] = {"tier_cap": Fraction(tier.cap), "gov_share": share}
    upper_bound = False
    costs = dict(inp.costs)
    rest = total - sum(costs.values()) if costs else 0
    if costs and rest and inp.remainder_item:
        # 「其他是人事費」: the remainder is that item
        before = costs.get(inp.remainder_item, 0)
        costs[inp.remainder_item] = before + rest
        label = p.cost_items[inp.remainder_item].label
        merged = f"；{label}合計：{wan(before)} ＋ {wan(rest)} = {wan(before + rest)}" if before else ""
        steps.append(Step(f"其餘經費為{label}（依您的說明）："
                          f"{_minus(total, inp.costs.values())} = {wan(rest)}{merged}。", cite_items))
        rest = 0
    if costs:
        item_total = Fraction(0)
        allowed_parts: list[Fraction] = []
        for item_id, cost in costs.items():
            item = p.cost_items[item_id]
            if not item.government:
                steps.append(Step(f"{item.label}{wan(cost)}：僅能由業者自籌，政府補助0元。", cite_items))
                continue
            if item.max_pct_of_total is not None:
                pct_cap = Fraction(total * item.max_pct_of_total, 100)
                allowed = min(Fraction(cost), pct_cap)
                steps.append(Step(
                    f"{item.label}{wan(cost)}：政府補助以個案總經費{item.max_pct_of_total}%為上限，"
                    f"{wan(total)} × {item.max_pct_of_total}% = {money(pct_cap)} → 可補助至多{money(allowed)}。", cite_items))
            else:
                allowed = Fraction(cost)
                steps.append(Step(f"{item.label}{wan(cost)}：可列政府補助，至多為該科目金額{money(allowed)}。", cite_items))
            item_total += allowed
            allowed_parts.append(allowed)
        if rest:
            # an unitemised remainder might be 人事費 (self-funded only): counting it is the best case
            self_funded = "、".join(i.label for i in p.cost_items.values() if not i.government)
            steps.append(Step(f"其餘未說明用途的經費：{_minus(total, costs.values())} = {wan(rest)}；若為{self_funded}則不能由政府補助；"
                              f"此處以可補助計算，因此結果是上限。", cite_items))
            item_total += rest
            allowed_parts.append(Fraction(rest))
            upper_bound = True
        exact_limits["cost_items"] = item_total
        parts = [money(a) for a in allowed_parts]
        summed = f"{' ＋ '.join(parts)} = {money(item_total)}" if len(parts) > 1 else money(item_total)
        steps.append(Step(f"各科目可補助金額合計：{summed}。", cite_items))

    order = list(exact_limits)
    # the binding limit: the smallest; on a tie the strict one (gov_share) binds
    binding_key = min(order, key=lambda k: (exact_limits[k], k != "gov_share", order.index(k)))
    bound = exact_limits[binding_key]
    exclusive = binding_key == "gov_share"
    # the largest whole NT$ satisfying every limit (for arithmetic; the headline states the bound itself)
    amount = max(0, min(math.ceil(share) - 1, *(math.floor(v) for k, v in exact_limits.items() if k != "gov_share")))
    limits = {k: (math.ceil(v) - 1 if k == "gov_share" else math.floor(v)) for k, v in exact_limits.items()}
    capped = [i for i in p.cost_items.values() if i.max_pct_of_total is not None]
    binding = {
        "tier_cap": f"{tier.label}補助上限每案{wan(tier.cap)}",
        "gov_share": f"政府補助款須低於計畫總經費{p.gov_share_below_pct}%",
        "cost_items": "各經費科目的補助限制（" + "、".join(f"{i.label}以總經費{i.max_pct_of_total}%為上限" for i in capped)
                      + "；" + "、".join(i.label for i in p.cost_items.values() if not i.government) + "僅能自籌）",
    }[binding_key]
    if exclusive:
        steps.append(Step(f"取最小值 → 政府補助款須低於{money(bound)}（決定因素：{binding}），"
                          f"且不超過{tier.label}補助上限每案{wan(tier.cap)}。"))
    else:
        steps.append(Step(f"取最小值 → 政府補助款最多{money(bound)}（決定因素：{binding}）。"))
    notes = ["此為依簡報規則的最高可補助試算，實際核定金額依審查結果而定。"]
    if upper_bound:
        notes.append(f"有{wan(rest)}未說明用途：若其中有人事費或無形資產引進費（僅能自籌），可補助金額會更低；"
                     "告訴我這筆經費的用途（例如「其他是人事費」）即可重算。")
    if not tier.lead_factory and tier.id == "medium":
        notes.append("10人以上類別另須有工廠登記（或免辦工廠登記證明文件），分公司及陸資企業不適用（公開資料）。")
    if not costs:
        notes.append("未提供經費科目明細：若含" + "、".join(f"{i.label}（上限總經費{i.max_pct_of_total}%）" for i in capped)
                     + "或" + "、".join(i.label for i in p.cost_items.values() if not i.government)
                     + "（僅能自籌），金額可能更低。")
    citations = ["subsidy_caps", "subsidy_gov_share"]
    if costs:
        citations += ["subsidy_cost_items", "subsidy_new_equipment", "subsidy_commissioned_research", "subsidy_self_funded"]
    if tier.lead_factory:
        citations.append("subsidy_lead_factory")
    return CalcResult(
        kind="subsidy", title="升級轉型補助試算", eligible=True, amount=amount,
        amount_label="政府補助款上限", binding_rule=binding, steps=tuple(steps),
        citations=tuple(citations), notes=tuple(notes),
        bound=exact(bound), bound_exclusive=exclusive, bound_basis=basis if exclusive else None,
        upper_bound=upper_bound,
        extra={"tier": tier.id, "tier_label": tier.label, "tier_cap": tier.cap, "limits": limits,
               "limits_exact": {k: exact(v) for k, v in exact_limits.items()},
               "track": inp.track.value if inp.track else None},
    )
