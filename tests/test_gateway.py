"""The gateway's health route without any upstream: it must say so, not pretend."""
from __future__ import annotations

from fastapi.testclient import TestClient

from channels.app import create_app
from channels.settings import Settings


def test_health_is_503_and_names_the_missing_upstreams(tmp_path):
    app = create_app(Settings(rasa_url="http://127.0.0.1:9", action_server_url="http://127.0.0.1:9",
                              upstream_timeout_s=0.5, database_url=f"sqlite:///{tmp_path / 'h.db'}"))
    resp = TestClient(app).get("/health")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "degraded"
    assert body["rasa"]["ok"] is False and "unreachable" in body["rasa"]["detail"]
    assert body["action_server"]["ok"] is False
