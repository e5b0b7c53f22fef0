"""Issue 16 in a real headless Chromium, against an in-process gateway with a scripted FakeRasa whose
answers are real knowledge entries: 👍/👎 (with a reason) under an answer in the widget, the
satisfaction question after an officer resolves, the supervisor dashboard (screenshot under
test-output/browser/), and a knowledge draft proposed by an officer, approved by a supervisor and
exported as YAML that the knowledge loader accepts once its quote is filled.

Every wait is on a condition (Playwright's expect), never a fixed sleep."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from browserutil import screenshot
from channels import texts
from channels.core.passwords import hash_password
from knowledge.loader import load_knowledge, source_text
from test_widget_browser import (BOT, LocalGateway, SYSTEM, ask, chromium, open_widget, page,  # noqa: F401
                                 warm_stack)

ROOT = Path(__file__).resolve().parents[1]
ENTRY = load_knowledge().get("diagnosis_cost")
PW = "browser-password-1"


def script(sender: str, message: str) -> list[dict]:
    if "找專人" in message:
        return [{"custom": {"type": "handoff", "reason": "requested", "summary": {"last_question": message}}}]
    if "外星人" in message:
        return [{"text": "我不太確定", "buttons": [{"title": ENTRY.title, "payload": '/choose_topic{"topic_id":"x"}'},
                                                 {"title": "都不是", "payload": "/request_human"}]}]
    return [{"text": ENTRY.reply_text()}]


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    g = LocalGateway(tmp_path_factory.mktemp("learning-gw"))
    g.rasa.script = script
    pw = hash_password(PW)
    g.ctx.store.create_officer("wang", "王小明", pw)
    g.ctx.store.create_officer("boss", "陳督導", pw)
    g.ctx.store.set_supervisor("boss", True)
    g.start()
    try:
        yield g
    finally:
        g.stop()


def console_login(page, gw, user: str) -> None:
    page.goto(gw.url + "/console")
    page.fill("#login-username", user)
    page.fill("#login-password", PW)
    page.click("#login-submit")
    expect(page.locator("#app-view")).to_be_visible()


def test_thumbs_down_with_a_reason_never_blocks_the_next_question(gw, page):
    page.goto(gw.url + "/")
    open_widget(page)
    ask(page, "診斷輔導要多少錢")
    answer = page.locator(BOT).filter(has=page.locator("[data-testid=feedback]")).last
    expect(answer).to_contain_text(ENTRY.citation, timeout=30_000)
    sent = len(gw.rasa.sent)
    answer.locator("[data-testid=feedback-down]").click()
    expect(answer.locator("[data-testid=feedback-note]")).to_have_text(texts.FEEDBACK_ASK_REASON)
    expect(answer.locator("[data-testid=feedback-reason]")).to_have_count(3)
    # the next question can be asked before choosing a reason
    ask(page, "外星人補助怎麼申請")
    expect(page.locator(BOT).last).to_contain_text("我不太確定", timeout=30_000)
    expect(page.locator(BOT).last.locator("[data-testid=feedback]")).to_have_count(0)   # a menu is not rated
    answer.locator("[data-testid=feedback-reason][data-reason=not_asked]").click()
    expect(answer.locator("[data-testid=feedback-note]")).to_have_text(texts.FEEDBACK_REASON_THANKS)
    expect(answer.locator("[data-testid=feedback-down]")).to_have_attribute("aria-pressed", "true")
    screenshot(page, "widget-feedback")
    assert len(gw.rasa.sent) == sent + 1                       # only the next question went to Rasa
    session = page.evaluate("window.__hotlineWidget.sessionId()")
    rated = [m for m in gw.ctx.store.messages(f"web:{session}", 0) if m.author == "bot"][0]
    assert gw.ctx.store.feedback_of([rated.id])[rated.id].to_json() == \
        {"message_id": rated.id, "score": -1, "reason": "not_asked"}


def test_satisfaction_after_an_officer_resolved(gw, page):
    page.goto(gw.url + "/")
    open_widget(page)
    ask(page, "我要找專人")
    expect(page.locator(SYSTEM).last).to_contain_text("排隊第", timeout=30_000)
    session = page.evaluate("window.__hotlineWidget.sessionId()")
    ticket = gw.ctx.store.open_ticket(f"web:{session}")
    officer = [o for o in gw.ctx.store.officers() if o.username == "wang"][0]
    gw.run(gw.ctx.hub.claim(ticket.id, officer))
    gw.run(gw.ctx.hub.officer_reply(ticket.id, officer, "您好，已為您查詢。"))
    gw.run(gw.ctx.hub.resolve(ticket.id, officer))
    csat = page.locator("[data-testid=csat]")
    expect(csat).to_have_count(1, timeout=20_000)
    expect(csat.locator("[data-testid=csat-score]")).to_have_count(5)
    csat.locator("[data-testid=csat-score][data-score='4']").click()
    expect(csat.locator("[data-testid=csat-note]")).to_have_text(texts.CSAT_THANKS)
    csat.locator("[data-testid=csat-comment]").fill("回覆很清楚")
    csat.locator("[data-testid=csat-comment-send]").click()
    expect(csat.locator("[data-testid=csat-note]")).to_have_text(texts.CSAT_COMMENT_THANKS)
    screenshot(page, "widget-csat")
    outcome = gw.ctx.store.outcome(ticket.id)
    assert (outcome.csat_state, outcome.csat_score, outcome.csat_comment) == ("answered", 4, "回覆很清楚")


def test_dashboard_for_a_supervisor_only(gw, chromium):
    officer_ctx = chromium.new_context(locale="zh-TW", viewport={"width": 1280, "height": 900})
    p = officer_ctx.new_page()
    console_login(p, gw, "wang")
    expect(p.locator("[data-testid=dashboard-link]")).to_be_hidden()
    p.goto(gw.url + "/console/dashboard")
    expect(p.locator("[data-testid=dash-error]")).to_have_text("此頁面僅限督導使用。")
    expect(p.locator("#dash-main")).to_be_hidden()
    officer_ctx.close()

    boss_ctx = chromium.new_context(locale="zh-TW", viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    p = boss_ctx.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    console_login(p, gw, "boss")
    expect(p.locator("[data-testid=dashboard-link]")).to_be_visible()
    p.click("[data-testid=dashboard-link]")
    expect(p.locator("#dash-main")).to_be_visible()
    p.fill("#from", "2026-01-01")
    p.fill("#to", "2026-12-31")
    p.click("#apply")
    expect(p.locator("body")).to_have_attribute("data-loaded", "2026-01-01/2026-12-31", timeout=30_000)
    expect(p.locator("[data-testid=cards] .card")).to_have_count(13)
    for name in ("daily", "reasons", "topics", "waits", "csat"):
        expect(p.locator(f"[data-testid=chart-{name}] svg")).to_have_count(1)
    expect(p.locator("[data-testid=chart-topics] svg")).to_contain_text(ENTRY.title[:11])
    expect(p.locator("[data-testid=table-topics]")).to_contain_text("diagnosis_cost")
    expect(p.locator("[data-testid=table-unanswered]")).to_contain_text("外星人補助怎麼申請")
    with p.expect_download() as info:
        p.click("a.csv[data-table=topics]")
    content = Path(info.value.path()).read_text("utf-8-sig")
    assert "diagnosis_cost" in content and ENTRY.title in content
    screenshot(p, "dashboard")
    assert errors == []
    boss_ctx.close()


def test_a_draft_proposed_approved_and_exported(gw, chromium, tmp_path):
    officer = [o for o in gw.ctx.store.officers() if o.username == "wang"][0]
    gw.run(gw.ctx.hub.user_message("web", "draft-session-000001", "找專人 以大帶小的診斷怎麼收費"))
    ticket = gw.ctx.store.open_ticket("web:draft-session-000001")
    gw.run(gw.ctx.hub.claim(ticket.id, officer))
    gw.run(gw.ctx.hub.officer_reply(ticket.id, officer, "以大帶小20萬元/案，政府16萬元、業者自籌4萬元。"))
    gw.run(gw.ctx.hub.resolve(ticket.id, officer))

    c1 = chromium.new_context(locale="zh-TW", viewport={"width": 1280, "height": 900})
    p = c1.new_page()
    console_login(p, gw, "wang")
    p.goto(f"{gw.url}/console/draft?ticket={ticket.id}")
    expect(p.locator("#draft-form")).to_be_visible()
    expect(p.locator("#d-answer")).to_have_value("以大帶小20萬元/案，政府16萬元、業者自籌4萬元。")
    p.fill("#d-title", "以大帶小診斷費用")
    p.select_option("#d-topic", "診斷輔導")
    p.fill("#d-questions", "以大帶小診斷要付多少\n以大帶小的輔導經費")
    p.fill("#d-rule", "輔導經費")
    p.click("#d-submit")
    expect(p.locator("[data-testid=draft-error]")).to_contain_text("問法")       # two phrasings are not enough
    p.fill("#d-questions", "以大帶小診斷要付多少\n以大帶小的輔導經費\n大廠帶小廠診斷費用")
    p.click("#d-submit")
    expect(p.locator("[data-testid=draft-result]")).to_contain_text("待督導審核")
    c1.close()

    c2 = chromium.new_context(locale="zh-TW", viewport={"width": 1400, "height": 1100})
    p = c2.new_page()
    console_login(p, gw, "boss")
    p.goto(gw.url + "/console/dashboard")
    draft = p.locator("[data-testid=draft][data-state=proposed]").filter(has_text="以大帶小診斷費用")
    expect(draft).to_have_count(1, timeout=20_000)
    draft.locator("[data-testid=draft-note]").fill("數字與簡報一致")
    draft.locator("[data-testid=draft-approve]").click()
    approved = p.locator("[data-testid=draft][data-state=approved]").filter(has_text="以大帶小診斷費用")
    expect(approved).to_have_count(1)
    approved.locator("[data-testid=draft-export]").click()
    expect(p.locator("[data-testid=export-yaml]")).to_contain_text("officer_draft_")
    p.locator("[data-testid=export]").scroll_into_view_if_needed()
    screenshot(p, "dashboard-draft-export")
    exported = p.locator("[data-testid=export-yaml]").inner_text()
    bench = yaml.safe_load(p.locator("[data-testid=export-bench]").inner_text())
    c2.close()

    entries = tmp_path / "entries"
    entries.mkdir()
    for f in (ROOT / "knowledge" / "entries").glob("*.yml"):
        (entries / f.name).write_text(f.read_text("utf-8"), "utf-8")
    (entries / "officer_drafts.yml").write_text(exported.replace("TODO: quote the source verbatim", "以大帶小"), "utf-8")
    kb = load_knowledge(entries)
    entry = kb.get(bench[0]["entry"])
    squash = lambda s: re.sub(r"\s+", "", s).replace("**", "")   # noqa: E731
    assert all(squash(q) in squash(source_text(entry.source.doc)) for q in entry.source.quotes)
    assert entry.topic == "診斷輔導" and len(entry.questions) == 4 - 1 and bench[0]["q"].startswith("找專人")


@pytest.mark.stack
def test_real_stack_answers_carry_thumbs_and_a_rating_is_stored(warm_stack, page):
    """Against the real Rasa + action server: the cited answer is tagged with its entry and rated."""
    import httpx
    page.goto(warm_stack.cfg.gateway_url + "/")
    open_widget(page)
    ask(page, "診斷輔導要多少錢")
    answer = page.locator(BOT).filter(has=page.locator("[data-testid=feedback]")).first
    expect(answer).to_contain_text("依據", timeout=60_000)
    answer.locator("[data-testid=feedback-up]").click()
    expect(answer.locator("[data-testid=feedback-note]")).to_have_text(texts.FEEDBACK_THANKS)
    session = page.evaluate("window.__hotlineWidget.sessionId()")
    history = httpx.get(warm_stack.cfg.gateway_url + "/api/widget/messages",
                        params={"session_id": session, "after": 0}, timeout=30).json()["messages"]
    tags = [m["payload"]["answer"] for m in history if (m.get("payload") or {}).get("answer")]
    assert tags and tags[0]["kind"] in ("answer", "direct") and tags[0]["entry_id"].startswith("diagnosis")
    before = page.locator(BOT).count()
    ask(page, "外星人可以申請補助嗎")                           # the next question is answered as usual
    page.wait_for_function("n => document.querySelectorAll('[data-testid=msg-bot]').length > n", arg=before,
                           timeout=60_000)
