"""The one structured result every calculator returns; channels render it without recomputing
(REST text now; a LINE flex bubble or a console card later)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Step:
    text: str                          # one line of the working, zh-TW, with its formula
    citation: str | None = None        # the rule it applies (knowledge entry citation)


@dataclass(frozen=True)
class CalcResult:
    kind: str                          # subsidy | diagnosis | loan | sme
    title: str
    eligible: bool
    amount: int | None                 # the headline amount in NT$ (None when not eligible)
    amount_label: str                  # what the amount is, e.g. 政府補助款上限
    binding_rule: str | None           # which constraint decided the amount
    steps: tuple[Step, ...]
    citations: tuple[str, ...]         # knowledge entry ids the result rests on
    notes: tuple[str, ...] = ()        # caveats, estimates, conditions to check
    alternatives: tuple[str, ...] = () # for ineligible users: what fits instead
    is_estimate: bool = False
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def wan(amount: int) -> str:
    """NT$ in the brief's style: 3000000 → '300萬元', 35000000 → '3,500萬元', 100000000 → '1億元',
    3999999 → '3,999,999元'."""
    if amount >= 100_000_000 and amount % 10_000 == 0:
        yi, rest = divmod(amount, 100_000_000)
        return f"{yi:,}億元" if rest == 0 else f"{yi:,}億{rest // 10_000:,}萬元"
    if amount % 10_000 == 0:
        return f"{amount // 10_000:,}萬元"
    return f"{amount:,}元"


def approx_wan(amount: int) -> str:
    """An estimate to one decimal of 萬: 558250 → '約55.8萬元'."""
    value = (Decimal(amount) / 10_000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{value:,.1f}".rstrip("0").rstrip(".")
    return f"約{text}萬元"


def pct(milli_pct: int) -> str:
    """Thousandths of a percent → '1.595%'."""
    value = Decimal(milli_pct) / 1000
    return f"{value.normalize():f}%"
