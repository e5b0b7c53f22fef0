"""Issue 13: the action server answers a forged or malformed tracker (slots of the wrong type, junk
in the latest message) without an error — a value of the wrong type counts as not known. Every
registered action is run through rasa_sdk's own executor, as its webhook does."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor

from actions.form_spec import FORMS, count_slot, known_values

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text("utf-8"))

BAD_SLOTS = [
    {"employees": "abc", "total_budget": [1, 2], "manufacturing": "yes", "form_failures": "x", "misunderstood": {"a": 1},
     "sme": 5, "track": 12, "amount_to_confirm": "zz", "requested_slot": "employees", "company_capital": "1e999"},
    {"employees": float("nan"), "total_budget": -5, "loan_amount": True, "form_failures": 1e308, "misunderstood": -3,
     "amount_to_confirm": {"slot": 5, "value": "x"}, "requested_slot": 12, "cost_items": "x", "last_calc": 7,
     "topic_id": ["x"], "last_entry_id": {"y": 1}},
    {"employees": 10**30, "requested_slot": "no_such_slot", "amount_to_confirm": {"slot": "total_budget", "value": None,
                                                                                  "said": 3, "kind": []}},
]


@pytest.fixture(scope="module")
def executor() -> ActionExecutor:
    ex = ActionExecutor()
    ex.register_package("actions")
    return ex


@pytest.mark.parametrize("slots", BAD_SLOTS)
@pytest.mark.parametrize("form", list(FORMS))
def test_every_action_answers_a_forged_tracker(executor, slots, form):
    failures = []
    for name in sorted(executor.actions):
        tracker = {"sender_id": "forged", "slots": slots, "paused": False, "followup_action": None,
                   "latest_message": {"text": "8人 \ufffd", "intent": {"name": "inform"}, "entities": [{"x": 1}]},
                   "events": [], "active_loop": {"name": form}, "latest_action_name": "action_listen"}
        try:
            asyncio.run(executor.run({"next_action": name, "sender_id": "forged", "tracker": tracker,
                                      "domain": DOMAIN}))
        except Exception as exc:   # the webhook would answer 500
            failures.append((name, f"{type(exc).__name__}: {exc}"[:120]))
    assert failures == []


def test_wrong_types_count_as_unknown():
    assert known_values({"employees": "abc", "sme": 1, "total_budget": 8_000_000.0, "track": "一般"}) == \
        {"total_budget": 8_000_000, "track": "一般"}
    assert [count_slot(v) for v in ("x", None, 2.0, True, -1, float("nan"), 1e9)] == [0, 0, 2, 0, 0, 0, 0]
