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


def calc_card(result: Any, text: str = "") -> dict[str, Any]:
    """A ``knowledge.contract.CalcCard`` for a CalcResult, as the action server sends it: every word
    the channels draw is in it (headline, amount, steps, citations resolved). Built here from the
    result's own fields so the channel tests check drawing only, not the action server's rendering."""
    from knowledge.calc.result import wan
    from knowledge.loader import citation_names

    names = citation_names()
    ids = [*result.citations, *(s.citation for s in result.steps if s.citation)]
    amount_text = wan(result.amount) if result.amount is not None else ""
    binding = f"（決定因素：{result.binding_rule}）" if result.binding_rule else ""
    headline = (f"{result.amount_label}{amount_text}{binding}。" if result.eligible
                else f"目前不符合「{result.title}」的條件（{result.binding_rule}）。")
    return {"kind": result.kind, "title": result.title, "eligible": result.eligible, "headline": headline,
            "amount": result.amount, "amount_label": result.amount_label, "amount_text": amount_text,
            "binding_rule": result.binding_rule, "is_estimate": result.is_estimate,
            "steps": [{"text": s.text, "citation": s.citation, "citation_text": names.get(s.citation or "")}
                      for s in result.steps],
            "notes": list(result.notes), "alternatives": list(result.alternatives),
            "citations": list(result.citations),
            "citation_texts": {i: names[i] for i in dict.fromkeys(ids) if i in names},
            "headings": {"steps": "計算過程", "alternatives": "您可以考慮", "notes": "請注意", "citations": "依據"},
            "text": text}


def calc_answer(result: Any, text: str = "") -> dict[str, Any]:
    """The Rasa answer carrying a calculation result: ``{"custom": calc_result payload}``."""
    return {"custom": {"type": "calc_result", "card": calc_card(result, text), "result": result.to_dict()}}
