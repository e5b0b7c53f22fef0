"""What kind of answer a bot message is, for analytics and for the 👍/👎 under it.

The bot sends knowledge answers as text ending with their citation line 「（依據：…）」 and
calculation results as a ``calc_result`` card; the gateway tags each stored bot message with
``{"answer": {"kind", "entry_id", "rate"}}`` in its payload:

- ``answer``: the text is a knowledge entry's reply (``Entry.reply_text``), possibly after a one-line
  note (the English-speaker note);
- ``direct``: another text with a citation line (a rule applied to the user's own figures); the
  entry is the first one cited;
- ``calc``: a ``calc_result`` card (its first citation);
- ``unanswered``: the bot found nothing (the hotline entry after an apology) or offered a menu of
  guesses with the "a person" button. Not rated.

The knowledge entries are read once (YAML, no index or model needed).
"""
from __future__ import annotations

import functools
import re
from typing import Any

from knowledge import contract

from .. import texts

CITATION_LINE = re.compile(texts.ANSWER_CITATION_RE)
HOTLINE_ENTRY = "hotline_main"
CJK = re.compile(r"[\u4e00-\u9fff]")


@functools.lru_cache(maxsize=1)
def _knowledge() -> tuple[dict[str, str], dict[str, str]]:
    """(reply text → entry id, citation → first entry id with it)."""
    from knowledge.loader import load_knowledge
    kb = load_knowledge()
    replies = {e.reply_text().strip(): e.id for e in kb.entries}
    citations: dict[str, str] = {}
    for e in kb.entries:
        citations.setdefault(e.citation, e.id)
    return replies, citations


def warm_up() -> None:
    """Read the knowledge entries now (the gateway's start), not during the first answer: the YAML
    takes ~0.2 s of CPU that would hold the event loop, and every request with it."""
    _knowledge()


def _tag(kind: str, entry_id: str | None) -> dict[str, Any]:
    return {"kind": kind, "entry_id": entry_id, "rate": kind != "unanswered"}


def classify(text: str, buttons: list[dict[str, str]] | None = None,
             custom: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The ``answer`` tag of one bot message, or None when it is not an answer (a greeting, a form
    question, a heading...)."""
    if isinstance(custom, dict) and custom.get("type") == contract.CALC_RESULT:
        card = custom.get("card")
        if not isinstance(card, dict):   # a result without its card (older action servers): its text is the answer
            return None
        cited = [c for c in (card.get("citations") or []) if isinstance(c, str)]
        return _tag("calc", cited[0] if cited else None)
    payloads = [str(b.get("payload", "")) for b in (buttons or [])]
    if "/request_human" in payloads and any(p.startswith("/choose_topic") for p in payloads):
        return _tag("unanswered", None)         # "not sure which one you mean": a menu of guesses
    text = (text or "").strip()
    match = CITATION_LINE.search(text)
    if match is None:
        return None
    replies, citations = _knowledge()
    for reply, entry_id in replies.items():
        if text == reply:
            return _tag("answer", entry_id)
        if text.endswith(reply):
            before = text[: -len(reply)].strip()
            if entry_id == HOTLINE_ENTRY and CJK.search(before):
                return _tag("unanswered", None)   # an apology, then where to ask a person
            if "\n" not in before:
                return _tag("answer", entry_id)
    first = match.group(1).split(texts.CITATION_SEPARATOR)[0].strip()
    return _tag("direct", citations.get(first))
