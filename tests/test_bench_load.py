"""bench/load.py against the session's stack: a few seconds of closed-loop load on both routes, every
field of its summary present and sane, nothing that got a 200 missing from the stored history."""
from __future__ import annotations

import asyncio

import pytest

from bench import load

pytestmark = pytest.mark.stack

FIELDS = {"label", "conversations", "messages", "ok", "errors", "seconds", "msg_per_s", "p50_ms", "p95_ms", "in_handoff",
          "p99_ms", "checked", "missing", "cpu_ms_per_msg"}


@pytest.mark.parametrize("route", ["widget", "rasa"])
def test_short_load_reports_throughput_cpu_and_finds_every_message_in_history(stack, route):
    cfg = stack.cfg
    target = load.Widget(cfg.gateway_url) if route == "widget" else load.RasaRest(cfg.rasa_url)
    pids = {name: proc.pid for name, proc in stack.procs.items()}
    # the cap keeps the widget's per-address rate limit (120/min, shared with the other tests) out of reach
    res = asyncio.run(load.run_load(target, conversations=2, duration=4.0, cap=8, pids=pids))
    s = res.summary()
    assert FIELDS <= set(s)
    assert 0 < s["messages"] <= 8 and s["seconds"] < 60
    assert s["errors"] == 0, [x.status for x in res.sent]
    assert s["checked"] == s["ok"] and s["missing"] == 0
    assert s["msg_per_s"] > 0 and 0 < s["p50_ms"] <= s["p95_ms"] <= s["p99_ms"]
    assert set(s["cpu_ms_per_msg"]) == {"actions", "rasa", "gateway"}
    assert s["cpu_ms_per_msg"]["rasa"] > 0     # Rasa works on every message either way
    assert len({x.conversation for x in res.sent}) == 2


def test_history_check_counts_a_message_that_was_never_sent(stack):
    """The check can fail: a 200 that is not in the history is counted as missing."""
    target = load.RasaRest(stack.cfg.rasa_url)
    res = asyncio.run(load.run_load(target, conversations=1, duration=2.0, cap=1))
    conv = res.sent[0].conversation
    ghost = load.Sent(conv, "這句從未送出", 200, 1.0)

    async def check():
        import httpx
        async with httpx.AsyncClient(timeout=30) as client:
            return await target.missing(client, conv, res.ok + [ghost])
    assert asyncio.run(check()) == 1


def test_loopback_only():
    with pytest.raises(SystemExit):
        load.Widget("http://example.com:8000")


def test_listening_pid_is_found_for_the_stacks_gateway(stack):
    from urllib.parse import urlparse

    pid = load.pid_listening_on(urlparse(stack.cfg.gateway_url).port)
    assert pid in load.descendants(stack.procs["gateway"].pid)


def test_soak_reports_rss_per_window_and_its_growth(stack):
    target = load.RasaRest(stack.cfg.rasa_url)
    pids = {name: proc.pid for name, proc in stack.procs.items()}
    texts = [q["q"] for q in load.load_questions()][:10]
    r = asyncio.run(load.run_soak(target, seconds=6.0, window=2.0, conversations=1, pids=pids, texts=texts,
                                  label="soak"))
    assert r["messages"] > 0 and r["errors"] == 0 and r["missing"] == 0
    assert set(r["rss_start_mb"]) == set(r["rss_end_mb"]) == {"actions", "rasa", "gateway"}
    assert all(v > 50 for v in r["rss_end_mb"].values())       # real processes with a model loaded
    assert set(r["growth_mb_per_min_second_half"]) == set(pids)
    assert r["seconds"] < 60


def test_long_mode_interleaves_conversations_and_reports_cpu_per_turn_per_block(stack):
    pids = {name: proc.pid for name in ("rasa", "actions") for n, proc in stack.procs.items() if n == name}
    texts = [q["q"] for q in load.load_questions()][:5]
    runs = [("x", load.RasaRest(stack.cfg.rasa_url), pids), ("y", load.RasaRest(stack.cfg.rasa_url), pids)]
    out = asyncio.run(load.run_long_interleaved(runs, turns=5, step=2, texts=texts))
    assert [r["label"] for r in out] == ["x long", "y long"]
    for r in out:
        assert r["errors"] == 0 and r["missing"] == 0 and r["turns"] == 5
        assert len(r["p50_per_block_ms"]) == 3                     # blocks of 2, 2 and 1 turns
        assert set(r["cpu_ms_per_turn_per_block"]) == {"rasa", "actions"}
        assert all(len(v) == 3 for v in r["cpu_ms_per_turn_per_block"].values())
        assert sum(r["cpu_ms_per_turn_per_block"]["rasa"]) > 0     # Rasa worked on those turns
