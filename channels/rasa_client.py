"""The gateway's client for Rasa's HTTP API (REST channel and tracker events).

Several Rasa replicas (production): ``RASA_URLS=http://rasa-0:5005,http://rasa-1:5005`` (``RASA_URL``
alone, one replica, still works). Each conversation id is placed on a consistent-hash ring over the
replicas, so one conversation goes to one replica at a time and the replicas never race for its
tracker; when its replica cannot be reached (connection refused, unknown host, connect timeout) the
message goes to the next replica on the ring, the same fallback for every conversation of that
replica, and the dead replica is skipped for ``RASA_REPLICA_RETRY_S`` seconds. A replica that was
reached but failed or timed out is not retried elsewhere: it may have processed the message, and
answering it twice is worse than the caller's own retry.
"""
from __future__ import annotations

import bisect
import hashlib
import logging
import os
import time
from typing import Any, Sequence
from urllib.parse import quote

import httpx

logger = logging.getLogger(__name__)

RASA_URLS_ENV = "RASA_URLS"                 # comma-separated replica base URLs
RETRY_ENV = "RASA_REPLICA_RETRY_S"          # how long a replica that refused a connection is skipped
CONNECT_TIMEOUT_S = 3.0                     # a dead pod's address must not eat the whole turn's timeout


class RasaUnavailable(Exception):
    """``reason``: unreachable (no replica took the connection), timeout, http (an error status or
    another transport error) — the metrics' label."""

    def __init__(self, message: str, reason: str = "http"):
        super().__init__(message)
        self.reason = reason


def replica_urls(default: str | None = None, env: dict[str, str] | None = None) -> list[str]:
    """The replica list: ``RASA_URLS`` when set, else ``default`` (which may itself be a comma list).
    Trailing slashes dropped, duplicates removed, order kept."""
    env = os.environ if env is None else env
    raw = env.get(RASA_URLS_ENV, "").strip() or (default or "")
    urls: list[str] = []
    for part in raw.split(","):
        url = part.strip().rstrip("/")
        if url and url not in urls:
            urls.append(url)
    if not urls:
        raise ValueError(f"no Rasa URL: set RASA_URL or {RASA_URLS_ENV}")
    return urls


def _point(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


class HashRing:
    """Consistent hashing of keys (conversation ids) over nodes (replica URLs), ``vnodes`` points
    per node. ``order(key)`` is the node preference list: the owner first, then the failover order.
    Removing a node moves only the keys it owned; adding one takes keys only from the others."""

    def __init__(self, nodes: Sequence[str], vnodes: int = 200):
        if not nodes:
            raise ValueError("a ring needs at least one node")
        self.nodes = list(dict.fromkeys(nodes))
        points = sorted((_point(f"{node}#{i}"), node) for node in self.nodes for i in range(vnodes))
        self._hashes = [h for h, _ in points]
        self._owners = [n for _, n in points]

    def order(self, key: str) -> list[str]:
        start = bisect.bisect(self._hashes, _point(key))
        seen: list[str] = []
        for i in range(len(self._owners)):
            node = self._owners[(start + i) % len(self._owners)]
            if node not in seen:
                seen.append(node)
                if len(seen) == len(self.nodes):
                    break
        return seen

    def node(self, key: str) -> str:
        return self._owners[bisect.bisect(self._hashes, _point(key)) % len(self._owners)]


class RasaClient:
    def __init__(self, base_url: str, timeout_s: float, token: str | None = None,
                 replicas: Sequence[str] | None = None, retry_down_s: float | None = None):
        self.replicas = list(replicas) if replicas else replica_urls(base_url)
        self.base_url = self.replicas[0]
        self.ring = HashRing(self.replicas)
        self.timeout_s = timeout_s
        self.token = token
        self.retry_down_s = (float(os.environ.get(RETRY_ENV, "5")) if retry_down_s is None
                             else retry_down_s)
        self._down_until: dict[str, float] = {}
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, CONNECT_TIMEOUT_S)))

    def _params(self) -> dict[str, str]:
        return {"token": self.token} if self.token else {}

    def route(self, sender: str) -> list[str]:
        """Replicas to try for this conversation, in order: its ring order, with the replicas
        currently known to be down moved to the end (still tried if all others fail)."""
        now = time.monotonic()
        order = self.ring.order(sender)
        up = [u for u in order if self._down_until.get(u, 0.0) <= now]
        return up + [u for u in order if u not in up]

    async def _post(self, sender: str, path: str, **kwargs: Any) -> httpx.Response:
        errors: list[str] = []
        for url in self.route(sender):
            try:
                resp = await self._client.post(url + path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # never reached: safe to fail over
                self._down_until[url] = time.monotonic() + self.retry_down_s
                errors.append(f"{url}: {type(exc).__name__}")
                if len(self.replicas) > 1:
                    logger.warning("Rasa replica %s unreachable (%s); trying the next one", url,
                                   type(exc).__name__)
                continue
            except httpx.TimeoutException as exc:
                raise RasaUnavailable(f"{url}: {type(exc).__name__}: {exc}", "timeout") from exc
            except httpx.HTTPError as exc:
                raise RasaUnavailable(f"{url}: {type(exc).__name__}: {exc}") from exc
            self._down_until.pop(url, None)
            if resp.status_code != 200:
                raise RasaUnavailable(f"{url}: HTTP {resp.status_code}: {resp.text[:200]}")
            return resp
        raise RasaUnavailable("no Rasa replica reachable: " + "; ".join(errors), "unreachable")

    async def send(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The bot's replies to one user message (text, buttons, custom)."""
        body = {"sender": sender, "message": message, "metadata": metadata or {}}
        resp = await self._post(sender, "/webhooks/rest/webhook", json=body)
        data = resp.json()
        return data if isinstance(data, list) else []

    async def append_events(self, sender: str, events: list[dict[str, Any]]) -> None:
        path = f"/conversations/{quote(sender, safe=':')}/tracker/events"  # Rasa does not unquote %3A
        await self._post(sender, path, json=events, params={**self._params(), "include_events": "NONE"})

    async def aclose(self) -> None:
        await self._client.aclose()
