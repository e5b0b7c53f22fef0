"""升級轉型補助: eligible tier and the maximum government subsidy, with its working."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .params import Parameters, Tier, parameters
from .result import CalcResult, Step, wan


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

    # 政府補助款 < 計畫總經費50%: the largest whole-dollar amount strictly below half
    share_limit = (total * p.gov_share_below_pct - 1) // 100
    steps.append(Step(f"政府補助款 < 計畫總經費{p.gov_share_below_pct}%：{wan(total)} × {p.gov_share_below_pct}% = "
                      f"{wan(total * p.gov_share_below_pct // 100)}，須低於此數 → 最多{wan(share_limit)}。", cite_caps))

    limits = {"tier_cap": tier.cap, "gov_share": share_limit}
    item_total = None
    if inp.costs:
        item_total = 0
        for item_id, cost in inp.costs.items():
            item = p.cost_items[item_id]
            if not item.government:
                steps.append(Step(f"{item.label}{wan(cost)}：僅能由業者自籌，政府補助0元。", cite_items))
                continue
            if item.max_pct_of_total is not None:
                pct_cap = total * item.max_pct_of_total // 100
                allowed = min(cost, pct_cap)
                steps.append(Step(
                    f"{item.label}{wan(cost)}：政府補助以個案總經費{item.max_pct_of_total}%為上限，"
                    f"{wan(total)} × {item.max_pct_of_total}% = {wan(pct_cap)} → 可補助至多{wan(allowed)}。", cite_items))
            else:
                allowed = cost
                steps.append(Step(f"{item.label}{wan(cost)}：可列政府補助，至多為該科目金額{wan(allowed)}。", cite_items))
            item_total += allowed
        rest = total - sum(inp.costs.values())
        if rest:
            steps.append(Step(f"其餘未細分經費{wan(rest)}：假設皆為可補助且無比例上限的科目（如消耗性器材、既有設備改善）。",
                              cite_items))
            item_total += rest
        limits["cost_items"] = item_total
        steps.append(Step(f"各科目可補助金額合計{wan(item_total)}。", cite_items))

    amount = min(limits.values())
    binding_key = min(limits, key=lambda k: (limits[k], list(limits).index(k)))
    binding = {
        "tier_cap": f"{tier.label}補助上限每案{wan(tier.cap)}",
        "gov_share": f"政府補助款須低於計畫總經費{p.gov_share_below_pct}%",
        "cost_items": "各經費科目的補助限制（全新設備30%、委託研究40%、人事費與無形資產僅能自籌）",
    }[binding_key]
    steps.append(Step(f"取最小值 → 政府補助款最多{wan(amount)}（決定因素：{binding}）。"))
    notes = ["此為依簡報規則的最高可補助試算，實際核定金額依審查結果而定。"]
    if not tier.lead_factory and tier.id == "medium":
        notes.append("10人以上類別另須有工廠登記（或免辦工廠登記證明文件），分公司及陸資企業不適用（公開資料）。")
    if not inp.costs:
        notes.append("未提供經費科目明細：若含全新設備（上限總經費30%）、委託研究（上限40%）或人事費、無形資產（僅能自籌），金額可能更低。")
    citations = ["subsidy_caps", "subsidy_gov_share"]
    if inp.costs:
        citations += ["subsidy_cost_items", "subsidy_new_equipment", "subsidy_commissioned_research", "subsidy_self_funded"]
    if tier.lead_factory:
        citations.append("subsidy_lead_factory")
    return CalcResult(
        kind="subsidy", title="升級轉型補助試算", eligible=True, amount=amount,
        amount_label="政府補助款上限", binding_rule=binding, steps=tuple(steps),
        citations=tuple(citations), notes=tuple(notes),
        extra={"tier": tier.id, "tier_label": tier.label, "limits": limits, "track": inp.track.value if inp.track else None},
    )
