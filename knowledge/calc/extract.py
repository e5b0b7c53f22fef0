"""Facts a user states in free text, for the guided calculations: yes/no in its many forms,
"I don't know", head-counts, amounts tied to what they are (總經費800萬, 新設備500萬), and
company facts (製造業, 中小企業, 以大帶小, 智慧化/低碳化). Pure functions, no Rasa."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .numbers import clean_text, find_amount_readings, find_amounts, find_counts, parse_amount, parse_count

YES, NO, DONT_KNOW = "yes", "no", "dont_know"

_DONT_KNOW = re.compile(r"不知道|不確定|不清楚|不曉得|不太懂|不懂|不了解|沒概念|不知|什麼意思|是什麼|什麼是|怎麼判斷|怎麼算|dontknow|idk|notsure")
_NO = re.compile(r"^(不是|不對|不用|沒有|沒|否|不|非|no|nope|不要|無|並不是|不算|不屬於)")
_YES = re.compile(r"^(是|對|沒錯|有|對啊|是的|嗯|好|正確|yes|yeah|yep|ok|okay|當然|算是|屬於|確定|y$)")


_STOP = re.compile(r"不算了|不用算|不要算|算了|取消|停止|退出|跳出|結束試算|^停$|stop|cancel|quit")


def is_stop(text: str) -> bool:
    """"不算了", "取消": the user wants to leave the calculation (not a "no" answer)."""
    return bool(_STOP.search(clean_text(text)))


def yes_no(text: str) -> str | None:
    """yes | no | dont_know | None for a short answer to a yes/no question."""
    t = clean_text(text).strip("，。！!?？.~～ ")
    if is_stop(t):
        return None
    if _DONT_KNOW.search(t):
        return DONT_KNOW
    if re.match(r"^(沒錯|沒問題|不錯)", t):
        return YES
    if _NO.match(t):
        return NO
    if _YES.match(t):
        return YES
    return None


def dont_know(text: str) -> bool:
    return bool(_DONT_KNOW.search(clean_text(text)))


COST_KEYWORDS = {
    "new_equipment": ("全新設備", "新設備", "新機台", "新機器", "買設備", "購置", "買機台", "新的設備"),
    "existing_equipment": ("既有設備", "舊設備", "設備改善", "改善費", "改機", "原有設備"),
    "commissioned_research": ("委託研究", "驗證", "委外研究", "研究費"),
    "consumables": ("消耗性", "耗材", "原材料", "材料"),
    "personnel": ("人事", "薪水", "薪資", "人力"),
    "intangible_assets": ("無形資產", "專利", "授權", "技術移轉", "技轉"),
}
BUDGET_KEYWORDS = ("總經費", "總預算", "計畫經費", "計畫總", "總共", "總額", "預算", "經費", "總計", "投資")
CAPITAL_KEYWORDS = ("資本額", "實收資本", "資本")
LOAN_KEYWORDS = ("借", "貸", "融資", "貸款")


@dataclass
class Facts:
    manufacturing: bool | None = None
    sme: bool | None = None
    employees: int | None = None
    lead_factory: bool | None = None
    track: str | None = None                 # smart | lowcarbon
    total_budget: int | None = None
    costs: dict[str, int] = field(default_factory=dict)
    capital: int | None = None
    transformation_plan: bool | None = None
    loan_purpose: str | None = None          # capital | working
    loan_amount: int | None = None
    tax_only: bool | None = None
    unclear_amounts: int = 0                 # numbers without a unit (800 → 元 or 萬?)
    remainder_item: str | None = None        # 「其他是人事費」: the cost item the unitemised rest is
    registered_factory: bool | None = None   # 取得特定工廠登記／經地方政府核定改善計畫之納管工廠業者
    approximate: list = field(default_factory=list)  # amounts said as a range or "about": ask back


def _negated(text: str, start: int) -> bool:
    return bool(re.search(r"(不是|非|沒有|不屬於|不算)$", text[max(0, start - 4):start]))


def _mentions(text: str, word: str) -> bool | None:
    """True when ``word`` is stated, False when it is stated negated, None when absent."""
    idx = text.find(word)
    if idx < 0:
        return None
    return not _negated(text, idx)


def _keyword_before(text: str, start: int) -> str | None:
    """The closest amount keyword before ``start`` within the same clause."""
    clause_start = max(text.rfind(sep, 0, start) for sep in "，,。；;、!！?？")
    window = text[clause_start + 1:start]
    best, best_pos = None, -1
    for slot, words in [*COST_KEYWORDS.items(), ("total_budget", BUDGET_KEYWORDS), ("capital", CAPITAL_KEYWORDS),
                        ("loan_amount", LOAN_KEYWORDS)]:
        for w in words:
            pos = window.rfind(w)
            if pos > best_pos:
                best, best_pos = slot, pos
    return best


_REMAINDER = re.compile(r"(?:其他|其它|其餘|剩下|剩餘|餘下)(?:的)?(?:部分|部份|經費|預算|錢)?"
                        r"(?:都|全部|全都|全)?(?:是|為|算|給|用在|用於|拿來|花在|做)")


def remainder_item(text: str) -> str | None:
    """「其他是人事費」, 「剩下的是薪水」, 「其餘都是設備改善」: the cost item the rest of the budget is."""
    t = clean_text(text)
    for m in _REMAINDER.finditer(t):
        clause = re.split(r"[，,。；;、!！?？]", t[m.end():], maxsplit=1)[0]
        found = [(clause.find(w), slot) for slot, words in COST_KEYWORDS.items() for w in words if w in clause]
        if found:
            return min(found)[1]
    return None


def apply_remainder(costs: dict[str, int], item: str | None, total: int | None) -> dict[str, int]:
    """The itemised costs with the rest of ``total`` added to ``item`` (when both are known)."""
    if not item or not total or not costs:
        return dict(costs)
    rest = total - sum(costs.values())
    out = dict(costs)
    if rest > 0:
        out[item] = out.get(item, 0) + rest
    return out


def extract_facts(text: str) -> Facts:
    """Everything ``text`` states explicitly (a bare number says nothing here: see the answer parsers)."""
    t = clean_text(text)
    f = Facts()
    manu = _mentions(t, "製造業")
    if manu is None and re.search(r"服務業|貿易|零售|餐飲|批發|顧問", t):
        manu = False
    f.manufacturing = manu
    if re.search(r"非中小企業|大企業|不是中小企業|不屬於中小企業", t):
        f.sme = False
    elif "中小企業" in t:
        f.sme = True
    if re.search(r"以大帶小|中心廠|1\+4|1\+10", t):
        f.lead_factory = not _negated(t, t.find(next(w for w in ("以大帶小", "中心廠", "1+4", "1+10") if w in t)))
    if "1+10" in t or re.search(r"低碳|減碳|節能|碳排", t):
        f.track = "lowcarbon"
    elif "1+4" in t or re.search(r"智慧化|智慧製造|自動化|數位", t):
        f.track = "smart"
    if re.search(r"智慧化|低碳化|轉型", t):
        f.transformation_plan = True
    if "稅籍" in t:
        f.tax_only = True
    if re.search(r"特定工廠登記|納管工廠|改善計畫", t):
        f.registered_factory = not re.search(r"(沒有|未|不是|非)(取得)?(特定工廠登記|納管工廠)", t)
    if re.search(r"週轉|周轉|營運資金|薪資週轉|進料", t):
        f.loan_purpose = "working"
    elif re.search(r"買設備|購置|廠房|資本性|機台|設備", t) and re.search(r"借|貸", t):
        f.loan_purpose = "capital"
    counts = find_counts(text)
    if counts:
        f.employees = counts[0][2]
    for start, _end, value in find_amounts(text):
        if value is None:
            f.unclear_amounts += 1
            continue
        slot = _keyword_before(t, start)
        if slot in COST_KEYWORDS:
            f.costs[slot] = f.costs.get(slot, 0) + value
        elif slot == "total_budget" and f.total_budget is None:
            f.total_budget = value
        elif slot == "capital" and f.capital is None:
            f.capital = value
        elif slot == "loan_amount" and f.loan_amount is None:
            f.loan_amount = value
    f.approximate = [r for r in find_amount_readings(text) if r.kind in ("range", "more_than")]
    f.remainder_item = remainder_item(text)
    f.costs = apply_remainder(f.costs, f.remainder_item, f.total_budget)
    return f


def answer_costs(text: str, total_budget: int | None = None) -> dict[str, int] | None:
    """Answer to "which cost items?": {} for none/unknown, the items found, or None if unclear.
    With ``total_budget`` known, 「其他是人事費」 puts the rest of the budget on that item."""
    t = clean_text(text)
    if yes_no(t) in (NO, DONT_KNOW) or re.fullmatch(r"(沒有|無|都沒有|沒有明細|不用|略過|跳過|skip|none)[。.!！]*", t):
        return {}
    facts = extract_facts(text)
    if facts.total_budget is None:
        return apply_remainder(facts.costs, facts.remainder_item, total_budget) or None
    return facts.costs or None


def answer_amount(text: str) -> int | None:
    return parse_amount(text)


def answer_count(text: str) -> int | None:
    return parse_count(text)


def _first_choice(text: str, choices: tuple[tuple[str, str], ...]) -> str | None:
    """The value of the first (pattern, value) whose pattern occurs in the answer."""
    t = clean_text(text)
    return next((value for pattern, value in choices if re.search(pattern, t)), None)


def answer_track(text: str) -> str | None:
    return _first_choice(text, ((r"低碳|減碳|節能|碳|1\+10", "lowcarbon"), (r"智慧|數位|自動化|ai|1\+4", "smart")))


def answer_purpose(text: str) -> str | None:
    return _first_choice(text, ((r"週轉|周轉|營運|薪|進料|working", "working"),
                                (r"資本|設備|廠房|機台|機器|capital", "capital")))
