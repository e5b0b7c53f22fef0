"""End-to-end REST latency and memory of the running assistant.

    make bench-latency                 # starts Rasa + action server + gateway on spare ports
    make bench-latency ARGS="-n 400"

Sends the labelled questions one after another (as one user each, like real traffic) after a
warm-up, first to Rasa's REST channel, then through the gateway's web-widget route (the product
path: message stored, routed, Rasa, replies stored), and prints p50/p95/max latency of each and
the resident memory of each server process (with its children).
"""
from __future__ import annotations

import argparse
import itertools
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from scripts.stack import Stack, StackConfig

from .common import load_questions, percentile


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, in MB (Linux /proc)."""
    total = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                pids.extend(int(c) for c in children)
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
    return total / 1024


def own_config(off: int, work: Path) -> StackConfig:
    """The measured stack's ports (below the kernel's ephemeral port range, where a client connection
    could hold one) and its own data directory."""
    return StackConfig(rasa_port=25005 + off, action_port=25055 + off, gateway_port=28000 + off,
                       action_metrics_port=28155 + off, var_dir=work, log_dir=work / "logs",
                       extra_env={"HANDOFF_DATABASE_URL": f"sqlite:///{work / 'handoff.db'}",
                                  "HANDOFF_FAKE_NOW": "2026-11-30T10:00:00+08:00",
                                  "WIDGET_RATE_PER_ADDRESS": "0"})  # every request comes from 127.0.0.1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=300, help="measured requests")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--port-offset", type=int, default=0,
                    help="added to the stack's ports (25005, 25055, 28000), e.g. to run beside another stack")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    stack = Stack(own_config(args.port_offset, work))
    cfg = stack.cfg
    stack.start()
    try:
        t0 = time.perf_counter()
        stack.wait_ready(timeout=400)
        print(f"stack ready in {time.perf_counter() - t0:.0f}s")
        questions = [q["q"] for q in load_questions()]

        def measure(label: str, send) -> None:
            texts = itertools.cycle(questions)
            lat: list[float] = []
            with httpx.Client(timeout=60) as client:
                for i in range(args.warmup + args.n):
                    sender = f"bench-{uuid.uuid4().hex[:16]}"
                    t = time.perf_counter()
                    send(client, sender, next(texts)).raise_for_status()
                    if i >= args.warmup:
                        lat.append((time.perf_counter() - t) * 1000)
            print(f"{label}, n={len(lat)} sequential, new sender each: "
                  f"p50 {percentile(lat, 50):.0f} ms  p95 {percentile(lat, 95):.0f} ms  max {max(lat):.0f} ms",
                  flush=True)

        measure("REST /webhooks/rest/webhook", lambda c, sender, text: c.post(
            f"{cfg.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}))
        measure("gateway POST /api/widget/messages", lambda c, sender, text: c.post(
            f"{cfg.gateway_url}/api/widget/messages", json={"session_id": sender, "text": text}))
        for name, proc in stack.procs.items():
            print(f"   RSS {name:8} {rss_mb(proc.pid):7.0f} MB")
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
