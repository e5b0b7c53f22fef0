"""Gateway app. ``uvicorn channels.app:app``.

- ``GET /health``: the gateway, Rasa (with its model) and the action server; 503 while degraded.
- ``/line/webhook``: LINE Messaging API webhook (channels/line/).
- ``/`` demo page, ``/widget.js`` and ``/api/widget/*``: the web chat widget (channels/widget/).
- ``/console`` and ``/console/api/*``: the officer console (channels/console/).
- ``GET /metrics``: Prometheus metrics (channels/metrics.py), with the action server's appended.

Every request gets a request id (the caller's ``X-Request-ID`` when it is a plain token, else a new
one; echoed in the response header): it is in the gateway's JSON log lines and goes to Rasa with the
user's message, so one message can be followed through the three services (observe/logs.py).

All channels pass user messages to ``Hub`` (channels/core/hub.py), the one code path to Rasa and to
the handoff tickets.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any

import time

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from observe import logs

from knowledge.calc.params import parameters

from . import texts
from .core import answers
from .core.assist import AgentAssist
from .context import Context
from .core.hours import Clock, OfficeHours, clock_from_setting, parse_hhmm, parse_holidays
from .core.hub import Hub, StoreOnlyDelivery
from .core.store import OPEN_STATES, Store, open_store, utcnow
from .metrics import CONTENT_TYPE
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
              bot_healthy=lambda: bot_healthy(settings),
              open_tickets_per_origin=settings.handoff_open_per_address)
    hub.metrics.watch_queue(store.queue_stats, utcnow, [state.value for state in OPEN_STATES])
    return Context(settings, store, hub, hours, clock,
                   assist or AgentAssist(settings.assist_enabled, action_url=settings.action_server_url))


def _token(settings: Settings) -> dict[str, str]:
    """Rasa's /status needs the token when Rasa runs with --auth-token."""
    return {"token": settings.rasa_token} if settings.rasa_token else {}


async def _probe(client: httpx.AsyncClient, url: str, check, params: dict[str, str] | None = None,
                 service: str = "", on_probe=None) -> dict[str, Any]:
    t0 = time.perf_counter()
    try:
        resp = await client.get(url, params=params or {})
        ok, detail = check(resp)
        result = {"ok": ok, "detail": detail}
    except (httpx.HTTPError, ValueError) as exc:
        result = {"ok": False, "detail": f"unreachable: {type(exc).__name__}"}
    if on_probe is not None:
        on_probe(service, result["ok"], time.perf_counter() - t0)
    return result


def _rasa_check(resp: httpx.Response) -> tuple[bool, str]:
    if resp.status_code != 200:
        return False, f"HTTP {resp.status_code}"
    model = resp.json().get("model_file")
    return bool(model), model or "no model loaded"


def _action_check(resp: httpx.Response) -> tuple[bool, str]:
    return resp.status_code == 200, f"HTTP {resp.status_code}"


async def probe_bot(settings: Settings, on_probe=None) -> dict[str, Any]:
    """The one health probe of the bot: Rasa (``/status``, with a model loaded) and the action server
    (``/health``), each ``{"ok", "detail"}``, and ``ok`` when both are. ``GET /health`` reports it; the
    hub asks ``bot_healthy`` (the same probe) before it gives up on a message the bot keeps answering
    with nothing. ``on_probe(service, ok, seconds)`` records each probe (the gateway's metrics)."""
    async with httpx.AsyncClient(timeout=settings.upstream_timeout_s) as client:
        rasa, actions = await asyncio.gather(
            _probe(client, f"{settings.rasa_url}/status", _rasa_check, _token(settings), service="rasa",
                   on_probe=on_probe),
            _probe(client, f"{settings.action_server_url}/health", _action_check, service="action_server",
                   on_probe=on_probe),
        )
    return {"ok": rasa["ok"] and actions["ok"], "rasa": rasa, "action_server": actions}


async def bot_healthy(settings: Settings) -> bool:
    """Rasa (with a model) and the action server both answer their health probes (``probe_bot``)."""
    return (await probe_bot(settings))["ok"]


def create_app(settings: Settings | None = None, *, context: Context | None = None) -> FastAPI:
    settings = settings or (context.settings if context else Settings.from_env())
    ctx = context or build_context(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        ctx.assist.warm_up()
        try:   # the answer tags' knowledge, read off the event loop before the first message
            await asyncio.to_thread(answers.warm_up)
        except Exception:   # classify reads it on first use all the same
            logging.getLogger(__name__).exception("could not read the knowledge entries at start")
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
            await app.state.line.close()
            await ctx.hub.rasa.aclose()

    # no public /docs, /redoc or /openapi.json by default (issue 13); API_DOCS=true serves them (a
    # developer's machine); ``python -m channels.openapi`` prints the schema either way (issue 17)
    docs = settings.api_docs
    app = FastAPI(title=f"{texts.SERVICE_NAME} gateway", version="1.1.0", lifespan=lifespan,
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None,
                  openapi_url="/openapi.json" if docs else None)
    app.state.ctx = ctx
    metrics = ctx.hub.metrics
    access = logging.getLogger("channels.access")

    async def observe_requests(scope, receive, send, call):
        """Request id, per-route counts and latency, one log line per request (pure ASGI)."""
        if scope["type"] != "http":
            return await call(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = logs.clean_request_id(given) or logs.new_request_id()
        status = 500
        t0 = time.perf_counter()

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode("ascii"))]
            await send(message)

        with logs.bind(request_id):
            try:
                await call(scope, receive, send_with_id)
            finally:
                seconds = time.perf_counter() - t0
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                method = scope.get("method", "")
                metrics.requests.labels(method, route, str(status)).inc()
                metrics.latency.labels(method, route).observe(seconds)
                level = logging.DEBUG if method in ("GET", "HEAD") and status < 400 else logging.INFO
                access.log(level, "%s %s %s", method, route, status,
                           extra={"event": "http", "method": method, "route": route, "status": status,
                                  "ms": round(seconds * 1000, 1)})

    class _Observe:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            await observe_requests(scope, receive, send, self.app)

    app.add_middleware(_Observe)

    from .console import api as console
    from .line import webhook as line
    from .widget import api as widget
    from .widget import feedback as widget_feedback
    app.include_router(widget.router(ctx))
    app.include_router(widget_feedback.router(ctx))
    line_router = line.router(ctx)
    app.state.line = line_router.line_channel   # its background work is cancelled at shutdown
    app.include_router(line_router)
    app.include_router(console.router(ctx))
    from .console import dashboard
    app.include_router(dashboard.router(ctx))

    @app.get("/health")
    async def health() -> JSONResponse:
        bot = await probe_bot(settings, metrics.probed)
        body = {"status": "ok" if bot["ok"] else "degraded", "gateway": {"ok": True},
                "rasa": bot["rasa"], "action_server": bot["action_server"]}
        return JSONResponse(body, status_code=200 if bot["ok"] else 503)

    async def action_metrics() -> str:
        if not settings.action_metrics_url:
            return ""
        try:
            async with httpx.AsyncClient(timeout=settings.upstream_timeout_s) as client:
                resp = await client.get(settings.action_metrics_url)
            if resp.status_code == 200:
                metrics.action_metrics_up.set(1)
                return resp.text
        except httpx.HTTPError:
            pass
        metrics.action_metrics_up.set(0)
        return ""

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        """Prometheus text format: the gateway's metrics, then the action server's."""
        _, extra = await asyncio.gather(probe_bot(settings, metrics.probed), action_metrics())
        return Response(metrics.exposition(extra), media_type=CONTENT_TYPE)

    return app


def configure_logging(settings: Settings) -> None:
    """JSON lines on stderr (LOG_FORMAT=json, the default), uvicorn's own loggers included."""
    if settings.log_format == "json":
        logs.setup("gateway", logging.INFO, loggers=("uvicorn", "uvicorn.error", "uvicorn.access"),
                   quiet=("uvicorn.access", "httpx", "httpcore"))
    elif not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("channels").setLevel(logging.INFO)


def __getattr__(name: str):  # ``uvicorn channels.app:app`` builds the app on first access only
    if name == "app":
        settings = Settings.from_env()
        configure_logging(settings)
        value = create_app(settings)
        globals()["app"] = value
        return value
    raise AttributeError(name)
