"""What an officer reads first about a ticket, in plain zh-TW (no raw keys), and the 建議回覆 text
in an officer's voice. Plain Python over the store's views; the words are in labels.py."""
from __future__ import annotations

import re
from typing import Any, Sequence

from ..core.store import MessageView, TicketView
from . import labels

_CITATION = re.compile(labels.CITATION_PATTERN)
AFTER_LIMIT = 5          # the latest facts given after the handoff that are listed
MONEY_SLOTS = {"total_budget", "company_capital", "capital_spending", "loan_amount"}


def ticket_ref(ticket_id: int) -> str:
    from ..core.hub import ticket_ref as ref
    return ref(ticket_id)


def _value(key: str, value: Any) -> str:
    if value is True:
        return labels.YES
    if value is False:
        return labels.NO
    if isinstance(value, (int, float)) and key in MONEY_SLOTS:
        return labels.MONEY.format(n=f"{value:,}")
    if isinstance(value, (list, tuple)):
        return labels.LIST_SEP.join(str(v) for v in value)
    return str(value)


def facts(t: TicketView, messages: Sequence[MessageView]) -> list[dict[str, str]]:
    """[{label, value}]: reason, the question that caused the handoff, the topic, the facts collected
    by the bot, the contact and time to call, and what the user wrote after the handoff."""
    s = t.summary or {}
    out = [{"label": labels.FACT_REF, "value": ticket_ref(t.id)},
           {"label": labels.FACT_REASON, "value": labels.REASONS.get(t.reason, t.reason)}]
    question = str(s.get("last_question") or "").strip()
    if question:
        out.append({"label": labels.FACT_QUESTION, "value": question})
    # (the bot's topic at handoff time is left out: it is often the previous answer's, i.e. stale)
    slots = s.get("slots") if isinstance(s.get("slots"), dict) else {}
    for key, value in slots.items():
        if value is None or value == "" or key not in labels.SLOT_LABELS:
            continue
        out.append({"label": labels.SLOT_LABELS[key], "value": _value(key, value)})
    if t.contact:
        out.append({"label": labels.FACT_CONTACT, "value": t.contact})
    if s.get("contact_time"):
        out.append({"label": labels.FACT_CONTACT_TIME, "value": str(s["contact_time"])})
    if s.get("bot_unavailable"):
        out.append({"label": labels.FACT_BOT_DOWN, "value": labels.YES})
    request = str(s.get("request_text") or question)
    after = [m.text for m in messages if m.author == "user" and m.text and m.created_at >= t.created_at
             and m.text not in (question, request)]
    for text in after[-AFTER_LIMIT:]:
        out.append({"label": labels.FACT_AFTER, "value": text})
    return out


def handoff_question(t: TicketView) -> str:
    """The question that caused the handoff (not the user's latest message)."""
    return str((t.summary or {}).get("last_question") or "").strip()


def officer_reply(question: str, answer: str) -> str:
    """A knowledge entry's answer as the officer would write it: without the bot's 「（依據：…）」."""
    text = _CITATION.sub("", answer or "")
    text = "\n".join(line.rstrip() for line in text.splitlines() if line.strip())
    short = question if len(question) <= 30 else question[:29] + "…"
    return labels.ASSIST_REPLY.format(question=short, answer=text)
