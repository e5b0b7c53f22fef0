"""Amounts and head-counts as Taiwanese people write them: 800萬, 八百萬, 3.5千萬, 3,500萬元, 8000000,
NT$8,000,000, 1億2千萬, 1.2億, 三萬五 (35,000), 一億二 (1.2億), 兩千五, 一百二 (120), formal 壹佰萬元,
三千五百萬元整, 25人, 八個人, 兩百人. Ranges and approximations (七八百萬, 七百多萬, 一千出頭) are read
as such (:class:`AmountReading`), never turned into one guessed figure.

Complete Chinese numerals are converted with ``cn2an``; the colloquial shortenings it does not read
right (三萬五, 十萬五, 一億二) and mixed forms (1億2千萬, 3.5千萬) use the rules below.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..textnorm import normalize

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "兩": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_BIG = {"萬": 10_000, "万": 10_000, "億": 100_000_000, "亿": 100_000_000}
_CN = "".join(_DIGITS) + "".join(_SMALL) + "".join(_BIG)
# formal (大寫) numerals on cheques and contracts → everyday ones, one character for one
_FORMAL = str.maketrans({"壹": "一", "貳": "二", "贰": "二", "貮": "二", "參": "三", "叁": "三", "参": "三",
                         "叄": "三", "肆": "四", "伍": "五", "陸": "六", "陆": "六", "柒": "七", "捌": "八",
                         "玖": "九", "拾": "十", "佰": "百", "仟": "千", "廿": "二"})

# one numeral: Arabic (with thousands commas / decimals) and/or Chinese numeral characters; 多 inside
# (七百多萬) marks an approximation
# (a comma only between digits: 「3,500萬，一年」 is normalised to 「3,500萬,一年」, two figures)
_NUMERAL = rf"(?:\d[\d,]*(?:\.\d+)?|[{_CN}])(?:[\d.{_CN}多]|(?<=\d),(?=\d))*"
_AMOUNT = re.compile(rf"(?:nt\$|ntd|\$|新臺幣|新台幣)?\s*({_NUMERAL})(出頭|來)?\s*(元整|元|塊錢|塊)?", re.I)
_COUNT = re.compile(rf"({_NUMERAL})(出頭|來)?\s*(?:個人|個員工|名員工|位員工|人|名|位|個)")
_RANGE = re.compile(r"([一二兩三四五六七八])([二三四五六七八九])(?=[十百千萬億])")
_ABOUT_BEFORE = re.compile(r"(大約|大概|約|差不多|將近|接近|快|估計)$")
_ABOUT_AFTER = re.compile(r"^(左右|上下)")


@dataclass(frozen=True)
class AmountReading:
    """One written amount or count, read without guessing.

    kind: ``exact`` (800萬), ``about`` (大概300萬, 300萬左右: the figure, said to be approximate),
    ``range`` (七八百萬: ``low``–``high``) or ``more_than`` (七百多萬: above ``low``, below ``high``;
    一千出頭: a little above ``low``). ``value`` is the figure for exact/about readings, else None;
    ``unit_clear`` is False for a bare small number (800: 元 or 萬?).
    """
    start: int
    end: int
    text: str
    kind: str
    value: int | None
    low: int | None = None
    high: int | None = None
    unit_clear: bool = True


_ELLIPTIC_GROUP = re.compile(rf"(?<!零)[十百千][{''.join(_DIGITS)}](?=[萬万億亿])")


def _elliptic_tail(text: str) -> bool:
    """三萬五, 一百二, 一億二 (and 一百二萬 = 120萬): a single digit right after a unit with no 零,
    meaning the next lower place."""
    if _ELLIPTIC_GROUP.search(text):
        return True
    return len(text) >= 2 and (text[-1] in _DIGITS or text[-1].isdigit()) and text[-2] in {**_SMALL, **_BIG} \
        and text[-1] not in "零〇" and not (len(text) >= 3 and text[-3] == "零")


def _cn2an(text: str) -> Decimal | None:
    """cn2an for complete Chinese numerals (壹佰萬, 三千五百萬, 一千零五十萬), where it is right."""
    if not text or any(c not in _CN for c in text) or _elliptic_tail(text):
        return None
    try:
        import cn2an
        return Decimal(int(cn2an.cn2an(text, "normal")))
    except Exception:  # cn2an refuses forms it does not know (一億二): the rules below read them
        return None


def parse_numeral(text: str) -> Decimal | None:
    """Value of one numeral string ('3.5千萬' → 35000000, '十二' → 12, '三萬五' → 35000); None if it is
    not one (or is a range such as 七八百萬)."""
    text = text.replace(",", "").strip().translate(_FORMAL)
    if not text or "多" in text or _RANGE.search(text):
        return None
    converted = _cn2an(text)
    if converted is not None:
        return converted
    total = Decimal(0)      # finished 萬/億 groups
    section = Decimal(0)    # the group being built (below 萬)
    number: Decimal | None = None
    last_unit: int | None = None   # the place of the last unit (for 三萬五 = 3萬5千)
    zero_seen = False
    i = 0
    try:
        while i < len(text):
            ch = text[i]
            if ch.isdigit() or ch == ".":
                j = i
                while j < len(text) and (text[j].isdigit() or text[j] == "."):
                    j += 1
                number = Decimal(text[i:j])
                single = j - i == 1
                i = j
                if i == len(text) and single and last_unit and not zero_seen:
                    number *= Decimal(last_unit) / 10   # 3萬5 → 35000
                continue
            if ch in _DIGITS:
                number = Decimal(_DIGITS[ch])
                if ch in "零〇":
                    zero_seen, number = True, None
                elif i == len(text) - 1 and last_unit and not zero_seen:
                    number *= Decimal(last_unit) / 10   # 三萬五, 一百二, 一億二: the next lower place
            elif ch in _SMALL:
                section += (number if number is not None else Decimal(1)) * _SMALL[ch]
                number, last_unit, zero_seen = None, _SMALL[ch], False
            elif ch in _BIG:
                if number is not None and last_unit in _SMALL.values() and not zero_seen \
                        and text[i - 1] in _DIGITS:
                    number *= Decimal(last_unit) / 10   # 一百二萬 = 120萬
                group = section + (number or 0)
                if group == 0:
                    return None
                # 1億2千萬: the 億 group must be larger than what follows
                total = (total + group) * _BIG[ch] if total and _BIG[ch] > 10_000 else total + group * _BIG[ch]
                section, number, last_unit, zero_seen = Decimal(0), None, _BIG[ch], False
            else:
                return None
            i += 1
    except InvalidOperation:
        return None
    return total + section + (number or 0)


def _place_before(raw: str, idx: int) -> Decimal:
    """The place value of the numeral part before position ``idx`` (七百|多萬 → 百 → 100)."""
    ch = raw[idx - 1]
    if ch in _SMALL:
        return Decimal(_SMALL[ch])
    if ch in _BIG:
        return Decimal(_BIG[ch])
    digits = re.search(r"(\d+)$", raw[:idx])
    if digits:
        zeros = len(digits.group(1)) - len(digits.group(1).rstrip("0"))
        return Decimal(10) ** zeros
    return Decimal(1)


def read_numeral(raw: str) -> tuple[str, Decimal | None, Decimal | None, Decimal | None]:
    """(kind, value, low, high) of one numeral string: exact, range (七八百萬) or more_than (七百多萬)."""
    raw = raw.replace(",", "").translate(_FORMAL)
    m = _RANGE.search(raw)
    if m:
        low = parse_numeral(raw[:m.start()] + m.group(1) + raw[m.end():])
        high = parse_numeral(raw[:m.start()] + m.group(2) + raw[m.end():])
        if low is not None and high is not None and _DIGITS[m.group(2)] == _DIGITS[m.group(1)] + 1:
            return "range", None, low, high
        return "invalid", None, None, None
    if "多" in raw:
        idx = raw.index("多")
        if idx == 0 or raw.count("多") > 1:
            return "invalid", None, None, None
        base = parse_numeral(raw[:idx] + raw[idx + 1:])
        if base is None:
            return "invalid", None, None, None
        scale = parse_numeral("1" + raw[idx + 1:]) if raw[idx + 1:] else Decimal(1)
        step = _place_before(raw, idx) * (scale or 1)
        return "more_than", None, base, base + step
    value = parse_numeral(raw)
    return ("exact", value, None, None) if value is not None else ("invalid", None, None, None)


_NOT_MONEY = set("人名位個%年月天成班家歲倍次號點樓+")


def clean_text(text: str) -> str:
    """Normalised text without whitespace, formal numerals as everyday ones: the offsets
    find_amounts/find_counts return index it."""
    return re.sub(r"\s+", "", normalize(text)).translate(_FORMAL)


_clean = clean_text


def _about(norm: str, start: int, end: int) -> bool:
    return bool(_ABOUT_BEFORE.search(norm[max(0, start - 3):start]) or _ABOUT_AFTER.match(norm[end:end + 2]))


def _whole(value: Decimal | None) -> int | None:
    return int(value) if value is not None and value == value.to_integral_value() else None


_COUNTED_TAIL = re.compile(r"^(.*[萬万億亿])[一二兩两三四五六七八九十]+$")


def _reading(norm: str, start: int, end: int, raw: str, suffix: str | None, unit: str | None) -> AmountReading | None:
    """The reading of one numeral ``raw`` at ``start`` (``end``: after its unit), or None."""
    kind, value, low, high = read_numeral(raw)
    if kind == "invalid" or (value is not None and value <= 0):
        return None
    if suffix == "出頭" or (suffix == "來" and kind == "exact"):
        kind, low, high, value = "more_than", value, None, None   # 一千出頭: a little above 一千
    magnitude = value if value is not None else low
    has_big = any(c in raw for c in _BIG)
    digits_only = raw.replace(",", "").replace(".", "").isdigit()
    unit_clear = bool(has_big or unit or (digits_only and magnitude is not None and magnitude >= 10_000))
    if kind == "exact":
        whole = _whole(value)
        if whole is None:
            return None  # fractions of a dollar: not an amount anyone means
        return AmountReading(start, end, raw, "about" if _about(norm, start, end) else "exact",
                             whole if unit_clear else None, unit_clear=unit_clear)
    return AmountReading(start, end, raw, kind, None, _whole(low), _whole(high), unit_clear)


def find_amount_readings(text: str) -> list[AmountReading]:
    """Every money amount in ``text``, read without guessing (see :class:`AmountReading`).

    An amount needs a unit (萬/億/元) or at least 5 digits; '800' alone is unclear (800元?
    800萬?) and is reported with ``unit_clear`` False so the caller can ask again.
    """
    norm = _clean(text)
    out: list[AmountReading] = []
    for m in _AMOUNT.finditer(norm):
        raw, suffix, unit = m.group(1), m.group(2), m.group(3)
        raw = raw.rstrip(",.")
        after = norm[m.end(1):m.end(1) + 1]
        before = norm[m.start(1) - 1:m.start(1)] if m.start(1) else ""
        end = m.end()
        tail = _COUNTED_TAIL.match(raw)
        if tail and not unit and not suffix and after in _NOT_MONEY:
            # 「借3500萬一年」「500萬三個人」: the digits after 萬/億 count the next thing (a year,
            # people); they are not an elliptic tail like 三萬五's
            raw = tail.group(1)
            end = m.start(1) + len(raw)
        elif not unit and not suffix and (after in _NOT_MONEY or before == "+"):
            continue  # 25人, 30%, 1+4: a count, a share or a label, not money
        if suffix and not unit and norm[m.end(2):m.end(2) + 1] in _NOT_MONEY:
            continue  # 三十出頭人
        reading = _reading(norm, m.start(1), end, raw, suffix, unit)
        if reading is not None:
            out.append(reading)
    return out


def find_amounts(text: str) -> list[tuple[int, int, int | None]]:
    """Every single-figure money amount in ``text`` as (start, end, NT$ or None when the unit is
    unclear). Ranges and "more than" amounts (七八百萬, 七百多萬) are left out: they are not one figure
    (see :func:`find_amount_readings`)."""
    return [(r.start, r.end, r.value) for r in find_amount_readings(text) if r.kind in ("exact", "about")]


def read_amount(text: str) -> AmountReading | None:
    """The single amount in a short answer, however it is written (exact, about, range, more than)."""
    found = find_amount_readings(text)
    return found[0] if len(found) == 1 else None


def parse_amount(text: str) -> int | None:
    """The single clear amount in a short answer ('800萬', 'NT$8,000,000'); else None (also for a
    range or approximation such as 七八百萬 or 七百多萬, which the caller asks back about)."""
    found = find_amount_readings(text)
    if len(found) == 1 and found[0].kind in ("exact", "about"):
        return found[0].value
    return None


# a head-count after its label, without a counter word: 人數50, 員工數12, 員工人數：8 (not 員工500萬, 員工3年)
_LABELLED_COUNT = re.compile(rf"(?:員工人數|員工數|人數|員工)\s*(?:[:：=]|為|是|有|共|約|大約|大概)?\s*({_NUMERAL})"
                             rf"(?![\d.{_CN}]|\s*(?:[萬万億亿元塊%％年月天週周歲個人名位]|出頭|來|幾|多))")


def find_counts(text: str) -> list[tuple[int, int, int]]:
    """Head-counts written with a counter word: 25人, 八個人, 兩百名員工, 25位, 一百二個人; or after
    the word for the head-count: 人數50, 員工數12."""
    norm = _clean(text)
    out = []
    for m in _LABELLED_COUNT.finditer(norm):
        kind, value, _, _ = read_numeral(m.group(1))
        whole = _whole(value) if kind == "exact" else None
        if whole is not None and whole >= 0 and not re.search(r"[多萬万億亿]", m.group(1)):
            out.append((m.start(1), m.end(1), whole))
    for m in _COUNT.finditer(norm):
        if m.group(2):
            continue  # 三十出頭人: not one count
        raw, start = m.group(1), m.start(1)
        tail = _COUNTED_TAIL.match(raw)
        if tail:  # 「借500萬三個人」: the amount, then the count
            raw, start = raw[len(tail.group(1)):], start + len(tail.group(1))
        kind, value, _, _ = read_numeral(raw)
        whole = _whole(value) if kind == "exact" else None
        if whole is not None and whole >= 0 and not any(s <= start < e for s, e, _ in out):
            out.append((start, m.end(), whole))
    return sorted(out)


def parse_count(text: str) -> int | None:
    """A head-count from a short answer: '25人', '八個人', '25' (a bare number is taken as the count);
    None for a range or approximation (三四十人, 五十多人)."""
    counts = find_counts(text)
    if len(counts) == 1:
        return counts[0][2]
    norm = _clean(text).strip()
    bare = re.fullmatch(rf"(?:大約|約|大概|差不多)?\s*({_NUMERAL})\s*(?:左右|上下)?", norm)
    if bare:
        kind, value, _, _ = read_numeral(bare.group(1))
        whole = _whole(value) if kind == "exact" else None
        if whole is not None and whole >= 0:
            return whole
    return None
