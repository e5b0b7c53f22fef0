"""bench/load.py against the session's stack: a few seconds of closed-loop load on both routes, every
field of its summary present and sane, nothing that got a 200 missing from the stored history."""
from __future__ import annotations

import asyncio
import uuid

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


# ---------------------------------------------------------------- the hotline mix (issue 14, the widget on the bot path)
def test_hotline_candidates_are_programme_questions_each_once():
    texts = load.hotline_candidates()
    assert len(texts) == len(set(texts)) > 300
    labelled = {q["q"]: q for q in load.load_questions()}
    for t in texts:
        q = labelled.get(t)
        if q is not None:     # from bench/questions.yml: answered by an entry, not a handoff intent
            assert q["entry"] and q["intent"] not in load.HANDOFF_INTENTS, t
    assert not any(labelled.get(t, {}).get("intent") in ("out_of_scope", "greet", "request_human") for t in texts)


def test_zipf_weights_repeat_a_few_questions_and_keep_a_long_tail():
    w = load.zipf_weights(400)
    assert w == load.zipf_weights(400) and len(w) == 400           # seeded: the same mix every run
    top10 = sum(sorted(w, reverse=True)[:10]) / sum(w)
    assert 0.3 < top10 < 0.6                                       # s=1 over 400 texts: about 45%
    assert "400 distinct texts" in load.describe_mix(["x"] * 400, w)


def test_probe_keeps_answered_questions_and_drops_unanswered_ones(stack):
    """The probe is what keeps the widget load on the bot's path; it must tell an answer from a
    non-answer (a greeting, an out-of-scope question, a request for a person)."""
    answered = load.hotline_candidates()[:12]
    not_answered = ["你好", "今天台北天氣如何？", "轉人工"]
    kept, counts = asyncio.run(load.probe_answered(load.RasaRest(stack.cfg.rasa_url), answered + not_answered))
    assert not set(not_answered) & set(kept), counts
    assert len(kept) >= 8, counts        # most programme questions are answered (the intent/answer benches)
    assert counts.get("handoff", 0) >= 1  # 轉人工 hands over


def test_widget_load_on_the_hotline_mix_stays_with_the_bot(stack):
    target = load.Widget(stack.cfg.gateway_url)
    kept, _ = asyncio.run(load.probe_answered(load.RasaRest(stack.cfg.rasa_url), load.hotline_candidates()[:20]))
    pids = {name: proc.pid for name, proc in stack.procs.items()}
    # the cap keeps the widget's per-address rate limit (shared with the other tests) out of reach
    res = asyncio.run(load.run_load(target, conversations=2, duration=8.0, cap=10, pids=pids, texts=kept,
                                    weights=load.zipf_weights(len(kept))))
    s = res.summary()
    assert s["errors"] == 0 and s["missing"] == 0 and s["ok"] > 0
    assert s["in_handoff"] == 0 and not target.handoff_conversations
    assert s["cpu_ms_per_msg"]["actions"] > 0        # the bot (retrieval) answered, not the handoff path


def test_rasa_rest_target_notices_a_handoff(stack):
    target = load.RasaRest(stack.cfg.rasa_url)
    res = asyncio.run(load.run_load(target, conversations=1, duration=5.0, cap=2, texts=["轉人工"]))
    assert res.ok and target.handoff_conversations == {res.sent[0].conversation}
    assert res.summary()["in_handoff"] == len(res.ok)


# ---------------------------------------------------------------- make run-style readiness
def test_startup_measures_each_server_until_ready(stack):
    """A second stack as make run starts it (the session's stays up): each server's time to ready."""
    from testenv import PORT_OFFSET

    (r,) = load.measure_startup(PORT_OFFSET + 7, runs=1)
    assert set(r["ready_s"]) == {"actions", "rasa", "gateway"}
    assert 0 < r["all_ready_s"] == max(r["ready_s"].values()) < 600
    assert all(v > 50 for v in r["rss_mb"].values())


# ---------------------------------------------------------------- the stock rasa init bot
def _stock_model():
    from bench.stock import cached_model
    return cached_model()


@pytest.mark.skipif(_stock_model() is None,
                    reason="the stock rasa init bot is not built (build/stock-rasa: `python -m bench.stock`, "
                           "a few minutes of training); not trained inside the test suite")
def test_stock_bot_takes_the_same_load_and_keeps_every_message(tmp_path):
    from testenv import PORT_OFFSET

    from bench.stock import STOCK_TEXTS, StockBot

    bot = StockBot(_stock_model(), load.STOCK_PORT + PORT_OFFSET + 7, tmp_path)
    bot.start()
    try:
        bot.wait_ready(timeout=900)     # loading the model took > 300 s at load average ~18
        res = asyncio.run(load.run_load(load.RasaRest(bot.url), conversations=2, duration=3.0, cap=20,
                                        pids={"stock_rasa": bot.proc.pid}, texts=STOCK_TEXTS))
    finally:
        bot.stop()
    s = res.summary()
    assert s["errors"] == 0 and s["ok"] > 0 and s["missing"] == 0 and s["checked"] == s["ok"]
    assert s["cpu_ms_per_msg"]["stock_rasa"] > 0
    assert bot.proc.poll() is not None        # stopped


def test_widget_history_check_finds_a_message_stored_with_its_phone_number_masked(stack):
    """The gateway stores personal data masked; the check finds such a message (not counted missing),
    and still counts a text that was never sent."""
    target = load.Widget(stack.cfg.gateway_url)
    conv = f"bench-mask-{uuid.uuid4().hex[:12]}"

    async def run():
        import httpx
        async with httpx.AsyncClient(timeout=60) as client:
            status, mid = await target.send(client, conv, "0800-000-257是哪裡的電話")
            assert status == 200 and mid
            page = (await client.get(f"{stack.cfg.gateway_url}/api/widget/messages",
                                     params={"session_id": conv, "after": "0"})).json()["messages"]
            # the user's message is stored masked (the bot's answer may quote the programme's own
            # hotline, which is this very number: only the user's side is checked)
            [user] = [m for m in page if m["direction"] == "in"]
            assert "0800-000-257" not in user["text"] and "*" in user["text"]
            sent = load.Sent(conv, "0800-000-257是哪裡的電話", 200, 1.0, message_id=mid)
            ghost = load.Sent(conv, "這句從未送出", 200, 1.0, message_id=mid)
            return await target.missing(client, conv, [sent]), await target.missing(client, conv, [ghost])
    assert asyncio.run(run()) == (0, 1)
