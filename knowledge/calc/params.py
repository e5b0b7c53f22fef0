"""Typed view of knowledge/parameters.yml (the figures calculators compute with)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..loader import KNOWLEDGE_DIR

PARAMETERS_FILE = KNOWLEDGE_DIR / "parameters.yml"


@dataclass(frozen=True)
class Tier:
    id: str
    label: str
    cap: int
    sme_only: bool
    min_employees: int | None = None
    max_employees: int | None = None
    lead_factory: bool = False
    track: str | None = None          # smart | lowcarbon (以大帶小 tiers only)
    partners: int | None = None


@dataclass(frozen=True)
class CostItem:
    id: str
    label: str
    government: bool                  # may the government subsidy pay for it at all?
    max_pct_of_total: int | None = None


@dataclass(frozen=True)
class DiagnosisKind:
    id: str
    label: str
    total: int
    government: int
    firm: int


@dataclass(frozen=True)
class RateTier:
    up_to: int | None
    rate_ceiling_milli_pct: int


@dataclass(frozen=True)
class Loan:
    id: str
    label: str
    entry: str
    subsidy_rate_milli_pct: int       # thousandths of a percent: 1595 = 1.595 %
    subsidy_years: int
    brief_estimate: str
    max_amount: int | None = None
    rate_ceiling_milli_pct: int | None = None
    rate_tiers: tuple[RateTier, ...] = ()
    employees_below: int | None = None
    capital_max_tenths: int | None = None
    working_capital_max: int | None = None
    example_principal: int = 0            # the brief's example the estimate is scaled from (3,500萬 / 400萬)
    rate_basis: str = ""                  # where the subsidy rate comes from (said in the estimate step)
    estimate_principal_max: int | None = None  # no estimate beyond what the brief illustrates
    factory_target: str | None = None     # 轉型發展: 取得特定工廠登記或經地方政府核定改善計畫之納管工廠業者


@dataclass(frozen=True)
class Parameters:
    gov_share_below_pct: int
    tiers: dict[str, Tier]
    cost_items: dict[str, CostItem]
    diagnosis: dict[str, DiagnosisKind]
    reports_case: tuple[str, ...]
    reports_lead: tuple[str, ...]
    sme_capital_max: int
    sme_employees_below: int
    micro_employees_below: int
    loans: dict[str, Loan]
    service_open: str                 # "08:30": the hotline's service hours (hotline_main)
    service_close: str
    entries: dict[str, str]           # group name → knowledge entry that states it in words
    raw: dict
    programme_budget: int | None = None   # 預算約110億: the whole programme's (programme_budget)


def _loan(loan_id: str, d: dict) -> Loan:
    fields = {k: v for k, v in d.items() if k not in ("entry", "sources", "rate_tiers", "reasons")}
    tiers = tuple(RateTier(**t) for t in d.get("rate_tiers", []))
    return Loan(id=loan_id, entry=d["entry"], rate_tiers=tiers, **fields)


def load_parameters(path: Path = PARAMETERS_FILE) -> Parameters:
    d = yaml.safe_load(Path(path).read_text("utf-8"))
    sub, items, diag, sme = d["subsidy"], d["cost_items"], d["diagnosis"], d["sme_definition"]
    return Parameters(
        gov_share_below_pct=int(sub["gov_share_below_pct"]),
        tiers={k: Tier(id=k, **v) for k, v in sub["tiers"].items()},
        cost_items={k: CostItem(id=k, **v) for k, v in items["items"].items()},
        diagnosis={k: DiagnosisKind(id=k, **v) for k, v in diag["kinds"].items()},
        reports_case=tuple(diag["reports"]["case"]),
        reports_lead=tuple(diag["reports"]["lead"]),
        sme_capital_max=int(sme["capital_max"]),
        sme_employees_below=int(sme["employees_below"]),
        micro_employees_below=int(sme["micro_employees_below"]),
        loans={k: _loan(k, v) for k, v in d["loans"].items()},
        service_open=str(d["service_hours"]["open"]),
        service_close=str(d["service_hours"]["close"]),
        entries={"service_hours": d["service_hours"]["entry"], "subsidy": sub["entry"], "cost_items": items["entry"], "diagnosis": diag["entry"],
                 "diagnosis_reports": diag["reports"]["entry"], "sme_definition": sme["entry"],
                 **{f"loan.{k}": v["entry"] for k, v in d["loans"].items()},
                 **({"programme": d["programme"]["entry"]} if "programme" in d else {})},
        raw=d,
        programme_budget=int(d["programme"]["budget_about"]) if "programme" in d else None,
    )


@functools.lru_cache(maxsize=1)
def parameters() -> Parameters:
    return load_parameters()
