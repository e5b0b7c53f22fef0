"""中小企業認定 (verified-facts: 實收資本額新臺幣1億元以下，或經常僱用員工數未滿200人)."""
from __future__ import annotations

from .params import Parameters, parameters
from .result import CalcResult, Step, wan


def is_sme(capital: int | None, employees: int | None, p: Parameters | None = None) -> bool | None:
    """True/False when the facts given settle it, None when they do not (ask for the other one)."""
    p = p or parameters()
    by_capital = None if capital is None else capital <= p.sme_capital_max
    by_staff = None if employees is None else employees < p.sme_employees_below
    if by_capital or by_staff:
        return True
    if by_capital is False and by_staff is False:
        return False
    return None


def explain_sme(capital: int | None, employees: int | None, p: Parameters | None = None) -> CalcResult:
    p = p or parameters()
    verdict = is_sme(capital, employees, p)
    cite = p.entries["sme_definition"]
    steps = [Step(f"中小企業：實收資本額{wan(p.sme_capital_max)}以下，或經常僱用員工數未滿{p.sme_employees_below}人"
                  "（符合其一即可）。", cite)]
    if capital is not None:
        steps.append(Step(f"實收資本額{wan(capital)}" + ("≦" if capital <= p.sme_capital_max else "＞")
                          + f"{wan(p.sme_capital_max)}。", cite))
    if employees is not None:
        steps.append(Step(f"員工{employees}人" + ("＜" if employees < p.sme_employees_below else "≧")
                          + f"{p.sme_employees_below}人。", cite))
    label = {True: "屬中小企業", False: "不屬中小企業", None: "尚無法判斷"}[verdict]
    return CalcResult(kind="sme", title="中小企業認定", eligible=bool(verdict), amount=None,
                      amount_label=label, binding_rule=None, steps=tuple(steps), citations=("sme_definition",),
                      extra={"verdict": verdict})
