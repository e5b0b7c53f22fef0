"""Build and open the dense (faiss) index of the knowledge entries.

The index directory holds ``dense.faiss`` and ``meta.json``. ``meta.json`` records the embedding
model id and the digest of the knowledge files it was built from; opening it with another model,
or after the knowledge changed, raises instead of returning wrong neighbours.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from .embeddings import Embedder
from .loader import KNOWLEDGE_DIR, KnowledgeBase

FORMAT = 1
DEFAULT_INDEX_DIR = KNOWLEDGE_DIR / "build" / "index"


def index_dir_from_env() -> Path:
    return Path(os.environ.get("HOTLINE_INDEX_DIR") or DEFAULT_INDEX_DIR)


class IndexUnusable(RuntimeError):
    """The index cannot be used as it is; the message says how to fix it."""


class IndexMissing(IndexUnusable):
    pass


class IndexModelMismatch(IndexUnusable):
    pass


class IndexStale(IndexUnusable):
    pass


@dataclass(frozen=True)
class DenseIndex:
    index: faiss.Index
    rows: tuple[tuple[str, str], ...]  # (entry id, kind) per vector; kind: question | passage
    model_id: str

    def search(self, query_vec: np.ndarray, k: int) -> list[tuple[float, str, str]]:
        k = min(k, self.index.ntotal)
        scores, ids = self.index.search(query_vec.reshape(1, -1).astype(np.float32), k)
        return [(float(s), *self.rows[i]) for s, i in zip(scores[0], ids[0]) if i >= 0]


def _vectors(kb: KnowledgeBase, embedder: Embedder) -> tuple[np.ndarray, list[tuple[str, str]]]:
    rows: list[tuple[str, str]] = []
    questions: list[str] = []
    passages: list[str] = []
    for entry in kb.entries:
        for q in entry.questions:
            questions.append(q)
            rows.append((entry.id, "question"))
    for entry in kb.entries:
        passages.append(f"{entry.title}：{entry.answer}")
        rows.append((entry.id, "passage"))
    # e5 convention: user-style questions are queries; the answer text is the passage.
    mat = np.vstack([embedder.embed_queries(questions), embedder.embed_passages(passages)])
    return mat, rows


def build_index(kb: KnowledgeBase, embedder: Embedder, out_dir: Path | None = None) -> Path:
    out = Path(out_dir or index_dir_from_env())
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    mat, rows = _vectors(kb, embedder)
    index = faiss.IndexFlatIP(embedder.dim)
    index.add(mat)
    tmp = out / "dense.faiss.tmp"
    faiss.write_index(index, str(tmp))
    meta = {
        "format": FORMAT,
        "model_id": embedder.model_id,
        "dim": embedder.dim,
        "knowledge_digest": kb.digest,
        "rows": rows,
        "entries": len(kb.entries),
        "build_seconds": round(time.perf_counter() - t0, 2),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (out / "meta.json.tmp").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    os.replace(tmp, out / "dense.faiss")
    os.replace(out / "meta.json.tmp", out / "meta.json")
    return out


def read_meta(index_dir: Path) -> dict:
    path = Path(index_dir) / "meta.json"
    if not path.exists() or not (Path(index_dir) / "dense.faiss").exists():
        raise IndexMissing(f"no index in {index_dir}: run `make index`")
    return json.loads(path.read_text("utf-8"))


def check_index(index_dir: Path, kb: KnowledgeBase, model_id: str) -> dict:
    """The index's meta.json if the index is usable with these knowledge files and this model;
    raises otherwise (the message says how to fix it). Reads neither the vectors nor the model."""
    meta = read_meta(index_dir)
    if meta.get("format") != FORMAT:
        raise IndexStale(f"index format {meta.get('format')} != {FORMAT}: run `make index`")
    if meta["model_id"] != model_id:
        raise IndexModelMismatch(
            f"index in {index_dir} was built with {meta['model_id']!r}, "
            f"refusing to query it with {model_id!r}: rebuild it with `make index`")
    if meta["knowledge_digest"] != kb.digest:
        raise IndexStale(f"index in {index_dir} was built from other knowledge files: run `make index`")
    return meta


def open_index(index_dir: Path, kb: KnowledgeBase, embedder: Embedder) -> DenseIndex:
    meta = check_index(index_dir, kb, embedder.model_id)
    index = faiss.read_index(str(Path(index_dir) / "dense.faiss"))
    if index.d != embedder.dim or index.ntotal != len(meta["rows"]):
        raise IndexStale(f"index in {index_dir} is inconsistent with its meta.json: run `make index`")
    return DenseIndex(index=index, rows=tuple(tuple(r) for r in meta["rows"]), model_id=meta["model_id"])
