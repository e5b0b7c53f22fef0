"""Test doubles for in-process gateway tests (the real Rasa is used by the conversation tests)."""
from __future__ import annotations

from typing import Any, Callable

from channels.rasa_client import RasaUnavailable


class FakeRasa:
    """Stands in for channels.rasa_client.RasaClient.

    ``script``: a function (sender, message) -> list of Rasa REST answers, e.g.
    ``[{"text": "..."}, {"custom": {"type": "handoff", "reason": "requested", "summary": {}}}]``.
    Records every call in ``sent`` and every tracker update in ``events``."""

    def __init__(self, script: Callable[[str, str], list[dict[str, Any]]] | None = None):
        self.script = script or (lambda sender, message: [{"text": f"bot: {message}"}])
        self.sent: list[tuple[str, str]] = []
        self.events: list[tuple[str, list[dict[str, Any]]]] = []
        self.down = False

    async def send(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        if self.down:
            raise RasaUnavailable("fake rasa is down")
        self.sent.append((sender, message))
        return self.script(sender, message)

    async def append_events(self, sender: str, events: list[dict[str, Any]]) -> None:
        if self.down:
            raise RasaUnavailable("fake rasa is down")
        self.events.append((sender, events))

    async def aclose(self) -> None:
        pass


def handoff_script(trigger: str = "找專人", reason: str = "requested") -> Callable[[str, str], list[dict[str, Any]]]:
    """Answers every message with an echo, except ``trigger``, which asks for a person."""
    def script(sender: str, message: str) -> list[dict[str, Any]]:
        if trigger in message:
            return [{"custom": {"type": "handoff", "reason": reason,
                                "summary": {"last_question": message, "intent": "request_human",
                                            "slots": {"employees": 25, "total_budget": 8_000_000}}}}]
        return [{"text": f"bot: {message}"}]
    return script
