"""Talking to the real servers from tests (REST channel)."""
from __future__ import annotations

import uuid

import httpx


class Chat:
    def __init__(self, url: str):
        self.url, self.sender = url, f"test-{uuid.uuid4().hex[:10]}"

    def say(self, message: str) -> list[dict]:
        resp = httpx.post(f"{self.url}/webhooks/rest/webhook",
                          json={"sender": self.sender, "message": message}, timeout=60)
        resp.raise_for_status()
        return resp.json()


def text_of(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def buttons_of(replies: list[dict]) -> list[dict]:
    return [b for r in replies for b in r.get("buttons", [])]


def custom_of(replies: list[dict]) -> list[dict]:
    return [r["custom"] for r in replies if "custom" in r]
