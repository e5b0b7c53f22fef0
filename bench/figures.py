"""Do the figures a question set expects appear in a reply? (bench/answers.py, direct computations)

A blind-set item lists the figures a right answer states (``figures: ['330萬', '300萬']``) and may
say in its ``note`` that one is an estimate (「2年約12萬」, 「38.28萬 (estimate)」). A direct
computation counts as right only if every expected figure is in its reply:

* money is compared by value, however it is written: 萬/万, 億/亿, 元, thousands commas, NT$
  (2,850,000元 = 285萬 = 285万);
* a percentage by value (30% = 30 %; 8成 = 80%);
* anything else (1+4, 10人, 2年, 08:30, 0800-000-257, 免費) as text, after the same normalisation
  (Traditional characters, half-width, no spaces), not preceded or followed by another digit;
* rounding only where the item's note marks that figure as an estimate (約X, ≈ X, "X (estimate)"),
  and only as the set's header allows (「15.95萬 ≈ 16萬」): the reply may state the estimate rounded
  to whole 萬, or a more exact value that rounds to it at the figure's own precision (159,500元 for
  16萬). 558,250元 does not match 55萬 (it rounds to 56萬).
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from knowledge.calc.numbers import clean_text, find_amounts, parse_numeral

_WAN = Decimal(10_000)
_PCT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|％|趴)")
_TENTHS = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*成")
_ESTIMATE_BEFORE = re.compile(r"(約|≈|~)\s*$")
_ESTIMATE_AFTER = re.compile(r"^\s*\(?\s*(estimate|估算|估計)", re.I)


def _norm(text: str) -> str:
    return clean_text(text).replace("万", "萬").replace("亿", "億")


def money_value(figure: str) -> Decimal | None:
    """The NT$ value of a money figure ('2,400萬', '38.28萬', 'NT$2,850,000', '110億'), else None."""
    t = _norm(figure)
    m = re.fullmatch(r"(?:nt\$|ntd|\$|新臺幣|新台幣)?([\d,.]+|[\d,.]*[一二兩三四五六七八九十百千]+[\d,.]*)?"
                     r"([\d,.]*[萬億][\d,.千百十萬]*)?(元)?", t)
    if not m or not (m.group(1) or m.group(2)):
        return None
    core = (m.group(1) or "") + (m.group(2) or "")
    if not m.group(2) and not m.group(3) and len(core.replace(",", "").split(".")[0]) < 5:
        return None   # 30, 2024: not clearly money
    return parse_numeral(core)


def percent_value(figure: str) -> Decimal | None:
    t = _norm(figure)
    m = re.fullmatch(_PCT, t)
    if m:
        return Decimal(m.group(1))
    m = re.fullmatch(_TENTHS, t)
    return Decimal(m.group(1)) * 10 if m else None


def is_estimate(figure: str, note: str) -> bool:
    """The note calls this figure an estimate: 約X, ≈ X, or X followed by "(estimate)"."""
    for m in re.finditer(re.escape(figure), note):
        if _ESTIMATE_BEFORE.search(note[:m.start()]) or _ESTIMATE_AFTER.match(note[m.end():]):
            return True
    return False


def _places(value: Decimal) -> int:
    """Decimal places of ``value`` in 萬 (38.28萬 → 2, 55萬 → 0)."""
    exponent = (value / _WAN).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _round_wan(value: Decimal, places: int) -> Decimal:
    return (value / _WAN).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def money_in(reply_amounts: list[int], value: Decimal, estimate: bool) -> bool:
    if any(Decimal(a) == value for a in reply_amounts):
        return True
    if not estimate:
        return False
    places = _places(value)
    whole = _round_wan(value, 0) * _WAN   # 38.28萬 stated as 38萬
    return any(Decimal(a) == whole or _round_wan(Decimal(a), places) == value / _WAN for a in reply_amounts)


def figure_in(figure: str, reply: str, note: str = "") -> bool:
    """Is the expected ``figure`` stated in ``reply`` (see the module docstring)?"""
    text = _norm(reply)
    money = money_value(figure)
    if money is not None:
        amounts = [v for _, _, v in find_amounts(reply) if v is not None]
        return money_in(amounts, money, is_estimate(figure, note))
    pct = percent_value(figure)
    if pct is not None:
        stated = [Decimal(v) for v in _PCT.findall(text)] + [Decimal(v) * 10 for v in _TENTHS.findall(text)]
        return pct in stated
    wanted = _norm(figure)
    return bool(wanted) and re.search(rf"(?<![\d.]){re.escape(wanted)}(?![\d])", text) is not None


def missing_figures(figures: list[str], reply: str, note: str = "") -> list[str]:
    """The expected figures not stated in ``reply``."""
    return [f for f in figures if not figure_in(f, reply, note)]
