"""Sending to LINE through the Messaging API (line-bot-sdk v3, async).

Answers use the reply token (max 5 messages per call; the rest is pushed in order, 5 at a time).
If the reply fails (expired or used token) everything is pushed. Messages not answering a request
(officer replies, "officer joined", "bot is back", replays) are pushed by ``LineDelivery``. Sent
messages are marked delivered in the store; unsent ones stay undelivered there.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Sequence

import aiohttp
from linebot.v3.messaging import (AsyncApiClient, AsyncMessagingApi, Configuration, PushMessageRequest,
                                  ReplyMessageRequest)
from linebot.v3.messaging.exceptions import ApiException

from ..core.store import MessageView, Store
from ..settings import Settings
from .messages import Outgoing, build_messages

logger = logging.getLogger(__name__)

MAX_PER_CALL = 5           # messages per reply / push request
REQUEST_TIMEOUT_S = 10.0


@dataclass
class LineSender:
    """Sends LINE messages through the Messaging API (async SDK) and records what was delivered."""
    settings: Settings
    store: Store
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
