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


def _standin(routes: dict[str, tuple[int, bytes]]):
    """A loopback HTTP server answering GET paths with fixed (status, body)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = routes.get(self.path.split("?")[0], (404, b"{}"))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def test_health_route_and_the_hubs_bot_probe_are_one_probe(tmp_path):
    """``GET /health`` and the hub's ``bot_healthy`` give the same verdict in every case."""
    import asyncio

    from channels.app import bot_healthy

    cases = {  # (rasa /status, action server /health) -> healthy
        ((200, b'{"model_file": "hotline.tar.gz"}'), (200, b"{}")): True,
        ((200, b'{"model_file": null}'), (200, b"{}")): False,        # Rasa up without a model
        ((200, b'{"model_file": "hotline.tar.gz"}'), (500, b"{}")): False,
        ((503, b"{}"), (200, b"{}")): False,
        ((200, b"not json"), (200, b"{}")): False,
    }
    for (rasa, actions), healthy in cases.items():
        r, rasa_url = _standin({"/status": rasa})
        a, action_url = _standin({"/health": actions})
        try:
            settings = Settings(rasa_url=rasa_url, action_server_url=action_url, upstream_timeout_s=2,
                                database_url=f"sqlite:///{tmp_path / 'h.db'}")
            resp = TestClient(create_app(settings)).get("/health")
            assert (resp.status_code == 200) is healthy, (rasa, actions, resp.json())
            assert asyncio.run(bot_healthy(settings)) is healthy, (rasa, actions)
        finally:
            r.shutdown()
            a.shutdown()
