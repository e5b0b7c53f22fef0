"""The compiled action-response validator behaves as Rasa's own: valid passes, invalid raises."""
from __future__ import annotations

import subprocess

from scripts.stack import ROOT

SNIPPET = r'''
import time
import components  # applies the patch, as Rasa does when it loads the model
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
assert getattr(RemoteAction, "_hotline_patched", False)
a = RemoteAction("action_answer_question", None)
ok = {"events": [{"event": "slot", "timestamp": None, "name": "last_entry_id", "value": "x"}],
      "responses": [{"text": "hi", "buttons": [{"title": "t", "payload": "/p"}]}]}
a._validate_action_result(ok)
t = time.perf_counter()
for _ in range(20):
    a._validate_action_result(ok)
per_call_ms = (time.perf_counter() - t) * 1000 / 20
for bad in ({"events": [], "responses": "not a list"}, {"events": [{"event": 3}], "responses": []}):
    try:
        a._validate_action_result(bad)
    except ValidationError as e:
        assert "Failed to validate Action server response" in e.message
    else:
        raise SystemExit("invalid response accepted")
print(f"OK {per_call_ms:.2f}")
'''


def test_patched_validator_accepts_valid_and_rejects_invalid_responses():
    proc = subprocess.run([str(ROOT / ".venv" / "rasa" / "bin" / "python"), "-c", SNIPPET], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": f"{ROOT}:{ROOT / 'bot'}", "PATH": "/usr/bin:/bin",
                               "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    ok_line = [line for line in proc.stdout.splitlines() if line.startswith("OK ")]
    assert ok_line, proc.stdout


CACHE_SNIPPET = r'''
import asyncio, os
import components  # applies the patches
from components import rasa_patches
from rasa.core.processor import MessageProcessor
from rasa.core.channels.channel import UserMessage
assert hasattr(MessageProcessor._parse_message_with_graph, "_hotline_original")

# the wrapper alone: a counting parse stands in for the graph
calls = []
def fake(self, message, tracker, only_output_properties=True):
    calls.append(message.text)
    return {"text": message.text, "intent": {"name": "x", "confidence": 0.9}, "entities": [],
            "message_id": message.message_id} if not only_output_properties else \
           {"text": message.text, "intent": {"name": "x", "confidence": 0.9}, "entities": []}
class P: pass
os.environ["HOTLINE_NLU_CACHE"] = "2"
parse, p = rasa_patches._cached_parse(fake), P()
a = parse(p, UserMessage("補助多少"), None)
a["intent"]["name"] = "mutated"                      # a caller's change does not reach the cache
b = parse(p, UserMessage("補助多少"), None)
assert b["intent"]["name"] == "x" and calls == ["補助多少"], calls
parse(p, UserMessage("b"), None); parse(p, UserMessage("c"), None)   # size 2: "補助多少" evicted
parse(p, UserMessage("補助多少"), None)
assert calls == ["補助多少", "b", "c", "補助多少"], calls
full = parse(p, UserMessage("b", message_id="m1"), None, False)   # the full dict is never cached
assert full["message_id"] == "m1" and calls[-1] == "b"
os.environ["HOTLINE_NLU_CACHE"] = "0"
q = P(); n = len(calls)
parse(q, UserMessage("z"), None); parse(q, UserMessage("z"), None)
assert len(calls) == n + 2                          # 0: off

# the real model: a cached parse equals a fresh one, for varied texts
os.environ["HOTLINE_NLU_CACHE"] = "64"
from rasa.core.agent import Agent
agent = Agent.load(os.environ["MODEL"])
proc = agent.processor
texts = ["補助上限是多少？", "我想找專人", "/greet", "hello", "補助上限是多少？"]
async def run():
    out = []
    for t in texts:
        out.append(await proc.parse_message(UserMessage(t, sender_id="s1")))
    return out
first = asyncio.run(run())
second = asyncio.run(run())
original = MessageProcessor._parse_message_with_graph._hotline_original
for t, x, y in zip(texts, first, second):
    fresh = original(proc, UserMessage(t), None)
    assert x == y, (t, x, y)
    assert x["intent"] == fresh["intent"] and x["text"] == fresh["text"], (t, x, fresh)
    assert x.get("intent_ranking") == fresh.get("intent_ranking")
cache = proc._hotline_parse_cache
assert len(cache) == 4 and cache.hits >= 6, (len(cache), cache.hits)
print("OK", cache.hits, cache.misses)
'''


def test_nlu_parse_cache_is_bounded_copies_and_matches_a_fresh_parse():
    from scripts.stack import MODEL

    proc = subprocess.run([str(ROOT / ".venv" / "rasa" / "bin" / "python"), "-c", CACHE_SNIPPET], cwd=ROOT,
                          capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": f"{ROOT}:{ROOT / 'bot'}", "PATH": "/usr/bin:/bin",
                               "MODEL": str(MODEL), "RASA_TELEMETRY_ENABLED": "false",
                               "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"})
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-3000:])
    assert any(line.startswith("OK ") for line in proc.stdout.splitlines()), proc.stdout


SESSION_SNIPPET = r'''
import os, time
import components  # applies the patches
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

domain = Domain.load("bot/domain.yml")
p = object.__new__(MessageProcessor)
p.domain = domain

def tracker(turns, extra=()):
    t = DialogueStateTracker("x", domain.slots)
    t.update(ActionExecuted("action_session_start"), domain)
    t.update(SessionStarted(), domain)
    t.update(ActionExecuted("action_listen"), domain)
    for i in range(turns):
        t.update(UserUttered(f"q{i}", {"name": "greet"}, timestamp=time.time()), domain)
        t.update(ActionExecuted("utter_greet"), domain)
        t.update(ActionExecuted("action_listen"), domain)
    for e in extra:
        t.update(e, domain)
    return t

os.environ["HOTLINE_SESSION_TURNS"] = "5"
assert not p._has_session_expired(tracker(4))
assert p._has_session_expired(tracker(5))
assert p._has_session_expired(tracker(12))
# a new session counts from its own start
t = tracker(7)
t.update(SessionStarted(), domain)
t.update(UserUttered("again", {"name": "greet"}, timestamp=time.time()), domain)
assert not p._has_session_expired(t)
# never in the middle of a form
form = next(iter(domain.form_names))
assert not p._has_session_expired(tracker(9, [ActiveLoop(form)]))
assert p._has_session_expired(tracker(9, [ActiveLoop(form), ActiveLoop(None)]))
os.environ["HOTLINE_SESSION_TURNS"] = "0"
assert not p._has_session_expired(tracker(50))
# time-based expiry is untouched
os.environ["HOTLINE_SESSION_TURNS"] = "20"
old = DialogueStateTracker("y", domain.slots)
old.update(UserUttered("hi", {"name": "greet"}, timestamp=time.time() - 3 * 3600), domain)
assert p._has_session_expired(old)
assert domain.session_config.carry_over_slots
# the carry-over sets each slot once, to its final value, whatever the session did
from rasa.core.actions.action import ActionSessionStart
t = tracker(3, [SlotSet("last_entry_id", f"e{i}") for i in range(30)] + [SlotSet("last_entry_id", None)])
carried = ActionSessionStart._slot_set_events_from_tracker(t)
assert [(e.key, e.value) for e in carried if e.key == "last_entry_id"] == [("last_entry_id", None)]
assert len(carried) == len({e.key for e in carried})
print("OK")
'''


def test_a_session_ends_after_its_turn_cap_but_not_inside_a_form():
    proc = subprocess.run([str(ROOT / ".venv" / "rasa" / "bin" / "python"), "-c", SESSION_SNIPPET], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": f"{ROOT}:{ROOT / 'bot'}", "PATH": "/usr/bin:/bin",
                               "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "OK" in proc.stdout.splitlines()
