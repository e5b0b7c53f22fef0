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
