"""LINE Messaging API channel: ``POST /line/webhook``.

The webhook checks ``X-Line-Signature`` (HMAC-SHA256 of the raw body with the channel secret) before
it looks at the body, drops events it has already accepted (``webhookEventId``; LINE redelivers with
the same id), answers 200 at once and does the work in a background task: one task chain per LINE
chat, so a user's messages are answered in order.

Every user message is stored by ``Hub.accept`` before the webhook answers 200, then answered by
``Hub.answer`` (channels/core/hub.py) in the background; the answers are built into LINE messages by
``messages.py`` and sent by ``sender.py``.
"""
from __future__ import annotations

import asyncio
import re
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (FollowEvent, MessageEvent, PostbackEvent, TextMessageContent, UnfollowEvent)

from .. import texts
from ..context import Context
from ..core.textsafe import TooLarge, is_poison, parse_json, read_limited
from . import feedback
from .messages import decode_postback
from .sender import LineDelivery, LineSender

logger = logging.getLogger(__name__)

CHANNEL = "line"
GREET_PAYLOAD = "/greet"
CHAT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")   # LINE: U/C/R + 32 hex digits; never stored otherwise
MAX_BODY_BYTES = 1024 * 1024   # LINE sends a few events per request (a few KB); refused beyond this


def _chat_id(event: Any) -> str | None:
    """The id answers are pushed to: the group or room for group chats, else the user."""
    source = getattr(event, "source", None)
    if source is None:
        return None
    return getattr(source, "group_id", None) or getattr(source, "room_id", None) or getattr(source, "user_id", None)


MAX_RUNNING = 8   # LINE events answered at once; the others wait (a burst cannot starve /health or the widget)


@dataclass
class LineChannel:
    ctx: Context
    sender: LineSender
    max_running: int = MAX_RUNNING
    _tasks: set[asyncio.Task] = field(default_factory=set)
    _tails: dict[str, asyncio.Task] = field(default_factory=dict)
    _named: set[str] = field(default_factory=set)
    _slots: asyncio.Semaphore | None = None
    _slots_loop: asyncio.AbstractEventLoop | None = None

    # -- background work, in order per chat
    def spawn(self, chat_id: str, work: Callable[[], Awaitable[None]]) -> asyncio.Task:
        previous = self._tails.get(chat_id)
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots_loop is not loop:   # a semaphore belongs to one loop
            self._slots, self._slots_loop = asyncio.Semaphore(self.max_running), loop
        slots = self._slots

        async def run() -> None:
            if previous is not None and not previous.done():
                await asyncio.wait([previous])
            try:
                async with slots:   # bounded: at most max_running events are being answered
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

    async def close(self, grace_s: float = 5.0) -> None:
        """At shutdown: let running work finish for ``grace_s``, then cancel the rest (a stored but
        unanswered message is answered by the next start's replay)."""
        tasks = list(self._tasks)
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace_s)
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.wait(pending, timeout=grace_s)
        self._slots = None

    # -- events
    async def prepare(self, event: Any, event_id: str | None) -> tuple[str, Callable[[], Awaitable[None]]] | None:
        """Accept one event before the webhook answers 200: a user's message is stored (committed)
        here, so a crash afterwards loses nothing (the hub answers it at the next start). Returns
        the background work, or None for nothing to do (also for a redelivered event)."""
        chat_id = _chat_id(event)
        if chat_id is None or not isinstance(chat_id, str) or not CHAT_ID_RE.fullmatch(chat_id):
            if chat_id is not None:   # LINE's ids are U/C/R + 32 hex digits: a signed body with another is odd
                logger.warning("LINE event with an unusable source id ignored")
            return None
        if str(getattr(getattr(event, "mode", None), "value", getattr(event, "mode", ""))) == "standby":
            return None  # another module holds the chat: do not answer
        hub, store = self.ctx.hub, self.ctx.store
        reply_token = getattr(event, "reply_token", None)
        # the stored message's external id doubles as the redelivery check (one transaction)
        ext = f"line-event:{event_id}" if event_id else None

        async def accepted(text: str, payload: str | None = None):
            if is_poison(text) or is_poison(payload):   # NUL or a lone surrogate: never stored, told politely
                if event_id and not await asyncio.to_thread(store.first_delivery, str(event_id)):
                    return None
                logger.warning("LINE event %s: text with NUL or a lone surrogate refused", event_id)
                return chat_id, lambda: self._say_only(chat_id, reply_token, texts.POISON_INPUT)
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
        if isinstance(event, PostbackEvent) and feedback.is_feedback(event.postback.data):
            return await self._feedback(chat_id, reply_token, event.postback.data, event_id)
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

    async def _feedback(self, chat_id: str, reply_token: str | None, data: str,
                        event_id: str | None) -> tuple[str, Callable[[], Awaitable[None]]] | None:
        """A 👍/👎 or satisfaction postback: stored apart from the dialogue (never sent to Rasa)."""
        store = self.ctx.store
        if event_id and not await asyncio.to_thread(store.first_delivery, str(event_id)):
            return None
        conversation_id = self.ctx.hub.conversation_id(CHANNEL, chat_id)
        obj = feedback.decode(data) or {}
        text, payload = await asyncio.to_thread(feedback.handle, store, conversation_id, obj)

        async def work() -> None:
            await asyncio.to_thread(store.touch_conversation, conversation_id, CHANNEL, chat_id)
            m = await asyncio.to_thread(store.add_message, conversation_id, "out", "system", text, payload=payload)
            await self.sender.send(chat_id, [m], reply_token)
        return chat_id, work

    async def _unsupported(self, chat_id: str, reply_token: str | None) -> None:
        await self._say_only(chat_id, reply_token, texts.UNSUPPORTED_MEDIA)

    async def _say_only(self, chat_id: str, reply_token: str | None, text: str) -> None:
        """Answer with a fixed sentence (stored as a system message), the user's message not stored."""
        store = self.ctx.store
        conversation_id = self.ctx.hub.conversation_id(CHANNEL, chat_id)
        await asyncio.to_thread(store.touch_conversation, conversation_id, CHANNEL, chat_id)
        m = await asyncio.to_thread(store.add_message, conversation_id, "out", "system", text)
        await self.sender.send(chat_id, [m], reply_token)


def router(ctx: Context) -> APIRouter:
    r = APIRouter()
    sender = LineSender(ctx.settings, ctx.store)
    channel = LineChannel(ctx, sender)
    ctx.hub.deliveries[CHANNEL] = LineDelivery(sender)
    r.line_channel = channel   # type: ignore[attr-defined]  # create_app closes it at shutdown

    @r.post("/line/webhook")
    async def webhook(request: Request) -> JSONResponse:
        secret = ctx.settings.line_channel_secret
        if not secret:
            return JSONResponse({"detail": "LINE channel not configured"}, status_code=503)
        signature = request.headers.get("x-line-signature")
        if not signature:
            return JSONResponse({"detail": "missing X-Line-Signature"}, status_code=400)
        try:   # bounded before the signature is checked: an unsigned 8 MiB body is not read whole
            raw = await read_limited(request, MAX_BODY_BYTES)
        except TooLarge:
            return JSONResponse({"detail": "body too large"}, status_code=413)
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
        try:
            raw_events = parse_json(body, max_depth=64).get("events") or []
        except (ValueError, AttributeError):
            return JSONResponse({"detail": "malformed body"}, status_code=400)
        accepted = 0
        for event, raw_event in zip(events, raw_events):
            event_id = raw_event.get("webhookEventId") if isinstance(raw_event, dict) else None
            work = await channel.prepare(event, str(event_id) if event_id else None)
            if work is not None:
                channel.spawn(*work)
                accepted += 1
        return JSONResponse({"accepted": accepted})

    return r
