"""The questions of one message (issue 11 item 6: two topics in one question get both answers).

A message may ask two things: 「診斷多少錢？課程要錢嗎？」, 「上課要付費嗎？另外診斷一案多少錢」,
「1. 補助上限多少 2. 課程要錢嗎」, 「診斷要花多少、補助上限又是多少」, 「智慧化跟低碳化分別是指什麼」.
``split_message`` cuts it into its question parts, and keeps the sentences that ask nothing
(「我們20人的工廠」) as the context the direct computations read their figures from.

Where a message is cut:

* sentence ends (。！？；, a new line) and the words that join questions (還有, 另外, 以及, 順便, …;
  English ", and also", ", and are …");
* numbered items (1. 2. / 1、2、 / (1) (2) / ①②), not decimals (2.5) or 1+4;
* a comma between two clauses that each ask something (「診斷要花多少、補助上限又是多少」), when the
  second names a thing of its own (「…，最多補多少」 only repeats the first clause's question);
* 「A跟B…各/分別/都…」: two things asked the same of both (A and B each get the shared question),
  and 「A的X案例跟B的Y案例」: two things of one kind (not a comparison: 「A跟B差在哪」 is one question).

A part that asks nothing is context, not a question: 「人事費、無形資產引進費可以用補助款嗎」 stays one
question. Whether two parts really are two topics is decided by the caller (knowledge/answering.py,
knowledge/retriever.py ``plan``): each part must be answered on its own, by different entries.

Pure Python, no I/O. Offsets are kept: every pattern is matched on ``normalize(text)`` (same length)
and the original text is cut at the same places.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .calc.numbers import find_amounts, find_counts
from .glossary import ENGLISH_STOPWORDS, latin_words
from .textnorm import is_cjk, normalize

# sentence ends and the words that join questions
_STRONG = re.compile(
    r"[。！？!?；;\n]+|[，,、\s]*(?:還有|另外|以及|此外|順便問一下|順便問|順便|再問一下|再請問|也想問|也想知道)[，,、:：\s]*"
    r"|\b(?:and also|also|as well as)\b|,\s*(?:and|plus)\s+(?=(?:is|are|do|does|can|could|what|how|who|where|when|which|will)\b)")
# numbered items: 「1. 」「2、」「(3)」「①」 at the start or after a separator/space, never a decimal or 1+4
_NUMBERED = re.compile(r"(?:^|(?<=[\s，,。；;:：?？!！]))(?:[(（]?[1-9][)）]|[1-9][.、．](?!\d)|[①②③④⑤⑥⑦⑧⑨])\s*")
# clause separators inside a sentence
_COMMA = re.compile(r"[，、]|(?<!\d),|,(?!\d)")   # not the comma of 7,000萬
# 「A跟B…各/分別/都/兩種…」: one question asked of two things
_AND = re.compile(r"跟|和|與|及")
_COMPARE = re.compile(r"差多少|差別|差在|差異|相差|比較|差幾|不同|一樣|哪個|哪一個|還是")   # one question about two things
_EACH = re.compile(r"各自|各|分別|兩者|兩種|兩個|兩項|兩邊|都")

# a part that asks something (zh-TW after normalize; simplified is normalised to traditional)
_ASKS = re.compile(
    r"[?？]|嗎|呢|麼|多少|幾|啥|怎|如何|哪|誰|是否|能否|可否|有沒有|有無|要不要|可不可以|能不能|會不會|是不是|算不算"
    r"|給我|告訴我|介紹|說明|解釋|想問|請問|想知道|想了解|差在|差別|上限|比例|費用"
    r"|^\s*(?:what|how|who|where|when|which|why|is|are|can|could|does|do|will|should|may)\b|\?")
# the question words a clause asks with, and words that name nothing (pronouns, verbs of asking):
# what is left is the thing the clause asks about
_FILLER = re.compile(
    r"請問|想問|想知道|想了解|告訴我|給我|介紹|說明|解釋|可以|能不能|可不可以|能否|可否|是否|有沒有|有無|要不要|會不會|是不是"
    r"|多少錢|多少|幾成|幾%|幾趴|幾|什麼|甚麼|啥|怎麼|怎樣|如何|哪裡|哪些|哪個|哪|誰|嗎|呢|啊|吧|呀|的|是|要|能|會|有|又|也|還|再|最多|最高|最少"
    r"|那|這|它|他|其|我們|我|你們|你|公司|一下|大概|大約|至少|自己|算|補(?![助貼])|付(?!費)|出|拿|花|借(?!款)|貸(?!款)|樣|個|[?？!！。，,、\s\d]")


# what is asked ABOUT something, not a thing itself: a part naming only these (「電話？」「目的是什麼」
# 「上限呢」「找誰」) asks about what the part before it named, so it is not a question of its own
_ATTRIBUTE = re.compile(
    r"電話|專線|聯絡方式|聯絡|目的|對象|資格|條件|費用|金額|上限|額度|比例|成數|利率|期限|流程|步驟|方式|窗口|單位|內容"
    r"|時間|地點|名額|細節|規定|差別|差異|意思|定義|範圍|找|申請|辦理|怎麼做|做法"
    r"|準備|自備|自有資金")   # 「我自己要準備多少」: the own funds beside what the part before asked


# the same in English: a part made only of these and function words ("and what are the service
# hours?", "what's the cap?") asks about what the part before it named
_EN_ATTRIBUTE = frozenset(
    "cap limit maximum max minimum ceiling rate fee cost price phone call number telephone hotline contact share ratio "
    "percentage amount deadline eligible eligibility condition requirement hour service time office opening "
    "process procedure step document paperwork detail email address website purpose definition meaning".split())


# 「不是要問補助，是要問貸款，…」「我問的不是補助，是貸款的利率」: the clause naming what the user does NOT
# ask about. Its words would otherwise pull the message toward the very topic disowned.
_DISOWNED = re.compile(
    r"(?:我|我們)?(?:並?不是|不是說)(?:要|想)?(?:問|詢問|請教|說|講|找)(?:的是)?[^，,。；;：:！!？?\n]{1,12}?(?:喔|哦|啦|啊|唷)?"
    r"[，,。；;：:！!\s]+(?:(?:我|我們|而)?(?:是|只是)?(?:要|想)?(?:問|詢問|請教)(?:的是)?|(?=(?:我|我們|而)?(?:是|要|想)))"
    r"|(?:我|我們)?(?:要|想)?問的(?:並)?不是[^，,。；;：:！!？?\n]{1,12}?(?:喔|哦|啦|啊|唷)?[，,。；;：:！!\s]+(?:而)?(?=是)")


def without_disowned(text: str) -> str:
    """``text`` without a clause saying what it does NOT ask about, nor the 「是要問」 that turns to what it
    does (「不是要問補助，是要問貸款，政府的貸款有哪幾種」 → 「貸款，政府的貸款有哪幾種」); unchanged when it has
    none or nothing would be left."""
    norm = normalize(text)
    out, at = [], 0
    for m in _DISOWNED.finditer(norm):
        out.append(text[at:m.start()])
        at = m.end()
    if at == 0:
        return text
    out.append(text[at:])
    rest = "".join(out)
    return rest if _alnum(rest) >= 2 else text


def elliptic(part: str) -> bool:
    """The part names nothing but what is asked about (「電話？」「目的是什麼」「自己要出多少」,
    "and what are the service hours")."""
    norm = normalize(part)
    words = [w for w, _, _ in latin_words(norm) if not w[0].isdigit()]
    if words and not any(is_cjk(ch) for ch in norm):
        return all(w in ENGLISH_STOPWORDS or w in _EN_ATTRIBUTE for w in words)
    return len(_ATTRIBUTE.sub("", subject(part))) < 2


@dataclass(frozen=True)
class Parts:
    questions: tuple[str, ...]   # the question parts, in order
    context: str = ""            # what the message says without asking (「我們20人的工廠」)
    figures: tuple[str, ...] = ()  # clauses stating a figure for every question (before the first one, or in a statement)

    def facts_for(self, question: str) -> str:
        """The text a direct computation reads for one question part: the part, after the clauses
        of the message that state a figure without asking (「我們20人的工廠，…，補助上限又是多少」 →
        「我們20人的工廠，補助上限又是多少」)."""
        return "，".join([*(f for f in self.figures if f not in question), question])


def _cut(text: str, pattern: re.Pattern[str]) -> list[str]:
    """``text`` cut where ``pattern`` matches ``normalize(text)`` (the matches dropped)."""
    norm, out, at = normalize(text), [], 0
    for m in pattern.finditer(norm):
        if m.end() == m.start():
            continue
        out.append(text[at:m.start()])
        at = m.end()
    out.append(text[at:])
    return out


def _alnum(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


# 幾 inside an approximate figure (「員工二十幾個」「十幾年」「幾十人」) states a figure, asks nothing
_APPROX_JI = re.compile(r"(?<=十)幾(?=\s*(?:個|人|名|位|萬|年|家))|幾(?=[十百]\s*(?:個|人|名|位|家))")


def asks(part: str) -> bool:
    """The part asks something (a question word, 嗎/呢, 「給我…」, a question mark)."""
    return bool(_ASKS.search(_APPROX_JI.sub("", normalize(part))))


def subject(part: str) -> str:
    """What the part names besides its question words (「補助上限又是多少」 → 「補助上限」)."""
    return _FILLER.sub("", normalize(part))


def _comma_split(piece: str) -> list[str]:
    """A sentence cut at a comma between two clauses that each ask something about a thing of its
    own: 「診斷要花多少、補助上限又是多少」; not 「新設備可以補助嗎，最多補多少」 (the second clause names
    nothing new) nor 「我們20人的工廠，補助上限多少」 (the first asks nothing). The text between the
    cuts is kept as written."""
    norm = normalize(piece)
    cuts = [(m.start(), m.end()) for m in _COMMA.finditer(norm)]
    if not cuts:
        return [piece]
    bounds = [0, *(e for _, e in cuts)]
    ends = [*(st for st, _ in cuts), len(piece)]
    out: list[str] = []
    start = 0   # where the part being built starts
    for k in range(1, len(bounds)):
        before, clause = piece[start:ends[k - 1]], piece[bounds[k]:ends[k]]
        if asks(before) and asks(clause) and len(subject(clause)) >= 2 and len(subject(before)) >= 2:
            out.append(before)
            start = bounds[k]
    out.append(piece[start:])
    return out


def _each_split(piece: str) -> list[str]:
    """「A跟B（的）…各/分別/都…」 → A with the shared question, and B with it:
    「智慧化跟低碳化分別是指什麼」 → 「智慧化是指什麼」, 「低碳化是指什麼」. Only when each of A and B names
    a thing (two characters besides question words) and the sentence says each/both (各, 分別, 都, 兩種…)."""
    norm = normalize(piece)
    joins = [m for m in _AND.finditer(norm)]
    if len(joins) != 1 or _COMPARE.search(norm):
        return [piece]
    join = joins[0]
    each = _EACH.search(norm, join.end())
    if each is None:
        return _parallel_split(piece, join.start(), join.end())
    first, second = piece[:join.start()], piece[join.end():each.start()]
    shared = piece[each.end():]
    if len(subject(first)) < 2 or len(subject(second)) < 2:
        return [piece]
    # 「信保基金和聯輔基金的電話都給我」: what follows B's 的 is asked of A too (A的電話)
    owned = second[second.index("的"):] if "的" in second and "的" not in first else ""
    # 「疫後振興跟轉型發展兩種貸款的額度各是多少」: B keeps its words up to the shared question
    return [first + owned + shared, second + shared]


def _parallel_split(piece: str, start: int, end: int) -> list[str]:
    """「A的X案例跟B的Y案例嗎」: two things of the same kind (the word before 跟 ends both) → 「A的X案例嗎」,
    「B的Y案例嗎」; anything else stays one question."""
    head = normalize(piece[max(0, start - 2):start])
    if len(head) < 2 or not all(_is_cjk(ch) for ch in head) or len(_FILLER.sub("", head)) < 2:
        return [piece]
    at = normalize(piece).find(head, end)
    if at < 0:
        return [piece]
    first, second, tail = piece[:start], piece[end:], piece[at + len(head):]
    if len(subject(first)) < 2 or len(subject(piece[end:at])) < 1:
        return [piece]
    return [first + tail, second]


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _pieces(text: str) -> list[tuple[str, bool]]:
    """``text`` cut at sentence ends, joining words and numbered items, each piece with whether it
    is asked by its punctuation or place: a question mark after it, a joining word (還有, 順便問一下…)
    or an item number before it — 「…？順便問一下信保基金電話」 asks for the phone number."""
    norm, out, at, joined = normalize(text), [], 0, False
    for m in [*_STRONG.finditer(norm), None]:
        end = m.start() if m is not None else len(text)
        sep = m.group(0) if m is not None else ""
        if m is not None and m.end() == m.start():
            continue
        piece = text[at:end]
        items = _cut(piece, _NUMBERED)
        for k, item in enumerate(items):
            asked = (k > 0) or (joined and k == 0) or (k == len(items) - 1 and bool(re.search(r"[?？]", sep)))
            out.append((item, asked))
        joined = bool(re.search(r"[^\W\d_]", sep))   # a word joined the next piece, not punctuation
        if m is not None:
            at = m.end()
    return out


# the programme's topics, as a question names them: a follow-up that names none (「以大帶小又是多少」
# after 「非中小企業診斷多少錢」) asks the topic of the question before it about another kind
_TOPIC = re.compile(r"診斷|補助|貸款|借款|課程|培訓|利率|利息|補貼|電話|專線|案例|報告|信保|聯輔")
_AGAIN = re.compile(r"又|呢")


def _carry_topics(questions: tuple[str, ...]) -> tuple[str, ...]:
    """A question naming another kind of what the question before it asked (「X又是多少」「X呢」, no
    topic of its own) with that question's topic words put before its 又/呢: 「以大帶小又是多少」 after
    「非中小企業診斷多少錢」 → 「以大帶小診斷又是多少」, so it is judged as the diagnosis question it is."""
    out = list(questions)
    for k in range(1, len(out)):
        norm = normalize(out[k])
        again = _AGAIN.search(norm)
        if again is None or _TOPIC.search(norm) or len(subject(out[k])) > 6:
            continue
        topics = "".join(dict.fromkeys(_TOPIC.findall(normalize(questions[k - 1]))))
        if topics:
            out[k] = out[k][:again.start()] + topics + out[k][again.start():]
    return tuple(out)


def split_message(text: str) -> Parts:
    """The question parts of ``text``, its context and its figure clauses (see the module docstring)."""
    pieces = _pieces(text)
    parts: list[tuple[str, bool]] = []
    for piece, asked in pieces:
        for clause in _comma_split(piece):
            parts.extend((p, asked) for p in _each_split(clause))
    parts = [(p.strip(" ，,、:："), asked) for p, asked in parts]
    parts = [(p, asked or asks(p)) for p, asked in parts if _alnum(p) >= 2]
    # a question naming nothing of its own continues the question before it
    merged: list[tuple[str, bool]] = []
    for p, asked in parts:
        if merged and merged[-1][1] and asked and elliptic(p):
            merged[-1] = (merged[-1][0] + "，" + p, True)
        else:
            merged.append((p, asked))
    if not any(asked for _, asked in merged):
        # nothing asks (「疫後振興貸款跟轉型發展貸款的申請對象」): the message is its question(s)
        merged = [(p, True) for p, _ in merged]
    questions = _carry_topics(tuple(p for p, asked in merged if asked))
    context = "，".join(p for p, asked in merged if not asked)
    # figures stated before the first question (「我們20人的工廠，…」) or in a sentence that asks
    # nothing hold for every question; those inside a later question are that question's own
    lead: list[str] = []
    for clause in (c.strip() for p, _ in pieces for c in _cut(p, _COMMA)):
        if asks(clause):
            break
        lead.append(clause)
    stated = [*lead, *(c.strip() for p, asked in merged if not asked for c in _cut(p, _COMMA))]
    figures = tuple(dict.fromkeys(c for c in stated if c and (find_amounts(c) or find_counts(c))))
    return Parts(questions=questions, context=context, figures=figures)
