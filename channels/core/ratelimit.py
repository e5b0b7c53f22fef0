"""The gateway's one rate-limit primitive: a sliding window per key (plain Python, in process).

Used for the public widget API (messages per minute per conversation and per address: ``allow``)
and for console logins (``LoginGuard``: failures per address and username, and per address, then a
lockout: ``hit``/``locked_for``/``forget``).
One gateway process serves these; with several, put the same limits in the reverse proxy.
"""
from __future__ import annotations

import time
from collections import deque
from typing import Callable


class RateLimiter:
    """At most ``limit`` hits per key within ``window_s`` seconds.

    With ``lockout_s``, a key that reaches ``limit`` hits is refused for ``lockout_s`` seconds
    (``locked_for``), whatever it tries, and its window starts empty afterwards."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 50_000, *, lockout_s: float = 0.0):
        self.limit, self.window_s, self.clock, self.max_keys = limit, window_s, clock, max_keys
        self.lockout_s = lockout_s
        self._hits: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}

    def allow(self, key: str) -> bool:
        """Record a hit for ``key``; False (and nothing recorded) when it already had ``limit`` hits
        in the window or is locked out."""
        if self.locked_for(key):
            return False
        now = self.clock()
        hits = self._window(key, now)
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    def hit(self, key: str) -> None:
        """Record a hit unconditionally (e.g. a failed login); the ``limit``-th starts the lockout."""
        now = self.clock()
        hits = self._window(key, now)
        hits.append(now)
        if self.lockout_s and len(hits) >= self.limit:
            self._locked_until[key] = now + self.lockout_s
            hits.clear()

    def forget(self, key: str) -> None:
        """Clear the key's hits (e.g. after a successful login)."""
        self._hits.pop(key, None)

    def locked_for(self, key: str) -> int:
        """Whole seconds until a locked-out key may try again (0: not locked)."""
        until = self._locked_until.get(key)
        if until is None:
            return 0
        left = until - self.clock()
        if left <= 0:
            del self._locked_until[key]
            return 0
        return max(1, int(left + 0.999))

    def retry_after(self, key: str) -> int:
        """Whole seconds until ``key`` may be allowed again."""
        locked = self.locked_for(key)
        if locked:
            return locked
        hits = self._hits.get(key)
        if not hits:
            return 0
        return max(1, int(self.window_s - (self.clock() - hits[0])) + 1)

    def _window(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._evict(now)
            hits = self._hits[key] = deque()
        while hits and now - hits[0] >= self.window_s:
            hits.popleft()
        return hits

    def _evict(self, now: float) -> None:
        for k in [k for k, h in self._hits.items() if not h or now - h[-1] >= self.window_s]:
            del self._hits[k]
        for k in [k for k, until in self._locked_until.items() if until <= now]:
            del self._locked_until[k]
        if len(self._hits) >= self.max_keys:  # still full: forget the oldest half
            for k in list(self._hits)[: self.max_keys // 2]:
                del self._hits[k]


class LoginGuard:
    """Console login limits by client address and username, so nobody can lock an officer out:

    - failures per (address, username): ``pair_limit`` within a minute locks that pair for
      ``pair_lockout_s`` — the officer at another address logs in as usual;
    - failures per address (any username): ``address_limit`` within a minute locks the address for
      ``address_lockout_s`` — random usernames from one address stop costing password hashes.

    A success forgets the pair's failures. ``locked_for`` says how long a try must wait (0: go)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, pair_limit: int = 5,
                 pair_lockout_s: float = 60.0, address_limit: int = 20, address_lockout_s: float = 300.0,
                 max_keys: int = 20_000):
        self.pair = RateLimiter(pair_limit, 60.0, clock, max_keys=max_keys, lockout_s=pair_lockout_s)
        self.address = RateLimiter(address_limit, 60.0, clock, max_keys=max_keys, lockout_s=address_lockout_s)

    @staticmethod
    def _pair(address: str, username: str) -> str:
        return f"{address}\n{username.strip().lower()}"

    def locked_for(self, address: str, username: str) -> int:
        return max(self.pair.locked_for(self._pair(address, username)), self.address.locked_for(address))

    def failed(self, address: str, username: str) -> None:
        self.pair.hit(self._pair(address, username))
        self.address.hit(address)

    def succeeded(self, address: str, username: str) -> None:
        self.pair.forget(self._pair(address, username))
