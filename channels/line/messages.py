"""LINE message objects from the hub's answers (``build_messages``), in the Messaging API's JSON form.

- text → text messages (LINE's 5000-character limit: longer texts are split at line breaks);
- officer messages carry the officer's name as the message ``sender``;
- buttons → quick-reply items on the last message of the answer (max 13, labels max 20 characters);
  an intent payload (``/intent{...}``) becomes a postback whose data carries payload and title, a
  plain-text payload a message action;
- a calculator result (custom ``calc_result``) → a Flex bubble (header: title and headline; body:
  amount, steps, notes; footer: citations) that replaces the bot's text rendering of the same result,
  which becomes its ``altText`` (and the plain fallback if LINE rejects the bubble);
- custom ``handoff_state`` is not shown (the message text says it all).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Sequence

from knowledge.loader import citation_names

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


def _citation_names() -> dict[str, str]:
    """Knowledge entry id → its human citation (empty when the knowledge cannot be loaded)."""
    try:
        return citation_names()
    except Exception:  # the gateway can run without the knowledge files: ids are shown instead
        logger.exception("knowledge entries unavailable for LINE citations")
        return {}


def _money(amount: int, estimate: bool) -> str:
    from knowledge.calc.result import approx_wan, wan
    return approx_wan(amount) if estimate else wan(amount)


def _headline(result: dict[str, Any], rendered: str) -> str:
    for line in rendered.splitlines():  # the line the bot's own rendering shows (actions/render.py)
        if line.startswith("結果："):
            return line.removeprefix("結果：").strip()
    try:
        from actions.render import headline
        from knowledge.calc.result import CalcResult, Step
        r = CalcResult(**{**result, "steps": tuple(Step(**s) for s in result.get("steps") or ()),
                          "citations": tuple(result.get("citations") or ()),
                          "notes": tuple(result.get("notes") or ()),
                          "alternatives": tuple(result.get("alternatives") or ())})
        return headline(r).removeprefix("結果：")
    except Exception:
        if not result.get("eligible"):
            return f"目前不符合條件（{result.get('binding_rule') or ''}）"
        amount = result.get("amount")
        money = _money(amount, bool(result.get("is_estimate"))) if isinstance(amount, int) else ""
        return f"{result.get('amount_label') or ''}{money}"


def _citations(result: dict[str, Any], rendered: str) -> str:
    names = _citation_names()
    ids = [str(c) for c in result.get("citations") or ()]
    if ids and all(i in names for i in ids):
        return "；".join(dict.fromkeys(names[i] for i in ids))
    marker = "（依據："
    for line in reversed(rendered.splitlines()):
        if line.startswith(marker):
            return line.removeprefix(marker).rstrip("）")
    return "；".join(dict.fromkeys(names.get(i, i) for i in ids))


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": text, "wrap": True, **style}


def calc_bubble(result: dict[str, Any], rendered: str = "") -> dict[str, Any]:
    """A Flex bubble for a calculator result (knowledge.calc.result.CalcResult.to_dict())."""
    title = str(result.get("title") or "試算結果")
    header = [_text(title, weight="bold", size="lg", color="#FFFFFF"),
              _text(_headline(result, rendered) or "—", size="sm", color="#FFFFFF")]
    body: list[dict[str, Any]] = []
    amount = result.get("amount")
    if result.get("eligible") and isinstance(amount, int):
        if result.get("amount_label"):
            body.append(_text(str(result["amount_label"]), size="sm", color="#888888"))
        body.append(_text(_money(amount, bool(result.get("is_estimate"))), size="xxl", weight="bold",
                          color=HEADER_COLOR))
    elif not result.get("eligible"):
        body.append(_text("目前不符合條件", size="lg", weight="bold", color="#B03A2E"))
        if result.get("binding_rule"):
            body.append(_text(str(result["binding_rule"]), size="sm", color="#888888"))

    def section(name: str, lines: Sequence[str]) -> None:
        lines = [str(x).strip() for x in lines if str(x).strip()][:12]
        if not lines:
            return
        if body:
            body.append({"type": "separator", "margin": "md"})
        body.append(_text(name, size="sm", weight="bold", margin="md"))
        body.extend(_text(x, size="sm") for x in lines)

    steps = [s.get("text", "") if isinstance(s, dict) else str(s) for s in result.get("steps") or ()]
    section("計算過程", [f"{i}. {s}" for i, s in enumerate(steps, 1) if s])
    section("您可以考慮", [f"・{a}" for a in result.get("alternatives") or ()])
    section("請注意", [f"・{n}" for n in result.get("notes") or ()])
    if not body:
        body.append(_text(title, size="sm"))
    bubble: dict[str, Any] = {
        "type": "bubble",
        "size": "mega",
        "header": {"type": "box", "layout": "vertical", "spacing": "sm", "backgroundColor": HEADER_COLOR,
                   "contents": header},
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }
    cited = _citations(result, rendered)
    if cited:
        bubble["footer"] = {"type": "box", "layout": "vertical",
                            "contents": [_text(f"依據：{cited}", size="xs", color="#888888")]}
    return bubble


@dataclass
class Outgoing:
    """One LINE message, the stored messages it carries, and a plain-text stand-in if LINE rejects it."""
    message: dict[str, Any]
    view_ids: tuple[int, ...]
    plain: dict[str, Any] | None = None

    def fallback(self) -> dict[str, Any]:
        return self.plain or self.message


def _calc_result(view: MessageView) -> dict[str, Any] | None:
    custom = (view.payload or {}).get("custom")
    if isinstance(custom, dict) and custom.get("type") == "calc_result" and isinstance(custom.get("result"), dict):
        return custom["result"]
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
        result = _calc_result(v)
        if result is not None:
            rendered, ids = v.text.strip(), (v.id,)
            if not rendered and absorbable is not None:  # the bot's text rendering of this result
                prev = out.pop()
                rendered, ids = absorbable, prev.view_ids + ids
            absorbable = None
            try:
                bubble = calc_bubble(result, rendered)
            except Exception:
                logger.exception("could not draw a calc result bubble")
                bubble = None
            alt = rendered or f"{result.get('title') or '試算結果'}：{_headline(result, '')}"
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
    if buttons and out:
        qr = quick_reply(buttons)
        if qr is not None:
            last = out[-1]
            last.message = {**last.message, "quickReply": qr}
            if last.plain is not None:
                last.plain = {**last.plain, "quickReply": qr}
    return out
