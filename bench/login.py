"""Console latency under a login flood (issue 13, item 2): ``GET /console/api/me`` p50/p95 while
30 parallel clients keep posting logins with random usernames. Bounded: stops after ``--seconds``.

    .venv/app/bin/python -m bench.login                    # own gateway (uvicorn, SQLite in a temp dir)
    .venv/app/bin/python -m bench.login --parallel 30 --seconds 15 --same-address

By default every login comes from its own X-Forwarded-For address (uvicorn runs with
``--proxy-headers``), the worst case: many addresses, so the per-address lockout does not stop them
and only the bounded password pool protects the rest. ``--same-address`` sends them all from one.
It prints the baseline (no logins), the figures under the flood, and the login answers by status.

Measured 2026-11-28 on the shared 2-core machine (load 6-7), 15 s, 30 clients: GET /console/api/me
p50 28 ms (a new address each) and 34 ms (one address), p95 ~250 ms; baseline p50 9-11 ms. Before
issue 13 (argon2 in the shared thread pool, no per-address lockout) the same bench timed out (a
30 s ReadTimeout on GET /console/api/me).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

from .common import percentile

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-123"


def start_gateway(port: int, work: Path) -> subprocess.Popen:
    from channels.core.passwords import hash_password
    from channels.core.store import open_store

    url = f"sqlite:///{work / 'handoff.db'}"
    store = open_store(url)
    store.create_officer("bench", "測試專員", hash_password(PASSWORD))
    store.dispose()
    env = {**os.environ, "HANDOFF_DATABASE_URL": url, "AGENT_ASSIST": "false", "PYTHONPATH": str(ROOT),
           "RASA_URL": "http://127.0.0.1:9", "ACTION_SERVER_URL": "http://127.0.0.1:9"}
    return subprocess.Popen([sys.executable, "-m", "uvicorn", "channels.app:app", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning", "--proxy-headers",
                             "--forwarded-allow-ips", "127.0.0.1"], env=env, cwd=ROOT)


async def wait_up(base: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, timeout=2) as c:
        while time.monotonic() < deadline:
            try:
                if (await c.get("/console")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise TimeoutError("the gateway did not start")


async def me_latencies(c: httpx.AsyncClient, seconds: float, gap: float = 0.05) -> list[float]:
    out: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.perf_counter()
        resp = await c.get("/console/api/me")
        out.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, resp.status_code
        await asyncio.sleep(gap)
    return out


async def flood(base: str, end: float, same_address: bool, statuses: Counter) -> None:
    address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        while time.monotonic() < end:
            ip = address if same_address else f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
            try:
                resp = await c.post("/console/api/login", headers={"X-Forwarded-For": ip},
                                    json={"username": uuid.uuid4().hex[:12], "password": "x" * 16})
                statuses[resp.status_code] += 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1


def summary(name: str, ms: list[float]) -> str:
    return (f"{name}: n={len(ms)} p50={percentile(ms, 50):.1f} ms p95={percentile(ms, 95):.1f} ms "
            f"max={max(ms):.1f} ms")


async def run(base: str, parallel: int, seconds: float, same_address: bool) -> dict:
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        resp = await c.post("/console/api/login", json={"username": "bench", "password": PASSWORD})
        resp.raise_for_status()
        baseline = await me_latencies(c, min(5.0, seconds))
        statuses: Counter = Counter()
        end = time.monotonic() + seconds
        attackers = [asyncio.create_task(flood(base, end, same_address, statuses)) for _ in range(parallel)]
        await asyncio.sleep(0.5)
        loaded = await me_latencies(c, seconds - 0.5)
        await asyncio.gather(*attackers)
    return {"baseline": baseline, "loaded": loaded, "statuses": statuses}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.login", description=__doc__.split("\n\n")[0])
    ap.add_argument("--parallel", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--same-address", action="store_true")
    ap.add_argument("--gateway", help="a running gateway (its officer 'bench' must exist); default: start one")
    ap.add_argument("--port", type=int, default=18900 + int(os.environ.get("HOTLINE_TEST_PORT_OFFSET", "0")))
    a = ap.parse_args(argv)
    proc = None
    work = Path(tempfile.mkdtemp(prefix="bench-login-"))
    base = a.gateway or f"http://127.0.0.1:{a.port}"
    try:
        if not a.gateway:
            proc = start_gateway(a.port, work)
            asyncio.run(wait_up(base))
        r = asyncio.run(run(base, a.parallel, a.seconds, a.same_address))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
    print(f"{a.parallel} parallel random-username logins for {a.seconds:.0f} s "
          f"({'one address' if a.same_address else 'a new X-Forwarded-For address each'}), load {os.getloadavg()[0]:.2f}")
    print("  " + summary("GET /console/api/me, no logins   ", r["baseline"]))
    print("  " + summary("GET /console/api/me, under flood ", r["loaded"]))
    print("  login answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items(), key=str)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
