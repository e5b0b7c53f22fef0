"""LINE message objects from the hub's answers (``build_messages``), in the Messaging API's JSON form.

- text → text messages (LINE's 5000-character limit: longer texts are split at line breaks);
- officer messages carry the officer's name as the message ``sender``;
- buttons → quick-reply items on the last message of the answer (max 13, labels max 20 characters);
  an intent payload (``/intent{...}``) becomes a postback whose data carries payload and title, a
  plain-text payload a message action;
- a calculator result (custom ``calc_result``) → a Flex bubble drawn from its ``card``
  (``knowledge.contract.CalcCard``, rendered once by the action server; header: title and the plain
  lead; body: amount and fixed limit, alternatives, next step, then steps and notes in small print;
  footer: the citation line) that replaces the bot's text rendering of the same
  result, which becomes its ``altText`` (and the plain fallback if LINE rejects the bubble). A
  ``calc_result`` stored before cards existed (no ``card``) is sent as its text only;
- custom ``handoff_state`` is not shown (the message text says it all).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from knowledge import contract

from .. import texts
from . import feedback
from ..core.store import MessageView

logger = logging.getLogger(__name__)

MAX_TEXT = 5000            # characters per text message
MAX_QUICK_REPLY = 13       # quick-reply items
MAX_LABEL = 20             # action label characters
MAX_ACTION_TEXT = 300      # postback data, displayText, message action text
MAX_ALT_TEXT = 400         # flex altText
MAX_SENDER_NAME = 20
POSTBACK_PREFIX = "hb1:"   # our quick-reply postbacks: "hb1:" + {"p": payload, "t": title}
HEADER_COLOR = "#1F6F8B"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, the last one an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a text into parts LINE accepts (counted in UTF-16 units, as LINE does), at line breaks
    where possible."""
    text = text.strip()
    if _utf16_len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while _utf16_len(line) > limit:  # a single line too long: cut it hard
            head, n = "", 0
            for ch in line:
                w = _utf16_len(ch)
                if n + w > limit:
                    break
                head, n = head + ch, n + w
            if current:
                parts.append(current)
                current = ""
            parts.append(head)
            line = line[len(head):]
        if _utf16_len(current + line) > limit:
            parts.append(current)
            current = line
        else:
            current += line
    if current:
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def encode_postback(payload: str, title: str) -> str | None:
    """Postback data carrying the button's payload and title (LINE returns only ``data``)."""
    def enc(t: str) -> str:
        return POSTBACK_PREFIX + json.dumps({"p": payload, "t": t}, ensure_ascii=False, separators=(",", ":"))
    data = enc(title)
    if len(data) <= MAX_ACTION_TEXT:
        return data
    room = MAX_ACTION_TEXT - len(enc(""))
    return enc(_clip(title, room)) if room >= 2 else None


def decode_postback(data: str) -> tuple[str, str]:
    """(payload, title) of a postback's data; foreign postbacks (e.g. a rich menu) are their own payload."""
    if data.startswith(POSTBACK_PREFIX):
        try:
            obj = json.loads(data[len(POSTBACK_PREFIX):])
            return str(obj["p"]), str(obj.get("t") or "")
        except (ValueError, KeyError, TypeError):
            logger.warning("malformed postback data %r", data[:100])
    return data, data


def quick_reply(buttons: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    items: list[dict[str, Any]] = []
    for b in buttons:
        title = str(b.get("title") or "").strip()
        payload = str(b.get("payload") or "").strip() or title
        if not title:
            title = payload
        if not title:
            continue
        label = _clip(title, MAX_LABEL)
        data = encode_postback(payload, title) if payload.startswith("/") else None
        if data is not None:
            action = {"type": "postback", "label": label, "data": data,
                      "displayText": _clip(title, MAX_ACTION_TEXT)}
        else:  # plain-text payload (or an intent payload too long to carry): the user says it
            said = payload if not payload.startswith("/") else title
            action = {"type": "message", "label": label, "text": _clip(said, MAX_ACTION_TEXT)}
        items.append({"type": "action", "action": action})
    if len(items) > MAX_QUICK_REPLY:
        logger.warning("%d buttons: only the first %d fit LINE's quick reply", len(items), MAX_QUICK_REPLY)
        items = items[:MAX_QUICK_REPLY]
    return {"items": items} if items else None


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": text, "wrap": True, **style}


def _strings(value: Any) -> list[str]:
    """The non-empty strings of a list from a payload (anything else is ignored)."""
    return [str(x).strip() for x in value if str(x).strip()] if isinstance(value, list) else []


def calc_bubble(card: Mapping[str, Any]) -> dict[str, Any]:
    """A Flex bubble drawing a calculation card (``knowledge.contract.CalcCard``) as the action server
    rendered it: nothing is computed, looked up or re-worded here.

    Read top-down as a non-accountant would: the header says the result in one plain sentence; the body
    gives the amount (an estimate marked 「（估算）」, a loan's fixed limit beside it marked as fixed), what
    fits instead, what to do next, and only then the working in small print (LINE has no collapsible
    part; the whole text is the message's altText); the footer is the one citation line."""
    headings = {**texts.CARD_HEADINGS, **(card.get("headings") or {})}
    title = str(card.get("title") or texts.CARD_TITLE)
    lead = str(card.get("plain") or card.get("headline") or "—")
    header = [_text(title, weight="bold", size="lg", color="#FFFFFF"),
              _text(lead, size="md", weight="bold", color="#FFFFFF")]
    body: list[dict[str, Any]] = []
    amount_text = str(card.get("amount_text") or "")
    limit_text = str(card.get("limit_text") or "")
    if card.get("eligible") and (amount_text or limit_text):
        if amount_text:
            if card.get("amount_label"):
                body.append(_text(str(card["amount_label"]), size="sm", color="#888888"))
            estimate = texts.CARD_ESTIMATE if card.get("is_estimate") else ""
            body.append(_text(amount_text + estimate, size="xxl", weight="bold", color=HEADER_COLOR))
        if limit_text:
            if card.get("limit_label"):
                body.append(_text(str(card["limit_label"]), size="sm", color="#888888"))
            body.append(_text(limit_text + texts.CARD_FIXED, size="xl", weight="bold", color=HEADER_COLOR))
    elif not card.get("eligible"):
        body.append(_text(texts.CARD_INELIGIBLE, size="lg", weight="bold", color="#B03A2E"))
        if card.get("binding_rule"):
            body.append(_text(str(card["binding_rule"]), size="sm", color="#888888"))

    def section(name: str, lines: Sequence[str], **style: Any) -> None:
        lines = [x for x in lines if x][:12]
        if not lines:
            return
        if body:
            body.append({"type": "separator", "margin": "md"})
        body.append(_text(name, size="sm", weight="bold", margin="md"))
        body.extend(_text(x, **{"size": "sm", **style}) for x in lines)

    section(headings["alternatives"], [f"・{a}" for a in _strings(card.get("alternatives"))])
    next_step = str(card.get("next_step") or "").strip()
    if next_step:
        section(headings.get("next_step") or texts.CARD_HEADINGS["next_step"], [next_step])
    steps = [str(s.get("text") or "").strip() if isinstance(s, dict) else str(s).strip()
             for s in card.get("steps") or ()]
    small = {"size": "xs", "color": "#666666"}
    section(headings["steps"], [f"{i}. {s}" for i, s in enumerate(steps, 1) if s], **small)
    section(headings["notes"], [f"・{n}" for n in _strings(card.get("notes"))], **small)
    if not body:
        body.append(_text(title, size="sm"))
    bubble: dict[str, Any] = {
        "type": "bubble",
        "size": "mega",
        "header": {"type": "box", "layout": "vertical", "spacing": "sm", "backgroundColor": HEADER_COLOR,
                   "contents": header},
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }
    cited = str(card.get("citation_line") or "").strip()
    if not cited:   # a card from before citation_line
        names = card.get("citation_texts") if isinstance(card.get("citation_texts"), dict) else {}
        joined = "；".join(dict.fromkeys(str(names.get(c) or c) for c in _strings(card.get("citations"))))
        cited = f"{headings['citations']}：{joined}" if joined else ""
    if cited:
        bubble["footer"] = {"type": "box", "layout": "vertical",
                            "contents": [_text(cited, size="xs", color="#888888")]}
    return bubble


@dataclass
class Outgoing:
    """One LINE message, the stored messages it carries, and a plain-text stand-in if LINE rejects it."""
    message: dict[str, Any]
    view_ids: tuple[int, ...]
    plain: dict[str, Any] | None = None

    def fallback(self) -> dict[str, Any]:
        return self.plain or self.message


def _card(view: MessageView) -> dict[str, Any] | None:
    """The calculation card a message carries (``calc_result`` payloads stored before the card
    existed have none: their text, if any, is sent as it is)."""
    custom = contract.custom_of(view.payload)
    if custom is not None and custom.get("type") == contract.CALC_RESULT and isinstance(custom.get("card"), dict):
        return custom["card"]
    return None


def build_messages(views: Sequence[MessageView]) -> list[Outgoing]:
    """The hub's answers as LINE message objects (dicts in the Messaging API's JSON form), in order."""
    out: list[Outgoing] = []
    absorbable: str | None = None   # text of the last plain bot text, a following calc result's altText
    buttons: list[dict[str, Any]] | None = None
    for v in views:
        payload = v.payload or {}
        if payload.get("buttons"):
            buttons = list(payload["buttons"])
        card = _card(v)
        if card is not None:
            rendered, ids = v.text.strip(), (v.id,)
            if not rendered and absorbable is not None:  # the bot's text rendering of this result
                prev = out.pop()
                rendered, ids = absorbable, prev.view_ids + ids
            absorbable = None
            try:
                bubble = calc_bubble(card)
            except Exception:
                logger.exception("could not draw a calc result bubble")
                bubble = None
            alt = (rendered or str(card.get("text") or "").strip()
                   or f"{card.get('title') or texts.CARD_TITLE}：{card.get('headline') or ''}")
            if bubble is not None:
                plain = {"type": "text", "text": split_text(alt)[0]} if alt else None
                out.append(Outgoing({"type": "flex", "altText": _clip(alt, MAX_ALT_TEXT), "contents": bubble},
                                    ids, plain))
                continue
            parts = split_text(alt)
            out += [Outgoing({"type": "text", "text": p}, ids) for p in parts]
            continue
        parts = split_text(v.text or "")
        absorbable = None
        if not parts:
            continue
        sender = None
        if v.author == "officer" and v.officer_name:
            sender = {"name": _clip(v.officer_name, MAX_SENDER_NAME)}
        for p in parts:
            m: dict[str, Any] = {"type": "text", "text": p}
            if sender:
                m["sender"] = sender
            out.append(Outgoing(m, (v.id,)))
        if v.author == "bot" and len(parts) == 1 and not payload.get("buttons"):
            absorbable = parts[0]
    # 👍/👎 under the last rated answer, the satisfaction question's 1–5, or the 👎 reasons (feedback.py)
    extra = feedback.csat_items(views) or feedback.reason_items(views) or feedback.rating_items(views)
    if (buttons or extra) and out:
        qr = quick_reply(buttons or [])
        if extra:
            items = ((qr or {}).get("items") or [])[: MAX_QUICK_REPLY - len(extra)] + extra
            qr = {"items": items}
        if qr is not None:
            last = out[-1]
            last.message = {**last.message, "quickReply": qr}
            if last.plain is not None:
                last.plain = {**last.plain, "quickReply": qr}
    return out
