"""LINE Messaging API channel: ``POST /line/webhook`` and push delivery.

The webhook checks ``X-Line-Signature`` (HMAC-SHA256 of the raw body with the channel secret) before
it looks at the body, drops events it has already accepted (``webhookEventId``; LINE redelivers with
the same id), answers 200 at once and does the work in a background task: one task chain per LINE
chat, so a user's messages are answered in order.

Every user message is stored by ``Hub.accept`` before the webhook answers 200, then answered by ``Hub.answer`` (channels/hub.py) in the background. The hub's answers become LINE
messages (``build_messages``):

- text → text messages (LINE's 5000-character limit: longer texts are split at line breaks);
- officer messages carry the officer's name as the message ``sender``;
- buttons → quick-reply items on the last message of the answer (max 13, labels max 20 characters);
  an intent payload (``/intent{...}``) becomes a postback whose data carries payload and title, a
  plain-text payload a message action;
- a calculator result (custom ``calc_result``) → a Flex bubble (header: title and headline; body:
  amount, steps, notes; footer: citations) that replaces the bot's text rendering of the same result,
  which becomes its ``altText`` (and the plain fallback if LINE rejects the bubble);
- custom ``handoff_state`` is not shown (the message text says it all).

Answers use the reply token (max 5 messages per call; the rest is pushed in order, 5 at a time).
If the reply fails (expired or used token) everything is pushed. Messages not answering a request
(officer replies, "officer joined", "bot is back", replays) are pushed by ``LineDelivery``. Sent
messages are marked delivered in the store; unsent ones stay undelivered there.
"""
from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Sequence

import aiohttp
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (AsyncApiClient, AsyncMessagingApi, Configuration, PushMessageRequest,
                                  ReplyMessageRequest)
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (FollowEvent, MessageEvent, PostbackEvent, TextMessageContent, UnfollowEvent)

from knowledge.loader import citation_names

from . import texts
from .store import MessageView

logger = logging.getLogger(__name__)

CHANNEL = "line"
MAX_TEXT = 5000            # characters per text message
MAX_PER_CALL = 5           # messages per reply / push request
MAX_QUICK_REPLY = 13       # quick-reply items
MAX_LABEL = 20             # action label characters
MAX_ACTION_TEXT = 300      # postback data, displayText, message action text
MAX_ALT_TEXT = 400         # flex altText
MAX_SENDER_NAME = 20
POSTBACK_PREFIX = "hb1:"   # our quick-reply postbacks: "hb1:" + {"p": payload, "t": title}
REQUEST_TIMEOUT_S = 10.0
GREET_PAYLOAD = "/greet"
HEADER_COLOR = "#1F6F8B"


# ====================================================================== building LINE messages
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


# ====================================================================== sending
@dataclass
class LineSender:
    """Sends LINE messages through the Messaging API (async SDK) and records what was delivered."""
    settings: Any
    store: Any
    timeout_s: float = REQUEST_TIMEOUT_S

    def _configuration(self) -> Configuration:
        return Configuration(host=self.settings.line_api_base.rstrip("/"),
                             access_token=self.settings.line_channel_access_token)

    async def send(self, to: str, views: Sequence[MessageView], reply_token: str | None = None) -> bool:
        """Send the views to a chat: first 5 messages with the reply token (if any), the rest by push.

        True when everything was sent. Fully sent views are marked delivered."""
        outgoing = await asyncio.to_thread(build_messages, views)
        if not outgoing:
            return True
        if not self.settings.line_channel_access_token:
            logger.error("LINE_CHANNEL_ACCESS_TOKEN is not set: cannot send to %s", to)
            return False
        chunks = [outgoing[i:i + MAX_PER_CALL] for i in range(0, len(outgoing), MAX_PER_CALL)]
        sent: list[Outgoing] = []
        ok = True
        async with AsyncApiClient(self._configuration()) as client:
            api = AsyncMessagingApi(client)
            if reply_token and await self._reply(api, reply_token, chunks[0]):
                sent += chunks.pop(0)
            for chunk in chunks:
                if not await self._push(api, to, chunk):
                    ok = False
                    break  # keep the order: what follows stays undelivered in the store
                sent += chunk
        await self._mark(outgoing, sent)
        return ok

    async def profile_name(self, user_id: str) -> str | None:
        """The user's LINE display name (GET /v2/bot/profile), None when unavailable."""
        if not self.settings.line_channel_access_token:
            return None
        try:
            async with AsyncApiClient(self._configuration()) as client:
                profile = await asyncio.wait_for(AsyncMessagingApi(client).get_profile(user_id), self.timeout_s)
            return (profile.display_name or "").strip() or None
        except Exception as exc:  # blocked users, unknown ids, network: the console shows the id instead
            logger.info("LINE profile of %s unavailable: %s", user_id, exc)
            return None

    async def _mark(self, outgoing: Sequence[Outgoing], sent: Sequence[Outgoing]) -> None:
        sent_ids = {id(o) for o in sent}
        done: dict[int, bool] = {}
        for o in outgoing:
            for vid in o.view_ids:
                done[vid] = done.get(vid, True) and id(o) in sent_ids
        ids = [vid for vid, ok in done.items() if ok]
        if ids:
            await asyncio.to_thread(self.store.mark_delivered, ids)

    async def _reply(self, api: AsyncMessagingApi, reply_token: str, chunk: Sequence[Outgoing]) -> bool:
        request = ReplyMessageRequest.from_dict({"replyToken": reply_token,
                                                 "messages": [o.message for o in chunk]})
        try:
            await api.reply_message(request, _request_timeout=self.timeout_s)
            return True
        except ApiException as exc:
            logger.warning("LINE reply failed (HTTP %s: %s); pushing instead", exc.status, _body(exc))
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            logger.warning("LINE reply failed (%s); pushing instead", type(exc).__name__)
        return False

    async def _push(self, api: AsyncMessagingApi, to: str, chunk: Sequence[Outgoing]) -> bool:
        messages = [o.message for o in chunk]
        retry_key = str(uuid.uuid4())  # LINE accepts a push once per retry key: retries cannot duplicate
        for attempt in range(3):
            request = PushMessageRequest.from_dict({"to": to, "messages": messages})
            try:
                await api.push_message(request, x_line_retry_key=retry_key, _request_timeout=self.timeout_s)
                return True
            except ApiException as exc:
                if exc.status == 409:  # accepted before under this retry key
                    return True
                logger.warning("LINE push to %s failed (HTTP %s: %s)", to, exc.status, _body(exc))
                fallback = [o.fallback() for o in chunk]
                if exc.status == 400 and fallback != messages:  # a rich message LINE refused: plain text
                    messages, retry_key = fallback, str(uuid.uuid4())
                    continue
                if exc.status is None or exc.status < 500 and exc.status != 429:
                    return False
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                logger.warning("LINE push to %s failed (%s)", to, type(exc).__name__)
            await asyncio.sleep(0.5 * (attempt + 1))
        return False


def _body(exc: ApiException) -> str:
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return str(body or exc.reason)[:300]


class LineDelivery:
    """``Hub.deliveries["line"]``: messages that answer no request are pushed."""

    def __init__(self, sender: LineSender):
        self.sender = sender

    async def deliver(self, conversation_id: str, external_id: str, messages: Sequence[MessageView]) -> bool:
        return await self.sender.send(external_id, messages)


# ====================================================================== webhook
def _chat_id(event: Any) -> str | None:
    """The id answers are pushed to: the group or room for group chats, else the user."""
    source = getattr(event, "source", None)
    if source is None:
        return None
    return getattr(source, "group_id", None) or getattr(source, "room_id", None) or getattr(source, "user_id", None)


@dataclass
class LineChannel:
    ctx: Any
    sender: LineSender
    _tasks: set[asyncio.Task] = field(default_factory=set)
    _tails: dict[str, asyncio.Task] = field(default_factory=dict)
    _named: set[str] = field(default_factory=set)

    # -- background work, in order per chat
    def spawn(self, chat_id: str, work: Callable[[], Awaitable[None]]) -> asyncio.Task:
        previous = self._tails.get(chat_id)

        async def run() -> None:
            if previous is not None and not previous.done():
                await asyncio.wait([previous])
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:  # a stored but unanswered message is replayed at the next start
                logger.exception("LINE event for %s failed", chat_id)

        task = asyncio.create_task(run(), name=f"line:{chat_id}")
        self._tasks.add(task)
        self._tails[chat_id] = task

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if self._tails.get(chat_id) is t:
                del self._tails[chat_id]
        task.add_done_callback(done)
        return task

    async def idle(self) -> None:
        """Wait until all background work has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    # -- events
    async def prepare(self, event: Any, event_id: str | None) -> tuple[str, Callable[[], Awaitable[None]]] | None:
        """Accept one event before the webhook answers 200: a user's message is stored (committed)
        here, so a crash afterwards loses nothing (the hub answers it at the next start). Returns
        the background work, or None for nothing to do (also for a redelivered event)."""
        chat_id = _chat_id(event)
        if chat_id is None:
            return None
        if str(getattr(getattr(event, "mode", None), "value", getattr(event, "mode", ""))) == "standby":
            return None  # another module holds the chat: do not answer
        hub, store = self.ctx.hub, self.ctx.store
        reply_token = getattr(event, "reply_token", None)
        # the stored message's external id doubles as the redelivery check (one transaction)
        ext = f"line-event:{event_id}" if event_id else None

        async def accepted(text: str, payload: str | None = None):
            inbound = await hub.accept(CHANNEL, chat_id, text, payload=payload,
                                       external_msg_id=ext or getattr(getattr(event, "message", None), "id", None))
            if inbound is None:
                logger.info("LINE event %s already accepted: skipped", event_id)
                return None

            async def work() -> None:
                await self.sender.send(chat_id, await hub.answer(inbound), reply_token)
                await self.learn_name(chat_id, inbound.conversation_id)
            return chat_id, work

        if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
            return await accepted(event.message.text)
        if isinstance(event, PostbackEvent):
            payload, title = decode_postback(event.postback.data)
            return await accepted(title, payload)
        if isinstance(event, FollowEvent):
            return await accepted("", GREET_PAYLOAD)
        if event_id and not await asyncio.to_thread(store.first_delivery, str(event_id)):
            logger.info("LINE event %s already accepted: skipped", event_id)
            return None
        if isinstance(event, MessageEvent):
            return chat_id, lambda: self._unsupported(chat_id, reply_token)
        if isinstance(event, UnfollowEvent):
            return None
        logger.info("LINE event %s ignored", getattr(event, "type", type(event).__name__))
        return None

    async def learn_name(self, chat_id: str, conversation_id: str) -> None:
        """Once per user and process: keep the LINE display name so officers see who is asking."""
        if chat_id in self._named:
            return
        self._named.add(chat_id)
        store = self.ctx.store
        if await asyncio.to_thread(store.display_name, conversation_id):
            return
        name = await self.sender.profile_name(chat_id)
        if name:
            await asyncio.to_thread(store.set_display_name, conversation_id, name)

    async def _unsupported(self, chat_id: str, reply_token: str | None) -> None:
        store = self.ctx.store
        conversation_id = self.ctx.hub.conversation_id(CHANNEL, chat_id)
        await asyncio.to_thread(store.touch_conversation, conversation_id, CHANNEL, chat_id)
        m = await asyncio.to_thread(store.add_message, conversation_id, "out", "system", texts.UNSUPPORTED_MEDIA)
        await self.sender.send(chat_id, [m], reply_token)


def router(ctx) -> APIRouter:
    r = APIRouter()
    sender = LineSender(ctx.settings, ctx.store)
    channel = LineChannel(ctx, sender)
    ctx.hub.deliveries[CHANNEL] = LineDelivery(sender)

    @r.post("/line/webhook")
    async def webhook(request: Request) -> JSONResponse:
        secret = ctx.settings.line_channel_secret
        if not secret:
            return JSONResponse({"detail": "LINE channel not configured"}, status_code=503)
        signature = request.headers.get("x-line-signature")
        if not signature:
            return JSONResponse({"detail": "missing X-Line-Signature"}, status_code=400)
        raw = await request.body()
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return JSONResponse({"detail": "body is not UTF-8"}, status_code=400)
        try:  # the parser checks the signature before it reads the body
            events = WebhookParser(secret).parse(body, signature)
        except InvalidSignatureError:
            logger.warning("LINE webhook with an invalid signature rejected")
            return JSONResponse({"detail": "invalid signature"}, status_code=400)
        except Exception as exc:
            logger.warning("malformed LINE webhook body: %s", exc)
            return JSONResponse({"detail": "malformed body"}, status_code=400)
        raw_events = json.loads(body).get("events") or []
        accepted = 0
        for event, raw_event in zip(events, raw_events):
            event_id = raw_event.get("webhookEventId") if isinstance(raw_event, dict) else None
            work = await channel.prepare(event, str(event_id) if event_id else None)
            if work is not None:
                channel.spawn(*work)
                accepted += 1
        return JSONResponse({"accepted": accepted})

    return r
