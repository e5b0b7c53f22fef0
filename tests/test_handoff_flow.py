"""Human handoff end to end on the real servers: a company in the web widget (real Chromium), the
bot handing off, an officer in the console (real Chromium), and a gateway crash in between."""
from __future__ import annotations

import re
import subprocess
import sys
import uuid

import httpx
import pytest

from browserutil import browser, screenshot
from scripts.stack import ROOT

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def officer(stack):
    """An officer account created with the real command, in the stack gateway's database."""
    username = f"officer{uuid.uuid4().hex[:6]}"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{ROOT / 'bot'}",
           "HANDOFF_DATABASE_URL": stack.cfg.extra_env["HANDOFF_DATABASE_URL"]}
    proc = subprocess.run([sys.executable, "-m", "channels.officers", "create", username, "--name", "林專員",
                           "--password-stdin"], input=PASSWORD + "\n", text=True, capture_output=True,
                          env=env, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return username


def console_login(base: str, username: str) -> tuple[httpx.Client, dict[str, str]]:
    client = httpx.Client(base_url=base, timeout=30)
    resp = client.post("/console/api/login", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return client, {"X-CSRF-Token": resp.json()["csrf_token"]}


def widget_send(base: str, session: str, text: str) -> list[dict]:
    resp = httpx.post(f"{base}/api/widget/messages", json={"session_id": session, "text": text}, timeout=60)
    assert resp.status_code == 200, resp.text
    return resp.json()["messages"]


def widget_history(base: str, session: str) -> list[dict]:
    resp = httpx.get(f"{base}/api/widget/messages", params={"session_id": session, "after": 0}, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()["messages"]


def test_officer_takes_over_in_the_console_and_hands_back_to_the_bot(stack, officer):
    base = stack.cfg.gateway_url
    question = "我們公司的補助申請審查到哪裡了"
    with browser() as b:
        user = b.new_context().new_page()
        user.goto(base + "/")
        user.click("#hotline-widget-toggle")
        user.fill("#hotline-widget-input", question)
        user.press("#hotline-widget-input", "Enter")
        # the bot says what it can (it cannot see cases), then hands off: queue place and wait
        user.wait_for_selector("[data-testid=msg-bot] >> text=0800-000-257", timeout=60_000)
        user.wait_for_selector("text=已為您轉接專人", timeout=30_000)
        assert "排隊第" in user.inner_text("#hotline-widget-log")

        console = b.new_context().new_page()
        errors: list[str] = []
        console.on("pageerror", lambda exc: errors.append(str(exc)))
        console.goto(base + "/console")
        console.fill("#login-username", officer)
        console.fill("#login-password", PASSWORD)
        console.click("#login-submit")
        item = console.locator("[data-testid=queue-item]").filter(has_text=question).first
        item.wait_for(timeout=20_000)
        item.click()
        console.locator("[data-testid=transcript-message][data-author=user]",
                        has_text=question).first.wait_for(timeout=20_000)
        console.click("#claim")
        console.wait_for_selector("#ticket-state[data-state=with_officer]", timeout=20_000)
        # the user is told an officer joined
        user.wait_for_selector("text=已加入對話", timeout=20_000)

        # agent assist: three entries for the user's question, the case-status entry among them
        entries = console.locator("[data-testid=assist-entry]")
        entries.nth(2).wait_for(timeout=60_000)
        assert entries.count() == 3
        assert "案件進度" in console.inner_text("body")
        console.locator("[data-testid=assist-insert]").first.click()
        inserted = console.input_value("#reply-text")
        assert inserted.startswith("您好") and "（依據：" not in inserted    # in the officer's voice
        reply = "您好，我是林專員。您的案件進度我幫您查詢，請提供公司統一編號。"
        console.fill("#reply-text", reply)
        console.click("#reply-send")
        console.locator("[data-testid=transcript-message][data-author=officer]",
                        has_text="請提供公司統一編號").wait_for(timeout=20_000)

        # the user's widget receives the officer's reply (polling), with the officer's name
        user.locator("[data-testid=msg-officer]", has_text="請提供公司統一編號").wait_for(timeout=20_000)
        # while the officer holds the conversation the bot stays silent
        user.fill("#hotline-widget-input", "統編是12345678")
        user.press("#hotline-widget-input", "Enter")
        console.locator("[data-testid=transcript-message][data-author=user]",
                        has_text="統編是12345678").wait_for(timeout=20_000)

        shot = screenshot(console, "console-transcript")
        transcript = console.locator("[data-testid=transcript-message]")
        assert transcript.count() >= 5 and transcript.first.is_visible()
        assert shot.stat().st_size > 20_000
        screenshot(user, "widget-with-officer")

        console.click("#resolve")                 # resolving asks how it ended
        console.select_option("#resolve-outcome", "answered")
        console.click("#resolve-confirm")
        console.wait_for_selector("#ticket-state[data-state=resolved]", timeout=20_000)
        user.wait_for_selector("text=專人服務已結束", timeout=20_000)
        bot_before = user.locator("[data-testid=msg-bot]").count()
        user.fill("#hotline-widget-input", "診斷輔導要多少錢")
        user.press("#hotline-widget-input", "Enter")
        user.locator("[data-testid=msg-bot]").nth(bot_before).wait_for(timeout=60_000)
        assert "（依據：" in user.locator("[data-testid=msg-bot]").nth(bot_before).inner_text()
        assert errors == []


def test_gateway_crash_with_an_open_ticket_loses_nothing(stack, officer):
    base = stack.cfg.gateway_url
    session = f"crash{uuid.uuid4().hex[:16]}"
    handoff = widget_send(base, session, "我要找真人")
    assert any("已為您轉接專人" in m["text"] for m in handoff)
    widget_send(base, session, "我們的案號是 A-1234，請幫我看一下")
    client, csrf = console_login(base, officer)
    before = client.get("/console/api/tickets", params={"states": "waiting"}).json()["tickets"]
    ticket = next(t for t in before if t["conversation_id"] == f"web:{session}")

    stack.kill("gateway")           # SIGKILL: no shutdown handlers run
    stack.restart("gateway")

    # the same login still works (sessions are stored), the ticket and the whole transcript are there
    after = client.get("/console/api/tickets", params={"states": "waiting"})
    assert after.status_code == 200
    assert ticket["id"] in [t["id"] for t in after.json()["tickets"]]
    detail = client.get(f"/console/api/tickets/{ticket['id']}").json()
    texts = [m["text"] for m in detail["messages"]]
    assert "我要找真人" in texts and "我們的案號是 A-1234，請幫我看一下" in texts
    assert any("已為您轉接專人" in t for t in texts)

    # routing still holds after the restart: the user's next message goes to the ticket, not the bot
    assert [m["author"] for m in widget_send(base, session, "還在嗎")] in ([], ["system"])
    assert client.post(f"/console/api/tickets/{ticket['id']}/claim", json={}, headers=csrf).status_code == 200
    assert client.post(f"/console/api/tickets/{ticket['id']}/reply", json={"text": "您好，已收到案號。"},
                       headers=csrf).status_code == 200
    history = widget_history(base, session)
    assert [m["text"] for m in history if m["author"] == "officer"] == ["您好，已收到案號。"]
    assert client.post(f"/console/api/tickets/{ticket['id']}/resolve", headers=csrf).status_code == 200
    # Rasa's tracker was told: the officer's words are in it and it is listening, outside any form
    tracker = httpx.get(f"{stack.cfg.rasa_url}/conversations/web:{session}/tracker", timeout=30).json()
    assert any(e.get("event") == "bot" and e.get("text") == "您好，已收到案號。" for e in tracker["events"])
    assert tracker["events"][-1]["event"] == "action" and tracker["events"][-1]["name"] == "action_listen"
    assert tracker.get("active_loop", {}).get("name") is None
    answer = widget_send(base, session, "診斷輔導要多少錢")
    assert re.search(r"（依據：[^）]+）", " ".join(m["text"] for m in answer))


def test_officer_reply_reaches_a_line_user_by_push(stack, line_api, officer):
    from testenv import LINE_SECRET
    from test_line import new_token, new_user, signed, text_event

    base = stack.cfg.gateway_url
    user = new_user()

    def say(text: str) -> str:
        token = new_token()
        body, signature = signed([text_event(user, text, token)], LINE_SECRET)
        resp = httpx.post(base + "/line/webhook", content=body, timeout=10,
                          headers={"Content-Type": "application/json", "X-Line-Signature": signature})
        assert resp.status_code == 200
        return token

    def texts_to_user(predicate) -> list[str]:
        def sent() -> list[str]:
            return [m.get("text") or m.get("altText") or "" for r in line_api.requests if r["json"]
                    if r["json"].get("to") == user or r["json"].get("replyToken") in tokens
                    for m in r["json"].get("messages", [])]
        line_api.wait_for(lambda _: any(predicate(t) for t in sent()), 60)
        return sent()

    tokens = {say("我要找真人")}
    assert any("已為您轉接專人" in t for t in texts_to_user(lambda t: "已為您轉接專人" in t))
    client, csrf = console_login(base, officer)
    ticket = next(t for t in client.get("/console/api/tickets", params={"states": "waiting"}).json()["tickets"]
                  if t["conversation_id"] == f"line:{user}")
    assert ticket["channel"] == "line"
    assert client.post(f"/console/api/tickets/{ticket['id']}/claim", json={}, headers=csrf).status_code == 200
    assert client.post(f"/console/api/tickets/{ticket['id']}/reply", json={"text": "您好，我是林專員，請說明您的問題。"},
                       headers=csrf).status_code == 200
    texts_to_user(lambda t: "請說明您的問題" in t)
    pushes = [r for r in line_api.requests if r["path"].endswith("/push") and r["json"].get("to") == user]
    assert any(m.get("text") == "您好，我是林專員，請說明您的問題。" for r in pushes for m in r["json"]["messages"])
    assert client.post(f"/console/api/tickets/{ticket['id']}/resolve", headers=csrf).status_code == 200
    texts_to_user(lambda t: "專人服務已結束" in t)
