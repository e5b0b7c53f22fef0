"""診斷輔導: cost split between government and firm, and the reports the visit produces."""
from __future__ import annotations

from .params import Parameters, parameters
from .result import CalcResult, Step, wan


def calculate_diagnosis(sme: bool, lead_factory: bool = False, p: Parameters | None = None) -> CalcResult:
    p = p or parameters()
    kind = p.diagnosis["lead" if lead_factory else ("sme" if sme else "non_sme")]
    reports = p.reports_lead if lead_factory else p.reports_case
    cite = p.entries["diagnosis"]
    steps = (
        Step(f"類別：{kind.label} → 輔導經費{wan(kind.total)}／案。", cite),
        Step(f"政府負擔{wan(kind.government)}＋業者自籌{wan(kind.firm)} = {wan(kind.government + kind.firm)}。", cite),
        Step(f"產出報告：{'、'.join(reports)}。", p.entries["diagnosis_reports"]),
    )
    return CalcResult(
        kind="diagnosis", title="診斷輔導費用", eligible=True, amount=kind.firm,
        amount_label="業者自籌", binding_rule=f"{kind.label}輔導經費{wan(kind.total)}／案",
        steps=steps, citations=("diagnosis_cost", "diagnosis_reports", "diagnosis_overview"),
        notes=("公開資料：診斷對象為10人以上且有工廠登記者，診斷報告可用於後續補助申請。",),
        extra={"kind": kind.id, "total": kind.total, "government": kind.government, "firm": kind.firm,
               "reports": list(reports)},
    )
