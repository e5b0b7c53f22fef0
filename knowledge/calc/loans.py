"""低利貸款: which loan fits, its maximum, rate ceilings and an interest-subsidy estimate
(= principal × subsidy rate × years, always labelled an estimate)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from .params import Loan, Parameters, parameters
from .result import CalcResult, Step, approx_wan, exact, money, pct, wan


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
    registered_factory: bool = False         # 取得特定工廠登記或經地方政府核定改善計畫之納管工廠業者


@dataclass(frozen=True)
class LoanOption:
    loan: Loan
    max_amount: int | None
    principal: int | None
    subsidy_estimate: int | None             # an estimate (principal × rate × years); the limit is not
    steps: tuple[Step, ...]
    estimate_principal: int | None = None    # the principal the estimate is computed on (may be bounded)
    max_exact: Fraction | None = None        # exact forms (8成 of 1,234,567元 = 987,653.6元)
    estimate_exact: Fraction | None = None


def interest_subsidy(principal: int, loan: Loan) -> int:
    """principal × subsidy rate × years, in whole NT$ (rounded down; an estimate, shown as 「約」)."""
    return principal * loan.subsidy_rate_milli_pct * loan.subsidy_years // 100_000


def _estimate_step(principal: Fraction, loan: Loan) -> tuple[Fraction, Fraction, Step]:
    """The interest-subsidy estimate with what it rests on: the brief's example (「1年約55萬」 for
    3,500萬, 「2年約12萬」 for 400萬); other amounts are scaled in proportion and said to be; above the
    example's principal, where the loan allows it (轉型發展), the estimate stops at the example.
    Exact: principal × rate × years as a fraction, shown unrounded, then 「約」."""
    base = principal
    if loan.estimate_principal_max is not None and principal > loan.estimate_principal_max:
        base = Fraction(loan.estimate_principal_max)
    exact_estimate = base * loan.subsidy_rate_milli_pct * loan.subsidy_years / 100_000
    rate = pct(loan.subsidy_rate_milli_pct)
    how = f"補貼率{rate}：{loan.rate_basis}"
    formula = (f"{money(base)} × {rate} × {loan.subsidy_years}年 = {money(exact_estimate)}"
               f"（{approx_wan(exact_estimate)}）")
    if base == loan.example_principal:
        text = f"利息補貼估算：{formula}；簡報：{loan.brief_estimate}（{how}）。"
    else:
        text = (f"利息補貼估算（依簡報範例「{wan(loan.example_principal)}、{loan.brief_estimate}」按比例推算，"
                f"僅供參考）：{formula}（{how}）。")
    if base != principal:
        text += (f"貸款金額{money(principal)}超過簡報範例的{money(base)}：超過部分是否補貼、補貼多少，簡報未載明，"
                 f"故估算只算到{money(base)}。")
    return base, exact_estimate, Step(text, "loan_interest_subsidy")


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
                              f"{loan.capital_max_tenths}成 = "
                              f"{money(Fraction(inp.capital_spending * loan.capital_max_tenths, 10))}。", cite))
        elif inp.purpose is Purpose.WORKING or inp.purpose is None:
            max_amount = loan.working_capital_max
            steps.append(Step(f"週轉性支出最高不超過{wan(loan.working_capital_max)}；資本性支出最高不超過"
                              f"{loan.capital_max_tenths}成。", cite))
        else:
            steps.append(Step(f"資本性支出最高不超過{loan.capital_max_tenths}成（請提供資本性支出金額以試算）。", cite))
    else:
        steps.append(Step(f"貸款額度最高{wan(loan.max_amount)}（可借新還舊）。", cite))
    steps.append(Step(f"利率：{rate_text(loan)}。", cite))
    max_exact = None
    if max_amount is not None:
        max_exact = (Fraction(inp.capital_spending * loan.capital_max_tenths, 10)
                     if loan.id == "transformation" and inp.purpose is Purpose.CAPITAL and inp.capital_spending
                     else Fraction(max_amount))
    if max_amount is None:
        return LoanOption(loan, None, None, None, tuple(steps))
    principal = min(Fraction(inp.amount_wanted), max_exact) if inp.amount_wanted else max_exact
    if inp.amount_wanted and inp.amount_wanted > max_exact:
        steps.append(Step(f"想借{wan(inp.amount_wanted)}，超過額度上限{money(max_exact)} → 以{money(max_exact)}估算。", cite))
    base, exact_estimate, step = _estimate_step(principal, loan)
    steps.append(step)
    # whole NT$ for arithmetic (rounded down); the steps and the headline show the exact figures
    return LoanOption(loan, math.floor(max_exact), math.floor(principal), math.floor(exact_estimate), tuple(steps),
                      math.floor(base), max_exact, exact_estimate)


def find_loans(inp: LoanInput, p: Parameters | None = None) -> CalcResult:
    p = p or parameters()
    general, micro, transform = p.loans["recovery_general"], p.loans["recovery_micro"], p.loans["transformation"]
    if inp.amount_wanted is not None and inp.amount_wanted <= 0:
        raise ValueError("amount_wanted must be positive")
    if not inp.sme and not inp.tax_registration_only and not inp.registered_factory:
        return CalcResult(
            kind="loan", title="低利貸款試算", eligible=False, amount=None, amount_label="利息補貼估算",
            binding_rule=(f"{general.label}限中小企業；{transform.label}限中小企業或{transform.factory_target}"),
            steps=(Step(f"疫後振興專案貸款：對象為辦理公司／商業／有限合夥登記之中小企業（或員工未滿{micro.employees_below}人、"
                        "僅有稅籍登記之營利事業）。", "loan_overview"),
                   Step(f"{transform.label}：對象為朝智慧化及低碳化轉型之中小企業，以及{transform.factory_target}。",
                        transform.entry)),
            citations=("loan_overview", transform.entry, "loan_application_flow"),
            alternatives=(f"若貴公司是{transform.factory_target}，可申請{transform.label}",
                          "貸款問題可洽馬上辦服務中心（見貸款申請流程）"),
        )
    options: list[LoanOption] = []
    micro_fit = inp.tax_registration_only or (inp.employees is not None and inp.employees < micro.employees_below)
    factory_only = not inp.sme and not inp.tax_registration_only   # 納管工廠業者 that are not SMEs
    if (inp.transformation_plan or inp.registered_factory) and not inp.tax_registration_only:
        options.append(_option(transform, inp, transform.entry))
    if not inp.tax_registration_only and not factory_only:
        options.append(_option(general, inp, general.entry))
    micro_fit = micro_fit and not factory_only
    if micro_fit:
        options.append(_option(micro, inp, micro.entry))
    steps: list[Step] = []
    why = []
    if inp.transformation_plan and not inp.tax_registration_only and inp.sme:
        why.append(f"{transform.label}：朝智慧化及低碳化轉型之中小企業")
    elif inp.registered_factory and not inp.tax_registration_only:
        why.append(f"{transform.label}：{transform.factory_target}")
    if not inp.tax_registration_only and not factory_only:
        why.append(f"{general.label}：辦理公司／商業／有限合夥登記之中小企業")
    if micro_fit:
        who = "僅有稅籍登記之營利事業" if inp.tax_registration_only else f"員工{inp.employees}人，未滿{micro.employees_below}人"
        why.append(f"{micro.label}：{who}")
    steps.append(Step("適用：" + "；".join(why) + "。"))
    for opt in options:
        steps.append(Step(f"【{opt.loan.label}】"))
        steps.extend(opt.steps)
    notes = ["貸款額度上限是簡報所列的固定金額；只有利息補貼是估算：依簡報的範例金額（"
             + "、".join(dict.fromkeys(f"{wan(o.loan.example_principal)}：{o.loan.brief_estimate}" for o in options))
             + "）按比例推算，實際依借款金額、期間與核定條件而定；是否核貸由銀行決定。"]
    if micro_fit and not inp.tax_registration_only:
        notes.append("疫後振興專案貸款的兩個類別，中小企業僅得擇一類別申請，不得轉換。")
    first = options[0]
    # headline: the interest-subsidy estimate first (an estimate), the loan limit second (fixed)
    return CalcResult(
        kind="loan", title="低利貸款試算", eligible=True, amount=first.subsidy_estimate,
        amount_label=f"{first.loan.label}利息補貼", binding_rule=None, steps=tuple(steps),
        citations=tuple(dict.fromkeys([o.loan.entry for o in options] + ["loan_interest_subsidy"])),
        notes=tuple(notes), is_estimate=True,
        bound=exact(first.estimate_exact) if first.estimate_exact is not None else None,
        limit=first.max_amount, limit_label=f"{first.loan.label}額度上限",
        extra={"options": [{"loan": o.loan.id, "label": o.loan.label, "max_amount": o.max_amount,
                            "max_amount_is_estimate": False,
                            "max_amount_exact": exact(o.max_exact) if o.max_exact is not None else None,
                            "principal": o.principal, "estimate_principal": o.estimate_principal,
                            "subsidy_estimate": o.subsidy_estimate, "subsidy_is_estimate": True,
                            "subsidy_years": o.loan.subsidy_years} for o in options]},
    )
