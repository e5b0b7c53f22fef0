"""LINE: 👍/👎 under answers and the satisfaction question, as quick-reply postbacks (issue 16).

The postback data is ``"hf1:" + {"m": message id, "s": 1|-1, "r"?: reason}`` (feedback) or
``{"c": ticket id, "s": 1..5|0 (skip)}`` (satisfaction). Such a postback never reaches the hub or
Rasa (it does not change the dialogue); the store checks the message or ticket belongs to this
LINE chat's conversation. The answer (thanks, or the 👎 reasons) is a system message.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Sequence

from knowledge import contract

from .. import texts
from ..core.store import MessageView
from ..core.store.analytics import FEEDBACK_REASONS, CsatRefused, FeedbackRefused, answer_tag

logger = logging.getLogger(__name__)

PREFIX = "hf1:"


def _data(obj: dict[str, Any]) -> str:
    return PREFIX + json.dumps(obj, separators=(",", ":"))


def _item(label: str, data: str, display: str) -> dict[str, Any]:
    return {"type": "action", "action": {"type": "postback", "label": label[:20], "data": data,
                                         "displayText": display}}


def is_feedback(data: str) -> bool:
    return data.startswith(PREFIX)


def decode(data: str) -> dict[str, Any] | None:
    try:
        obj = json.loads(data[len(PREFIX):])
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def rating_items(views: Sequence[MessageView]) -> list[dict[str, Any]]:
    """👍/👎 quick-reply items for the last rated answer among ``views`` (none if there is none)."""
    rated = [v for v in views if v.author == "bot" and (answer_tag(v.payload) or {}).get("rate")]
    if not rated:
        return []
    mid = rated[-1].id
    return [_item(texts.FEEDBACK_UP, _data({"m": mid, "s": 1}), texts.FEEDBACK_UP),
            _item(texts.FEEDBACK_DOWN, _data({"m": mid, "s": -1}), texts.FEEDBACK_DOWN)]


def csat_items(views: Sequence[MessageView]) -> list[dict[str, Any]]:
    """1–5 and skip for a satisfaction question among ``views``."""
    for v in views:
        custom = contract.custom_of(v.payload)
        if custom is not None and custom.get("type") == contract.CSAT and isinstance(custom.get("ticket_id"), int):
            tid = custom["ticket_id"]
            items = [_item(label, _data({"c": tid, "s": score}), label) for score, label in texts.CSAT_SCORES.items()]
            return items + [_item(texts.CSAT_SKIP, _data({"c": tid, "s": 0}), texts.CSAT_SKIP)]
    return []


def reason_items(views: Sequence[MessageView]) -> list[dict[str, Any]]:
    """The 👎 reasons, after a 👎 without one (a system message marked ``feedback_reasons``)."""
    for v in views:
        payload = v.payload or {}
        if payload.get("kind") == "feedback_reasons" and isinstance(payload.get("message_id"), int):
            mid = payload["message_id"]
            return [_item(label, _data({"m": mid, "s": -1, "r": value}), label)
                    for value, label in texts.FEEDBACK_REASONS.items()]
    return []


def handle(store: Any, conversation_id: str, obj: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """Store a feedback or satisfaction postback: (the text to answer, its stored payload)."""
    score = obj.get("s")
    if "m" in obj:
        reason = obj.get("r")
        if not isinstance(obj["m"], int) or score not in (1, -1) or (reason is not None and reason not in FEEDBACK_REASONS):
            return texts.WIDGET_ERR_FEEDBACK_VALUE, None
        try:
            store.rate(conversation_id, obj["m"], score, reason)
        except FeedbackRefused:
            return texts.WIDGET_ERR_FEEDBACK, None
        if score > 0:
            return texts.FEEDBACK_THANKS, None
        if reason:
            return texts.FEEDBACK_REASON_THANKS, None
        return texts.FEEDBACK_ASK_REASON, {"kind": "feedback_reasons", "message_id": obj["m"]}
    if "c" in obj:
        if not isinstance(obj["c"], int) or score not in (0, 1, 2, 3, 4, 5):
            return texts.WIDGET_ERR_CSAT_VALUE, None
        try:
            store.answer_csat(conversation_id, obj["c"], score or None)
        except CsatRefused:
            return texts.WIDGET_ERR_CSAT, None
        return (texts.CSAT_THANKS_LINE if score else texts.CSAT_SKIPPED), None
    return texts.WIDGET_ERR_FEEDBACK, None
