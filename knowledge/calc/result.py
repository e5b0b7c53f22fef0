"""The one structured result every calculator returns; channels render it without recomputing
(REST text now; a LINE flex bubble or a console card later)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


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
    is_estimate: bool = False          # the headline ``amount`` is an estimate (loans: the interest subsidy)
    extra: dict = field(default_factory=dict)
    # exact form of the binding limit (loans: of the estimate), for the headline: "4000000.5" (a decimal
    # string; never rounded).
    # ``amount`` is the largest whole NT$ that satisfies every limit (for arithmetic and comparisons);
    # when ``bound_exclusive`` the rule is strict (政府補助款 < 50%) and the truthful statement is
    # "below ``bound``", not "at most ``amount``".
    bound: str | None = None
    bound_exclusive: bool = False
    bound_basis: str | None = None     # what the bound is a share of: 「計畫總經費800萬元的50%」
    upper_bound: bool = False          # the amount assumes the best case for something not stated
    limit: int | None = None           # loans: the fixed loan limit (not an estimate)
    limit_label: str | None = None

    def bound_value(self) -> Fraction | None:
        return Fraction(self.bound) if self.bound is not None else None

    def to_dict(self) -> dict:
        return asdict(self)


def wan(amount: int) -> str:
    """NT$ in the brief's style: 3000000 → '300萬元', 35000000 → '3,500萬元', 100000000 → '1億元',
    3999999 → '3,999,999元'."""
    if amount >= 100_000_000 and amount % 10_000 == 0:
        yi, rest = divmod(amount, 100_000_000)
        return f"{yi:,}億元" if rest == 0 else f"{yi:,}億{rest // 10_000:,}萬元"
    if amount % 10_000 == 0 and amount:
        return f"{amount // 10_000:,}萬元"
    return f"{amount:,}元"


def exact(value: Fraction | int) -> str:
    """An exact value as a plain decimal string (Fraction(8000001, 2) → '4000000.5'); raises when the
    value has no finite decimal form (never happens for whole dollars × whole percents)."""
    value = Fraction(value)
    d = Decimal(value.numerator) / Decimal(value.denominator)
    if Fraction(d) != value:
        raise ValueError(f"{value} has no exact decimal form")
    return f"{d.normalize():f}"


def money(value: Fraction | int | str) -> str:
    """NT$ exactly, in the brief's style: whole amounts as :func:`wan`, fractions with their decimals
    (Fraction(8000001, 2) → '4,000,000.5元'); never rounded."""
    value = Fraction(value)
    if value.denominator == 1:
        return wan(int(value))
    whole, rest = exact(value).split(".")
    return f"{int(whole):,}.{rest}元"


def approx_wan(amount: int | Fraction) -> str:
    """An estimate to one decimal of 萬: 558250 → '約55.8萬元'; below 1萬 to the yuan: 15.95 → '約16元'."""
    amount = Fraction(amount)
    exact_value = Decimal(amount.numerator) / Decimal(amount.denominator)
    if amount < 9_500:
        return f"約{exact_value.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}元"
    value = (exact_value / 10_000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{value:,.1f}".rstrip("0").rstrip(".")
    return f"約{text}萬元"


def pct(milli_pct: int) -> str:
    """Thousandths of a percent → '1.595%'."""
    value = Decimal(milli_pct) / 1000
    return f"{value.normalize():f}%"
