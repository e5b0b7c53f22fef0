"""Issue 13, item 4: ``make run`` starts Rasa with a random per-run token; Rasa's HTTP API refuses a
request without it, and the gateway (given the token) still reaches it.

Starts Rasa and the gateway exactly as ``make run`` does (``scripts.run.parse_args`` → ``Stack``) on
spare ports, with the trained model."""
from __future__ import annotations

import stat
import tempfile
from pathlib import Path

import httpx
import pytest

from scripts import run
from scripts.stack import MODEL, Stack, commands
from testenv import PORT_OFFSET

ROOT = Path(__file__).resolve().parents[1]


def _config(tmp: Path, monkeypatch):
    monkeypatch.delenv("RASA_TOKEN", raising=False)
    return run.parse_args(["--rasa-port", str(16065 + PORT_OFFSET), "--action-port", str(16066 + PORT_OFFSET),
                           "--gateway-port", str(16067 + PORT_OFFSET), "--var-dir", str(tmp / "var"),
                           "--log-dir", str(ROOT / "test-output" / f"token-logs{PORT_OFFSET or ''}")])


def test_each_make_run_gets_its_own_token_and_passes_it_to_the_gateway(tmp_path, monkeypatch):
    a, b = _config(tmp_path, monkeypatch), _config(tmp_path, monkeypatch)
    assert a.rasa_token and b.rasa_token and a.rasa_token != b.rasa_token and len(a.rasa_token) >= 32
    cmds = commands(a)
    rasa_argv = cmds["rasa"][0]
    assert rasa_argv[rasa_argv.index("--auth-token") + 1] == a.rasa_token
    assert cmds["gateway"][1]["RASA_TOKEN"] == a.rasa_token
    assert "127.0.0.1" in rasa_argv and cmds["actions"][1]["SANIC_HOST"] == "127.0.0.1"   # loopback only
    path = run.write_token(a)
    assert path.read_text() == a.rasa_token and stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("RASA_TOKEN", "operator-chosen-token")
    assert run.parse_args([]).rasa_token == "operator-chosen-token"


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_rasa_refuses_its_api_without_the_token(monkeypatch):
    cfg = _config(Path(tempfile.mkdtemp(prefix="hotline-token-")), monkeypatch)
    stack = Stack(cfg, services=("rasa", "gateway"))
    stack.start()
    try:
        stack.wait_ready(timeout=400)      # the ready check itself uses the token
        token = {"token": cfg.rasa_token}
        with httpx.Client(base_url=cfg.rasa_url, timeout=30) as c:
            for method, path in (("GET", "/status"), ("GET", "/conversations/web:probe/tracker"),
                                 ("POST", "/conversations/web:probe/tracker/events"), ("POST", "/model/parse")):
                body = {"json": {"text": "hi"}} if path == "/model/parse" else (
                    {"json": [{"event": "slot", "name": "x", "value": 1}]} if method == "POST" else {})
                assert c.request(method, path, **body).status_code == 401, path
                assert c.request(method, path, params={"token": "wrong"}, **body).status_code == 401, path
            assert c.get("/status", params=token).status_code == 200
            assert c.get("/conversations/web:probe/tracker", params=token).status_code == 200
        health = httpx.get(f"{cfg.gateway_url}/health", timeout=30).json()
        assert health["rasa"]["ok"] is True, health       # the gateway has the token
    finally:
        stack.stop()
