"""The gateway's Prometheus metrics (``GET /metrics``, text exposition format).

- ``hotline_http_requests_total`` / ``hotline_http_request_seconds``: per route template (never the
  raw path: ids stay out of the labels), method and status
- ``hotline_messages_total{channel}``: user messages accepted, per channel (web, line)
- ``hotline_answers_total{channel,kind}``: answered user messages by what the bot did — read from the
  reply's custom payloads (knowledge.contract): ``cited_answer``, ``choices_offered``, ``not_found``,
  ``refused``, ``calculation`` (``calc_result``, or a direct answer with the user's figures),
  ``handoff`` (a ``handoff`` payload or a ticket opened while the bot was down), ``other`` (greeting,
  a form's question, ...). A reply that both answers and hands over counts under both.
- ``hotline_queue_tickets{state}``, ``hotline_queue_oldest_wait_seconds``: read from the store at
  scrape time; ``hotline_queue_wait_seconds``: how long each claimed ticket waited (created → claimed)
- ``hotline_rasa_seconds{outcome}``, ``hotline_rasa_errors_total{reason}``: the REST call to Rasa;
  reason ``empty_reply`` is the action server failing behind Rasa (Rasa answers [] then)
- ``hotline_upstream_up{service}``, ``hotline_upstream_probe_seconds{service}``: Rasa and the
  action server probed at scrape time (and by /health)
- the action server's own metrics (``hotline_action_*``, ``hotline_retrieval_*``, actions/metrics.py)
  are appended when ``ACTION_METRICS_URL`` is set; ``hotline_action_metrics_up`` says whether they were read.

Each app has its own registry (tests build several apps in one process).
"""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from knowledge import contract

disable_created_metrics()   # no *_created series: fewer lines, nothing an alert needs
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
WAIT_BUCKETS = (10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400)

CALCULATION, HANDOFF, OTHER = contract.CALCULATION, "handoff", "other"


def answer_kinds(replies: Iterable[dict[str, Any]]) -> set[str]:
    """What a bot reply (Rasa REST messages) did, from its custom payloads."""
    kinds: set[str] = set()
    for r in replies:
        custom = r.get("custom")
        if not isinstance(custom, dict):
            continue
        kind = custom.get("type")
        if kind == contract.OUTCOME and custom.get("kind") in contract.OUTCOME_KINDS:
            kinds.add(custom["kind"])
        elif kind == contract.CALC_RESULT:
            kinds.add(CALCULATION)
        elif kind == contract.HANDOFF:
            kinds.add(HANDOFF)
    return kinds or {OTHER}


class _QueueCollector(Collector):
    def __init__(self, stats: Callable[[], tuple[dict[str, int], datetime | None]],
                 now: Callable[[], datetime], states: Iterable[str]):
        self.stats, self.now, self.states = stats, now, tuple(states)

    def collect(self):
        tickets = GaugeMetricFamily("hotline_queue_tickets", "Open handoff tickets by state", labels=["state"])
        oldest = GaugeMetricFamily("hotline_queue_oldest_wait_seconds",
                                   "How long the oldest waiting ticket has waited (0: none waiting)")
        try:
            counts, first = self.stats()
        except Exception:   # the store is down: say nothing rather than fail the scrape
            return
        for state in self.states:
            tickets.add_metric([state], counts.get(state, 0))
        oldest.add_metric([], max(0.0, (self.now() - first).total_seconds()) if first else 0.0)
        yield tickets
        yield oldest


class GatewayMetrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("hotline_http_requests", "HTTP requests", ["method", "route", "status"], registry=r)
        self.latency = Histogram("hotline_http_request_seconds", "HTTP request latency", ["method", "route"],
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.messages = Counter("hotline_messages", "User messages accepted", ["channel"], registry=r)
        self.answers = Counter("hotline_answers", "Answered user messages by kind", ["channel", "kind"], registry=r)
        self.queue_wait = Histogram("hotline_queue_wait_seconds", "Wait of claimed tickets (created → claimed)",
                                    buckets=WAIT_BUCKETS, registry=r)
        self.rasa_latency = Histogram("hotline_rasa_seconds", "Rasa REST call latency", ["outcome"],
                                      buckets=LATENCY_BUCKETS, registry=r)
        self.rasa_errors = Counter("hotline_rasa_errors", "Rasa calls that gave no answer", ["reason"], registry=r)
        self.upstream_up = Gauge("hotline_upstream_up", "Upstream answered its health probe", ["service"], registry=r)
        self.upstream_probe = Histogram("hotline_upstream_probe_seconds", "Upstream health probe latency",
                                        ["service"], buckets=LATENCY_BUCKETS, registry=r)
        self.action_metrics_up = Gauge("hotline_action_metrics_up",
                                       "The action server's metrics were read for this scrape", registry=r)
        for reason in ("unreachable", "http", "timeout", "empty_reply"):
            self.rasa_errors.labels(reason)   # exported at 0 from the start

    def watch_queue(self, stats: Callable[[], tuple[dict[str, int], datetime | None]],
                    now: Callable[[], datetime], states: Iterable[str]) -> None:
        self.registry.register(_QueueCollector(stats, now, states))

    def rasa_call(self, seconds: float, error: str | None) -> None:
        self.rasa_latency.labels("error" if error else "ok").observe(seconds)
        if error:
            self.rasa_errors.labels(error).inc()

    def answered(self, channel: str, kinds: Iterable[str]) -> None:
        for kind in kinds:
            self.answers.labels(channel, kind).inc()

    def probed(self, service: str, ok: bool, seconds: float) -> None:
        self.upstream_up.labels(service).set(1 if ok else 0)
        self.upstream_probe.labels(service).observe(seconds)

    def exposition(self, extra: str = "") -> bytes:
        body = generate_latest(self.registry)
        return body + extra.encode("utf-8") if extra else body


class Timer:
    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.t0
