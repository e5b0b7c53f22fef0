"""The widget API's rate limit: the limiter itself and the 429 the API answers."""
from __future__ import annotations

from fastapi.testclient import TestClient

from channels.app import build_context, create_app
from channels.core.ratelimit import RateLimiter
from channels.settings import Settings
from fakes import FakeRasa


class Tick:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_sliding_window():
    clock = Tick()
    rl = RateLimiter(3, 60.0, clock)
    results = []
    for t in (0.0, 10.0, 20.0, 30.0):
        clock.t = t
        results.append(rl.allow("a"))
    assert results == [True, True, True, False]
    assert rl.allow("b")                      # keys are independent
    assert rl.retry_after("a") == 31           # the hit at 0 leaves at 60
    clock.t = 59.9
    assert not rl.allow("a")
    clock.t = 60.0                            # the hit at 0 left the window, those at 10 and 20 not
    assert rl.allow("a") and not rl.allow("a")
    clock.t = 80.0                            # now both left
    assert rl.allow("a") and rl.allow("a") and not rl.allow("a")


def test_key_table_stays_bounded():
    clock = Tick()
    rl = RateLimiter(1, 1.0, clock, max_keys=100)
    for i in range(1000):
        clock.t += 0.01
        rl.allow(str(i))
    assert len(rl._hits) <= 100


def test_recorded_failures_lock_a_key_out_then_start_afresh():
    clock = Tick()
    rl = RateLimiter(3, 60.0, clock, lockout_s=30.0)      # the console's login throttle, shorter
    rl.hit("wang")
    rl.hit("wang")
    assert rl.locked_for("wang") == 0                     # two failures: not locked yet
    clock.t = 5.0
    rl.hit("wang")
    assert rl.locked_for("wang") == 30 and rl.retry_after("wang") == 30
    assert not rl.allow("wang") and rl.locked_for("lee") == 0
    clock.t = 35.0
    assert rl.locked_for("wang") == 0
    rl.hit("wang")
    assert rl.locked_for("wang") == 0                     # the window started empty after the lockout
    rl.forget("wang")
    rl.hit("wang")
    rl.hit("wang")
    assert rl.locked_for("wang") == 0                     # a success (forget) cleared the earlier one


def test_widget_api_answers_429_with_retry_after_and_keeps_nothing(tmp_path):
    rasa = FakeRasa()
    ctx = build_context(Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}", widget_rate_per_session=3,
                                 widget_rate_per_address=0), rasa=rasa)
    client = TestClient(create_app(context=ctx))
    session = "s" * 20
    for i in range(3):
        assert client.post("/api/widget/messages", json={"session_id": session, "text": f"問題{i}"}).status_code == 200
    resp = client.post("/api/widget/messages", json={"session_id": session, "text": "第四個"})
    assert resp.status_code == 429 and "太頻繁" in resp.json()["detail"]
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert [m.text for m in ctx.store.messages(f"web:{session}") if m.direction == "in"] == ["問題0", "問題1", "問題2"]
    other = client.post("/api/widget/messages", json={"session_id": "t" * 20, "text": "別人的問題"})
    assert other.status_code == 200
