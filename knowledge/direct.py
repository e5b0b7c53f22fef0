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
    # find_counts' offsets index the cleaned text (Simplified → Traditional: 未满 is read as 未滿)
    before, after = t[max(0, start - 3):start], t[end:end + 3]
    if re.search(r"(不到|未滿|少於|小於|低於|不滿|不足)$", before):
        return StaffRange(0, max(n - 1, 0), f"員工未滿{n}人")
    if re.match(r"(以下|以內)", after):
        return StaffRange(0, n, f"員工{n}人以下")
    if re.search(r"(超過|多於|大於)$", before):
        return StaffRange(n + 1, None, f"員工超過{n}人")
    if re.match(r"(以上|多)", after) or re.search(r"\d多$|十多$", text[start:end + 1]):
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
_EN_MILLION = re.compile(r"(?:nt\$|ntd|twd|\$)?\s*(\d+(?:\.\d+)?)\s*(million|mn|m|billion|bn)\b"
                         r"(?:\s*(?:nt\s*dollars?|ntd|twd|dollars?))?", re.I)
_EN_STAFF_AFTER = re.compile(r"(\d+)\s*-?\s*(?:full[- ]time\s+)?(?:employees?|staff|people|persons?|workers?|headcount)\b", re.I)
_EN_WE_PAY = re.compile(r"\b(?:do|would|will|should|must)?\s*(?:we|i)\s+(?:have\s+to\s+|need\s+to\s+)?pay\b", re.I)
_EN_STAFF_BEFORE = re.compile(r"\b(?:employees?|staff|headcount|head count|workers?)\s*(?:of|:|=|is|are|at)?\s*(\d+)\b(?!\s*(?:million|mn|m|billion|bn|%))", re.I)
_EN_ASK = re.compile(r"\bhow\s+much\b|\bhow\s+many\b|\bwhat(?:'s|\s+is)\s+the\s+(?:most|max(?:imum)?)\b", re.I)
_EN_YEARS = re.compile(r"\b(\d+)\s*(?:years?|yrs?)\b", re.I)


def english_as_chinese(text: str) -> str:
    """An English question's figures and programme words in the Chinese forms the readers take;
    any other text unchanged."""
    from .glossary import is_latin_question, load_glossary
    if not is_latin_question(text):
        return text

    def million(m: re.Match) -> str:
        value = Decimal(m.group(1)) * (100 if m.group(2).lower() in ("million", "mn", "m") else 100_000)
        return f" {value.normalize():f}萬 "

    t = _EN_MILLION.sub(million, text)
    t = _EN_STAFF_AFTER.sub(lambda m: f" 員工{m.group(1)}人 ", t)
    t = _EN_STAFF_BEFORE.sub(lambda m: f" 員工{m.group(1)}人 ", t)
    t = _EN_YEARS.sub(lambda m: f" {m.group(1)}年 ", t)
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
        if _REST_ASKED.search(q.text):
            # what the firm pays itself: sure only when the whole total is this item (the subsidy is then
            # at most the item's share, so the firm pays at least the rest); otherwise the < 50 % rule
            if _WHOLE_ON_ITEM.search(q.text):
                step = f"{wan(total)} − {wan(cap)} = {wan(total - cap)}"
                lines.append(_t(item, "whole_rest", step=step))
            else:
                half = Decimal(total) * p.gov_share_below_pct / 100
                step = f"{wan(total)} × {p.gov_share_below_pct}% = {money(half)}"
                lines.append(_t(item, "plan_rest", step=step, gov_pct=p.gov_share_below_pct, half=money(half)))
            formula = f"{formula}；{step}"
    lines.append(_t(item, "note", gov_pct=p.gov_share_below_pct))
    tier = _staff_tier(q, p)
    if tier is not None:
        key = "tier_binds" if tier.cap < min(cap, cost if cost is not None and cost <= total else cap) else "tier"
        lines.append(_t("item_tier", key, employees=q.staff.text, tier=tier.label, cap=wan(tier.cap)))
    lead = _lead_tier(q, p)
    if lead is not None:
        key = "lead_binds" if lead.cap < min(cap, cost if cost is not None and cost <= total else cap) else "lead"
        lines.append(_t("item_tier", key, tier=lead.label, cap=wan(lead.cap)))
    return formula, lines


def _lead_tier(q: Question, p: Parameters):
    """The 以大帶小 tier of a lead factory whose track the question names (and whose partner count,
    if stated, is that track's), else None."""
    if not q.facts.lead_factory or not q.facts.track or q.staff is not None:
        return None
    tier = tier_for(SubsidyInput(manufacturing=True, sme=True, employees=0, total_budget=1, lead_factory=True,
                                 track=Track(q.facts.track)), p)
    partners = re.search(r"帶\s*(\d+|[一二兩三四五六七八九十]+)\s*家", q.text)
    if tier is None or (partners and parse_numeral(partners.group(1)) != tier.partners):
        return None
    return tier


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

    # 「設備費」 beside 既有/改善/二手 may be 既有設備之改善費 (no share limit): not read as new equipment
    existing = bool(_EXISTING.search(q.text))
    asked = [item for item, words in ITEM_WORDS.items()
             if is_asked(item, tuple(w for w in words if not (existing and w == "設備費")))]
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
    if any(f"× {p.gov_share_below_pct}% =" in f for f in formulas):
        entries += ("subsidy_gov_share",)   # the firm's share was said with the < 50 % rule: cited too
    prefill = f"計畫總經費{wan(total)}"
    if _staff_tier(q, p) is not None:
        entries += ("subsidy_caps",)
        figures["employees"] = q.staff.exact
        prefill = f"{q.staff.text}，{prefill}"
    if _lead_tier(q, p) is not None:
        entries += ("subsidy_lead_factory",)
        prefill = f"以大帶小，{TRACK_LABEL[Track(q.facts.track)]}，{prefill}"
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
            or q.facts.lead_factory   # 以大帶小 with its total: the tier cap's two steps (tier_cap)
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
    programme = None
    if p.programme_budget and any(p.programme_budget in values for values in q.roles.values()):
        # 「計畫預算有110億，我們9個人一案最多分到多少」: the programme's budget, not the plan's total
        programme = p.programme_budget
        roles = {r: [v for v in values if v != programme] for r, values in q.roles.items()}
        q = replace(q, roles={r: values for r, values in roles.items() if values})
    total = q.one("total")
    other_amounts = [r for r in q.roles if r not in ("total", "capital")]
    capital = q.one("capital")
    if q.roles.get("capital") and (capital is None or f.lead_factory):
        return None
    if capital is not None and is_sme(capital, q.staff.exact if q.staff else None, p) is not True:
        return None   # not an SME, or not settled by the figures given: the entries and the form say more
    if (not (_SUBSIDY.search(q.text) or ((total or programme) and (_TAKE.search(q.text) or _SELF_PAY.search(q.text))))
            or not _CAP.search(q.text) or _LOAN.search(q.text)
            or _CALC_VERB.search(q.text)   # 「幫我估一下」 asks for the guided calculation (with the facts given)
            or other_amounts or (q.roles.get("total") and total is None)
            or f.manufacturing is False
            or _INTEREST.search(q.text.replace("補助", "")) or _ELIGIBILITY.search(q.text)):
        return None
    if f.lead_factory:
        partners = re.search(r"帶\s*(\d+|[一二兩三四五六七八九十]+)\s*家", q.text)
        n_partners = parse_numeral(partners.group(1)) if partners else None
        track = Track(f.track) if f.track else None
        # 「智慧化1+4最高補多少」 with neither the plan's total nor the user's own partner count restates
        # the rule: the entry answers; 「我們帶4家做智慧化」 states the firm's own case: its cap is the answer
        if track is None or q.staff is not None or (total is None and n_partners is None):
            return None
        tier = tier_for(SubsidyInput(manufacturing=True, sme=True, employees=0, total_budget=1, lead_factory=True,
                                     track=track), p)
        if tier is None or (n_partners is not None and n_partners != tier.partners):
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
    if programme is not None:
        lines.insert(0, _t("tier_cap", "programme_budget", amount=wan(programme)))
        entries = entries + (p.entries["programme"],)
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
    if (q.staff is None or not _LOAN.search(q.text) or not _ASK.search(q.text) or _INTEREST.search(q.text)
            or "轉型發展" in q.text):   # the other loan named too: its own terms are the entries' to state
        return None
    owner_out = _without_owner(q)
    if owner_out is not None:
        q = replace(q, staff=owner_out)
    micro_fit = _micro_by_staff(q, p)
    if q.facts.tax_only and micro_fit is False:
        return None   # 僅有稅籍登記 fits the micro class whatever the head-count: the entries say so
    if q.staff.exact is None and micro_fit is None:
        return None   # a bound that does not settle the class (「不到10人」): the entries state both
    # an exact head-count, or a bound that settles the class (「員工未滿5人」 → the micro class)
    n = q.staff.exact if q.staff.exact is not None else (q.staff.high if micro_fit else q.staff.low)
    general, micro, transform = (p.loans[k] for k in ("recovery_general", "recovery_micro", "transformation"))
    result = find_loans(LoanInput(sme=True, employees=n), p)
    chosen = micro if micro_fit else general
    option = next(o for o in result.extra["options"] if o["loan"] == chosen.id)
    cited: tuple[str, ...] = (chosen.entry,)
    lines = [_t("loan_class", "lead")]
    formula = _t("loan_class", "step", employees=q.staff.text, label=chosen.label, max=wan(option["max_amount"]))
    lines.append(formula + _t("loan_class", "terms", rates=rate_text(chosen), brief=chosen.brief_estimate))
    if micro_fit:
        lines.append(_t("loan_class", "micro_note", other=general.label, other_max=wan(general.max_amount)))
    else:
        lines.append(_t("loan_class", "general_note", transformation=transform.label))
        if _MICRO_WORDS.search(q.text) and micro_fit is False:
            # 「我們6個人，可以用小規模那一類借嗎」: the class asked about does not fit — said, and cited first
            lines.insert(1, _t("loan_class", "micro_asked_no", employees=q.staff.text, micro=micro.label,
                               below=micro.employees_below))
            cited = (micro.entry, chosen.entry)
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
    return _compose(kb, "loan_class", lines, cited, LOAN_FORM,
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
             _t("loan_capex", "result", amount=wan(most))]
    if _REST_ASKED.search(q.text):
        # 「自己要準備多少自有資金」: the outlay the loan does not cover, at least
        own = f"{wan(capital)} − {wan(most)} = {wan(capital - most)}"
        lines.append(_t("loan_capex", "own_funds", step=own))
        formula = f"{formula}；{own}"
    lines.append(_t("loan_capex", "note", working=wan(loan.working_capital_max), target=loan.factory_target))
    return _compose(kb, "loan_capex", lines, (loan.entry,), LOAN_FORM, {"capital_spending": capital}, formula,
                    f"轉型發展，資本性支出{wan(capital)}")


# the diagnosis split asked otherwise than "what do we pay": the government's part or share
# (「政府補幾成」), or which of the kinds' amounts applies (「一案是20萬還是30萬」)
_DIAG_ASK = re.compile(r"政府(會|能|可以)?(補|出|負擔|付|給)|幾成|比例|成數|還是")


def _diagnosis_kind_by_amount(q: Question, p: Parameters) -> str | None:
    """「診斷一案20萬，政府補幾成」: the one amount given is a kind's total, and every kind with that
    total splits it alike (個案中小企業 and 以大帶小 are both 20萬 = 16萬 + 4萬): that kind."""
    amounts = {v for values in q.roles.values() for v in values}
    if len(amounts) != 1:
        return None
    amount = amounts.pop()
    kinds = [k for k in p.diagnosis.values() if k.total == amount]
    if not kinds or len({(k.government, k.firm) for k in kinds}) != 1:
        return None
    return kinds[0].id


def diagnosis(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """The diagnosis cost split for the kind of firm the question states."""
    if (not _DIAGNOSIS.search(q.text) or not (_PAY.search(q.text) or _DIAG_ASK.search(q.text))
            or not (_ASK.search(q.text) or "還是" in q.text)):
        return None
    if _ELIGIBILITY.search(q.text) and not _AMOUNT_ASKED.search(q.text):
        return None  # 「我們8個人，可以申請診斷嗎」: who may apply, not what it costs
    if _SEVERAL_CASES.search(q.text) or _COMPARE.search(q.text):
        return None  # 「三個廠區都做診斷，總共多少」: whether several cases are allowed the brief does not say
    f = q.facts
    by_staff = by_capital = by_amount = False
    if f.lead_factory:
        sme, lead = True, True
    elif f.sme is not None:
        sme, lead = f.sme, False
    else:
        verdict = is_sme(f.capital, q.staff.exact if q.staff else None, p)
        if verdict is None:
            kind_id = None if (f.capital is not None or q.staff is not None) else _diagnosis_kind_by_amount(q, p)
            if kind_id is None:
                return None
            # the kind is the one whose amount the user gave (its split is the same for all that share it)
            verdict, by_amount = kind_id != "non_sme", True
        sme, lead = verdict, False
        by_staff = verdict and f.capital is None and not by_amount
        by_capital = f.capital is not None
    result = calculate_diagnosis(sme=sme, lead_factory=lead, p=p)
    e = result.extra
    kind = p.diagnosis[e["kind"]]
    formula = _t("diagnosis_split", "step", total=wan(e["total"]), government=wan(e["government"]), firm=wan(e["firm"]))
    same_total = "、".join(k.label for k in p.diagnosis.values() if k.total == kind.total)
    lead_line = _t("diagnosis_split", "lead_amount" if by_amount else "lead", kind=kind.label, total=wan(kind.total),
                   kinds=same_total)
    lines = [lead_line, formula]
    if re.search(r"幾成|比例|成數|幾%|百分之幾", q.text):
        share = Fraction(e["government"] * 100, e["total"])
        if share.denominator == 1:
            step = f"{wan(e['government'])} ÷ {wan(e['total'])} = {share.numerator}%"
            lines.append(_t("diagnosis_split", "gov_share", step=step))
            formula = f"{formula}；{step}"
    lines.append(_t("diagnosis_split", "result", firm=wan(e["firm"])))
    # another kind's amount the user named (「是20萬還是30萬」): said with its kind, so both are answered
    given = {v for values in q.roles.values() for v in values}
    for other in p.diagnosis.values():
        if other.total in given and other.total != kind.total:
            lines.append(_t("diagnosis_split", "other_kind", kind=other.label, total=wan(other.total),
                            government=wan(other.government), firm=wan(other.firm)))
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
    entries = ("diagnosis_cost", "sme_definition") if by_staff or by_capital else ("diagnosis_cost",)
    return _compose(kb, "diagnosis_split", lines, entries, DIAGNOSIS_FORM,
                    {"kind": e["kind"], **({"employees": q.staff.exact} if by_staff else {})}, formula, prefill)


# "how much can WE get" about the subsidy as a whole, said without a calc verb and without any fact
_WE = re.compile(r"我們|我司|本公司|敝公司|我家|公司|我")
# a cost item, a course, a case...: not the subsidy as a whole
_NOT_WHOLE_SUBSIDY = re.compile(r"費|科目|人事|無形|原料|材料|耗材|既有|課|訓|案例|電話")
_HOW_MUCH_WE_GET = re.compile(r"(能|可以|可|會)?(拿|領|申請|補)(到)?(多少|幾)|多少補助|補助(大概|大約)?(有)?多少")


def subsidy_overview(q: Question, kb: KnowledgeBase, p: Parameters) -> DirectAnswer | None:
    """「我們公司想申請補助，大概能拿多少」 with none of the facts it depends on: the two limits that
    decide it (each size's per-case cap, the < 50 % share), and the guided calculation to get the figure.
    A calc verb (「幫我估」) starts the guided calculation instead; any fact given goes to the rules above."""
    if (q.roles or q.staff is not None or q.facts.lead_factory or q.facts.track
            or not _SUBSIDY.search(q.text) or not _HOW_MUCH_WE_GET.search(q.text) or not _WE.search(q.text)
            or _CALC_VERB.search(q.text) or _ELIGIBILITY.search(q.text) or _LOAN.search(q.text)
            or _INTEREST.search(q.text.replace("補助", "")) or _DIAGNOSIS.search(q.text) or _COMPARE.search(q.text)
            or any(w in q.text for words in ITEM_WORDS.values() for w in words)
            or _NOT_WHOLE_SUBSIDY.search(q.text) or _OTHER_TOPIC.search(q.text)):
        return None
    lines = [_t("subsidy_overview", "lead", gov_pct=p.gov_share_below_pct)]
    lines += [_t("subsidy_overview", "tier_sme" if t.sme_only else "tier", tier=t.label, cap=wan(t.cap))
              for t in p.tiers.values()]
    lines.append(_t("subsidy_overview", "share", gov_pct=p.gov_share_below_pct))
    lines.append(_t("subsidy_overview", "ask"))
    return _compose(kb, "subsidy_overview", lines, ("subsidy_caps", "subsidy_gov_share"), SUBSIDY_FORM, {}, None, "")


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


RULES = (interest, transformation_capex, loan_class, diagnosis, reverse_total, subsidy_item, gov_share, tier_cap,
         subsidy_overview)

# a clause beside a diagnosis one that asks about the subsidy or a loan on its own (「補助上限又是多少」);
# 「政府補幾成」 after 「診斷一案20萬」 is still the diagnosis question
_SECOND_TOPIC = re.compile(r"補助(上限|款|金額|最多|最高)|(升級轉型|申請|的)補助|貸|借|融資|利息|補貼|loan|subsidy", re.I)


SUBSIDY_RULES = (reverse_total, subsidy_item, gov_share, tier_cap)
# the subsidy asked about beside a loan (not 利息補貼, the loan's own subsidy)
_SUBSIDY_ASKED = re.compile(r"(?<!利息)補助(的)?(上限|最多|最高|金額|額度|多少|能|可以|可)|(申請|拿|領)(到)?(多少)?(?<!利息)補助")
_LOAN_WORDS_RE = re.compile(r"(貸款|借款|融資)(額度|金額)?|借錢|貸|借")


def _beside_diagnosis(q: Question) -> str | None:
    """The message without its diagnosis clauses, when one of the remaining clauses asks about a
    subsidy or a loan (「我們20人，診斷要花多少、補助上限又是多少」 → 「我們20人，補助上限又是多少」)."""
    rest = [c for c in q.clauses if not _DIAGNOSIS.search(c)]
    if not any(_ASK.search(c) and _SECOND_TOPIC.search(c) for c in rest):
        return None
    return "，".join(rest)


def _both(kb: KnowledgeBase, first: DirectAnswer, second: DirectAnswer) -> DirectAnswer:
    """Two one-step answers in one reply, each with its steps, citing both rules."""
    def body(answer: DirectAnswer) -> list[str]:
        return [line for line in answer.text.splitlines()[:-1] if line != templates()["offer"]]
    citations = tuple(dict.fromkeys(first.citations + second.citations))
    lines = body(first) + body(second)
    if first.form:
        lines.append(templates()["offer"])
    lines.append(_cite(kb, *citations))
    formula = "；".join(f for f in (first.formula, second.formula) if f) or None
    return DirectAnswer(rule=first.rule, text="\n".join(lines), entry_id=first.entry_id, form=first.form,
                        figures={**second.figures, **first.figures}, formula=formula, prefill=first.prefill,
                        citations=citations)


def _one_rule(q: Question, kb: KnowledgeBase, p: Parameters, rules=RULES) -> DirectAnswer | None:
    for rule in rules:
        answer = rule(q, kb, p)
        if answer is not None:
            return answer
    return None


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
        if answer.rule == "diagnosis_split":
            rest = _beside_diagnosis(q)
            if rest is not None:
                # a second question beside the diagnosis one: answered by its own rule, or the
                # knowledge answers take both (a diagnosis-only reply would drop it)
                other = _one_rule(read_question(rest), kb, p, tuple(r for r in RULES if r is not diagnosis))
                if other is None or other.rule == "check_input":
                    return None
                answer = _both(kb, answer, other)
        elif answer.rule in ("loan_class", "interest_subsidy", "loan_capex") and _SUBSIDY_ASKED.search(q.text):
            # 「我們30人，補助上限跟貸款額度各多少」: the subsidy is asked too — its own rule answers it
            # (read without the loan words), or the knowledge answers take both
            other = _one_rule(read_question(_LOAN_WORDS_RE.sub("", q.text)), kb, p, SUBSIDY_RULES)
            asked_share = any(_SHARE.search(part) for part in re.split(r"[?？。！!]|另外|還有", q.text)
                              if _SUBSIDY_ASKED.search(part))
            if (other is None or other.rule == "check_input"
                    or (asked_share and "subsidy_gov_share" not in other.citations)):
                return None
            answer = _both(kb, answer, other)
        if answer.rule != "check_input" and not given <= {v for _, _, v in find_amounts(answer.text)}:
            # an amount the user gave that the reply does not use: the question needs more than this
            # one rule (「總經費500萬，做診斷和申請補助各要出多少」), so no one-step answer
            continue
        return answer
    return None
