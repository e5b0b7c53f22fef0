"""A local stand-in for LINE's Messaging API (reply and push), recording what the gateway sends.

A real HTTP server (``http.server`` in a thread) so the gateway's real SDK client is exercised. It
checks what LINE checks and the tests rely on: the bearer token, at most 5 messages per request,
text length, quick-reply and flex limits, and that a reply token is used once. ``expire_reply_tokens``
makes every reply fail like an expired token (400 ``Invalid reply token``) so the push fallback runs.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

DEFAULT_TOKEN = "test-channel-access-token"
REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"
PROFILE = "/v2/bot/profile/"


def _text_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def problems(messages: Any) -> list[str]:
    """What LINE would reject in a request's ``messages`` (a subset of its checks)."""
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return ["messages: 1 to 5 items required"]
    found: list[str] = []
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        kind = m.get("type") if isinstance(m, dict) else None
        if kind == "text":
            text = m.get("text")
            if not isinstance(text, str) or not text or _text_len(text) > 5000:
                found.append(f"{where}.text: 1 to 5000 characters")
        elif kind == "flex":
            alt = m.get("altText")
            if not isinstance(alt, str) or not alt or len(alt) > 400:
                found.append(f"{where}.altText: 1 to 400 characters")
            if (m.get("contents") or {}).get("type") not in ("bubble", "carousel"):
                found.append(f"{where}.contents: bubble or carousel")
        else:
            found.append(f"{where}.type: unexpected {kind!r}")
        sender = (m.get("sender") or {}) if isinstance(m, dict) else {}
        if sender and not 1 <= len(sender.get("name") or "") <= 20:
            found.append(f"{where}.sender.name: 1 to 20 characters")
        qr = m.get("quickReply") if isinstance(m, dict) else None
        if qr is not None:
            items = qr.get("items") or []
            if not 1 <= len(items) <= 13:
                found.append(f"{where}.quickReply.items: 1 to 13 items")
            for j, item in enumerate(items):
                action = item.get("action") or {}
                label = action.get("label") or ""
                if item.get("type") != "action" or not 1 <= len(label) <= 20:
                    found.append(f"{where}.quickReply.items[{j}]: label 1 to 20 characters")
                for key in ("data", "text", "displayText"):
                    if key in action and not 1 <= len(action[key]) <= 300:
                        found.append(f"{where}.quickReply.items[{j}].action.{key}: 1 to 300 characters")
                if action.get("type") == "postback" and "data" not in action:
                    found.append(f"{where}.quickReply.items[{j}].action.data: required")
                if action.get("type") == "message" and "text" not in action:
                    found.append(f"{where}.quickReply.items[{j}].action.text: required")
    return found


class LineStandIn:
    def __init__(self, host: str = "127.0.0.1", port: int = 18090, token: str = DEFAULT_TOKEN):
        self.host, self.port, self.token = host, port, token
        self.expire_reply_tokens = False
        self.profiles: dict[str, str] = {}   # userId → displayName for GET /v2/bot/profile/{userId}
        self._lock = threading.Lock()
        self._requests: list[dict[str, Any]] = []
        self._used_tokens: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "LineStandIn":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _answer_json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _headers(self) -> dict[str, str]:
                return {k.lower(): v for k, v in self.headers.items()}

            def do_GET(self) -> None:  # noqa: N802 (GET /v2/bot/profile/{userId})
                self._answer_json(*standin._handle_get(self.path, self._headers()))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                self._answer_json(*standin._handle(self.path, raw, self._headers()))

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="line-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # ------------------------------------------------------------------ the API
    def _handle(self, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            payload = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            payload = None
        status, body = self._answer(path, payload, headers)
        with self._lock:
            self._requests.append({"path": path, "json": payload, "headers": headers, "status": status})
        return status, body

    def _handle_get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if headers.get("authorization") != f"Bearer {self.token}":
            status, body = 401, {"message": "Authentication failed."}
        elif path.startswith(PROFILE):
            user = path[len(PROFILE):]
            name = self.profiles.get(user)
            status, body = (200, {"userId": user, "displayName": name, "language": "zh-TW"}) if name \
                else (404, {"message": "Not found"})
        else:
            status, body = 404, {"message": "Not found"}
        with self._lock:
            self._requests.append({"path": path, "json": None, "headers": headers, "status": status})
        return status, body

    def _answer(self, path: str, payload: Any, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"message": "Authentication failed. Confirm that the access token in the "
                                    "authorization header is valid."}
        if path not in (REPLY, PUSH):
            return 404, {"message": "Not found"}
        if not isinstance(payload, dict):
            return 400, {"message": "The request body has 1 error(s)", "details": [{"message": "not JSON"}]}
        details = problems(payload.get("messages"))
        if path == REPLY:
            token = payload.get("replyToken")
            if not token:
                details.append("replyToken: required")
            elif not details:
                with self._lock:
                    used = token in self._used_tokens
                    self._used_tokens.add(token)
                if self.expire_reply_tokens or used:
                    return 400, {"message": "Invalid reply token"}
        elif not payload.get("to"):
            details.append("to: required")
        if details:
            return 400, {"message": f"The request body has {len(details)} error(s)",
                         "details": [{"message": d} for d in details]}
        return 200, {"sentMessages": [{"id": uuid.uuid4().hex[:18], "quoteToken": uuid.uuid4().hex}
                                      for _ in payload["messages"]]}

    # ------------------------------------------------------------------ for the tests
    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request received so far: {"path", "json", "headers", "status"} (a copy)."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def replies(self, reply_token: str | None = None, *, ok_only: bool = True) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == REPLY and (not ok_only or r["status"] == 200)
                and (reply_token is None or (r["json"] or {}).get("replyToken") == reply_token)]

    def pushes(self, to: str | None = None, *, ok_only: bool = True) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == PUSH and (not ok_only or r["status"] == 200)
                and (to is None or (r["json"] or {}).get("to") == to)]

    def _poll(self, predicate: Callable[[list[dict[str, Any]]], Any], deadline: float, timeout: float) -> Any:
        value = predicate(self.requests)
        if not value and time.monotonic() > deadline:
            raise AssertionError(f"LINE stand-in: condition not met in {timeout}s; got {self._summary()}")
        return value

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], Any], timeout: float = 10.0) -> Any:
        """Poll until ``predicate(requests)`` is truthy; returns its value (blocking: for sync tests)."""
        deadline = time.monotonic() + timeout
        while not (value := self._poll(predicate, deadline, timeout)):
            time.sleep(0.02)
        return value

    async def wait_for_async(self, predicate: Callable[[list[dict[str, Any]]], Any], timeout: float = 10.0) -> Any:
        """``wait_for`` for async tests: lets the event loop (and the gateway's tasks) run meanwhile."""
        deadline = time.monotonic() + timeout
        while not (value := self._poll(predicate, deadline, timeout)):
            await asyncio.sleep(0.02)
        return value

    def _summary(self) -> str:
        return json.dumps([{"path": r["path"], "status": r["status"], "json": r["json"]} for r in self.requests],
                          ensure_ascii=False)[:4000]
