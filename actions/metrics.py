"""The action server's metrics and logs (an adapter: no domain code here).

Metrics (Prometheus text format), served on ``ACTION_METRICS_PORT`` (unset or 0: not served) by the
Sanic worker that runs the actions (the Sanic manager process imports this module too, and serves
nothing):

- ``hotline_action_seconds{action}`` and ``hotline_action_errors_total{action}``: every action run
- ``hotline_retrieval_total{status}``: the retriever's decision for questions (answer,
  answer_with_alternatives, suggest, none)
- ``hotline_action_outcomes_total{kind}``: the outcome payloads sent (contract.OUTCOME_KINDS)

The gateway reads this endpoint (``ACTION_METRICS_URL``) and appends it to its own ``/metrics``.

Logs: JSON lines (observe.logs) with the request id the gateway put in the message metadata and the
hashed conversation id (the tracker's sender id); one line per action run, no user text.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection

from knowledge import contract
from observe import logs

PORT_ENV = "ACTION_METRICS_PORT"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
logger = logging.getLogger("actions")


class ActionMetrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.seconds = Histogram("hotline_action_seconds", "Custom action run time", ["action"],
                                 buckets=BUCKETS, registry=r)
        self.errors = Counter("hotline_action_errors", "Custom actions that raised", ["action"], registry=r)
        self.retrievals = Counter("hotline_retrieval", "Retrieval decisions for questions", ["status"], registry=r)
        self.outcomes = Counter("hotline_action_outcomes", "Outcome payloads sent", ["kind"], registry=r)
        for kind in contract.OUTCOME_KINDS:
            self.outcomes.labels(kind)
        for status in ("answer", "answer_with_alternatives", "suggest", "none"):
            self.retrievals.labels(status)
        self.server: Any = None

    def outcome(self, kind: str) -> None:
        self.outcomes.labels(kind).inc()

    def retrieval(self, status: str, *, answers: int = 0, alternatives: int = 0) -> None:
        self.retrievals.labels(status).inc()
        logger.info("retrieval", extra={"event": "retrieval", "status": status, "answers": answers,
                                        "alternatives": alternatives})

    def serve(self, env: dict[str, str] | None = None) -> int | None:
        """Start the metrics HTTP server in a Sanic worker when ``ACTION_METRICS_PORT`` is set."""
        env = dict(os.environ) if env is None else env
        try:
            port = int(env.get(PORT_ENV) or 0)
        except ValueError:
            logger.warning("%s=%r is not a port number: metrics not served", PORT_ENV, env.get(PORT_ENV))
            return None
        if port <= 0 or self.server is not None or not env.get("SANIC_WORKER_NAME"):
            return None
        try:
            self.server, _thread = start_http_server(port, addr=env.get("SANIC_HOST", "0.0.0.0"),
                                                     registry=self.registry)
        except OSError as exc:   # a second worker on the same port
            logger.warning("action metrics not served on port %s: %s", port, exc)
            return None
        logger.info("action metrics on port %s", port, extra={"event": "metrics_server"})
        return port


METRICS = ActionMetrics()


def _ids(action_call: dict[str, Any]) -> tuple[str | None, str | None]:
    tracker = action_call.get("tracker") or {}
    meta = (tracker.get("latest_message") or {}).get("metadata") or {}
    request_id = logs.clean_request_id(meta.get("request_id")) if isinstance(meta, dict) else None
    return request_id, tracker.get("sender_id")


def instrument(executor_cls: type = ActionExecutor) -> None:
    """Time every action run, count errors, and log it under the message's ids."""
    original = executor_cls.run
    if getattr(original, "_hotline_original", None):
        return

    async def run(self, action_call: dict[str, Any], *args: Any, **kwargs: Any):
        name = str(action_call.get("next_action") or "")
        request_id, sender = _ids(action_call)
        with logs.bind(request_id, sender):
            t0 = time.perf_counter()
            try:
                result = await original(self, action_call, *args, **kwargs)
            except ActionExecutionRejection:   # a form rejecting its own run: Rasa's normal flow
                raise
            except Exception:
                METRICS.errors.labels(name).inc()
                logger.exception("action failed", extra={"event": "action", "action": name})
                raise
            finally:
                seconds = time.perf_counter() - t0
                METRICS.seconds.labels(name).observe(seconds)
            logger.info("action ran", extra={"event": "action", "action": name,
                                             "ms": round(seconds * 1000, 1)})
            return result

    run._hotline_original = original  # type: ignore[attr-defined]
    executor_cls.run = run


def setup_logging() -> None:
    if os.environ.get("LOG_FORMAT", "json").lower() == "json":
        logs.setup("actions", loggers=("rasa_sdk", "sanic.root", "sanic.error", "sanic.access"),
                   quiet=("sanic.access",))


setup_logging()
instrument()
METRICS.serve()
