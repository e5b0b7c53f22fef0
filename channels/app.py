"""Gateway app. ``uvicorn channels.app:app``.

- ``GET /health``: the gateway, Rasa (with its model) and the action server; 503 while degraded.
- ``/line/webhook``: LINE Messaging API webhook (channels/line/).
- ``/`` demo page, ``/widget.js`` and ``/api/widget/*``: the web chat widget (channels/widget/).
- ``/console`` and ``/console/api/*``: the officer console (channels/console/).

All channels pass user messages to ``Hub`` (channels/core/hub.py), the one code path to Rasa and to
the handoff tickets.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from knowledge.calc.params import parameters

from . import texts
from .core.assist import AgentAssist
from .context import Context
from .core.hours import Clock, OfficeHours, clock_from_setting, parse_hhmm, parse_holidays
from .core.hub import Hub, StoreOnlyDelivery
from .core.store import Store, open_store, utcnow
from .rasa_client import RasaClient
from .settings import Settings

logger = logging.getLogger(__name__)


def build_context(settings: Settings, *, clock: Clock | None = None, store: Store | None = None,
                  rasa: RasaClient | None = None, assist: AgentAssist | None = None) -> Context:
    if store is None:
        store = open_store(settings.database_url)
    else:
        store.migrate()
    service = parameters()
    hours = OfficeHours(parse_hhmm(settings.office_open or service.service_open),
                        parse_hhmm(settings.office_close or service.service_close),
                        parse_holidays(settings.office_holidays), parse_holidays(settings.office_workdays))
    clock = clock or clock_from_setting(settings.fake_now)
    replicas = [u.strip().rstrip("/") for u in settings.rasa_urls.split(",") if u.strip()] or None
    rasa = rasa or RasaClient(settings.rasa_url, settings.rasa_timeout_s, settings.rasa_token,
                              replicas=replicas, retry_down_s=settings.rasa_replica_retry_s)
    hub = Hub(store=store, rasa=rasa, hours=hours, clock=clock, typical_wait_minutes=settings.typical_wait_minutes,
              deliveries={"web": StoreOnlyDelivery()}, rasa_timeout_s=settings.rasa_timeout_s,
              bot_healthy=lambda: bot_healthy(settings))
    return Context(settings, store, hub, hours, clock, assist or AgentAssist(settings.assist_enabled))


def _token(settings: Settings) -> dict[str, str]:
    """Rasa's /status needs the token when Rasa runs with --auth-token."""
    return {"token": settings.rasa_token} if settings.rasa_token else {}


async def bot_healthy(settings: Settings) -> bool:
    """Rasa (with a model) and the action server both answer their health probes."""
    try:
        async with httpx.AsyncClient(timeout=settings.upstream_timeout_s) as client:
            rasa, actions = await asyncio.gather(client.get(f"{settings.rasa_url}/status", params=_token(settings)),
                                                 client.get(f"{settings.action_server_url}/health"))
        return rasa.status_code == 200 and bool(rasa.json().get("model_file")) and actions.status_code == 200
    except (httpx.HTTPError, ValueError):
        return False


def create_app(settings: Settings | None = None, *, context: Context | None = None) -> FastAPI:
    settings = settings or (context.settings if context else Settings.from_env())
    ctx = context or build_context(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        ctx.assist.warm_up()
        # pending messages (stored but not answered: a crash, or the bot was down) are answered in the
        # background, in order per conversation, as soon as the bot can — the ones from before this
        # start first
        stop = asyncio.Event()
        retry = asyncio.create_task(ctx.hub.retry_pending(stop), name="retry-pending")
        try:
            yield
        finally:
            stop.set()
            retry.cancel()
            await ctx.hub.rasa.aclose()

    app = FastAPI(title=f"{texts.SERVICE_NAME} gateway", version="1.1.0", lifespan=lifespan)
    app.state.ctx = ctx

    from .console import api as console
    from .line import webhook as line
    from .widget import api as widget
    from .widget import feedback as widget_feedback
    app.include_router(widget.router(ctx))
    app.include_router(widget_feedback.router(ctx))
    app.include_router(line.router(ctx))
    app.include_router(console.router(ctx))
    from .console import dashboard
    app.include_router(dashboard.router(ctx))

    async def probe(client: httpx.AsyncClient, url: str, check, params: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            resp = await client.get(url, params=params or {})
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
                probe(client, f"{settings.rasa_url}/status", rasa_check, _token(settings)),
                probe(client, f"{settings.action_server_url}/health", action_check),
            )
        ok = rasa["ok"] and actions["ok"]
        body = {"status": "ok" if ok else "degraded", "gateway": {"ok": True},
                "rasa": rasa, "action_server": actions}
        return JSONResponse(body, status_code=200 if ok else 503)

    return app


def __getattr__(name: str):  # ``uvicorn channels.app:app`` builds the app on first access only
    if name == "app":
        if not logging.getLogger().handlers:   # under uvicorn: our warnings with a time, not bare
            logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
            logging.getLogger("channels").setLevel(logging.INFO)
        value = create_app()
        globals()["app"] = value
        return value
    raise AttributeError(name)
