"""The gateway's client for Rasa's HTTP API (REST channel and tracker events)."""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    pass


class RasaClient:
    def __init__(self, base_url: str, timeout_s: float, token: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.token = token
        self._client = httpx.AsyncClient(timeout=timeout_s)

    def _params(self) -> dict[str, str]:
        return {"token": self.token} if self.token else {}

    async def send(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The bot's replies to one user message (text, buttons, custom)."""
        body = {"sender": sender, "message": message, "metadata": metadata or {}}
        try:
            resp = await self._client.post(f"{self.base_url}/webhooks/rest/webhook", json=body)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if resp.status_code != 200:
            raise RasaUnavailable(f"HTTP {resp.status_code}: {resp.text[:200]}")
        data = resp.json()
        return data if isinstance(data, list) else []

    async def append_events(self, sender: str, events: list[dict[str, Any]]) -> None:
        url = f"{self.base_url}/conversations/{quote(sender, safe=':')}/tracker/events"  # Rasa does not unquote %3A
        try:
            resp = await self._client.post(url, json=events, params={**self._params(), "include_events": "NONE"})
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if resp.status_code != 200:
            raise RasaUnavailable(f"HTTP {resp.status_code}: {resp.text[:200]}")

    async def aclose(self) -> None:
        await self._client.aclose()
