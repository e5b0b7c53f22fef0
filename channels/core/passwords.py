"""Officer passwords: argon2id hashes (argon2-cffi defaults), constant-time checks, the length limits."""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024

T = TypeVar("T")

_hasher = PasswordHasher()
_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if ``password`` matches. With ``password_hash=None`` (unknown user) a dummy hash is
    verified all the same, so an unknown user costs the same time as a wrong password."""
    global _dummy_hash
    if password_hash is None:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash("not-a-real-password-0000")
        try:
            _hasher.verify(_dummy_hash, password)
        except (VerificationError, InvalidHashError):
            pass
        return False  # even if it happened to match the dummy
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


class HashingBusy(Exception):
    """More password checks are waiting than the pool takes: refuse now rather than queue."""


class PasswordPool:
    """Password hashing and checks (argon2: ~64 MiB and tens of ms of CPU each) in their own small
    thread pool, so a burst of logins cannot take the threads the store calls of the widget, LINE
    and the console run in (``asyncio.to_thread``). At most ``workers`` run at once and ``queue``
    wait; beyond that ``run`` raises ``HashingBusy`` at once (the console answers 429)."""

    def __init__(self, workers: int = 1, queue: int = 4):
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self._slots = workers + queue
        self._used = 0
        self._guard = threading.Lock()

    @property
    def full(self) -> bool:
        """No room for another check now (a caller can refuse before any other work)."""
        return self._used >= self._slots

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        with self._guard:
            if self._used >= self._slots:
                raise HashingBusy()
            self._used += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        finally:
            with self._guard:
                self._used -= 1

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await self.run(verify_password, password_hash, password)

    async def hash(self, password: str) -> str:
        return await self.run(hash_password, password)


default_pool = PasswordPool()
