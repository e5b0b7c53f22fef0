"""Bounded closed-loop load on the widget API and Rasa's REST channel, loopback only.

    make bench-load                                   # own stack on spare ports, 16 conversations, 60 s
    make bench-load ARGS="-c 8 -d 20 --target rasa"
    make bench-load ARGS="--long 200"                 # one conversation, 200 turns, p50 per 25 turns
    make bench-load ARGS="--soak 600 --window 60 -c 4 --target rasa"
                                                      # 10 min of load; RSS of each server after every
                                                      # minute and its growth over the second half
    make bench-load ARGS="--ab HOTLINE_QUERY_CACHE=0,HOTLINE_NLU_CACHE=0 -d 30"
                                                      # two stacks (A: those env vars, B: defaults), rounds
                                                      # interleaved A,B,A,B so both see the same machine load
    .venv/app/bin/python -m bench.load --gateway http://127.0.0.1:8000 --rasa http://127.0.0.1:5005

Closed loop: each of N conversations sends its next message when the reply to the previous one
arrives. A run stops by itself at the duration or at the message cap, whichever comes first. It
prints messages/s, p50/p95/p99 latency and errors, then reads the stored history back (widget:
``GET /api/widget/messages``; Rasa: ``GET /conversations/<id>/tracker``) and counts every message that
got a 200 but is not there ("missing"). CPU per message for each server process comes from
/proc/<pid>/stat (utime+stime of the process and its children) before and after; the pids are the
stack's own or, for a running stack, the ones listening on the URLs' ports.

Not done yet (issue 14): the stock ``rasa init`` bot side by side.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

from .common import load_questions, percentile

CLK_TCK = os.sysconf("SC_CLK_TCK")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
HANDOFF_INTENTS = {"request_human", "complain", "case_status"}


# ---------------------------------------------------------------- processes (Linux /proc)
def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return out


def cpu_seconds(pid: int) -> float:
    """utime+stime of a process and its live descendants, in seconds."""
    total = 0
    for p in descendants(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])   # utime, stime (fields 14, 15 of stat)
    return total / CLK_TCK


def rss_mb(pid: int) -> float:
    total = 0
    for p in descendants(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
    return total / 1024


def pid_listening_on(port: int) -> int | None:
    """The (readable) process that holds a listening TCP socket on ``port``, from /proc/net/tcp*."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{cols[9]}]")
    if not inodes:
        return None
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                found.append(int(proc.name))
        except (PermissionError, FileNotFoundError, ProcessLookupError, NotADirectoryError):
            continue
    if not found:
        return None
    # the topmost of the holders (Sanic's workers share the socket with their parent)
    found_set = set(found)
    for pid in sorted(found):
        try:
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError):
            continue
        if ppid not in found_set:
            return pid
    return found[0]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---------------------------------------------------------------- the load
@dataclass
class Sent:
    conversation: str
    text: str
    status: int
    ms: float
    message_id: int | None = None  # the widget's stored user message
    handoff: bool = False          # widget: the conversation had an open officer ticket at the reply


@dataclass
class Result:
    label: str
    conversations: int
    seconds: float
    sent: list[Sent] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)      # seconds of CPU per process during the run
    missing: int = 0
    checked: int = 0

    @property
    def ok(self) -> list[Sent]:
        return [s for s in self.sent if s.status == 200]

    def summary(self) -> dict:
        lat = [s.ms for s in self.ok]
        n_ok = len(lat)
        return {
            "label": self.label, "conversations": self.conversations,
            "messages": len(self.sent), "ok": n_ok, "errors": len(self.sent) - n_ok,
            "seconds": round(self.seconds, 2),
            "msg_per_s": round(n_ok / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": round(percentile(lat, 50), 1), "p95_ms": round(percentile(lat, 95), 1),
            "p99_ms": round(percentile(lat, 99), 1),
            "checked": self.checked, "missing": self.missing,
            # replies given while the conversation was with an officer (the bot was not asked)
            "in_handoff": sum(1 for s in self.ok if s.handoff),
            "cpu_ms_per_msg": {name: round(sec * 1000 / n_ok, 1) if n_ok else None
                               for name, sec in self.cpu.items()},
        }


def _check_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load {url}: loopback only (127.0.0.1 / localhost)")


class Target:
    """How to send one message and read a conversation's history back."""
    name = "?"

    def __init__(self, base: str, token: str | None = None) -> None:
        _check_loopback(base)
        self.base, self.token = base.rstrip("/"), token

    def new_conversation(self, prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:20]}"

    async def send(self, client: httpx.AsyncClient, conversation: str, text: str) -> tuple[int, int | None]:
        raise NotImplementedError

    async def missing(self, client: httpx.AsyncClient, conversation: str, sent: list[Sent]) -> int:
        raise NotImplementedError


class Widget(Target):
    name = "widget"

    def __init__(self, base: str, token: str | None = None) -> None:
        super().__init__(base, token)
        # conversations that got an open officer ticket: their messages no longer go to the bot
        self.handoff_conversations: set[str] = set()

    async def send(self, client, conversation, text):
        r = await client.post(f"{self.base}/api/widget/messages", json={"session_id": conversation, "text": text})
        mid = None
        if r.status_code == 200:
            body = r.json()
            mid = (body.get("user_message") or {}).get("id")
            if body.get("handoff"):
                self.handoff_conversations.add(conversation)
        return r.status_code, mid

    async def missing(self, client, conversation, sent):
        stored: set = set()
        after = 0
        while True:  # the API answers a page at a time (the store's limit): read on after the last id
            r = await client.get(f"{self.base}/api/widget/messages",
                                 params={"session_id": conversation, "after": str(after)})
            r.raise_for_status()
            page = r.json()["messages"]
            if not page:
                break
            stored |= {(m.get("id"), m.get("text")) for m in page}
            after = max(int(m["id"]) for m in page)
        return sum(1 for s in sent if (s.message_id, s.text) not in stored)


class RasaRest(Target):
    name = "rasa"

    async def send(self, client, conversation, text):
        r = await client.post(f"{self.base}/webhooks/rest/webhook", json={"sender": conversation, "message": text})
        return r.status_code, None

    async def missing(self, client, conversation, sent):
        params = {"token": self.token} if self.token else {}
        r = await client.get(f"{self.base}/conversations/{conversation}/tracker", params=params)
        r.raise_for_status()
        stored = [e.get("text") for e in r.json().get("events", []) if e.get("event") == "user"]
        missing = 0
        for s in sent:  # each sent text must appear once per time it was sent
            if s.text in stored:
                stored.remove(s.text)
            else:
                missing += 1
        return missing


async def run_load(target: Target, *, conversations: int, duration: float, cap: int,
                   pids: dict[str, int] | None = None, label: str | None = None,
                   texts: list[str] | None = None, timeout: float = 30.0) -> Result:
    """N closed-loop conversations until ``duration`` seconds or ``cap`` messages; then the history check."""
    texts = texts or [q["q"] for q in load_questions()]
    pids = pids or {}
    result = Result(label or target.name, conversations, 0.0)
    budget = {"left": cap}
    limits = httpx.Limits(max_connections=conversations + 4, max_keepalive_connections=conversations + 4)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        t0 = time.perf_counter()
        deadline = t0 + duration

        async def conversation(i: int) -> None:
            conv = target.new_conversation(f"load{i}")
            k = i * 7  # each conversation starts at a different question
            while time.perf_counter() < deadline and budget["left"] > 0:
                budget["left"] -= 1
                text = texts[k % len(texts)]
                k += 1
                t = time.perf_counter()
                try:
                    status, mid = await target.send(client, conv, text)
                except httpx.HTTPError:
                    status, mid = 0, None
                result.sent.append(Sent(conv, text, status, (time.perf_counter() - t) * 1000, mid,
                                        conv in getattr(target, "handoff_conversations", ())))

        await asyncio.gather(*(conversation(i) for i in range(conversations)))
        result.seconds = time.perf_counter() - t0
        result.cpu = {name: cpu_seconds(pid) - cpu0[name] for name, pid in pids.items()}
        by_conv: dict[str, list[Sent]] = {}
        for s in result.ok:
            by_conv.setdefault(s.conversation, []).append(s)
        for conv, sent in by_conv.items():
            result.checked += len(sent)
            result.missing += await target.missing(client, conv, sent)
    return result


async def run_long(target: Target, *, turns: int, step: int = 25, texts: list[str] | None = None,
                   timeout: float = 30.0, pids: dict[str, int] | None = None) -> dict:
    """One conversation for ``turns`` turns; p50 per ``step`` turns."""
    return (await run_long_interleaved([(target.name, target, pids or {})], turns=turns, step=step,
                                       texts=texts, timeout=timeout))[0]


async def run_long_interleaved(runs: list[tuple[str, Target, dict[str, int]]], *, turns: int, step: int = 25,
                               texts: list[str] | None = None, timeout: float = 30.0) -> list[dict]:
    """One long conversation per (label, target, pids), their turns interleaved (turn k of each, in
    turn), so every stack sees the same machine load at the same point of the conversation. Per block
    of ``step`` turns: p50 latency and the CPU each server spent per turn (/proc: the work a turn
    costs, much less sensitive than latency to what else the machine is doing)."""
    texts = texts or [q["q"] for q in load_questions()]
    state = []
    for label, target, pids in runs:
        state.append({"label": label, "target": target, "pids": pids, "conv": target.new_conversation("long"),
                      "lat": [], "errors": 0, "sent": [], "cpu": {n: [] for n in pids}, "cpu0": {}})
    async with httpx.AsyncClient(timeout=timeout) as client:
        for k in range(turns):
            text = texts[k % len(texts)]
            for st in state:
                if k % step == 0:
                    st["cpu0"] = {n: cpu_seconds(p) for n, p in st["pids"].items()}
                t = time.perf_counter()
                try:
                    status, mid = await st["target"].send(client, st["conv"], text)
                except httpx.HTTPError:
                    status, mid = 0, None
                ms = (time.perf_counter() - t) * 1000
                st["lat"].append(ms)
                if status == 200:
                    st["sent"].append(Sent(st["conv"], text, status, ms, mid))
                else:
                    st["errors"] += 1
                if k % step == step - 1 or k == turns - 1:
                    n = k % step + 1
                    for name, pid in st["pids"].items():
                        st["cpu"][name].append(round((cpu_seconds(pid) - st["cpu0"][name]) * 1000 / n, 1))
        out = []
        for st in state:
            missing = await st["target"].missing(client, st["conv"], st["sent"])
            lat = st["lat"]
            blocks = [round(percentile(lat[i:i + step], 50), 1) for i in range(0, len(lat), step)]
            out.append({"label": f"{st['label']} long", "turns": turns, "errors": st["errors"], "missing": missing,
                        "handed_off": st["conv"] in getattr(st["target"], "handoff_conversations", ()),
                        "p50_per_block_ms": blocks,
                        "last_over_first": round(blocks[-1] / blocks[0], 2) if blocks else None,
                        "cpu_ms_per_turn_per_block": st["cpu"]})
    return out


async def run_soak(target: Target, *, seconds: float, window: float, conversations: int,
                   pids: dict[str, int], texts: list[str], label: str) -> dict:
    """Closed-loop load for ``seconds`` in windows of ``window`` seconds (fresh conversations each
    window, like new callers); the RSS of every server after each window. ``growth_mb_per_min`` is
    the least-squares slope of each server's RSS over the second half of the windows (after warm-up:
    caches filling, lazy loading), the steady growth a leak would show."""
    samples: list[dict] = []
    t0 = time.perf_counter()
    rss0 = {n: round(rss_mb(p), 1) for n, p in pids.items()}
    print(json.dumps({"label": label, "t_s": 0, "rss_mb": rss0}), flush=True)
    n_windows = max(1, int(seconds // window))
    errors = missing = sent = 0
    for _ in range(n_windows):
        res = await run_load(target, conversations=conversations, duration=window, cap=10 ** 6, pids={},
                             label=label, texts=texts)
        errors += len(res.sent) - len(res.ok)
        missing += res.missing
        sent += len(res.sent)
        row = {"label": label, "t_s": round(time.perf_counter() - t0),
               "msgs": len(res.sent), "p50_ms": round(percentile([s.ms for s in res.ok] or [0], 50), 1),
               "rss_mb": {n: round(rss_mb(p), 1) for n, p in pids.items()}}
        samples.append(row)
        print(json.dumps(row), flush=True)

    def slope(points: list[tuple[float, float]]) -> float:
        if len(points) < 2:
            return 0.0
        mx = sum(x for x, _ in points) / len(points)
        my = sum(y for _, y in points) / len(points)
        den = sum((x - mx) ** 2 for x, _ in points) or 1.0
        return sum((x - mx) * (y - my) for x, y in points) / den

    half = samples[len(samples) // 2:] if len(samples) >= 4 else samples
    growth = {n: round(slope([(r["t_s"] / 60, r["rss_mb"][n]) for r in half]), 2) for n in pids}
    return {"label": f"{label} soak", "seconds": round(time.perf_counter() - t0), "messages": sent,
            "errors": errors, "missing": missing, "rss_start_mb": rss0,
            "rss_end_mb": samples[-1]["rss_mb"] if samples else rss0,
            "growth_mb_per_min_second_half": growth}


# ---------------------------------------------------------------- printing and the command line
def print_summary(s: dict) -> None:
    cpu = "  ".join(f"{k} {v}" for k, v in s["cpu_ms_per_msg"].items()) or "-"
    print(f"{s['label']:<14} c={s['conversations']:<3} {s['msg_per_s']:6.2f} msg/s  "
          f"p50 {s['p50_ms']:6.0f}  p95 {s['p95_ms']:6.0f}  p99 {s['p99_ms']:6.0f} ms  "
          f"n={s['ok']} errors={s['errors']} missing={s['missing']}/{s['checked']} "
          f"in_handoff={s['in_handoff']}  "
          f"CPU ms/msg: {cpu}", flush=True)


def _own_stack(offset: int, env: dict[str, str]):
    from scripts.stack import Stack, StackConfig

    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    cfg = StackConfig(rasa_port=36005 + offset, action_port=36055 + offset, gateway_port=39000 + offset,
                      var_dir=work, log_dir=work / "logs",
                      extra_env={"HANDOFF_DATABASE_URL": f"sqlite:///{work / 'handoff.db'}",
                                 "HANDOFF_FAKE_NOW": "2026-11-30T10:00:00+08:00",
                                 "WIDGET_RATE_PER_ADDRESS": "0", "WIDGET_RATE_PER_SESSION": "0", **env})
    return Stack(cfg)


def _parse_env(spec: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in spec.split(",") if kv)


async def _measure(stack_name: str, gateway: str | None, rasa: str | None, pids: dict[str, int],
                   args, token: str | None) -> list[dict]:
    out = []
    targets: list[Target] = []
    if gateway and args.target in ("widget", "both"):
        targets.append(Widget(gateway))
    if rasa and args.target in ("rasa", "both"):
        targets.append(RasaRest(rasa, token))
    # questions that hand the conversation to an officer (after which the bot no longer answers it)
    # are left out unless asked for: the load is on the bot's path
    texts = [q["q"] for q in load_questions() if args.all_intents or q.get("intent") not in HANDOFF_INTENTS]
    if args.texts:
        texts = texts[:args.texts]
    for t in targets:
        if args.soak:
            r = await run_soak(t, seconds=args.soak, window=args.window, conversations=args.conversations,
                               pids=pids, texts=texts, label=f"{stack_name} {t.name}".strip())
            print(json.dumps(r, ensure_ascii=False), flush=True)
            out.append(r)
            continue
        if args.long:
            r = await run_long(t, turns=args.long, texts=texts, pids=pids)
            r["label"] = f"{stack_name} {r['label']}".strip()
            print(json.dumps(r, ensure_ascii=False), flush=True)
            out.append(r)
            continue
        res = await run_load(t, conversations=args.conversations, duration=args.duration, cap=args.cap,
                             pids=pids, label=f"{stack_name} {t.name}".strip(), texts=texts)
        s = res.summary()
        print_summary(s)
        out.append(s)
    return out


def _long_targets(name: str, gateway: str | None, rasa: str | None, args) -> list[tuple[str, Target]]:
    out: list[tuple[str, Target]] = []
    if gateway and args.target in ("widget", "both"):
        out.append((f"{name} widget".strip(), Widget(gateway)))
    if rasa and args.target in ("rasa", "both"):
        out.append((f"{name} rasa".strip(), RasaRest(rasa, args.rasa_token)))
    return out


async def _long_side_by_side(stacks: dict, args) -> list[dict]:
    texts = [q["q"] for q in load_questions() if args.all_intents or q.get("intent") not in HANDOFF_INTENTS]
    if args.texts:
        texts = texts[:args.texts]
    runs = []
    for name, st in stacks.items():
        pids = {n: p.pid for n, p in st.procs.items() if n != "gateway" or args.target != "rasa"}
        runs += [(label, t, pids) for label, t in _long_targets(name, st.cfg.gateway_url, st.cfg.rasa_url, args)]
    out = await run_long_interleaved(runs, turns=args.long, texts=texts)
    for r in out:
        print(json.dumps(r, ensure_ascii=False), flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-c", "--conversations", type=int, default=16)
    ap.add_argument("-d", "--duration", type=float, default=60.0, help="seconds per run")
    ap.add_argument("--cap", type=int, default=5000, help="at most this many messages per run")
    ap.add_argument("--target", choices=("widget", "rasa", "both"), default="both")
    ap.add_argument("--long", type=int, default=0, metavar="TURNS", help="one conversation for TURNS turns")
    ap.add_argument("--soak", type=float, default=0, metavar="SECONDS",
                    help="load for SECONDS in windows of --window seconds, printing each server's RSS")
    ap.add_argument("--window", type=float, default=60.0, help="seconds per --soak window")
    ap.add_argument("--gateway", help="a running gateway (e.g. http://127.0.0.1:8000) instead of an own stack")
    ap.add_argument("--rasa", help="a running Rasa (e.g. http://127.0.0.1:5005)")
    ap.add_argument("--rasa-token", default=os.environ.get("RASA_TOKEN"))
    ap.add_argument("--ab", metavar="K=V,...", help="start two stacks, A with these env vars, B without; "
                                                   "interleave rounds")
    ap.add_argument("--rounds", type=int, default=2, help="rounds per stack with --ab")
    ap.add_argument("--texts", type=int, default=0, metavar="N",
                    help="use only the first N questions of bench/questions.yml (repeated questions, as on a "
                         "hotline); default all 504, each distinct")
    ap.add_argument("--all-intents", action="store_true",
                    help="also send the questions that hand the conversation to an officer")
    ap.add_argument("--port-offset", type=int, default=0, help="added to the own stacks' ports (36005, 39000, …)")
    ap.add_argument("--json", type=Path, help="also write every summary to this file")
    args = ap.parse_args(argv)

    print(f"load average {load_average()} on {os.cpu_count()} CPUs", flush=True)
    summaries: list[dict] = []
    if args.gateway or args.rasa:
        pids = {}
        for name, url in (("gateway", args.gateway), ("rasa", args.rasa)):
            if url:
                _check_loopback(url)
                pid = pid_listening_on(urlparse(url).port or 80)
                if pid:
                    pids[name] = pid
        summaries += asyncio.run(_measure("", args.gateway, args.rasa, pids, args, args.rasa_token))
    else:
        off = args.port_offset
        stacks = {"": _own_stack(off, {})} if not args.ab else {
            "A": _own_stack(off, _parse_env(args.ab)), "B": _own_stack(off + 100, {})}
        try:
            for st in stacks.values():
                st.start()
            t0 = time.perf_counter()
            for st in stacks.values():
                st.wait_ready(timeout=600)
            print(f"ready in {time.perf_counter() - t0:.0f}s", flush=True)
            rounds = args.rounds if args.ab else 1
            if args.long:       # the stacks' long conversations side by side, turn by turn
                rounds = 0
                summaries += asyncio.run(_long_side_by_side(stacks, args))
            for rnd in range(rounds):
                order = list(stacks.items()) if rnd % 2 == 0 else list(reversed(stacks.items()))
                for name, st in order:
                    pids = {n: p.pid for n, p in st.procs.items()}
                    summaries += asyncio.run(_measure(name, st.cfg.gateway_url, st.cfg.rasa_url, pids,
                                                      args, args.rasa_token))
            for name, st in stacks.items():
                rss = "  ".join(f"{n} {rss_mb(p.pid):.0f} MB" for n, p in st.procs.items())
                print(f"RSS {name or 'stack'}: {rss}", flush=True)
        finally:
            for st in stacks.values():
                st.stop()
    print(f"load average {load_average()}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(summaries, ensure_ascii=False, indent=1), "utf-8")
    bad = any(s.get("errors") or s.get("missing") for s in summaries)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
