"""What the direct answers share: the reply type and its sentences, the cues and readers of a
question (amounts and their roles, head-counts, years, English figures), and the reply builders.
Every rule module takes these names with ``from .common import *`` (see ``__all__`` at the end)."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from ..calc import extract as ex
from ..calc.diagnosis import calculate_diagnosis
from ..calc.loans import LoanInput, find_loans, interest_subsidy, rate_text
from ..calc.numbers import clean_text, find_amounts, find_counts, parse_numeral
from ..calc.params import Loan, Parameters, parameters
from ..calc.result import approx_wan, money, pct, wan
from ..calc.sme import is_sme
from ..calc.subsidy import TRACK_LABEL, SubsidyInput, Track, calculate_subsidy, tier_for
from ..loader import KnowledgeBase

TEMPLATES_FILE = Path(__file__).resolve().parent.parent / "direct.yml"

# Which guided calculation continues each rule (the form the 「完整試算」 button starts).
SUBSIDY_FORM, LOAN_FORM, DIAGNOSIS_FORM = "subsidy_form", "loan_form", "diagnosis_form"

# An input guard, not a programme figure: an amount above this in a question about a subsidy plan
# or a loan is a typo (999億), and is questioned instead of computed with.
IMPLAUSIBLE_AMOUNT = 10_000_000_000


@dataclass(frozen=True)
class DirectAnswer:
    rule: str                    # new_equipment | commissioned_research | gov_share | tier_cap |
                                 # loan_class | interest_subsidy | loan_capex | diagnosis_split | reverse_total |
                                 # subsidy_overview (no figure given: the limits and the form) | check_input
    text: str                    # the reply (zh-TW): the formula, the result, the citation line
    entry_id: str                # the knowledge entry whose rule was applied
    form: str | None             # the guided calculation to offer (subsidy_form | loan_form | diagnosis_form)
    figures: dict[str, Any] = field(default_factory=dict)   # the user's figures used (NT$, people, years)
    formula: str | None = None   # the one computed step, e.g. "950萬元 × 30% = 285萬元"
    prefill: str = ""            # the user's facts in words, for the guided calculation to start from
    citations: tuple[str, ...] = ()   # entry ids cited in the text


@functools.lru_cache(maxsize=1)
def templates() -> dict[str, Any]:
    return yaml.safe_load(TEMPLATES_FILE.read_text("utf-8"))


def _t(rule: str, key: str, **values: Any) -> str:
    return templates()["rules"][rule][key].format(**values)


# ---------------------------------------------------------------- what the question talks about

_ASK = re.compile(r"多少|幾|最多|最高|上限|能補|可以補|可補|補到|拿到|能拿|可以拿|能借|可以借|額度|怎麼算|算|嗎|[?？]"
                  r"|哪|how\s*much|多大|可以貸|能貸|省")
_CALC_VERB = re.compile(r"試算|幫我算|幫忙算|算算|算一下|算看看|估算|計算|算給我|估一下|幫我估|幫忙估|估看看|估計一下")
_SUBSIDY = re.compile(r"補助|補多少|能補|可以補|可補|補幾|補到|subsidy|政府(最多|最高|能|可以|會)?(出|給|負擔|補)")
_CAP = re.compile(r"上限|最多|最高|多少|幾百萬|幾萬|能拿|可以拿|拿多少|補多少|頂多|封頂|能補|可以補")
_LOAN = re.compile(r"借|貸|融資|loan")
_INTEREST = re.compile(r"利息補貼|補貼|補息|貼息|利息|省多少")
_DIAGNOSIS = re.compile(r"診斷")
_PAY = re.compile(r"自己|自付|自籌|我們|我司|本公司|要付|要出|付多少|出多少|負擔|要花")  # "how much do WE pay"
_SHARE = re.compile(r"50%|百分之五十|一半|半數|五成|自籌|配合款|比例|低於|小於|補到|幾成|成數|佔")
# "may we apply?" without asking an amount: an eligibility question, answered by the entry's conditions
# (「最多可以申請多少補助」 asks an amount, not whether)
_ELIGIBILITY = re.compile(r"(可以|能|能不能|可不可以|可否|有沒有辦法)申請(?!多少|到多少|幾|的?(金額|額度|上限))|資格|符合")
_AMOUNT_ASKED = re.compile(r"多少|幾萬|費用|錢|付|自籌|負擔|how\s*much", re.I)
_SEVERAL_CASES = re.compile(r"(\d+|[兩二三四五六七八九十]+)\s*(個|間)?(診斷|輔導)*(廠區|案|廠|據點|分公司|工廠)"
                            r"|([2-9]|\d{2,}|[兩二三四五六七八九十]+)\s*(次|回|輪)")
_SELF_PAY = re.compile(r"自籌|自付|自己出|自己要出|要出多少|負擔|配合款"
                       r"|(我們|我司|公司|自己|業者|廠商|企業)(還|至少|最少)?(要|得|需要|需)?(出|付|掏)多少")
_CAPEX = re.compile(r"設備|機器|機台|機臺|廠房|資本性|買")
_WORKING = re.compile(r"週轉|周轉|營運資金")
# a comparison (「非中小企業和中小企業差多少」) is no one-kind computation
_COMPARE = re.compile(r"差多少|差別|差在|相差|比較|差幾")
_TAKE = re.compile(r"能拿|可以拿|拿多少|拿到|分到")
# "and the rest, what do we pay ourselves": the complement of a computed share (total − subsidy / loan)
_REST_ASKED = re.compile(r"剩下|剩餘|其餘|其他的?(部分|錢)|差額|自有資金|自備|頭期"
                         r"|(我們|我司|公司|自己|業者|廠商|企業)(還|至少|最少)?(要|得|需要|需)?(出|付|掏|準備|負擔)(多少|幾)"
                         r"|自籌|自付")
# the whole plan total is spent on the one item asked about (「假設全部拿來買新設備」)
_WHOLE_ON_ITEM = re.compile(r"全部|全都|都(拿來|用來|用在|用於|是)|整筆|全數|百分之百|100%")
_MICRO_WORDS = re.compile(r"小規模|微型|稅籍|未滿5人|不到5人|400萬那")
_TRANSFORM = re.compile(r"轉型發展|轉型")
# "政府能補多少" with no item named in the asking clause: the whole subsidy (several facts → the form)
# (「政府最多出多少」 after naming an item without its amount asks about that item)
_SUBSIDY_OVERALL = re.compile(r"總共|全部|整個|一共|整案|合計")

ITEM_WORDS = {
    "new_equipment": ("全新設備", "新設備", "新機器", "新機台", "買設備", "買機器", "買機台", "買新", "購置",
                      "機械手臂", "設備購置", "新的設備", "新的機器", "添購", "採購設備", "設備補助", "設備的補助",
                      "設備能補", "設備可以補", "設備可補", "設備最多", "設備費"),
    "commissioned_research": ("委託研究", "委外研究", "委託驗證", "驗證費", "委託", "研究費", "驗證"),
}
# the cleaned text has 臺 for 台 (Simplified→Traditional): 新機台 is read as 新機臺
ITEM_WORDS = {item: tuple(dict.fromkeys(w2 for w in words for w2 in (w, w.replace("台", "臺"))))
              for item, words in ITEM_WORDS.items()}
_EXISTING = re.compile(r"既有|改善|舊|二手")
ITEM_ENTRY = {"new_equipment": "subsidy_new_equipment", "commissioned_research": "subsidy_commissioned_research"}
# Words naming what an amount is, looked for before it in the same clause.
_TOTAL_WORDS = ("總經費", "總預算", "計畫經費", "計畫總", "總額", "整個計畫", "計畫", "計劃", "專案", "案子", "總共", "總計")
_GENERIC_BUDGET = ("預算", "經費", "投資", "投入", "投")
_LOAN_WORDS = ("借款", "貸款", "借", "貸", "融資")
_TARGET_WORDS = ("補貼", "補助", "補到", "拿到", "補", "拿", "自付", "自籌")
_CAPITAL_WORDS = ("資本額", "實收資本", "資本")
# the firm's turnover (「去年營收2億」): no rule of the programme reads it (the SME line is capital or
# head-count), so it is never a plan's total, a loan or an item's cost
_REVENUE_WORDS = ("營收", "營業額", "營業收入", "業績", "銷售額", "年收入", "年收", "產值")
_CLAUSE_SEP = "，,。；;、!！?？ "


def _clause_before(text: str, start: int) -> str:
    cut = max(text.rfind(sep, 0, start) for sep in _CLAUSE_SEP)
    return text[cut + 1:start]


def _last_pos(window: str, words: tuple[str, ...]) -> int:
    return max((window.rfind(w) for w in words), default=-1)


def amount_role(text: str, start: int, end: int) -> str | None:
    """What the amount at [start, end) of the cleaned text is: total | new_equipment |
    commissioned_research | loan | capital | revenue (the firm's turnover, which no rule reads) |
    target (an amount asked about) | None."""
    window = _clause_before(text, start)
    positions = {
        "total": _last_pos(window, _TOTAL_WORDS),
        "generic": _last_pos(window, _GENERIC_BUDGET),
        "loan": _last_pos(window, _LOAN_WORDS),
        "target": _last_pos(window, _TARGET_WORDS),
        "capital": _last_pos(window, _CAPITAL_WORDS),
        "revenue": _last_pos(window, _REVENUE_WORDS),
        **{item: _last_pos(window, words) for item, words in ITEM_WORDS.items()},
    }
    role, pos = max(positions.items(), key=lambda kv: kv[1])
    if pos >= 0:
        if role == "generic":
            items = [i for i in ITEM_WORDS if positions[i] >= 0]
            return items[0] if items else "total"
        return role
    after = text[end:end + 6]
    if re.match(r"元?(的|之)?(計畫|計劃|專案|案子|預算|總經費|投資案)", after):
        return "total"
    if re.match(r"元?(的|之)?(全新|新的?)?(設備|機器|機台)", after):
        return "new_equipment"
    if re.match(r"元?(的|之)?(貸款|借款|融資)", after):
        return "loan"
    return None


@dataclass(frozen=True)
class StaffRange:
    """A head-count as stated: exact (8人) or a bound (不到5人 → 0..4, 10人以上 → 10..None)."""
    low: int
    high: int | None
    text: str           # as said to the user, e.g. 員工8人, 員工未滿5人
    approximate: bool = False   # 二十幾個, 三四十人: the user's own head-count, said roughly (not a bound)

    @property
    def exact(self) -> int | None:
        return self.low if self.low == self.high else None


# after 「N個」: what is counted when it is not people (一個案子, 三個廠區, 兩個月)
_NOT_PEOPLE = re.compile(r"(案|廠|工廠|公司|據點|分店|月|年|星期|禮拜|小時|計畫|計劃|項|部|台|臺|家|階段|問題|產線|地方)")


# an approximate head-count (「員工二十幾個」「十幾人」「幾十人」「三四十人」「30多人」「三十出頭」): a range, which
# settles a size tier when the whole range falls in it (二十幾 → 20..29: 10人以上); never one figure
_APPROX_DIGIT = "一二兩三四五六七八九"
_APPROX_COUNT = re.compile(
    rf"(?<![{_APPROX_DIGIT}十百千萬\d])"
    rf"(?:(?P<tens>[{_APPROX_DIGIT}1-9]?)十(?P<some>幾|多|來)"          # 二十幾, 十幾, 十多, 二十來
    rf"|(?P<a>[{_APPROX_DIGIT}])(?P<b>[{_APPROX_DIGIT}])(?=\s*(?:個|名|位|人))"   # 兩三個人, 七八人
    rf"|(?P<lo>[{_APPROX_DIGIT}])(?P<hi>[{_APPROX_DIGIT}])十"            # 三四十
    rf"|(?P<arabic>[1-9]\d*0)多"                                         # 30多, 100多
    rf"|幾(?P<place>十|百)"                                               # 幾十, 幾百
    rf"|(?P<round>[{_APPROX_DIGIT}1-9]?十|[1-9]\d*0)出頭)"                # 三十出頭, 30出頭
    r"\s*(?P<counter>個人|個員工|名員工|位員工|人|名|位|個)")
_APPROX_DIGITS = {ch: i + 1 for i, ch in enumerate("一二三四五六七八九")} | {"兩": 2}


def _digit(ch: str) -> int:
    return int(ch) if ch.isdigit() else _APPROX_DIGITS[ch]


def _approx_staff(t: str) -> list[tuple[int, int, int, int, str]]:
    """The approximate head-counts in cleaned text ``t``: (start, end, low, high, as said)."""
    out = []
    for m in _APPROX_COUNT.finditer(t):
        if m.group("counter") == "個" and _NOT_PEOPLE.match(t[m.end():m.end() + 2]):
            continue   # 二十幾個案子, 十幾個月: not people
        if m.group("some") is not None:
            base = 10 * (_digit(m.group("tens")) if m.group("tens") else 1)
            low, high = base, base + 9
        elif m.group("a") is not None:
            low, high = _digit(m.group("a")), _digit(m.group("b"))
            if high != low + 1:
                continue
        elif m.group("lo") is not None:
            low, high = 10 * _digit(m.group("lo")), 10 * _digit(m.group("hi")) + 9
            if low >= high:
                continue
        elif m.group("arabic") is not None:
            n = int(m.group("arabic"))
            unit = 10 ** (len(str(n)) - len(str(n).rstrip("0")))
            low, high = n, n + unit - 1
        elif m.group("place") is not None:
            unit = 10 if m.group("place") == "十" else 100
            low, high = unit, unit * 10 - 1
        else:
            r = m.group("round")
            n = int(r) if r[0].isdigit() else 10 * (_digit(r[0]) if len(r) > 1 else 1)
            unit = 10 ** (len(str(n)) - len(str(n).rstrip("0")))
            low, high = n, n + unit // 2
        said = t[m.start():m.end() - len(m.group("counter"))].strip()
        out.append((m.start(), m.end(), low, high, said))
    return out


_RANGE_BEFORE = re.compile(rf"(?:幾|多|[\d{_APPROX_DIGIT}十百](?:到|至|~|～|-|－))$")
_RANGE_AFTER = re.compile(rf"^\s*(?:到|至|~|～|-|－)\s*[\d{_APPROX_DIGIT}十]")


def _in_range(t: str, start: int, end: int) -> bool:
    """The count at [start, end) of ``t`` is one end of a range (十幾二十人, 10到20人, 15-20人)."""
    return bool(_RANGE_BEFORE.search(t[max(0, start - 2):start]) or _RANGE_AFTER.match(t[end:end + 4]))


# after a head-count: the count names a class of the programme (「未滿5人那類」「5人以下的那一種」), not the firm
_CLASS_NAMED = re.compile(r"(?:以下|以上|以內)?(?:的)?(?:那|這)?(?:一)?(?:類|種|個類別|個方案|個專案|組)")


def staff_range(text: str) -> StaffRange | None:
    t = clean_text(text)
    approx = _approx_staff(t)
    counts = [c for c in find_counts(text)
              if not (t[c[1] - 1] == "個" and _NOT_PEOPLE.match(t[c[1]:c[1] + 2]))
              and not any(s <= c[0] < e for s, e, *_ in approx)   # 幾十人 is not 十人
              and not _in_range(t, c[0], c[1])]   # 十幾二十人, 10到20人, 15-20人: a range, not one figure
    if len(counts) > 1:
        # 「員工3個人，…未滿5人那類利率多少」: a count naming a class (「未滿5人那類」) is not the firm's head-count
        counts = [c for c in counts if not _CLASS_NAMED.match(t[c[1]:c[1] + 8])] or counts
    if approx:
        if len(approx) != 1 or counts:
            return None
        _, _, low, high, said = approx[0]
        return StaffRange(low, high, f"員工{said}人", approximate=True)
    if len(counts) != 1:
        return None
    start, end, n = counts[0]
    # find_counts' offsets index the cleaned text (Simplified → Traditional: 未满 is read as 未滿)
    before, after = t[max(0, start - 3):start], t[end:end + 3]
    if re.search(r"(不到|未滿|少於|小於|低於|不滿|不足)$", before):
        return StaffRange(0, max(n - 1, 0), f"員工未滿{n}人")
    if re.match(r"(以下|以內)", after):
        return StaffRange(0, n, f"員工{n}人以下")
    if re.search(r"(超過|多於|大於)$", before):
        return StaffRange(n + 1, None, f"員工超過{n}人")
    if re.match(r"(以上|多)", after) or re.search(r"\d多$|十多$", t[start:end + 1]):
        return StaffRange(n, None, f"員工{n}人以上")
    return StaffRange(n, n, f"員工{n}人")


def years_stated(text: str) -> int | None:
    """"2年", "兩年", "借3年": a period in years (not 民國112年 or an age)."""
    found = re.findall(r"(\d+|[一二兩三四五六七八九十]+)\s*(?:年|yr|years?)(?!度|級|代)", text)
    values = [parse_numeral(v) for v in found]
    values = [int(v) for v in values if v is not None and v == v.to_integral_value() and 0 < v <= 30]
    return values[0] if len(values) == 1 else None


@dataclass
class Question:
    """The figures and cues of one message, read once."""
    text: str
    facts: ex.Facts
    roles: dict[str, list[int]]
    staff: StaffRange | None
    years: int | None
    negative: str | None
    clauses: list[str]

    def one(self, role: str) -> int | None:
        values = set(self.roles.get(role, []))
        return values.pop() if len(values) == 1 else None


# English questions with figures (「We have 8 employees and a budget of NT$6 million」): the figures
# are rewritten the way the Chinese readers below take them, and the programme words through the
# retriever's glossary (knowledge/glossary.yml), in place; the reply stays in Chinese.
# Number words before what they count (five employees, two years, ten million) become digits first.
_EN_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                         "thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_EN_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
_EN_COUNTED = (r"(?:full[- ]time\s+)?(?:employees?|staff|people|persons?|workers?|years?|yrs?|million|mn|billion|bn"
               r"|thousand)\b")
_EN_NUMBER_WORD = re.compile(
    rf"\b(?:(?P<tens>{'|'.join(_EN_TENS)})(?:[- ](?P<unit>{'|'.join(w for w in _EN_UNITS if _EN_UNITS[w])}))?"
    rf"|(?P<single>{'|'.join(_EN_UNITS)})|(?P<hundred>(?:a|one)\s+hundred))\b(?=\s*-?\s*{_EN_COUNTED})", re.I)
# …and after the word for the head count: headcount is twelve, staff of five
_EN_NUMBER_AFTER_STAFF = re.compile(
    rf"(\b(?:employees?|staff|headcount|head count|workers?)\s*(?:of|:|=|is|are|at)?\s*)"
    rf"((?:{'|'.join(_EN_TENS)})(?:[- ](?:{'|'.join(w for w in _EN_UNITS if _EN_UNITS[w])}))?|{'|'.join(_EN_UNITS)})\b", re.I)
_EN_MILLION = re.compile(r"(?:nt\$|ntd|twd|\$)?\s*(\d+(?:\.\d+)?)\s*(million|mn|m|billion|bn|thousand|k)\b"
                         r"(?:\s*(?:nt\s*dollars?|ntd|twd|dollars?))?", re.I)
# a head count with how it is bounded: fewer than 5 employees, 10 or more staff, at least 10 people,
# headcount under 5; «N» stands for the number
_EN_FEWER = r"fewer\s+than|less\s+than|under|below"
_EN_MORE = r"more\s+than|over|above"
_EN_AT_LEAST = r"at\s+least|no\s+fewer\s+than|no\s+less\s+than|a\s+minimum\s+of"
_EN_AT_MOST = r"at\s+most|up\s+to|no\s+more\s+than|not\s+more\s+than|a\s+maximum\s+of"
_EN_BOUND = rf"(?:(?P<fewer>{_EN_FEWER})|(?P<more>{_EN_MORE})|(?P<least>{_EN_AT_LEAST})|(?P<most>{_EN_AT_MOST}))\s+"
_EN_AFTER_BOUND = r"(?:\s*(?P<plus>\+|or\s+more|or\s+above|and\s+above|or\s+over)|\s*(?P<minus>or\s+fewer|or\s+less|or\s+below|and\s+below))?"
_EN_STAFF_AFTER = re.compile(rf"(?:{_EN_BOUND})?(?P<n>\d+){_EN_AFTER_BOUND}\s*-?\s*(?:full[- ]time\s+)?"
                             r"(?:employees?|staff|people|persons?|workers?|headcount)\b", re.I)
_EN_STAFF_BEFORE = re.compile(rf"\b(?:employees?|staff|headcount|head count|workers?)\s*(?:of|:|=|is|are|at)?\s*"
                              rf"(?:{_EN_BOUND})?(?P<n>\d+){_EN_AFTER_BOUND}\b(?!\s*(?:million|mn|m|billion|bn|thousand|k|%))", re.I)
_EN_WE_PAY = re.compile(r"\b(?:do|would|will|should|must)?\s*(?:we|i)\s+(?:have\s+to\s+|need\s+to\s+)?pay\b", re.I)
_EN_ASK = re.compile(r"\bhow\s+much\b|\bhow\s+many\b|\bwhat(?:'s|\s+is)\s+the\s+(?:most|max(?:imum)?)\b", re.I)
_EN_YEARS = re.compile(r"\b(\d+)\s*(?:years?|yrs?)\b", re.I)


def _en_number_word(m: re.Match) -> str:
    if m.group("hundred"):
        return "100"
    if m.group("single"):
        return str(_EN_UNITS[m.group("single").lower()])
    return str(_EN_TENS[m.group("tens").lower()] + (_EN_UNITS[m.group("unit").lower()] if m.group("unit") else 0))


def _en_staff(m: re.Match) -> str:
    """A head count as the Chinese readers take it: 員工未滿5人, 員工超過10人, 員工10人以上, 員工9人以下."""
    n = m.group("n")
    if m.group("fewer"):
        return f" 員工未滿{n}人 "
    if m.group("more"):
        return f" 員工超過{n}人 "
    if m.group("least") or m.group("plus"):
        return f" 員工{n}人以上 "
    if m.group("most") or m.group("minus"):
        return f" 員工{n}人以下 "
    return f" 員工{n}人 "


def english_as_chinese(text: str) -> str:
    """An English question's figures and programme words in the Chinese forms the readers take;
    any other text unchanged."""
    from ..glossary import is_latin_question, load_glossary
    if not is_latin_question(text):
        return text

    def million(m: re.Match) -> str:
        unit = m.group(2).lower()
        scale = {"million": 100, "mn": 100, "m": 100, "billion": 100_000, "bn": 100_000,
                 "thousand": Decimal("0.1"), "k": Decimal("0.1")}[unit]
        value = Decimal(m.group(1)) * scale
        return f" {value.normalize():f}萬 "

    t = _EN_NUMBER_WORD.sub(_en_number_word, text)
    t = _EN_NUMBER_AFTER_STAFF.sub(lambda m: m.group(1) + _en_number_word(_EN_NUMBER_WORD.match(m.group(2) + " people")), t)
    t = _EN_MILLION.sub(million, t)
    t = _EN_STAFF_AFTER.sub(_en_staff, t)
    t = _EN_STAFF_BEFORE.sub(_en_staff, t)
    # 為期 keeps the period apart from an amount before it (3500萬為期2年, not 3500萬2年)
    t = _EN_YEARS.sub(lambda m: f" 為期{m.group(1)}年 ", t)
    t = _EN_ASK.sub(" 多少 ", t)
    t = _EN_WE_PAY.sub(" 我們要付 ", t)
    t = load_glossary().lexical_text(t)
    return re.sub(r"\.(?=\s|$)", "。", t).replace("?", "？")


def read_question(text: str) -> Question:
    text = english_as_chinese(text)
    t = clean_text(text)
    roles: dict[str, list[int]] = {}
    negative = None
    for start, end, value in find_amounts(text):
        if value is None:
            continue
        if re.search(r"(-|負|减|減)$", t[max(0, start - 1):start]):
            negative = t[max(0, start - 1):end]
            continue
        roles.setdefault(amount_role(t, start, end) or "unknown", []).append(value)
    m = re.search(r"(-|負)\s*\d+\s*(?:個人|個員工|名員工|位員工|人|名|位)", t)
    if m:
        negative = m.group(0)
    clauses = [c for c in re.split(rf"[{re.escape(_CLAUSE_SEP)}]", t) if c]
    return Question(t, ex.extract_facts(text), roles, staff_range(text), years_stated(t), negative, clauses)


# ---------------------------------------------------------------- the answers

def _cite(kb: KnowledgeBase, *entry_ids: str) -> str:
    names = [kb.get(e).citation for e in dict.fromkeys(entry_ids)]
    return templates()["citation"].format(citations="；".join(names))


def _compose(kb: KnowledgeBase, rule: str, lines: list[str], entry_ids: tuple[str, ...], form: str | None,
             figures: dict[str, Any], formula: str | None, prefill: str) -> DirectAnswer:
    body = [line for line in lines if line]
    if form:
        body.append(templates()["offer"])
    body.append(_cite(kb, *entry_ids))
    return DirectAnswer(rule=rule, text="\n".join(body), entry_id=entry_ids[0], form=form, figures=figures,
                        formula=formula, prefill=prefill, citations=tuple(dict.fromkeys(entry_ids)))


def _check(kb: KnowledgeBase, key: str, entry_id: str, form: str | None, **values: Any) -> DirectAnswer:
    text = _t("check_input", key, **values)
    if form:
        text += "\n" + templates()["offer"]
    return DirectAnswer(rule="check_input", text=text, entry_id=entry_id, form=form, figures=dict(values))


# Words of the programme's other topics (courses, hotlines, cases, reports, documents, deadlines...):
# a question part with one of them and none of the user's figures is a second question the direct
# answer would drop (「培訓課程要錢嗎？還有中小企業診斷要自付多少？」): the knowledge answers take both.
_OTHER_TOPIC = re.compile(r"課程|培訓|上課|開班|電話|專線|窗口|聯絡|聯繫|案例|報告|截止|期限|文件|資料|流程|審查|撥款|信保|擔保|"
                          r"哪裡申請|怎麼申請|找誰")


# the rule modules use the shared cues (underscored too), helpers and imports
__all__ = [name for name in dir() if not name.startswith("__")]
