"""Gateway app. ``uvicorn channels.app:app``.

``GET /health`` reports the gateway and the two upstream servers it depends on (Rasa with its
loaded model, and the action server); it answers 503 while any of them is not ready.
"""
from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(title="升級轉型諮詢小幫手 gateway", version="1.0.0")

    async def probe(client: httpx.AsyncClient, url: str, check) -> dict[str, Any]:
        try:
            resp = await client.get(url)
            ok, detail = check(resp)
            return {"ok": ok, "detail": detail}
        except httpx.HTTPError as exc:
            return {"ok": False, "detail": f"unreachable: {type(exc).__name__}"}

    def rasa_check(resp: httpx.Response) -> tuple[bool, str]:
        if resp.status_code != 200:
            return False, f"HTTP {resp.status_code}"
        model = resp.json().get("model_file")
        return bool(model), model or "no model loaded"

    def action_check(resp: httpx.Response) -> tuple[bool, str]:
        return resp.status_code == 200, f"HTTP {resp.status_code}"

    @app.get("/health")
    async def health() -> JSONResponse:
        async with httpx.AsyncClient(timeout=settings.upstream_timeout_s) as client:
            rasa, actions = await asyncio.gather(
                probe(client, f"{settings.rasa_url}/status", rasa_check),
                probe(client, f"{settings.action_server_url}/health", action_check),
            )
        ok = rasa["ok"] and actions["ok"]
        body = {"status": "ok" if ok else "degraded", "gateway": {"ok": True},
                "rasa": rasa, "action_server": actions}
        return JSONResponse(body, status_code=200 if ok else 503)

    return app


app = create_app()
