"""Amounts and head-counts as people type them: 800萬, 八百萬, 3.5千萬, 3,500萬元, 8000000,
NT$8,000,000, 1億2千萬, 25人, 八個人, 兩百人."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ..textnorm import normalize

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "兩": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_BIG = {"萬": 10_000, "万": 10_000, "億": 100_000_000, "亿": 100_000_000}
_CN = "".join(_DIGITS) + "".join(_SMALL) + "".join(_BIG)

# one numeral: Arabic (with thousands commas / decimals) and/or Chinese numeral characters
_NUMERAL = rf"(?:\d[\d,]*(?:\.\d+)?|[{_CN}])[\d,.{_CN}]*"
_AMOUNT = re.compile(rf"(?:nt\$|ntd|\$|新臺幣|新台幣)?\s*({_NUMERAL})\s*(元|塊|塊錢)?", re.I)
_COUNT = re.compile(rf"({_NUMERAL})\s*(?:個人|個員工|名員工|位員工|人|名|位|個)")


def parse_numeral(text: str) -> Decimal | None:
    """Value of one numeral string ('3.5千萬' → 35000000, '十二' → 12); None if it is not one."""
    text = text.replace(",", "").strip()
    if not text:
        return None
    total = Decimal(0)      # finished 萬/億 groups
    section = Decimal(0)    # the group being built (below 萬)
    number: Decimal | None = None
    i = 0
    try:
        while i < len(text):
            ch = text[i]
            if ch.isdigit() or ch == ".":
                j = i
                while j < len(text) and (text[j].isdigit() or text[j] == "."):
                    j += 1
                number = Decimal(text[i:j])
                i = j
                continue
            if ch in _DIGITS:
                number = Decimal(_DIGITS[ch])
            elif ch in _SMALL:
                section += (number if number is not None else Decimal(1)) * _SMALL[ch]
                number = None
            elif ch in _BIG:
                group = section + (number or 0)
                if group == 0:
                    return None
                # 1億2千萬: the 億 group must be larger than what follows
                total = (total + group) * _BIG[ch] if total and _BIG[ch] > 10_000 else total + group * _BIG[ch]
                section, number = Decimal(0), None
            else:
                return None
            i += 1
    except InvalidOperation:
        return None
    return total + section + (number or 0)


_NOT_MONEY = set("人名位個%年月天成班家歲倍次號點樓+")


def clean_text(text: str) -> str:
    """Normalised text without whitespace: the offsets find_amounts/find_counts return index it."""
    return re.sub(r"\s+", "", normalize(text))


_clean = clean_text


def find_amounts(text: str) -> list[tuple[int, int, int | None]]:
    """Every money amount in ``text`` as (start, end, NT$ or None when the unit is unclear).

    An amount needs a unit (萬/億/元) or at least 5 digits; '800' alone is unclear (800元?
    800萬?) and is reported with value None so the caller can ask again.
    """
    norm = _clean(text)
    out: list[tuple[int, int, int | None]] = []
    for m in _AMOUNT.finditer(norm):
        raw, unit = m.group(1), m.group(2)
        raw = raw.rstrip(",.")
        after = norm[m.end(1):m.end(1) + 1]
        before = norm[m.start(1) - 1:m.start(1)] if m.start(1) else ""
        if not unit and (after in _NOT_MONEY or before == "+"):
            continue  # 25人, 30%, 1+4: a count, a share or a label, not money
        value = parse_numeral(raw)
        if value is None or value <= 0:
            continue
        has_big = any(c in raw for c in _BIG)
        digits_only = raw.replace(",", "").replace(".", "").isdigit()
        if not (has_big or unit or (digits_only and value >= 10_000)):
            out.append((m.start(1), m.end(), None))
            continue
        if value != value.to_integral_value():
            continue  # fractions of a dollar: not an amount anyone means
        out.append((m.start(1), m.end(), int(value)))
    return out


def parse_amount(text: str) -> int | None:
    """The single clear amount in a short answer ('800萬', 'NT$8,000,000'); else None."""
    found = [v for _, _, v in find_amounts(text)]
    return found[0] if len(found) == 1 and found[0] is not None else None


def find_counts(text: str) -> list[tuple[int, int, int]]:
    """Head-counts written with a counter word: 25人, 八個人, 兩百名員工, 25位."""
    norm = _clean(text)
    out = []
    for m in _COUNT.finditer(norm):
        value = parse_numeral(m.group(1))
        if value is not None and value == value.to_integral_value() and value >= 0:
            out.append((m.start(1), m.end(), int(value)))
    return out


def parse_count(text: str) -> int | None:
    """A head-count from a short answer: '25人', '八個人', '25' (a bare number is taken as the count)."""
    counts = find_counts(text)
    if len(counts) == 1:
        return counts[0][2]
    norm = _clean(text).strip()
    bare = re.fullmatch(rf"(?:大約|約|大概|差不多)?\s*({_NUMERAL})\s*(?:左右|多)?", norm)
    if bare:
        value = parse_numeral(bare.group(1))
        if value is not None and value == value.to_integral_value() and value >= 0:
            return int(value)
    return None
