"""Agent assist: the knowledge entries that best match a user's question, for the officer console.

Uses the same hybrid retriever and index as the bot (knowledge/retriever.py), loaded on first use in
a worker thread so the gateway starts fast and the console stays responsive.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

logger = logging.getLogger(__name__)


class AgentAssist:
    def __init__(self, enabled: bool = True, retriever: Any = None):
        self.enabled = enabled
        self._retriever = retriever
        self._lock = threading.Lock()
        self.error: str | None = None

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

    def warm_up(self) -> None:
        if self.enabled:
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

    async def suggest(self, question: str, k: int = 3) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.suggest_sync, question, k)
