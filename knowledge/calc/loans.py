"""低利貸款: which loan fits, its maximum, rate ceilings and an interest-subsidy estimate
(= principal × subsidy rate × years, always labelled an estimate)."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .params import Loan, Parameters, parameters
from .result import CalcResult, Step, approx_wan, pct, wan


class Purpose(str, Enum):
    CAPITAL = "capital"   # 資本性支出 (equipment, plant)
    WORKING = "working"   # 週轉性支出 (working capital)


@dataclass(frozen=True)
class LoanInput:
    sme: bool
    employees: int | None = None
    tax_registration_only: bool = False      # 僅有稅籍登記之營利事業
    transformation_plan: bool = False        # 朝智慧化及低碳化轉型
    purpose: Purpose | None = None
    amount_wanted: int | None = None         # NT$; None → the loan's maximum
    capital_spending: int | None = None      # 資本性支出 total, for 轉型發展's 8成


@dataclass(frozen=True)
class LoanOption:
    loan: Loan
    max_amount: int | None
    principal: int | None
    subsidy_estimate: int | None
    steps: tuple[Step, ...]


def interest_subsidy(principal: int, loan: Loan) -> int:
    """principal × subsidy rate × years, in whole NT$ (rounded down)."""
    return principal * loan.subsidy_rate_milli_pct * loan.subsidy_years // 100_000


def rate_text(loan: Loan) -> str:
    if loan.rate_tiers:
        parts, previous = [], None
        for t in loan.rate_tiers:
            if t.up_to is not None:
                parts.append(f"{wan(t.up_to).removesuffix('元')}以內最高{pct(t.rate_ceiling_milli_pct)}")
            else:
                parts.append(f"超過{wan(previous).removesuffix('元')}最高{pct(t.rate_ceiling_milli_pct)}")
            previous = t.up_to
        return "、".join(parts)
    return f"最高{pct(loan.rate_ceiling_milli_pct)}" if loan.rate_ceiling_milli_pct else "簡報未載明"


def _option(loan: Loan, inp: LoanInput, cite: str) -> LoanOption:
    steps: list[Step] = []
    max_amount = loan.max_amount
    if loan.id == "transformation":
        if inp.purpose is Purpose.CAPITAL and inp.capital_spending:
            max_amount = inp.capital_spending * loan.capital_max_tenths // 10
            steps.append(Step(f"資本性支出最高不超過{loan.capital_max_tenths}成：{wan(inp.capital_spending)} × "
                              f"{loan.capital_max_tenths}成 = {wan(max_amount)}。", cite))
        elif inp.purpose is Purpose.WORKING or inp.purpose is None:
            max_amount = loan.working_capital_max
            steps.append(Step(f"週轉性支出最高不超過{wan(loan.working_capital_max)}；資本性支出最高不超過"
                              f"{loan.capital_max_tenths}成。", cite))
        else:
            steps.append(Step(f"資本性支出最高不超過{loan.capital_max_tenths}成（請提供資本性支出金額以試算）。", cite))
    else:
        steps.append(Step(f"貸款額度最高{wan(loan.max_amount)}（可借新還舊）。", cite))
    steps.append(Step(f"利率：{rate_text(loan)}。", cite))
    principal = None
    estimate = None
    if max_amount is not None:
        principal = min(inp.amount_wanted, max_amount) if inp.amount_wanted else max_amount
        estimate = interest_subsidy(principal, loan)
        brief = f"；簡報：{loan.brief_estimate}" if principal == (loan.max_amount or loan.working_capital_max) else ""
        steps.append(Step(f"利息補貼估算：{wan(principal)} × {pct(loan.subsidy_rate_milli_pct)} × "
                          f"{loan.subsidy_years}年 = {wan(estimate)}（{approx_wan(estimate)}{brief}）。",
                          "loan_interest_subsidy"))
    return LoanOption(loan, max_amount, principal, estimate, tuple(steps))


def find_loans(inp: LoanInput, p: Parameters | None = None) -> CalcResult:
    p = p or parameters()
    general, micro, transform = p.loans["recovery_general"], p.loans["recovery_micro"], p.loans["transformation"]
    if inp.amount_wanted is not None and inp.amount_wanted <= 0:
        raise ValueError("amount_wanted must be positive")
    if not inp.sme and not inp.tax_registration_only:
        return CalcResult(
            kind="loan", title="低利貸款試算", eligible=False, amount=None, amount_label="貸款額度上限",
            binding_rule="簡報所列專案貸款以中小企業為對象",
            steps=(Step("疫後振興專案貸款：對象為辦理公司／商業／有限合夥登記之中小企業；轉型發展專案貸款：對象為朝智慧化及低碳化轉型之中小企業。",
                        "loan_overview"),),
            citations=("loan_overview", "loan_application_flow"),
            alternatives=("貸款問題可洽馬上辦服務中心（見貸款申請流程）",),
        )
    options: list[LoanOption] = []
    micro_fit = inp.tax_registration_only or (inp.employees is not None and inp.employees < micro.employees_below)
    if inp.transformation_plan and not inp.tax_registration_only:
        options.append(_option(transform, inp, transform.entry))
    if not inp.tax_registration_only:
        options.append(_option(general, inp, general.entry))
    if micro_fit:
        options.append(_option(micro, inp, micro.entry))
    steps: list[Step] = []
    why = []
    if inp.transformation_plan and not inp.tax_registration_only:
        why.append(f"{transform.label}：朝智慧化及低碳化轉型之中小企業")
    if not inp.tax_registration_only:
        why.append(f"{general.label}：辦理公司／商業／有限合夥登記之中小企業")
    if micro_fit:
        who = "僅有稅籍登記之營利事業" if inp.tax_registration_only else f"員工{inp.employees}人，未滿{micro.employees_below}人"
        why.append(f"{micro.label}：{who}")
    steps.append(Step("適用：" + "；".join(why) + "。"))
    for opt in options:
        steps.append(Step(f"【{opt.loan.label}】"))
        steps.extend(opt.steps)
    notes = ["利息補貼為「本金 × 補貼利率 × 年數」的估算，實際依借款金額、期間與核定條件而定；是否核貸由銀行決定。"]
    if micro_fit and not inp.tax_registration_only:
        notes.append("疫後振興專案貸款的兩個類別，中小企業僅得擇一類別申請，不得轉換。")
    first = options[0]
    return CalcResult(
        kind="loan", title="低利貸款試算", eligible=True, amount=first.max_amount, amount_label=f"{first.loan.label}額度上限",
        binding_rule=None, steps=tuple(steps),
        citations=tuple(dict.fromkeys([o.loan.entry for o in options] + ["loan_interest_subsidy"])),
        notes=tuple(notes), is_estimate=True,
        extra={"options": [{"loan": o.loan.id, "label": o.loan.label, "max_amount": o.max_amount,
                            "principal": o.principal, "subsidy_estimate": o.subsidy_estimate} for o in options]},
    )
