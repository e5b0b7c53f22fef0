"""Direct answers with the user's own numbers.

A question that carries the figures ONE rule needs (「總經費950萬，買新機器最多補多少」) is answered
with that rule applied, in one step, formula shown, with the rule's citation — instead of the
rule in general or a guided calculation that asks six questions. Questions that need several
facts (the whole subsidy across tier, share and cost items; eligibility) return None: the guided
calculation handles them. A rule question without the user's numbers also returns None: the
knowledge answer states the rule.

Every figure in a reply comes from the user's message, knowledge/parameters.yml (through the
calculators in knowledge.calc, which compute it) or a step shown in the same reply. The sentences
are in knowledge/direct.yml. Pure domain code: no Rasa, no I/O besides reading those two files.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from .calc import extract as ex
from .calc.diagnosis import calculate_diagnosis
from .calc.loans import LoanInput, find_loans, interest_subsidy, rate_text
from .calc.numbers import clean_text, find_amounts, find_counts, parse_numeral
from .calc.params import Loan, Parameters, parameters
from .calc.result import approx_wan, money, pct, wan
from .calc.sme import is_sme
from .calc.subsidy import TRACK_LABEL, SubsidyInput, Track, calculate_subsidy, tier_for
from .loader import KnowledgeBase

TEMPLATES_FILE = Path(__file__).resolve().parent / "direct.yml"

# Which guided calculation continues each rule (the form the 「完整試算」 button starts).
SUBSIDY_FORM, LOAN_FORM, DIAGNOSIS_FORM = "subsidy_form", "loan_form", "diagnosis_form"

# An input guard, not a programme figure: an amount above this in a question about a subsidy plan
# or a loan is a typo (999億), and is questioned instead of computed with.
IMPLAUSIBLE_AMOUNT = 10_000_000_000


@dataclass(frozen=True)
class DirectAnswer:
    rule: str                    # new_equipment | commissioned_research | gov_share | tier_cap |
                                 # loan_class | interest_subsidy | loan_capex | diagnosis_split | check_input
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
_SEVERAL_CASES = re.compile(r"(\d+|[兩二三四五六七八九十]+)\s*(個|間)?(廠區|案|廠|據點|分公司|工廠)"
                            r"|([2-9]|\d{2,}|[兩二三四五六七八九十]+)\s*(次|回|輪)")
_SELF_PAY = re.compile(r"自籌|自付|自己出|自己要出|要出多少|負擔|配合款"
                       r"|(我們|我司|公司|自己|業者|廠商|企業)(還|至少|最少)?(要|得|需要|需)?(出|付|掏)多少")
_CAPEX = re.compile(r"設備|機器|機台|機臺|廠房|資本性|買")
_WORKING = re.compile(r"週轉|周轉|營運資金")
# a comparison (「非中小企業和中小企業差多少」) is no one-kind computation
_COMPARE = re.compile(r"差多少|差別|差在|相差|比較|差幾")
_TAKE = re.compile(r"能拿|可以拿|拿多少|拿到|分到")
_MICRO_WORDS = re.compile(r"小規模|微型|稅籍|未滿5人|不到5人|400萬那")
_TRANSFORM = re.compile(r"轉型發展|轉型")
# "政府能補多少" with no item named in the asking clause: the whole subsidy (several facts → the form)
# (「政府最多出多少」 after naming an item without its amount asks about that item)
_SUBSIDY_OVERALL = re.compile(r"總共|全部|整個|一共|整案|合計")

ITEM_WORDS = {
    "new_equipment": ("全新設備", "新設備", "新機器", "新機台", "買設備", "買機器", "買機台", "買新", "購置",
                      "機械手臂", "設備購置", "新的設備", "新的機器", "添購", "採購設備", "設備補助", "設備的補助",
                      "設備能補", "設備可以補", "設備可補", "設備最多"),
    "commissioned_research": ("委託研究", "委外研究", "委託驗證", "驗證費", "委託", "研究費", "驗證"),
}
# the cleaned text has 臺 for 台 (Simplified→Traditional): 新機台 is read as 新機臺
ITEM_WORDS = {item: tuple(dict.fromkeys(w2 for w in words for w2 in (w, w.replace("台", "臺"))))
              for item, words in ITEM_WORDS.items()}
ITEM_ENTRY = {"new_equipment": "subsidy_new_equipment", "commissioned_research": "subsidy_commissioned_research"}
# Words naming what an amount is, looked for before it in the same clause.
_TOTAL_WORDS = ("總經費", "總預算", "計畫經費", "計畫總", "總額", "整個計畫", "計畫", "計劃", "專案", "案子", "總共", "總計")
_GENERIC_BUDGET = ("預算", "經費", "投資", "投入", "投")
_LOAN_WORDS = ("借款", "貸款", "借", "貸", "融資")
_TARGET_WORDS = ("補貼", "補助", "補到", "拿到", "補", "拿", "自付", "自籌")
_CAPITAL_WORDS = ("資本額", "實收資本", "資本")
_CLAUSE_SEP = "，,。；;、!！?？ "


def _clause_before(text: str, start: int) -> str:
    cut = max(text.rfind(sep, 0, start) for sep in _CLAUSE_SEP)
    return text[cut + 1:start]


def _last_pos(window: str, words: tuple[str, ...]) -> int:
    return max((window.rfind(w) for w in words), default=-1)


def amount_role(text: str, start: int, end: int) -> str | None:
    """What the amount at [start, end) of the cleaned text is: total | new_equipment |
    commissioned_research | loan | capital | target (an amount asked about) | None."""
    window = _clause_before(text, start)
    positions = {
        "total": _last_pos(window, _TOTAL_WORDS),
        "generic": _last_pos(window, _GENERIC_BUDGET),
        "loan": _last_pos(window, _LOAN_WORDS),
        "target": _last_pos(window, _TARGET_WORDS),
        "capital": _last_pos(window, _CAPITAL_WORDS),
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

    @property
    def exact(self) -> int | None:
        return self.low if self.low == self.high else None


# after 「N個」: what is counted when it is not people (一個案子, 三個廠區, 兩個月)
_NOT_PEOPLE = re.compile(r"(案|廠|工廠|公司|據點|分店|月|年|星期|禮拜|小時|計畫|計劃|項|部|台|臺|家|階段|問題|產線|地方)")


def staff_range(text: str) -> StaffRange | None:
    t = clean_text(text)
    counts = [c for c in find_counts(text)
              if not (t[c[1] - 1] == "個" and _NOT_PEOPLE.match(t[c[1]:c[1] + 2]))]
    if len(counts) != 1:
        return None
    start, end, n = counts[0]
    # the offsets index the cleaned text (no spaces, Traditional): 员工未满5人 reads as 員工未滿5人
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
    from .glossary import is_latin_question, load_glossary
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


def _item_cost(q: Question, item: str, only_item: bool) -> int | None:
    """The item's own amount: named (新設備400萬), or, when the question asks about this one item
    only, the one amount that is not the total (「一座燒結爐1,000萬，總經費1,400萬，設備補助最多多少」)."""
    if "各" in q.text:
        return None
    if len(q.roles.get(item, [])) == 1:
        return q.one(item)
    unknown = q.roles.get("unknown", [])
    if only_item and len(unknown) == 1 and not any(q.roles.get(i) for i in ITEM_WORDS):
        return unknown[0]
    return None


def _item_answer(q: Question, p: Parameters, item: str, total: int, only_item: bool = False) -> tuple[str, list[str]]:
    cost_item = p.cost_items[item]
    share = cost_item.max_pct_of_total
    cap = total * share // 100          # the subsidy calculator's own step (calc/subsidy.py)
    formula = f"{wan(total)} × {share}% = {wan(cap)}"
    lines = [_t(item, "lead", pct=share), formula]
    cost = _item_cost(q, item, only_item)
    if cost is not None and cost <= total:
        allowed = min(cost, cap)
        excess = cost - allowed
        relation = "超過" if cost > cap else "未超過"
        rest = ""
        if excess:
            step = f"{wan(cost)} − {wan(allowed)} = {wan(excess)}"   # shown, so every figure has its step
            rest = _t(item, "rest", step=step)
            formula = f"{formula}；{step}"
        lines.append(_t(item, "with_cost", cost=wan(cost), relation=relation, amount=wan(allowed), rest=rest))
    else:
        lines.append(_t(item, "result", amount=wan(cap)))
    lines.append(_t(item, "note", gov_pct=p.gov_share_below_pct))
    tier = _staff_tier(q, p)
    if tier is not None:
        key = "tier_binds" if tier.cap < min(cap, cost if cost is not None and cost <= total else cap) else "tier"
        lines.append(_t("item_tier", key, employees=q.staff.text, tier=tier.label, cap=wan(tier.cap)))
    return formula, lines


def _staff_tier(q: Question, p: Parameters):
    """The tier of an exact head-count stated in the question (not a lead factory), else None."""
    if q.staff is None or q.staff.exact is None or q.staff.exact < 1 or q.facts.lead_factory or q.facts.sme is False:
        return None
    return tier_for(SubsidyInput(manufacturing=True, sme=True, employees=q.staff.exact, total_budget=1), p)


def subsidy_item(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """總經費 × 30 % (new equipment) or × 40 % (commissioned research), when the question asks
    about that item and states the plan's total."""
    total = q.one("total")
    if total is None or q.facts.manufacturing is False or (_LOAN.search(q.text) and not _SUBSIDY.search(q.text)):
        return None
    last = q.clauses[-1] if q.clauses else ""

    def is_asked(item: str, words: tuple[str, ...]) -> bool:
        # named in the clause that asks (「買新機器最多補多少」), or named before a bare question
        # (「總經費950萬，新設備，最多補多少」) when its own amount is not given: a question with the
        # item's amount and a general ask (「…新設備400萬，政府能補多少」) is about the whole subsidy
        if any(any(w in c for w in words) and _ASK.search(c) for c in q.clauses):
            return True
        return (any(w in q.text for w in words) and q.one(item) is None and bool(_ASK.search(last))
                and not _CALC_VERB.search(last) and not _SUBSIDY_OVERALL.search(last))

    asked = [item for item, words in ITEM_WORDS.items() if is_asked(item, words)]
    if not asked:
        return None
    if total > IMPLAUSIBLE_AMOUNT:
        return _check(kb, "too_large", ITEM_ENTRY[asked[0]], SUBSIDY_FORM, value=wan(total))
    lines, formulas = [], []
    for item in asked:
        formula, item_lines = _item_answer(q, p, item, total, only_item=len(asked) == 1)
        formulas.append(formula)
        lines += item_lines
    # one note about the whole plan is enough
    note = _t(asked[0], "note", gov_pct=p.gov_share_below_pct)
    lines = [line for line in dict.fromkeys(lines) if line != note] + [note]
    figures = {"total_budget": total, **{item: q.one(item) for item in asked if q.one(item) is not None}}
    entries = tuple(ITEM_ENTRY[i] for i in asked)
    prefill = f"計畫總經費{wan(total)}"
    if _staff_tier(q, p) is not None:
        entries += ("subsidy_caps",)
        figures["employees"] = q.staff.exact
        prefill = f"{q.staff.text}，{prefill}"
    return _compose(kb, asked[0], lines, entries, SUBSIDY_FORM, figures, "；".join(formulas), prefill)


def gov_share(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """政府補助款 < 計畫總經費50 %: the half of the user's total, said as 「須低於」."""
    total = q.one("total")
    asked_amount = q.one("target") is not None and _ASK.search(q.text) and not _LOAN.search(q.text)
    # 「總經費500萬，政府最多補多少」 without a head-count: when half the total is below every size's
    # cap, the < 50 % rule alone settles the most, whatever the head-count
    smallest_cap = min(t.cap for t in p.tiers.values() if not t.lead_factory)
    below_every_cap = (total is not None and total * p.gov_share_below_pct <= smallest_cap * 100
                       and _SUBSIDY.search(q.text) and _CAP.search(q.text) and not q.facts.lead_factory
                       and not any(w in q.text for words in ITEM_WORDS.values() for w in words)
                       and not _CALC_VERB.search(q.text) and not _ELIGIBILITY.search(q.text)
                       and not _INTEREST.search(q.text.replace("補助", "")) and not _LOAN.search(q.text))
    if (total is None or not (_SHARE.search(q.text) or asked_amount or below_every_cap) or q.staff is not None
            or q.facts.manufacturing is False):
        return None
    if total > IMPLAUSIBLE_AMOUNT:
        return _check(kb, "too_large", "subsidy_gov_share", SUBSIDY_FORM, value=wan(total))
    share = p.gov_share_below_pct
    half_exact = Decimal(total) * share / 100
    half = wan(int(half_exact)) if half_exact == half_exact.to_integral_value() else f"{half_exact:,}元"
    formula = f"{wan(total)} × {share}% = {half}"
    lines = [_t("gov_share", "lead", pct=share), formula]
    asked = q.one("target")
    if asked is not None and asked != total:
        key = "asked_yes" if asked < half_exact else "asked_no"
        lines.append(_t("gov_share", key, asked=wan(asked), half=half))
    else:
        lines.append(_t("gov_share", "result", half=half))
    if below_every_cap and not _SHARE.search(q.text) and not asked_amount:
        lines.append(_t("gov_share", "below_every_cap", half=half, smallest_cap=wan(smallest_cap)))
    caps = "、".join(f"{t.label}{wan(t.cap)}" for t in p.tiers.values())
    lines.append(_t("gov_share", "note", caps=caps))
    return _compose(kb, "gov_share", lines, ("subsidy_gov_share",), SUBSIDY_FORM,
                    {"total_budget": total, **({"asked": asked} if asked is not None else {})},
                    formula, f"計畫總經費{wan(total)}")


def tier_cap(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """The subsidy cap of the head-count's tier (製造業9人以下 / 10人以上) or of a lead factory's
    track (以大帶小 1+4 / 1+10); with the plan's total also the < 50 % share, and the lower of the
    two — the subsidy calculator's own steps (calc/subsidy.py), nothing else asked."""
    f = q.facts
    total = q.one("total")
    other_amounts = [r for r in q.roles if r not in ("total", "capital")]
    capital = q.one("capital")
    if q.roles.get("capital") and (capital is None or f.lead_factory):
        return None
    if capital is not None and is_sme(capital, q.staff.exact if q.staff else None, p) is not True:
        return None   # not an SME, or not settled by the figures given: the entries and the form say more
    if (not (_SUBSIDY.search(q.text) or (total is not None and _TAKE.search(q.text))) or not _CAP.search(q.text)
            or _LOAN.search(q.text)
            or _CALC_VERB.search(q.text)   # 「幫我估一下」 asks for the guided calculation (with the facts given)
            or other_amounts or (q.roles.get("total") and total is None) or f.manufacturing is False
            or _INTEREST.search(q.text.replace("補助", "")) or _ELIGIBILITY.search(q.text)):
        return None
    if f.lead_factory:
        track = Track(f.track) if f.track else None
        if track is None or q.staff is not None or total is None:
            return None   # 「智慧化1+4最高補多少」 without the plan's total restates the rule: the entry answers
        tier = tier_for(SubsidyInput(manufacturing=True, sme=True, employees=0, total_budget=1, lead_factory=True,
                                     track=track), p)
        partners = re.search(r"帶\s*(\d+|[一二兩三四五六七八九十]+)\s*家", q.text)
        if tier is None or (partners and parse_numeral(partners.group(1)) != tier.partners):
            return None   # 「帶2家」: whether fewer partners qualify the brief does not say
        step = _t("tier_cap", "step_lead", tier=tier.label, partners=tier.partners, cap=wan(tier.cap))
        prefill = f"以大帶小，{TRACK_LABEL[track]}"
        entries: tuple[str, ...] = ("subsidy_lead_factory", "subsidy_caps")
        note = _t("tier_cap", "note_lead")
    else:
        # an exact head-count only: a bound (10人以上, 不到5人) restates the rule, which the knowledge answer gives
        if q.staff is None or q.staff.exact is None or f.sme is False:
            return None
        if q.staff.exact == 0:
            return _check(kb, "zero_staff", "subsidy_caps", SUBSIDY_FORM, n=q.staff.exact)
        tier = tier_for(SubsidyInput(manufacturing=True, sme=True, employees=q.staff.exact, total_budget=1), p)
        if tier is None:
            return None
        step = _t("tier_cap", "step", employees=q.staff.text, tier=tier.label, cap=wan(tier.cap))
        prefill, entries = q.staff.text, ("subsidy_caps",)
        # the conditions are another rule's: cited on their own line, the cap on the last
        note = _t("tier_cap", "note_small" if tier.id == "small" else "note_medium") + _cite(kb, "subsidy_eligibility")
    figures: dict[str, Any] = {"employees": q.staff.exact} if q.staff else {"tier": tier.id}
    if total is None:
        lines = [_t("tier_cap", "lead_lead" if tier.lead_factory else "lead"),
                 step + _t("tier_cap", "share", gov_pct=p.gov_share_below_pct), note]
        formula = step
    else:
        if total > IMPLAUSIBLE_AMOUNT:
            return None   # 「計畫預算有110億」: the programme's budget, not the plan's
        result = calculate_subsidy(SubsidyInput(manufacturing=True, sme=True, employees=q.staff.exact if q.staff else 0,
                                                total_budget=total, lead_factory=tier.lead_factory,
                                                track=Track(tier.track) if tier.track else None), p)
        share = money(result.bound_value()) if result.bound_exclusive else None
        half = Fraction(total * p.gov_share_below_pct, 100)
        share_step = f"{wan(total)} × {p.gov_share_below_pct}% = {money(half)}"
        if result.bound_exclusive:
            outcome = _t("tier_cap", "result_share", bound=share, cap=wan(tier.cap))
        else:
            outcome = _t("tier_cap", "result_cap", cap=wan(tier.cap), half=money(half))
        lines = [_t("tier_cap", "lead_total", gov_pct=p.gov_share_below_pct), step,
                 _t("tier_cap", "share_step", step=share_step), outcome, note]
        if "subsidy_gov_share" not in entries:
            # the rule that binds is cited first: the < 50 % share when it is below the cap
            entries = (("subsidy_gov_share",) + entries) if result.bound_exclusive and not tier.lead_factory \
                else entries + ("subsidy_gov_share",)
        figures["total_budget"] = total
        formula = f"{step}；{share_step}"
        prefill = f"{prefill}，計畫總經費{wan(total)}"
        if _SELF_PAY.search(q.text):
            if result.bound_exclusive:
                lines.insert(4, _t("tier_cap", "self_pay", half=money(half)))
            else:
                rest = f"{wan(total)} − {wan(tier.cap)} = {wan(total - tier.cap)}"
                lines.insert(4, _t("tier_cap", "self_pay_cap", step=rest))
                formula = f"{formula}；{rest}"
    if capital is not None:
        key = "sme_by_capital" if capital <= p.sme_capital_max else "sme_by_staff_not_capital"
        lines.append(_t("tier_cap", key, capital=wan(capital), capital_limit=wan(p.sme_capital_max),
                        employees_n=q.staff.exact if q.staff else None, staff_limit=p.sme_employees_below))
        entries = entries + ("sme_definition",)
    elif q.staff is not None and q.staff.low >= p.sme_employees_below and f.sme is None and not tier.lead_factory:
        lines.append(_t("tier_cap", "note_not_sme_by_staff", employees_n=q.staff.low, staff_limit=p.sme_employees_below,
                        capital_limit=wan(p.sme_capital_max)))
    return _compose(kb, "tier_cap", lines, entries, SUBSIDY_FORM, figures, formula, prefill)


def _micro_by_staff(q: Question, p: Parameters) -> bool | None:
    """Does the stated head-count put the firm in the micro loan class (未滿5人)? None: not said."""
    below = p.loans["recovery_micro"].employees_below
    if q.staff is None:
        return None
    if q.staff.high is not None and q.staff.high < below:
        return True
    if q.staff.low >= below:
        return False
    return None


# "5 people counting me": the loan classes count employees without the owner (不含負責人)
_OWNER_INCLUDED = re.compile(r"(?<![不沒未])(連|包括|包含|含|算上)(我|老闆|負責人|我這個老闆)"
                             r"|(我|老闆|負責人)(也|有)?(算在內|在內|算進去|算進來|也算)")


def _without_owner(q: Question) -> StaffRange | None:
    """The head-count without the owner, when the message says it counted the owner in."""
    n = q.staff.exact if q.staff else None
    if n is None or n < 1 or not _OWNER_INCLUDED.search(q.text):
        return None
    return StaffRange(n - 1, n - 1, _t("loan_class", "owner_included", employees=q.staff.text, n=n - 1))


def _micro_by_words(q: Question) -> bool:
    """小規模, 稅籍登記, 未滿5人那類: the micro class named without a head-count."""
    return bool(q.facts.tax_only or _MICRO_WORDS.search(q.text))


def loan_class(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """Which 疫後振興 class a head-count falls in, and its limit (未滿5人 → the micro class)."""
    if (q.staff is None or q.staff.exact is None or not _LOAN.search(q.text) or not _ASK.search(q.text)
            or _INTEREST.search(q.text)):
        return None   # exact head-counts only, as for the tier cap
    owner_out = _without_owner(q)
    if owner_out is not None:
        q = replace(q, staff=owner_out)
    n = q.staff.exact
    micro_fit = _micro_by_staff(q, p)
    general, micro, transform = (p.loans[k] for k in ("recovery_general", "recovery_micro", "transformation"))
    result = find_loans(LoanInput(sme=True, employees=n), p)
    chosen = micro if micro_fit else general
    option = next(o for o in result.extra["options"] if o["loan"] == chosen.id)
    lines = [_t("loan_class", "lead")]
    formula = _t("loan_class", "step", employees=q.staff.text, label=chosen.label, max=wan(option["max_amount"]))
    lines.append(formula + _t("loan_class", "terms", rates=rate_text(chosen), brief=chosen.brief_estimate))
    if micro_fit:
        lines.append(_t("loan_class", "micro_note", other=general.label, other_max=wan(general.max_amount)))
    else:
        lines.append(_t("loan_class", "general_note", transformation=transform.label))
        if q.staff.low >= p.sme_employees_below and q.facts.sme is None:
            lines.append(_t("loan_class", "not_sme_by_staff", employees_n=q.staff.low,
                            staff_limit=p.sme_employees_below, capital_limit=wan(p.sme_capital_max)))
    wanted = q.one("loan")
    if wanted is not None:
        if wanted > IMPLAUSIBLE_AMOUNT:
            return _check(kb, "too_large", chosen.entry, LOAN_FORM, value=wan(wanted))
        key = "wanted_over" if wanted > option["max_amount"] else "wanted_within"
        lines.append(_t("loan_class", key, wanted=wan(wanted), max=wan(option["max_amount"])))
    prefill = f"中小企業，{q.staff.text}"
    return _compose(kb, "loan_class", lines, (chosen.entry,), LOAN_FORM,
                    {"employees": n, **({"loan_amount": wanted} if wanted is not None else {})}, formula, prefill)


def _principal(q: Question) -> int | None:
    loan = q.one("loan")
    if loan is not None:
        return loan
    unknown = q.roles.get("unknown", [])
    others = [r for r in q.roles if r not in ("unknown",)]
    if len(unknown) == 1 and not others:
        return unknown[0]
    # 「轉型發展：買設備3,000萬，…利息補貼」: the one amount is the capital spending the loan is for
    equipment = q.roles.get("new_equipment", [])
    if len(equipment) == 1 and set(q.roles) == {"new_equipment"} and _TRANSFORM.search(q.text):
        return equipment[0]
    return None


def interest(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """利息補貼估算 = 本金 × 補貼利率 × 年數, with the loan calculator's own function and rates."""
    if not _INTEREST.search(q.text.replace("補助", "")):
        return None
    principal = _principal(q)
    if principal is None:
        return None
    general, micro, transform = (p.loans[k] for k in ("recovery_general", "recovery_micro", "transformation"))
    by_staff = _micro_by_staff(q, p)
    micro_fit = by_staff if by_staff is not None else (True if _micro_by_words(q) else None)
    loan: Loan = micro if micro_fit else (transform if _TRANSFORM.search(q.text) else general)
    if principal > IMPLAUSIBLE_AMOUNT:
        return _check(kb, "too_large", "loan_interest_subsidy", LOAN_FORM, value=wan(principal))
    capex_line = capex_step = None
    if loan is transform and _CAPEX.search(q.text):
        # 「設備3,000萬」: the amount is the capital spending, the loan at most its 8成 (calc/loans.py's step)
        if _WORKING.search(q.text) or sum(len(v) for v in q.roles.values()) != 1:
            return None   # capital and working capital, or several amounts: the loan finder asks
        capital = principal
        if capital * loan.capital_max_tenths % 10:
            return None
        principal = capital * loan.capital_max_tenths // 10
        if loan.estimate_principal_max and principal > loan.estimate_principal_max:
            return None   # the subsidy on a capital loan above the brief's example is not stated: the loan finder says so
        capex_step = f"{wan(capital)} × {loan.capital_max_tenths}成 = {wan(principal)}"
        capex_line = _t("interest_subsidy", "capex", tenths=loan.capital_max_tenths, step=capex_step, amount=wan(principal))
    employees = None if q.staff is None else (q.staff.high if micro_fit else q.staff.low)
    result = find_loans(LoanInput(sme=True, employees=employees, tax_registration_only=bool(micro_fit and by_staff is None),
                                  transformation_plan=loan is transform, amount_wanted=principal), p)
    option = next(o for o in result.extra["options"] if o["loan"] == loan.id)
    used = option["principal"]
    years = loan.subsidy_years
    lines = [_t("interest_subsidy", "lead", label=loan.label), capex_line]
    if q.years is not None and q.years < loan.subsidy_years:
        years = q.years
    estimate = interest_subsidy(used, replace(loan, subsidy_years=years))
    formula = f"{wan(used)} × {pct(loan.subsidy_rate_milli_pct)} × {years}年 = {wan(estimate)}"
    lines.append(formula)
    if capex_step:
        formula = f"{capex_step}；{formula}"
    lines.append(_t("interest_subsidy", "result", approx=approx_wan(estimate).removeprefix("約")))
    if used == loan.example_principal and years == loan.subsidy_years:
        lines.append(_t("interest_subsidy", "brief", principal=wan(used), brief=loan.brief_estimate))
    if used < principal:
        lines.append(_t("interest_subsidy", "capped", wanted=wan(principal), max=wan(used)))
    if q.years is not None and q.years > loan.subsidy_years:
        lines.append(_t("interest_subsidy", "years_capped", years=q.years, subsidy_years=loan.subsidy_years))
    if micro_fit is None and loan is general:
        lines.append(_t("interest_subsidy", "assumed", label=general.label, micro_below=micro.employees_below,
                        micro=micro.label, micro_rate=pct(micro.subsidy_rate_milli_pct),
                        micro_years=micro.subsidy_years))
    figures = {"loan_amount": principal, **({"years": q.years} if q.years else {}),
               **({"employees": employees} if employees is not None else {})}
    prefill = f"借款{wan(principal)}" + (f"，{q.staff.text}" if q.staff and q.staff.exact is not None else "")
    return _compose(kb, "interest_subsidy", lines, ("loan_interest_subsidy", loan.entry), LOAN_FORM, figures,
                    formula, prefill)


# 「總經費至少要多少，才能補到300萬」: the total asked for, from the subsidy wanted
_TOTAL_ASKED = re.compile(r"(總經費|計畫經費|計畫總|預算|經費|計畫)[^，,。？?]{0,4}(至少|最少|要多少|多少|抓多少|要抓|要有多少)"
                          r"|(才能|才可以|才會)(補|拿)")


def reverse_total(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """The plan total a wanted subsidy needs: the item's share (新設備 300萬 ÷ 30%) or the < 50 % rule
    (500萬 → 總經費須超過1,000萬), when the question gives only the amount wanted."""
    amounts = {v for values in q.roles.values() for v in values}
    if (not _TOTAL_ASKED.search(q.text) or q.roles.get("total") or len(amounts) != 1 or q.facts.lead_factory
            or q.staff is not None   # the head-count's cap is another fact: the guided calculation
            or _LOAN.search(q.text) or _INTEREST.search(q.text.replace("補助", "")) or _DIAGNOSIS.search(q.text)):
        return None
    wanted = amounts.pop()
    if wanted > IMPLAUSIBLE_AMOUNT:
        return _check(kb, "too_large", "subsidy_gov_share", SUBSIDY_FORM, value=wan(wanted))
    items = [i for i, words in ITEM_WORDS.items() if any(w in q.text for w in words)]
    if len(items) > 1:
        return None
    caps = "、".join(f"{t.label}{wan(t.cap)}" for t in p.tiers.values() if not t.lead_factory)
    if items:
        item = items[0]
        share = p.cost_items[item].max_pct_of_total
        if wanted * 100 % share:
            return None
        need = wanted * 100 // share
        formula = f"{wan(wanted)} ÷ {share}% = {wan(need)}"
        lines = [_t("reverse_total", "lead_item", item=p.cost_items[item].label, pct=share), formula,
                 _t("reverse_total", "result_item", need=wan(need), wanted=wan(wanted)),
                 _t("reverse_total", "note", gov_pct=p.gov_share_below_pct, caps=caps)]
        entries: tuple[str, ...] = (ITEM_ENTRY[item], "subsidy_gov_share")
    else:
        need = wanted * 100 // p.gov_share_below_pct
        if wanted * 100 % p.gov_share_below_pct:
            return None
        formula = f"{wan(wanted)} ÷ {p.gov_share_below_pct}% = {wan(need)}"
        lines = [_t("reverse_total", "lead", gov_pct=p.gov_share_below_pct), formula,
                 _t("reverse_total", "result", need=wan(need), wanted=wan(wanted))]
        top = max(t.cap for t in p.tiers.values() if not t.lead_factory)
        lines.append(_t("reverse_total", "over_caps" if wanted > top else "caps", caps=caps))
        entries = ("subsidy_gov_share", "subsidy_caps")
    return _compose(kb, "reverse_total", lines, entries, SUBSIDY_FORM, {"wanted": wanted}, formula, "")


def transformation_capex(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """轉型發展貸款 for a capital outlay: at most 8成 of it (「買設備2,500萬，能貸多少」)."""
    amounts = {v for values in q.roles.values() for v in values}
    if (not _TRANSFORM.search(q.text) or not _LOAN.search(q.text) or not _CAPEX.search(q.text)
            or _WORKING.search(q.text) or _INTEREST.search(q.text.replace("補助", "")) or not _ASK.search(q.text)
            or len(amounts) != 1 or q.staff is not None):
        return None
    loan = p.loans["transformation"]
    capital = amounts.pop()
    if capital > IMPLAUSIBLE_AMOUNT:
        return _check(kb, "too_large", loan.entry, LOAN_FORM, value=wan(capital))
    if capital * loan.capital_max_tenths % 10:
        return None
    most = capital * loan.capital_max_tenths // 10
    formula = f"{wan(capital)} × {loan.capital_max_tenths}成 = {wan(most)}"
    lines = [_t("loan_capex", "lead", label=loan.label, tenths=loan.capital_max_tenths), formula,
             _t("loan_capex", "result", amount=wan(most)),
             _t("loan_capex", "note", working=wan(loan.working_capital_max), target=loan.factory_target)]
    return _compose(kb, "loan_capex", lines, (loan.entry,), LOAN_FORM, {"capital_spending": capital}, formula,
                    f"轉型發展，資本性支出{wan(capital)}")


def diagnosis(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """The diagnosis cost split for the kind of firm the question states."""
    if not _DIAGNOSIS.search(q.text) or not _PAY.search(q.text) or not _ASK.search(q.text):
        return None
    if _ELIGIBILITY.search(q.text) and not _AMOUNT_ASKED.search(q.text):
        return None  # 「我們8個人，可以申請診斷嗎」: who may apply, not what it costs
    if _SEVERAL_CASES.search(q.text) or _COMPARE.search(q.text):
        return None  # 「三個廠區都做診斷，總共多少」: whether several cases are allowed the brief does not say
    f = q.facts
    by_staff = by_capital = False
    if f.lead_factory:
        sme, lead = True, True
    elif f.sme is not None:
        sme, lead = f.sme, False
    else:
        verdict = is_sme(f.capital, q.staff.exact if q.staff else None, p)
        if verdict is None:
            return None
        sme, lead, by_staff = verdict, False, verdict and f.capital is None
        by_capital = f.capital is not None
    result = calculate_diagnosis(sme=sme, lead_factory=lead, p=p)
    e = result.extra
    kind = p.diagnosis[e["kind"]]
    formula = _t("diagnosis_split", "step", total=wan(e["total"]), government=wan(e["government"]), firm=wan(e["firm"]))
    lines = [_t("diagnosis_split", "lead", kind=kind.label), formula, _t("diagnosis_split", "result", firm=wan(e["firm"]))]
    if e["kind"] == "non_sme":
        lead_kind = p.diagnosis["lead"]
        lines.append(_t("diagnosis_split", "note_non_sme", lead_total=wan(lead_kind.total), lead_firm=wan(lead_kind.firm)))
    if by_staff:
        lines.append(_t("diagnosis_split", "note_by_staff", employees_n=q.staff.exact, staff_limit=p.sme_employees_below))
    elif by_capital:
        # the capital the verdict rests on is shown (every amount the user gave is used in the reply)
        if sme and f.capital <= p.sme_capital_max:
            lines.append(_t("diagnosis_split", "note_by_capital", capital=wan(f.capital), capital_limit=wan(p.sme_capital_max)))
        elif sme:
            lines.append(_t("diagnosis_split", "note_staff_not_capital", capital=wan(f.capital),
                            capital_limit=wan(p.sme_capital_max), employees_n=q.staff.exact,
                            staff_limit=p.sme_employees_below))
        else:
            lines.append(_t("diagnosis_split", "note_not_sme", capital=wan(f.capital), capital_limit=wan(p.sme_capital_max),
                            employees_n=q.staff.exact, staff_limit=p.sme_employees_below))
    prefill = {"sme": "中小企業", "non_sme": "非中小企業", "lead": "以大帶小"}[e["kind"]]
    return _compose(kb, "diagnosis_split", lines, ("diagnosis_cost",), DIAGNOSIS_FORM,
                    {"kind": e["kind"], **({"employees": q.staff.exact} if by_staff else {})}, formula, prefill)


@dataclass(frozen=True)
class GuidedOffer:
    """A question with several of the user's figures that no one rule settles: the guided
    calculation is offered, holding those figures (issue 11 item 3)."""
    form: str
    prefill: str     # the user's figures in words, for the form's fact reader
    text: str


_ROLE_WORDS = {"total": "計畫總經費", "new_equipment": "新設備", "commissioned_research": "委託研究",
               "loan": "借款", "capital": "實收資本額"}


def guided_offer(text: str, p: Parameters | None = None) -> GuidedOffer | None:
    """The guided calculation to offer for ``text`` when it carries two or more figures of one
    calculator's topic and asks an amount, else None. Call it when ``direct_answer`` gave None."""
    if not text or text.startswith("/"):
        return None
    q = read_question(text)
    if q.negative is not None or not _ASK.search(q.text):
        return None
    parts = [q.staff.text] if q.staff is not None and q.staff.exact is not None else []
    for role, word in _ROLE_WORDS.items():
        values = q.roles.get(role, [])
        if len(values) == 1:
            parts.append(f"{word}{wan(values[0])}")
    if len(parts) < 2:
        return None
    interest_asked = bool(_INTEREST.search(q.text.replace("補助", "")))
    topics = {name for name, hit in (("diagnosis", _DIAGNOSIS.search(q.text)),
                                     ("loan", _LOAN.search(q.text) or interest_asked),
                                     ("subsidy", _SUBSIDY.search(q.text) or q.roles.get("total"))) if hit}
    if len(topics) != 1:
        return None   # two calculations in one message: each is asked on its own
    form = {"diagnosis": DIAGNOSIS_FORM, "loan": LOAN_FORM, "subsidy": SUBSIDY_FORM}[topics.pop()]
    facts = "，".join(parts)
    return GuidedOffer(form=form, prefill=facts, text=templates()["guided"].format(facts=facts))


# Words of the programme's other topics (courses, hotlines, cases, reports, documents, deadlines...):
# a question part with one of them and none of the user's figures is a second question the direct
# answer would drop (「培訓課程要錢嗎？還有中小企業診斷要自付多少？」): the knowledge answers take both.
_OTHER_TOPIC = re.compile(r"課程|培訓|上課|開班|電話|專線|窗口|聯絡|聯繫|案例|報告|截止|期限|文件|資料|流程|審查|撥款|信保|擔保|"
                          r"哪裡申請|怎麼申請|找誰")


def _other_question(q: Question) -> bool:
    parts = [part for part in re.split(r"[?？!！。]|還有|另外|順便|以及", q.text) if part]
    if len(parts) < 2:
        return False
    return any(_OTHER_TOPIC.search(part) and not find_amounts(part) and not find_counts(part) for part in parts)


RULES = (interest, transformation_capex, loan_class, diagnosis, reverse_total, subsidy_item, gov_share, tier_cap)


def direct_answer(text: str, kb: KnowledgeBase, p: Parameters | None = None) -> DirectAnswer | None:
    """The one-rule answer to ``text`` computed with the user's own figures, or None."""
    if not text or text.startswith("/"):
        return None
    p = p or parameters()
    q = read_question(text)
    if q.negative is not None:
        topical = (_SUBSIDY.search(q.text) or _LOAN.search(q.text) or _INTEREST.search(q.text)
                   or _DIAGNOSIS.search(q.text))
        if topical:
            form = LOAN_FORM if (_LOAN.search(q.text) or _INTEREST.search(q.text)) else SUBSIDY_FORM
            entry = "loan_overview" if form == LOAN_FORM else "subsidy_caps"
            return _check(kb, "negative", entry, form, value=q.negative)
        return None
    if _other_question(q):
        return None
    given = {v for values in q.roles.values() for v in values}
    for rule in RULES:
        answer = rule(q, kb, p)
        if answer is None:
            continue
        if answer.rule not in ("check_input", "diagnosis_split") and _DIAGNOSIS.search(q.text):
            continue   # 「做診斷和申請補助，各要出多少」: two calculations, not one rule
        if answer.rule != "check_input" and not given <= {v for _, _, v in find_amounts(answer.text)}:
            # an amount the user gave that the reply does not use: the question needs more than this
            # one rule (「總經費500萬，做診斷和申請補助各要出多少」), so no one-step answer
            continue
        return answer
    return None
