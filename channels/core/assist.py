"""Agent assist: the knowledge entries that best match a user's question, for the officer console.

Uses the same hybrid retriever and index as the bot (knowledge/retriever.py). Two ways:

* ``action_url`` given (the gateway's default: its ``ACTION_SERVER_URL``): the action server ranks
  (its ``action_agent_assist``, with the retriever it already holds), so the gateway holds no model
  and no index (~150 MB less, docs/performance.md). The action server down: assist unavailable
  for that request (the console says so), the next request tries again.
* otherwise (or a ``retriever`` given): in this process, loaded on first use in a worker thread so the
  gateway starts fast and the console stays responsive.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import httpx

from knowledge import contract

logger = logging.getLogger(__name__)

ACTION_NAME = "action_agent_assist"


class AgentAssist:
    def __init__(self, enabled: bool = True, retriever: Any = None, *, action_url: str | None = None,
                 timeout: float = 10.0):
        self.enabled = enabled
        self._retriever = retriever
        self._action_url = action_url.rstrip("/") if action_url and retriever is None else None
        self._timeout = timeout
        self._embedder: Any = None
        self._lock = threading.Lock()
        self.error: str | None = None

    @property
    def remote(self) -> bool:
        return self._action_url is not None

    def _load(self) -> Any:
        with self._lock:
            if self._retriever is None and self.error is None:
                try:
                    from knowledge.retriever import Retriever
                    self._retriever = Retriever.from_env()
                except Exception as exc:  # missing or stale index: the console says so
                    logger.exception("agent assist unavailable")
                    self.error = f"{type(exc).__name__}: {exc}"
            return self._retriever

    def embedder(self) -> Any:
        """The retrieval embedder (for the dashboard's grouping of questions), or None when assist is
        off or unavailable. Remote: the bare embedding model, loaded on first use (no index, no BM25)."""
        if not self.enabled:
            return None
        if not self.remote:
            retriever = self._load()
            return retriever.embedder if retriever is not None else None
        with self._lock:
            if self._embedder is None:
                from knowledge.embeddings import embedder_from_spec
                self._embedder = embedder_from_spec()
            return self._embedder

    def warm_up(self) -> None:
        if self.enabled and not self.remote:
            threading.Thread(target=self._load, name="assist-warmup", daemon=True).start()

    def suggest_sync(self, question: str, k: int = 3) -> list[dict[str, Any]]:
        if not self.enabled or not question.strip():
            return []
        retriever = self._load()
        if retriever is None:
            return []
        _, _, ranked = retriever.rank(question)
        return [{"id": c.entry.id, "title": c.entry.title, "citation": c.entry.citation,
                 "score": c.score, "text": c.entry.reply_text()} for c in ranked[:k]]

    async def _suggest_remote(self, question: str, k: int) -> list[dict[str, Any]]:
        call = {"next_action": ACTION_NAME, "sender_id": "agent-assist", "domain": {},
                "tracker": {"sender_id": "agent-assist", "slots": {}, "events": [],
                            "latest_message": {"text": question, "assist_k": k}}}
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                resp = await client.post(f"{self._action_url}/webhook", json=call)
            resp.raise_for_status()
            replies = resp.json().get("responses") or []
            found = next(r["custom"] for r in replies
                         if isinstance(r.get("custom"), dict) and r["custom"].get("type") == contract.ASSIST)
        except (httpx.HTTPError, ValueError, KeyError, StopIteration, AttributeError) as exc:
            logger.warning("agent assist: the action server did not answer: %s", exc)
            self.error = f"action server: {type(exc).__name__}"
            return []
        self.error = None
        return [e for e in found.get("entries") or [] if isinstance(e, dict)][:k]

    async def suggest(self, question: str, k: int = 3) -> list[dict[str, Any]]:
        if self.remote:
            if not self.enabled or not question.strip():
                return []
            return await self._suggest_remote(question, k)
        return await asyncio.to_thread(self.suggest_sync, question, k)
