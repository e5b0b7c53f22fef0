"""Hybrid retrieval over the knowledge entries: BM25 on jieba words + character bigrams, fused
with dense e5 similarities from the faiss index. Below a threshold it says "no answer" instead of
returning its best guess.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import yaml
from rank_bm25 import BM25Okapi

from .embeddings import Embedder, embedder_from_spec, with_query_cache
from .index import DenseIndex, index_dir_from_env, open_index
from .loader import KNOWLEDGE_DIR, Entry, KnowledgeBase, load_knowledge
from .textnorm import clip_message, lexical_tokens

SETTINGS_FILE = KNOWLEDGE_DIR / "retrieval.yml"
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])|…")


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

    @classmethod
    def load(cls, path: Path = SETTINGS_FILE) -> "Settings":
        return cls(**yaml.safe_load(Path(path).read_text("utf-8")))


class Status(str, Enum):
    ANSWER = "answer"    # confident: answer with the best entry
    SUGGEST = "suggest"  # unsure: offer the candidates as buttons
    NONE = "none"        # nothing close enough: say so, offer the hotline


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

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


class Retriever:
    def __init__(self, kb: KnowledgeBase, dense: DenseIndex, embedder: Embedder,
                 settings: Settings) -> None:
        if dense.model_id != embedder.model_id:  # open_index checks too; belt and braces
            raise ValueError("dense index and embedder disagree on the model")
        self.kb, self.dense, self.embedder, self.settings = kb, dense, embedder, settings
        self._by_id = {e.id: e for e in kb.entries}
        self._ids = [e.id for e in kb.entries]
        docs = [
            lexical_tokens(e.title) * 2 + [t for q in e.questions for t in lexical_tokens(q)]
            + lexical_tokens(e.answer)
            for e in kb.entries
        ]
        self._bm25 = BM25Okapi(docs)
        self._max_idf = max(self._bm25.idf.values())

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

    def features(self, query: str) -> tuple[dict[str, float], list[float]]:
        """Raw scores: best dense cosine per entry, and per entry (in entry order) the share of the
        query's highest possible BM25 score that the entry reaches (0..1).

        The bound counts every query token at (k1 + 1) × idf, with words the index has never
        seen at the highest idf, so a query made of unknown words scores low against
        everything, and a one-word programme query ("補助") can still score high.
        """
        dense = self._dense_scores(query)
        tokens = lexical_tokens(query)
        if not tokens:
            return dense, [0.0] * len(self._ids)
        bm25 = self._bm25
        bound = sum(bm25.idf.get(t, self._max_idf) for t in tokens) * (bm25.k1 + 1)
        return dense, [float(x) / bound for x in bm25.get_scores(tokens)]

    def fuse(self, features: tuple[dict[str, float], list[float]],
             settings: Settings | None = None) -> list[Candidate]:
        """Every entry with its fused score, best first (no thresholds applied)."""
        s = settings or self.settings
        dense, lexical = features
        out = []
        for entry_id, lex in zip(self._ids, lexical):
            cos = dense.get(entry_id, s.dense_floor)
            d = min(1.0, max(0.0, (cos - s.dense_floor) / (s.dense_ceiling - s.dense_floor)))
            lex_n = min(1.0, max(0.0, lex) * s.lexical_scale)
            fused = s.dense_weight * d + s.lexical_weight * lex_n
            out.append(Candidate(self._by_id[entry_id], round(fused, 4), round(cos, 4), round(lex_n, 4)))
        out.sort(key=lambda c: c.score, reverse=True)
        return out

    def scores(self, query: str) -> list[Candidate]:
        return self.fuse(self.features(query))

    def rank(self, query: str) -> tuple[str, bool, list[Candidate]]:
        """(the text judged, whether it was clipped, every entry best first)."""
        text, truncated = clip_message(query)
        if not text or not any(ch.isalnum() for ch in text):
            return text, truncated, []
        ranked = self.scores(text)
        # In a long or multi-sentence message the question is usually the last sentence; the
        # story before it dilutes the scores. Judge that sentence alone too and keep the better.
        sentences = [p for p in _SENTENCE_END.split(text) if sum(ch.isalnum() for ch in p) >= 2]
        if len(sentences) > 1:
            last = self.scores(sentences[-1])
            if last[0].score > ranked[0].score:
                ranked = last
        return text, truncated, ranked

    def search(self, query: str) -> RetrievalResult:
        s = self.settings
        text, truncated, ranked = self.rank(query)
        if not ranked:
            return RetrievalResult(query=text, status=Status.NONE, candidates=(), truncated=truncated)
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        if best.score >= s.answer_threshold and best.score - runner_up >= s.answer_margin:
            status = Status.ANSWER
        elif best.score >= s.suggest_threshold:
            status = Status.SUGGEST
        else:
            return RetrievalResult(query=text, status=Status.NONE, candidates=(), truncated=truncated)
        kept = tuple(c for c in ranked[: s.max_suggestions] if c.score >= s.suggest_threshold)
        return RetrievalResult(query=text, status=status, candidates=kept, truncated=truncated)

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)


