"""Hybrid retrieval over the knowledge entries: BM25 on jieba words + character bigrams, fused
with dense e5 similarities from the faiss index. Below a threshold it says "no answer" instead of
returning its best guess.

Before scoring, homophone typos of programme terms are corrected (knowledge/soundalike.py) and
English phrases are mapped to the programme's Chinese terms for the lexical side
(knowledge/glossary.yml). ``search`` decides for one question; ``plan`` also splits a message that
asks two things (「診斷多少錢？課程要錢嗎？」) and answers each part.

The decision (thresholds in knowledge/retrieval.yml):

* ANSWER — the best entry is dominant (score ≥ answer_threshold, ahead by ≥ answer_margin);
* ANSWER_WITH_ALTERNATIVES — it is plausible (≥ likely_threshold) but not dominant, leads every
  runner-up by lead_margin, and no entry of another topic ties with it (within tie_margin): answer
  it and offer the runner-ups (「您可能也想問」); a strong best (≥ strong_threshold, not an English
  question) needs only strong_lead_margin over any runner-up; a likely not_in_brief entry is said alone;
* SUGGEST — a real tie between different topics, or only weak candidates: the menu;
* NONE — nothing reaches suggest_threshold.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import NamedTuple

import yaml
from rank_bm25 import BM25Okapi

from .embeddings import Embedder, embedder_from_spec, with_query_cache
from .glossary import ENGLISH_STOPWORDS, Glossary, is_latin_question, latin_words, load_glossary
from .index import DenseIndex, index_dir_from_env, open_index
from .loader import KNOWLEDGE_DIR, Entry, KnowledgeBase, load_knowledge
from .questions import asks, elliptic, split_message, without_disowned
from .scope import HANDOFF_ENTRIES, about_a_case, asked_slots, handoff_for, scope_miss
from .soundalike import Correction, SoundAlike
from .textnorm import clip_message, is_cjk, lexical_tokens, normalize, to_traditional, written_in_simplified

SETTINGS_FILE = KNOWLEDGE_DIR / "retrieval.yml"
#: the subsidy's eligibility entry: first for a non-manufacturer asking about the subsidy (Retriever._not_eligible_first)
ELIGIBILITY_ENTRY = "subsidy_eligibility"
_NOT_MANUFACTURER = re.compile(r"(?:不是|並非|非|不屬於|不算)製造業|\bnot (?:a )?manufactur")
_OTHER_TRADE = re.compile(r"批發業|零售業|服務業|餐飲業|貿易公司|貿易商|做貿易|做批發|做零售|做餐飲|(?:我們|本公司|公司)是?(?:做)?(?:批發|零售|餐飲|貿易)"
                          r"|\b(?:wholesale|retail|trading company|restaurant)")

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n：])|…")   # 「想確認一下：這些課要錢嗎？」: the question after the colon

# A polite, formal message (「您好，敝公司為…業者，想請教貴單位此方案提供哪幾類協助，謹此致意。」): the
# greeting, the self-introduction and the closing are clauses that ask nothing and dilute the one that
# does. In such a message the clauses that ask are judged on their own too (the better ranking is kept).
_COURTESY = re.compile(r"您好|你好|妳好|敬啟者|謹此|謹致|敬祝|順頌|商祺|致意|致謝|感謝|謝謝|不勝感激|煩請|冒昧|叨擾|打擾了|敬請|惠予|賜教|貴單位|貴中心|貴處|敝公司|敝司|本公司")
_CLAUSE_END = re.compile(r"[，,、。！!？?；;：:\n]")

# A follow-up that names no subject of its own (「上限多少？」「利率呢？」「要錢嗎？」, "how much?") asks
# about the subject of the sentence before it: it is judged with that sentence, never alone.
_FACET = re.compile(r"上限|最高|最多|額度|利率|費用|收費|金額|錢|電話|幾號|號碼|資格|對象|條件|比例|幾成|成數"
                    r"|期限|多久|幾天|天數|怎麼算|怎麼申請|怎麼辦")
_EN_FACET = frozenset("cap limit maximum max ceiling rate fee cost price phone number share ratio "
                      "percentage amount deadline eligible eligibility condition".split())
_FILLER = re.compile(r"多少|那|這|請問|又|還|也|再|都|各|是|的|了|可以|能|會|要|需要|有沒有|有|沒|怎麼|什麼|如何|哪|誰"
                     r"|大概|大約|一下|最|到|給|我們|我|你們|您|[嗎呢吧啊呀喔哦幾]")


def is_follow_up(part: str) -> bool:
    """A short question part made only of ask words and facets (上限, 利率, 電話…), no subject."""
    norm = normalize(part)
    if any(w not in ENGLISH_STOPWORDS and w not in _EN_FACET for w, _, _ in latin_words(norm) if not w[0].isdigit()):
        return False
    rest = _FILLER.sub("", _FACET.sub("", "".join(ch for ch in norm if is_cjk(ch))))
    return not rest and sum(is_cjk(ch) for ch in norm) <= 8


@dataclass(frozen=True)
class Settings:
    dense_weight: float
    lexical_weight: float
    dense_floor: float
    dense_ceiling: float
    lexical_scale: float
    answer_threshold: float
    answer_margin: float
    suggest_threshold: float
    max_suggestions: int
    likely_threshold: float = 1.01     # ≥ this, not dominant, no tie with another topic: answer + alternatives
    tie_margin: float = 0.0            # a runner-up of another topic this close is a real tie (menu)
    lead_margin: float = 0.0           # …and the best must lead any runner-up by this much to be answered
    same_topic_margin: float | None = None  # the lead needed over a runner-up of the SAME topic (None: lead_margin)
    alternatives_window: float = 0.0   # runner-ups this close to the best are offered as alternatives
    max_alternatives: int = 2
    latin_dense_weight: float | None = None  # fusion weight of the dense score for English questions
    split_threshold: float = 1.01      # each part of a two-topic message must reach this to be answered
    max_topics: int = 2
    strong_threshold: float = 1.01     # a best this strong (not an English question)…
    strong_lead_margin: float | None = None  # …needs only this lead over any runner-up (None: the usual margins)
    strong_same_topic_margin: float | None = None  # …and this lead over a runner-up of its own topic (None: strong_lead_margin)

    @classmethod
    def load(cls, path: Path = SETTINGS_FILE) -> "Settings":
        return cls(**yaml.safe_load(Path(path).read_text("utf-8")))


class Status(str, Enum):
    ANSWER = "answer"    # confident: answer with the best entry
    ANSWER_WITH_ALTERNATIVES = "answer_with_alternatives"  # likely: answer it, offer the runner-ups
    SUGGEST = "suggest"  # unsure: offer the candidates as buttons
    NONE = "none"        # nothing close enough: say so, offer the hotline

    @property
    def answers(self) -> bool:
        return self in (Status.ANSWER, Status.ANSWER_WITH_ALTERNATIVES)


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    dense: float
    lexical: float


@dataclass(frozen=True)
class RetrievalResult:
    query: str
    status: Status
    candidates: tuple[Candidate, ...]  # best first; empty when status is NONE
    truncated: bool = False
    corrections: tuple[Correction, ...] = ()

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def alternatives(self) -> tuple[Candidate, ...]:
        """The runner-ups to offer next to the answer (ANSWER_WITH_ALTERNATIVES only)."""
        return self.candidates[1:] if self.status is Status.ANSWER_WITH_ALTERNATIVES else ()


@dataclass(frozen=True)
class AnswerPlan:
    """What to say to one message: the entries to answer (two or more when the message asks about
    different things), the alternatives to offer under the answer, or the menu, or nothing."""
    query: str
    status: Status
    answers: tuple[Candidate, ...]       # answered in this order, each with its citation
    alternatives: tuple[Candidate, ...]  # 「您可能也想問」 buttons under the answer(s)
    menu: tuple[Candidate, ...]          # SUGGEST: the topics to choose from
    ranked: tuple[Candidate, ...]        # answers first, then every other entry best first
    latin: bool = False                  # an English question: say that answers are in Chinese
    truncated: bool = False
    parts: tuple[str, ...] = ()          # the parts answered separately (two-topic messages)


class Retriever:
    def __init__(self, kb: KnowledgeBase, dense: DenseIndex, embedder: Embedder,
                 settings: Settings, glossary: Glossary | None = None,
                 soundalike: SoundAlike | None = None) -> None:
        if dense.model_id != embedder.model_id:  # open_index checks too; belt and braces
            raise ValueError("dense index and embedder disagree on the model")
        self.kb, self.dense, self.embedder, self.settings = kb, dense, embedder, settings
        self.glossary = glossary or load_glossary()
        self.soundalike = soundalike or SoundAlike.default()
        self._by_id = {e.id: e for e in kb.entries}
        self._ids = [e.id for e in kb.entries]
        docs = [
            lexical_tokens(e.title) * 2 + [t for q in e.questions for t in lexical_tokens(q)]
            + lexical_tokens(e.answer)
            for e in kb.entries
        ]
        self._bm25 = BM25Okapi(docs)
        self._max_idf = max(self._bm25.idf.values())
        self._latin_vocab = frozenset(t for t in self._bm25.idf if t.isascii() and t[:1].isalpha())

    @classmethod
    def from_env(cls, index_dir: Path | None = None, embedder: Embedder | None = None) -> "Retriever":
        kb = load_knowledge()
        embedder = with_query_cache(embedder or embedder_from_spec())
        dense = open_index(index_dir or index_dir_from_env(), kb, embedder)
        return cls(kb, dense, embedder, Settings.load())

    def _dense_scores(self, query: str) -> dict[str, float]:
        vec = self.embedder.embed_queries([query])[0]
        best: dict[str, float] = {}
        for score, entry_id, _kind in self.dense.search(vec, k=min(64, self.dense.index.ntotal)):
            if score > best.get(entry_id, -1.0):
                best[entry_id] = score
        return best

    def features(self, query: str) -> "Features":
        """Raw scores: best dense cosine per entry, and per entry (in entry order) the share of the
        query's highest possible BM25 score that the entry reaches (0..1).

        The bound counts every query token at (k1 + 1) × idf, with words the index has never
        seen at the highest idf, so a query made of unknown words scores low against
        everything, and a one-word programme query ("補助") can still score high.

        Lexical search sees the glossary's rewriting of the query (English phrases as the
        programme's Chinese terms, English words nobody can match dropped); for an English
        or mixed question the dense side also judges it with the glossary's phrases in Chinese
        (``Glossary.dense_text``) and keeps the better cosine per entry.
        """
        latin = is_latin_question(query)
        dense = self._dense_scores(query)
        traditional = to_traditional(query) if written_in_simplified(query) else query
        if traditional != query:
            # Simplified characters (「以大带小低碳化最多补多少」): the entries are written in Traditional
            # ones, and the embedding of the Simplified text lies further from them than its Traditional
            # form does (lexical search already sees the converted text). Only a text written in Simplified
            # is converted (a Traditional one keeps its 台, 核), and the better cosine per entry is kept.
            for entry_id, score in self._dense_scores(traditional).items():
                if score > dense.get(entry_id, -1.0):
                    dense[entry_id] = score
        lexical_text = self.glossary.lexical_text(query, self._latin_vocab)
        if self.settings.latin_dense_weight is not None and self.glossary.translated(query):
            # English or mixed: the question with its programme phrases in Chinese, in place, and
            # every other word kept (not the bare terms of the lexical text: a list of terms has
            # no question in it and scores high against many entries alike)
            for entry_id, score in self._dense_scores(self.glossary.dense_text(query)).items():
                if score > dense.get(entry_id, -1.0):
                    dense[entry_id] = score
        tokens = lexical_tokens(lexical_text)
        if not tokens:
            # an English question in which the glossary finds no programme term: the dense model
            # alone, across languages, is not trusted to answer it
            return Features({} if latin else dense, [0.0] * len(self._ids), latin)
        bm25 = self._bm25
        bound = sum(bm25.idf.get(t, self._max_idf) for t in tokens) * (bm25.k1 + 1)
        return Features(dense, [float(x) / bound for x in bm25.get_scores(tokens)], latin)

    def fuse(self, features: "Features", settings: Settings | None = None) -> list[Candidate]:
        """Every entry with its fused score, best first (no thresholds applied)."""
        s = settings or self.settings
        dense, lexical, latin = features
        dense_w = s.dense_weight
        if latin and s.latin_dense_weight is not None:
            dense_w = s.latin_dense_weight
        lexical_w = 1.0 - dense_w if latin and s.latin_dense_weight is not None else s.lexical_weight
        out = []
        for entry_id, lex in zip(self._ids, lexical):
            cos = dense.get(entry_id, s.dense_floor)
            d = min(1.0, max(0.0, (cos - s.dense_floor) / (s.dense_ceiling - s.dense_floor)))
            lex_n = min(1.0, max(0.0, lex) * s.lexical_scale)
            fused = dense_w * d + lexical_w * lex_n
            out.append(Candidate(self._by_id[entry_id], round(fused, 4), round(cos, 4), round(lex_n, 4)))
        out.sort(key=lambda c: c.score, reverse=True)
        return out

    def scores(self, query: str) -> list[Candidate]:
        return self.fuse(self.features(query))

    def corrected(self, text: str) -> tuple[str, tuple[Correction, ...]]:
        """``text`` with homophone typos of programme terms corrected (unchanged when none)."""
        fixed, fixes = self.soundalike.correct(text)
        return (fixed, tuple(fixes)) if fixes else (text, ())

    def _rank(self, query: str) -> tuple[str, bool, list[Candidate], tuple[Correction, ...]]:
        text, truncated = clip_message(query)
        if not text or not any(ch.isalnum() for ch in text):
            return text, truncated, [], ()
        judged, fixes = self.corrected(text)
        # 「不是要問補助，是要問貸款，…」: the topic the user says they do not ask about is not judged
        judged = without_disowned(judged)
        ranked = self.scores(judged)
        # In a long or multi-sentence message the question is usually the last sentence; the
        # story before it dilutes the scores. Judge that sentence alone too and keep the better.
        # A last sentence that is a follow-up naming nothing of its own (「…？電話？」「…？上限多少」)
        # asks about what the sentence before it named: it is judged with that sentence.
        sentences = [p for p in _SENTENCE_END.split(judged) if sum(ch.isalnum() for ch in p) >= 2]
        # a sentence after the question that asks nothing (「補助分成哪幾類？我們是做零件的小廠」) is
        # context, not the question: the question is the last sentence that asks something
        trimmed = False
        while len(sentences) > 1 and not asks(sentences[-1]) and any(asks(p) for p in sentences[:-1]):
            sentences.pop()
            trimmed = True
        if len(sentences) > 1 and (is_follow_up(sentences[-1]) or elliptic(sentences[-1])):
            sentences = [*sentences[:-2], sentences[-2] + sentences[-1]]
        if len(sentences) > 1 or trimmed:
            last = self.scores(sentences[-1])
            # a statement after the question (「…自付10萬？我們是中小企業，員工60人」) is context: its words
            # must not carry the answer to another entry (中小企業認定) when the question alone has one
            if last[0].score > ranked[0].score or (trimmed and last[0].score >= self.settings.suggest_threshold):
                ranked = last
        if _COURTESY.search(judged):
            clauses = [c for c in _CLAUSE_END.split(judged) if sum(ch.isalnum() for ch in c) >= 2]
            asking = [c for c in clauses if asks(c)]
            if asking and len(asking) < len(clauses):
                core = self.scores("，".join(asking))
                if core[0].score > ranked[0].score:
                    ranked = core
        return text, truncated, ranked, fixes

    def rank(self, query: str) -> tuple[str, bool, list[Candidate]]:
        """(the text judged, whether it was clipped, every entry best first)."""
        text, truncated, ranked, _ = self._rank(query)
        return text, truncated, ranked

    def decide(self, ranked: list[Candidate], settings: Settings | None = None,
               latin: bool = False) -> tuple[Status, tuple[Candidate, ...]]:
        """The decision for one question from its ranking: (status, the candidates it keeps).
        ``latin``: an English question, whose lexical side sees only the glossary's terms: it is
        answered without being dominant only when its best reaches answer_threshold (not just
        likely_threshold) — one everyday word the glossary knows («buy» in "a good stock to buy")
        must not carry an answer."""
        s = settings or self.settings
        if not ranked or ranked[0].score < s.suggest_threshold:
            return Status.NONE, ()
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        kept = tuple(c for c in ranked[: s.max_suggestions] if c.score >= s.suggest_threshold)
        if best.score >= s.answer_threshold and best.score - runner_up >= s.answer_margin:
            return Status.ANSWER, kept
        tie_margin, lead_margin = s.tie_margin, s.lead_margin
        # Related entries of the same topic close behind the best are not a tie between different
        # things (補助上限 / 政府補助比例): the best is answered and they are offered next to it.
        # Only a runner-up of another topic needs the full lead.
        relaxed = s.same_topic_margin is not None
        same_margin = s.same_topic_margin if relaxed else s.lead_margin
        # A strong match (most of the question's words in the entry, or a close embedding) that is
        # ahead, even narrowly, is likely the answer: answer it and offer the runner-ups next to it.
        # English questions are left out (their lexical side sees only the glossary's terms).
        if s.strong_lead_margin is not None and not latin and best.score >= s.strong_threshold:
            tie_margin = min(tie_margin, s.strong_lead_margin)
            lead_margin = min(lead_margin, s.strong_lead_margin)
            same_margin = min(same_margin, s.strong_lead_margin)
            if s.strong_same_topic_margin is not None:
                same_margin = min(same_margin, s.strong_same_topic_margin)
        tie = any(c.entry.topic != best.entry.topic and best.score - c.score < tie_margin
                  for c in ranked[1 : s.max_suggestions])
        other = next((c.score for c in ranked[1:] if c.entry.topic != best.entry.topic), 0.0)
        same = next((c.score for c in ranked[1:] if c.entry.topic == best.entry.topic), 0.0)
        leads = best.score - other >= lead_margin and best.score - same >= same_margin
        likely = s.answer_threshold if latin else s.likely_threshold
        if best.score >= likely and not tie and leads:
            if best.entry.id in HANDOFF_ENTRIES:
                # "the brief does not state it" is said alone, with its hotline and a person to ask
                # (no 「您可能也想問」 next to it: those would suggest the brief answers after all)
                return Status.ANSWER, kept
            alts = tuple(c for c in ranked[1 : 1 + s.max_alternatives]
                         if c.score >= s.suggest_threshold and best.score - c.score <= s.alternatives_window)
            return Status.ANSWER_WITH_ALTERNATIVES, (best, *alts)
        return Status.SUGGEST, kept

    def search(self, query: str) -> RetrievalResult:
        text, truncated, ranked, fixes = self._rank(query)
        status, kept = self.decide(ranked, latin=is_latin_question(text))
        handoff = self._out_of_scope(text, status, kept)
        if handoff is not None:
            status, kept = Status.ANSWER, (handoff,)
        return RetrievalResult(query=text, status=status, candidates=kept, truncated=truncated,
                               corrections=fixes)

    def split(self, text: str) -> list[str]:
        """The question parts of a message (knowledge/questions.py): cut at sentence ends, joining
        words (還有, 另外, …), numbered items, a comma between two questions, 「A跟B各…」; the parts
        that ask nothing are left out (they are context, not questions)."""
        return list(split_message(text).questions)

    def part_answer(self, part: str) -> tuple[Status, tuple[Candidate, ...]]:
        """The decision for one question part of a message: (status, kept), where an answer is kept
        only when it reaches ``split_threshold`` (else the status is SUGGEST), and a part asking for
        a detail its entry does not state is answered by the not_in_brief entry that says so."""
        s = self.settings
        status, kept = self.decide(self.scores(part), latin=is_latin_question(part))
        if status.answers and kept[0].score >= s.split_threshold:
            return status, (self._out_of_scope(part, status, kept) or kept[0], *kept[1:])
        return (Status.SUGGEST, kept) if kept else (Status.NONE, ())

    def plan(self, query: str) -> AnswerPlan:
        """The whole decision for one message: ``search`` on the message, or, when its parts each
        clearly match a different entry, every part answered (up to ``max_topics``)."""
        s = self.settings
        text, truncated, ranked, fixes = self._rank(query)
        latin = is_latin_question(text)
        status, kept = self.decide(ranked, latin=latin)
        eligibility = self._not_eligible_first(text, status, ranked)
        if eligibility is not None:
            best, *rest = eligibility
            alts = tuple(c for c in rest[: s.max_alternatives] if c.score >= s.suggest_threshold)
            return AnswerPlan(query=text, status=Status.ANSWER_WITH_ALTERNATIVES if alts else Status.ANSWER,
                              answers=(best,), alternatives=alts, menu=(), ranked=tuple(eligibility),
                              latin=latin, truncated=truncated)
        parts = self.split(without_disowned(self.corrected(text)[0])) if ranked else []
        if len(parts) >= 2 and status is not Status.NONE and about_a_case(text):
            # the message describes a case the brief does not cover (a 1+6 group, second-hand
            # equipment, spending already made): every question in it is about that case
            # (「以大帶小1+6可以嗎？補助多少」), so it is not split into parts answered as if it were not
            parts = []
        if len(parts) >= 2:
            picked: list[Candidate] = []
            answered_parts: list[str] = []
            unsure: list[Candidate] = []
            for part in parts:
                p_status, p_kept = self.part_answer(part)
                if p_status.answers:
                    # a part answered by an entry already answered only repeats an earlier one
                    if all(c.entry.id != p_kept[0].entry.id for c in picked):
                        picked.append(p_kept[0])
                        answered_parts.append(part)
                else:
                    unsure.extend(p_kept)
            if len(picked) >= 2:
                picked = picked[: s.max_topics]
                ids = {c.entry.id for c in picked}
                return AnswerPlan(query=text, status=Status.ANSWER, answers=tuple(picked), alternatives=(),
                                  menu=(), ranked=(*picked, *(c for c in ranked if c.entry.id not in ids)),
                                  latin=latin, truncated=truncated, parts=tuple(answered_parts))
            # the whole message handed off for a detail (幾天, 何時…) that only a later part asks: the
            # first part was judged on its own (part_answer hands off what IT asks beyond its entry)
            handed_off = (status.answers and picked and picked[0].entry.id not in HANDOFF_ENTRIES
                          and self._out_of_scope(text, status, kept) is not None)
            if len(picked) == 1 and not unsure and status is Status.SUGGEST:
                # every part clearly answered by the same entry (「以大帶小智慧化跟低碳化的上限各多少」: one
                # entry states both): that entry answers the message, the whole ranking's runner-ups offered
                best = picked[0]
                alts = tuple(c for c in kept if c.entry.id != best.entry.id
                             and c.entry.id not in HANDOFF_ENTRIES)[: s.max_alternatives]
                return AnswerPlan(query=text, status=Status.ANSWER_WITH_ALTERNATIVES if alts else Status.ANSWER,
                                  answers=(best,), alternatives=alts, menu=(),
                                  ranked=(best, *(c for c in ranked if c.entry.id != best.entry.id)),
                                  latin=latin, truncated=truncated, parts=tuple(answered_parts))
            if len(picked) == 1 and answered_parts[0] == parts[0] and (status is Status.SUGGEST or handed_off):
                # the first question is clear, the other is not: answer the first and offer the
                # other's candidates as 「您可能也想問」 instead of a menu (or a hand-off) for the whole message
                best = picked[0]
                alts = tuple({c.entry.id: c for c in unsure if c.entry.id != best.entry.id
                              and c.entry.id not in HANDOFF_ENTRIES}.values())[: s.max_alternatives]
                if alts:
                    ids = {best.entry.id}
                    return AnswerPlan(query=text, status=Status.ANSWER_WITH_ALTERNATIVES, answers=(best,),
                                      alternatives=alts, menu=(),
                                      ranked=(best, *(c for c in ranked if c.entry.id not in ids)),
                                      latin=latin, truncated=truncated, parts=tuple(answered_parts))
        if status is Status.NONE:
            return AnswerPlan(query=text, status=status, answers=(), alternatives=(), menu=(),
                              ranked=tuple(ranked), latin=latin, truncated=truncated)
        handoff = self._out_of_scope(text, status, kept)
        if handoff is not None:
            return AnswerPlan(query=text, status=Status.ANSWER, answers=(handoff,), alternatives=(), menu=(),
                              ranked=(handoff, *(c for c in ranked if c.entry.id != handoff.entry.id)),
                              latin=latin, truncated=truncated)
        if status is Status.SUGGEST:
            return AnswerPlan(query=text, status=status, answers=(), alternatives=(), menu=kept,
                              ranked=tuple(ranked), latin=latin, truncated=truncated)
        return AnswerPlan(query=text, status=status, answers=kept[:1],
                          alternatives=kept[1:] if status is Status.ANSWER_WITH_ALTERNATIVES else (),
                          menu=(), ranked=tuple(ranked), latin=latin, truncated=truncated)

    def _not_eligible_first(self, text: str, status: Status, ranked: list[Candidate]) -> list[Candidate] | None:
        """The ranking with the subsidy's eligibility entry first, when the message says the firm is not
        a manufacturer (「不是製造業是批發業」, 「我們做貿易的」) and asks about the subsidy (its cap, its
        share…): the brief's subsidies are for manufacturers only, so what settles the question is who
        may apply, not the figure asked about. None: keep the decision."""
        if status is Status.NONE or not ranked or ranked[0].entry.id == ELIGIBILITY_ENTRY:
            return None
        eligibility = next((c for c in ranked if c.entry.id == ELIGIBILITY_ENTRY), None)
        if eligibility is None or ranked[0].entry.topic != eligibility.entry.topic:
            return None
        norm = normalize(text)
        if not (_NOT_MANUFACTURER.search(norm)
                or ("製造業" not in norm and _OTHER_TRADE.search(norm))):
            return None
        return [eligibility, *(c for c in ranked if c is not eligibility)]

    def _out_of_scope(self, text: str, status: Status, kept: tuple[Candidate, ...]) -> Candidate | None:
        """The not_in_brief entry to answer with when ``text`` asks for a kind of detail (a date, a
        duration, forms, tax, …; knowledge/scope.py) that the entry it would be answered with does not
        state — or, for a menu, that none of the offered entries states. None: keep the decision."""
        if status is Status.NONE or not kept:
            return None
        # a menu is judged by its programme entries: a not_in_brief entry on it is the answer
        # itself when none of the others states what is asked
        offered = kept[:1] if status.answers else [c for c in kept if c.entry.id not in HANDOFF_ENTRIES]
        if not offered:  # a menu of not_in_brief entries only: pick the one for what is asked
            asked = asked_slots(text)
            handoff = handoff_for(asked) if asked else None
        else:
            misses = [scope_miss(text, c.entry.details, c.entry.id) for c in offered]
            handoff = None if any(m is None for m in misses) else misses[0].handoff
        entry = self._by_id.get(handoff) if handoff else None
        if entry is None:
            return None
        return Candidate(entry, kept[0].score, kept[0].dense, kept[0].lexical)

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)


class Features(NamedTuple):
    dense: dict[str, float]   # best cosine per entry id
    lexical: list[float]      # relative BM25 per entry, in entry order
    latin: bool               # an English (mostly Latin-script) question
