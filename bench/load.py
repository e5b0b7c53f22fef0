"""Bounded closed-loop load on the widget API and Rasa's REST channel, loopback only.

    make bench-load                                   # own stack on spare ports, 16 conversations, 60 s
    make bench-load ARGS="-c 16 -d 60 --target widget"
    make bench-load ARGS="-c 16 -d 60 --vs-stock"     # ours and a stock `rasa init` bot on Rasa REST,
                                                      # rounds interleaved; ratio ours/stock
    make bench-load ARGS="--startup 3"                # make run-style start until all three are ready
    make bench-load ARGS="--long 200"                 # one conversation, 200 turns, p50 per 25 turns
    make bench-load ARGS="--soak 600 --window 60 -c 4 --target rasa"
                                                      # 10 min of load; RSS of each server after every
                                                      # minute and its growth over the second half
    make bench-load ARGS="--ab HOTLINE_QUERY_CACHE=0,HOTLINE_NLU_CACHE=0 -d 30"
                                                      # two stacks (A: those env vars, B: defaults), rounds
                                                      # interleaved A,B,B,A so both see the same machine load
    .venv/app/bin/python -m bench.load --gateway http://127.0.0.1:8000 --rasa http://127.0.0.1:5005

Closed loop: each of N conversations sends its next message when the reply to the previous one
arrives. A run stops by itself at the duration or at the message cap, whichever comes first. It
prints messages/s, p50/p95/p99 latency and errors, then reads the stored history back (widget:
``GET /api/widget/messages``; Rasa: ``GET /conversations/<id>/tracker``) and counts every message that
got a 200 but is not there ("missing"). CPU per message for each server process comes from
/proc/<pid>/stat (utime+stime of the process and its children) before and after; the pids are the
stack's own or, for a running stack, the ones listening on the URLs' ports. At the end: each
server's resident memory and their sum.

The question mix (``--mix hotline``, the default): the programme questions of bench/questions.yml
(those a knowledge entry answers) and of the blind dev set, each sent once first through Rasa REST
(a fresh conversation each) to keep the ones the bot answers, then drawn at random with Zipf weights
(a few asked very often, a long tail). Two unanswered questions in a row hand a widget conversation
to an officer (reason misunderstood), after which the widget load would measure the gateway's handoff
path; ``in_handoff`` counts replies given in such conversations and should be ~0. ``--mix cycle``,
``--texts N`` and ``--all-intents`` keep the old mix (bench/questions.yml's questions in turn).

``--vs-stock``: the stock bot is ``rasa init --no-prompt`` built once into build/stock-rasa/ with the
same Rasa (bench/stock.py), served with the in-memory tracker store and no action server.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

from observe.pii import mask

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
            # replies given once the conversation had been handed to an officer (widget: the bot was not
            # asked; Rasa REST: after a reply that carried a handoff payload)
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
        # the gateway stores a message with its personal data masked (a phone number, an email: the
        # privacy rule), so a sent text is found as itself or as its masked form
        return sum(1 for s in sent
                   if (s.message_id, s.text) not in stored and (s.message_id, mask(s.text)) not in stored)


class RasaRest(Target):
    name = "rasa"

    def __init__(self, base: str, token: str | None = None) -> None:
        super().__init__(base, token)
        # conversations whose reply carried a handoff payload (through the gateway, an officer would
        # take them over; on Rasa REST the bot goes on answering)
        self.handoff_conversations: set[str] = set()

    async def send(self, client, conversation, text):
        r = await client.post(f"{self.base}/webhooks/rest/webhook", json={"sender": conversation, "message": text})
        if r.status_code == 200 and b'"handoff"' in r.content:
            if any((m.get("custom") or {}).get("type") == "handoff" for m in r.json()):
                self.handoff_conversations.add(conversation)
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


# ---------------------------------------------------------------- the hotline question mix
BLIND_DEV = Path(__file__).resolve().parent / "blind" / "dev.yml"
ANSWERED = {"cited_answer", "calculation"}     # knowledge/contract.py outcome kinds that answer the question
BLIND_UNANSWERED_KINDS = {"out_of_scope", "unanswerable"}


def hotline_candidates() -> list[str]:
    """The programme questions a hotline gets: bench/questions.yml's questions that a knowledge entry
    answers (not the greetings, thanks, out-of-scope or officer-handoff ones) and the blind dev set's
    answerable questions (bench/blind/dev.yml), each text once."""
    import yaml

    texts = [q["q"] for q in load_questions() if q.get("entry") and q.get("intent") not in HANDOFF_INTENTS]
    blind = yaml.safe_load(BLIND_DEV.read_text("utf-8"))["questions"]
    texts += [q["q"] for q in blind if q.get("kind") not in BLIND_UNANSWERED_KINDS and q.get("expect")]
    return list(dict.fromkeys(t.strip() for t in texts if t and t.strip()))


async def probe_answered(rasa: "RasaRest", texts: list[str], *, concurrency: int = 4,
                         timeout: float = 60.0) -> tuple[list[str], dict[str, int]]:
    """Each text once, in a fresh conversation, through Rasa REST; keep the ones the bot answers
    (an outcome of ``ANSWERED`` and no handoff). Two unanswered questions in a row hand a widget
    conversation to an officer (reason misunderstood), after which the widget load would measure the
    gateway's handoff path, not the bot. Also warms the caches (every kept text has been asked once)."""
    outcome: dict[str, str] = {}
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=timeout) as client:
        async def one(i: int, text: str) -> None:
            async with sem:
                try:
                    r = await client.post(f"{rasa.base}/webhooks/rest/webhook",
                                          json={"sender": f"probe-{uuid.uuid4().hex[:16]}", "message": text})
                    body = r.json() if r.status_code == 200 else []
                except (httpx.HTTPError, ValueError):
                    outcome[text] = "error"
                    return
            custom = [m.get("custom") or {} for m in body]
            if any(c.get("type") == "handoff" for c in custom):
                outcome[text] = "handoff"
                return
            kinds = {c.get("kind") for c in custom if c.get("type") == "outcome"}
            outcome[text] = "answered" if kinds and kinds <= ANSWERED else (",".join(sorted(map(str, kinds))) or "none")
        await asyncio.gather(*(one(i, t) for i, t in enumerate(texts)))
    kept = [t for t in texts if outcome.get(t) == "answered"]
    counts: dict[str, int] = {}
    for v in outcome.values():
        counts[v] = counts.get(v, 0) + 1
    return kept, counts


def zipf_weights(n: int, s: float = 1.0, seed: int = 14) -> list[float]:
    """Zipf weights (rank r gets 1/r^s) over ``n`` texts, the ranks shuffled with a fixed seed: a few
    questions asked very often, a long tail asked rarely, as on a hotline."""
    ranks = list(range(1, n + 1))
    random.Random(seed).shuffle(ranks)
    return [1.0 / r ** s for r in ranks]


def describe_mix(texts: list[str], weights: list[float] | None) -> str:
    if not weights:
        return f"{len(texts)} distinct texts, each in turn"
    total = sum(weights)
    top = sorted(weights, reverse=True)
    return (f"{len(texts)} distinct texts, Zipf draws: the most asked {100 * top[0] / total:.0f}% of messages, "
            f"the top 10 {100 * sum(top[:10]) / total:.0f}%, the top 50 {100 * sum(top[:50]) / total:.0f}%")


async def run_load(target: Target, *, conversations: int, duration: float, cap: int,
                   pids: dict[str, int] | None = None, label: str | None = None,
                   texts: list[str] | None = None, timeout: float = 30.0,
                   weights: list[float] | None = None, seed: int = 14) -> Result:
    """N closed-loop conversations until ``duration`` seconds or ``cap`` messages; then the history check.

    Without ``weights`` each conversation goes through ``texts`` in turn (starting at a different
    one); with them each conversation draws its next text at random with those weights (seeded per
    conversation: the same run draws the same sequences)."""
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
            rng = random.Random(seed * 1000 + i)
            while time.perf_counter() < deadline and budget["left"] > 0:
                budget["left"] -= 1
                text = rng.choices(texts, weights)[0] if weights else texts[k % len(texts)]
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


STOCK_PORT = 26085   # the stock rasa init bot's port (+ offset); the own stacks' below (26005, 29000, …):
# all below the kernel's ephemeral port range, where a client connection could hold one


def _own_stack(offset: int, env: dict[str, str], token: str | None = None):
    from scripts.stack import Stack, StackConfig

    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    cfg = StackConfig(rasa_port=26005 + offset, action_port=26055 + offset, gateway_port=29000 + offset,
                      action_metrics_port=29155 + offset, var_dir=work, log_dir=work / "logs", rasa_token=token,
                      extra_env={"HANDOFF_DATABASE_URL": f"sqlite:///{work / 'handoff.db'}",
                                 "HANDOFF_FAKE_NOW": "2026-11-30T10:00:00+08:00",
                                 "WIDGET_RATE_PER_ADDRESS": "0", "WIDGET_RATE_PER_SESSION": "0", **env})
    return Stack(cfg)


def _parse_env(spec: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in spec.split(",") if kv)


@dataclass
class Mix:
    texts: list[str]
    weights: list[float] | None = None      # None: each text in turn

    def ordered(self) -> "Mix":            # for the long mode: every kept text once, in turn
        return Mix(self.texts, None)


def _cycle_texts(args) -> list[str]:
    texts = [q["q"] for q in load_questions() if args.all_intents or q.get("intent") not in HANDOFF_INTENTS]
    return texts[:args.texts] if args.texts else texts


async def choose_mix(args, rasas: list[RasaRest]) -> Mix:
    """``--mix hotline`` (default): the programme questions, probed once on each given Rasa (those
    every one of them answers are kept), drawn with Zipf weights. ``--mix cycle``, ``--texts N`` or
    ``--all-intents``: bench/questions.yml's questions in turn, as before."""
    if args.mix == "cycle" or args.texts or args.all_intents:
        mix = Mix(_cycle_texts(args))
        print(f"mix: cycle, {describe_mix(mix.texts, None)}", flush=True)
        return mix
    candidates = hotline_candidates()
    if 0 < args.mix_size < len(candidates):   # a seeded sample: the same texts every run
        candidates = random.Random(args.seed).sample(candidates, args.mix_size)
    kept = candidates
    for rasa in rasas:
        t0 = time.perf_counter()
        ok, counts = await probe_answered(rasa, candidates)
        print(f"mix probe on {rasa.base}: {len(candidates)} candidate texts, outcomes {counts} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
        kept = [t for t in kept if t in set(ok)]
    if not rasas:
        print("mix: no Rasa to probe (--rasa not given): the candidates are not checked", flush=True)
    if not kept:
        raise SystemExit("no candidate text was answered by the bot")
    mix = Mix(kept, zipf_weights(len(kept), args.zipf, args.seed))
    print(f"mix: hotline, {describe_mix(mix.texts, mix.weights)} (Zipf s={args.zipf})", flush=True)
    return mix


async def _measure(stack_name: str, gateway: str | None, rasa: str | None, pids: dict[str, int],
                   args, token: str | None, mix: Mix) -> list[dict]:
    out = []
    targets: list[Target] = []
    if gateway and args.target in ("widget", "both"):
        targets.append(Widget(gateway))
    if rasa and args.target in ("rasa", "both"):
        targets.append(RasaRest(rasa, token))
    for t in targets:
        if args.soak:
            r = await run_soak(t, seconds=args.soak, window=args.window, conversations=args.conversations,
                               pids=pids, texts=mix.texts, label=f"{stack_name} {t.name}".strip())
            print(json.dumps(r, ensure_ascii=False), flush=True)
            out.append(r)
            continue
        if args.long:
            r = await run_long(t, turns=args.long, texts=mix.texts, pids=pids)
            r["label"] = f"{stack_name} {r['label']}".strip()
            print(json.dumps(r, ensure_ascii=False), flush=True)
            out.append(r)
            continue
        # the widget's CPU is the whole stack's; Rasa REST does not pass the gateway
        use = pids if t.name == "widget" else {n: p for n, p in pids.items() if n != "gateway"}
        res = await run_load(t, conversations=args.conversations, duration=args.duration, cap=args.cap,
                             pids=use, label=f"{stack_name} {t.name}".strip(), texts=mix.texts,
                             weights=mix.weights, seed=args.seed)
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


async def _long_side_by_side(stacks: dict, args, mix: Mix) -> list[dict]:
    runs = []
    for name, st in stacks.items():
        pids = {n: p.pid for n, p in st.procs.items() if n != "gateway" or args.target != "rasa"}
        runs += [(label, t, pids) for label, t in _long_targets(name, st.cfg.gateway_url, st.cfg.rasa_url, args)]
    out = await run_long_interleaved(runs, turns=args.long, texts=mix.texts)
    for r in out:
        print(json.dumps(r, ensure_ascii=False), flush=True)
    return out


def print_rss(name: str, pids: dict[str, int]) -> dict[str, float]:
    rss = {n: round(rss_mb(p), 1) for n, p in pids.items()}
    each = "  ".join(f"{n} {v:.0f} MB" for n, v in rss.items())
    print(f"RSS {name}: {each}  (sum {sum(rss.values()):.0f} MB)", flush=True)
    return rss


# ---------------------------------------------------------------- make run-style readiness
def measure_startup(offset: int, runs: int = 1) -> list[dict]:
    """Time from starting the three servers (scripts/stack.py's Stack, what ``make run`` runs, with
    a Rasa token as make run makes one) until each is ready: Rasa's /status with the model loaded,
    the action server's /health 200 and the gateway's /health 200 (not degraded: it probes the other
    two). The trained model and index must exist (``make train index``)."""
    import secrets

    from scripts.stack import _get, ready_checks

    out = []
    for i in range(runs):
        stack = _own_stack(offset, {}, token=secrets.token_urlsafe(16))
        checks = ready_checks(stack.cfg)
        checks["gateway"] = lambda cfg=stack.cfg: _get(f"{cfg.gateway_url}/health")[0] == 200
        ready: dict[str, float] = {}
        la0 = load_average()
        t0 = time.perf_counter()
        try:
            stack.start()
            while len(ready) < len(checks) and time.perf_counter() - t0 < 600:
                for name, check in checks.items():
                    if name not in ready and check():
                        ready[name] = round(time.perf_counter() - t0, 1)
                for name, proc in stack.procs.items():
                    if proc.poll() is not None:
                        raise RuntimeError(f"{name} exited ({proc.returncode}) during start" + stack._log_hint(name))
                time.sleep(0.2)
            r = {"label": f"startup {i + 1}", "ready_s": ready,
                 "all_ready_s": max(ready.values()) if len(ready) == len(checks) else None,
                 "load_average_before": la0, "load_average_after": load_average()}
            r["rss_mb"] = {n: round(rss_mb(p.pid), 1) for n, p in stack.procs.items()}
            print(json.dumps(r), flush=True)
            out.append(r)
        finally:
            stack.stop()
    return out


# ---------------------------------------------------------------- ours vs a stock rasa init bot
def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


async def _vs_stock_rounds(ours_rasa: RasaRest, ours_pids: dict[str, int], stock_url: str,
                           stock_pids: dict[str, int], args, mix: Mix) -> list[dict]:
    from .stock import STOCK_TEXTS

    out, pairs = [], []
    for rnd in range(args.rounds):
        order = ["ours", "stock"] if rnd % 2 == 0 else ["stock", "ours"]
        row = {}
        for who in order:
            if who == "ours":
                res = await run_load(ours_rasa, conversations=args.conversations, duration=args.duration,
                                     cap=args.cap, pids=ours_pids, label=f"ours rasa r{rnd + 1}", texts=mix.texts,
                                     weights=mix.weights, seed=args.seed + rnd)
            else:
                res = await run_load(RasaRest(stock_url), conversations=args.conversations,
                                     duration=args.duration, cap=args.cap, pids=stock_pids,
                                     label=f"stock rasa r{rnd + 1}", texts=STOCK_TEXTS,
                                     weights=zipf_weights(len(STOCK_TEXTS), args.zipf, args.seed),
                                     seed=args.seed + rnd)
            s = res.summary()
            print_summary(s)
            out.append(s)
            row[who] = s
        pairs.append(row)
        print(f"round {rnd + 1}: ours/stock messages/s {_ratio(row['ours']['msg_per_s'], row['stock']['msg_per_s'])}×, "
              f"p50 {_ratio(row['ours']['p50_ms'], row['stock']['p50_ms'])}×, "
              f"CPU ms/msg {_ratio(sum(v or 0 for v in row['ours']['cpu_ms_per_msg'].values()), sum(v or 0 for v in row['stock']['cpu_ms_per_msg'].values()))}×",
              flush=True)
    ours_ok = sum(p["ours"]["ok"] for p in pairs)
    stock_ok = sum(p["stock"]["ok"] for p in pairs)
    ours_s = sum(p["ours"]["seconds"] for p in pairs)
    stock_s = sum(p["stock"]["seconds"] for p in pairs)
    ours_cpu = sum(sum(v or 0 for v in p["ours"]["cpu_ms_per_msg"].values()) * p["ours"]["ok"] for p in pairs)
    stock_cpu = sum(sum(v or 0 for v in p["stock"]["cpu_ms_per_msg"].values()) * p["stock"]["ok"] for p in pairs)
    total = {"label": "ours/stock (all rounds)",
             "ours_msg_per_s": round(ours_ok / ours_s, 2) if ours_s else 0.0,
             "stock_msg_per_s": round(stock_ok / stock_s, 2) if stock_s else 0.0,
             "ours_cpu_ms_per_msg": round(ours_cpu / ours_ok, 1) if ours_ok else None,
             "stock_cpu_ms_per_msg": round(stock_cpu / stock_ok, 1) if stock_ok else None}
    total["ratio_msg_per_s"] = _ratio(total["ours_msg_per_s"], total["stock_msg_per_s"])
    print(json.dumps(total), flush=True)
    out.append(total)
    return out


def run_vs_stock(args) -> list[dict]:
    """Our stack and the stock bot up at the same time; rounds interleaved (ours, stock, then stock,
    ours, …) on Rasa REST with the same number of conversations and the same duration and cap."""
    from .stock import StockBot, ensure_stock_model

    model = ensure_stock_model()          # cached under build/stock-rasa; trained once if missing
    stack = _own_stack(args.port_offset, {})
    stock = StockBot(model, STOCK_PORT + args.port_offset, stack.cfg.var_dir / "stock")
    summaries: list[dict] = []
    try:
        t0 = time.perf_counter()
        stack.start()
        stock.start()
        stack.wait_ready(timeout=600)
        stock.wait_ready(timeout=600)
        print(f"ours and the stock bot ready in {time.perf_counter() - t0:.0f}s", flush=True)
        ours = RasaRest(stack.cfg.rasa_url, args.rasa_token)
        mix = asyncio.run(choose_mix(args, [ours]))
        ours_pids = {n: p.pid for n, p in stack.procs.items() if n != "gateway"}
        stock_pids = {"stock_rasa": stock.proc.pid}
        print(f"load average {load_average()} before the rounds", flush=True)
        summaries += asyncio.run(_vs_stock_rounds(ours, ours_pids, stock.url, stock_pids, args, mix))
        print_rss("ours", {n: p.pid for n, p in stack.procs.items()})
        print_rss("stock", stock_pids)
    finally:
        stock.stop()
        stack.stop()
    return summaries


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
    ap.add_argument("--vs-stock", action="store_true",
                    help="our stack and a stock `rasa init` bot (built once under build/stock-rasa) side by side "
                         "on Rasa REST, rounds interleaved; prints the ratio ours/stock")
    ap.add_argument("--startup", type=int, default=0, metavar="N",
                    help="measure N times how long the stack (as make run starts it) takes until Rasa, the "
                         "action server and the gateway are all ready; no load")
    ap.add_argument("--rounds", type=int, default=2, help="rounds per stack with --ab and --vs-stock")
    ap.add_argument("--mix", choices=("hotline", "cycle"), default="hotline",
                    help="hotline (default): the programme questions of bench/questions.yml and bench/blind/dev.yml "
                         "that the bot answers (probed once first, a sample of --mix-size), drawn with Zipf weights; cycle: "
                         "bench/questions.yml's non-handoff questions in turn")
    ap.add_argument("--zipf", type=float, default=1.0, help="Zipf exponent of the hotline mix")
    ap.add_argument("--mix-size", type=int, default=120, metavar="N",
                    help="probe a seeded sample of N of the hotline candidates (0: all ~500; the probe sends "
                         "each once before the load)")
    ap.add_argument("--seed", type=int, default=14, help="seed of the hotline mix's sample and draws")
    ap.add_argument("--texts", type=int, default=0, metavar="N",
                    help="cycle through only the first N questions of bench/questions.yml (implies --mix cycle)")
    ap.add_argument("--all-intents", action="store_true",
                    help="also send the questions that hand the conversation to an officer (implies --mix cycle)")
    ap.add_argument("--port-offset", type=int, default=0, help="added to the own stacks' ports (26005, 29000, …)")
    ap.add_argument("--json", type=Path, help="also write every summary to this file")
    args = ap.parse_args(argv)

    print(f"load average {load_average()} on {os.cpu_count()} CPUs", flush=True)
    summaries: list[dict] = []
    if args.startup:
        summaries += measure_startup(args.port_offset, args.startup)
    elif args.vs_stock:
        summaries += run_vs_stock(args)
    elif args.gateway or args.rasa:
        pids = {}
        for name, url in (("gateway", args.gateway), ("rasa", args.rasa)):
            if url:
                _check_loopback(url)
                pid = pid_listening_on(urlparse(url).port or 80)
                if pid:
                    pids[name] = pid
        mix = asyncio.run(choose_mix(args, [RasaRest(args.rasa, args.rasa_token)] if args.rasa else []))
        summaries += asyncio.run(_measure("", args.gateway, args.rasa, pids, args, args.rasa_token, mix))
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
            mix = asyncio.run(choose_mix(args, [RasaRest(st.cfg.rasa_url) for st in stacks.values()]))
            rounds = args.rounds if args.ab else 1
            if args.long:       # the stacks' long conversations side by side, turn by turn
                rounds = 0
                summaries += asyncio.run(_long_side_by_side(stacks, args, mix.ordered()))
            for rnd in range(rounds):
                order = list(stacks.items()) if rnd % 2 == 0 else list(reversed(stacks.items()))
                for name, st in order:
                    pids = {n: p.pid for n, p in st.procs.items()}
                    summaries += asyncio.run(_measure(name, st.cfg.gateway_url, st.cfg.rasa_url, pids,
                                                      args, args.rasa_token, mix))
            for name, st in stacks.items():
                print_rss(name or "stack", {n: p.pid for n, p in st.procs.items()})
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
