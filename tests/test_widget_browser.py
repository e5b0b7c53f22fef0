"""The web widget in a real headless Chromium.

- against the REAL stack (Rasa + action server + gateway, fixture ``stack``): cited answers, topic
  buttons, history after a reload, keyboard use;
- against an in-process gateway with a scripted FakeRasa (fast and deterministic): the calculation
  card, markup shown as text, officer replies and handoff state by polling, a lost connection and a
  lost answer (nothing sent twice), and embedding on a page of another origin (CORS).

Every wait is on a condition (Playwright's expect / wait_for_function), never a fixed sleep.
"""
from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from datetime import datetime

import pytest
from playwright.sync_api import expect

from browserutil import browser, screenshot
from channels.app import build_context, create_app
from channels.core.assist import AgentAssist
from channels.core.hours import TAIPEI, fixed_clock
from channels.settings import Settings
from fakes import FakeRasa, calc_answer
from knowledge.calc.loans import LoanInput, Purpose, find_loans

TOGGLE, PANEL, INPUT, SEND = ("#hotline-widget-toggle", "#hotline-widget-panel", "#hotline-widget-input",
                              "#hotline-widget-send")
STATUS, BANNER, LOG = "#hotline-widget-status", "#hotline-widget-banner", "#hotline-widget-log"
BOT, USER, OFFICER, SYSTEM = ("[data-testid=msg-bot]", "[data-testid=msg-user]", "[data-testid=msg-officer]",
                              "[data-testid=msg-system]")
BUTTON = "[data-testid=msg-button]"
ANSWER_TIMEOUT = 30_000      # ms: a real Rasa turn is well under a second; the first one loads more


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="zh-TW", viewport={"width": 1280, "height": 860})
    p = context.new_page()
    p.dialogs = []
    p.on("dialog", lambda d: (p.dialogs.append(d.message), d.dismiss()))
    p.console_errors = []
    p.on("pageerror", lambda e: p.console_errors.append(str(e)))
    yield p
    context.close()


def open_widget(page):
    expect(page.locator(TOGGLE)).to_be_visible()
    if page.locator(PANEL).is_hidden():
        page.click(TOGGLE)
    expect(page.locator(PANEL)).to_be_visible()


def ask(page, text: str):
    page.fill(INPUT, text)
    page.click(SEND)


def wait_for_count(page, selector: str, count: int, timeout: int = ANSWER_TIMEOUT):
    expect(page.locator(selector)).to_have_count(count, timeout=timeout)


# ==================================================================== the real stack
@pytest.fixture(scope="module")
def warm_stack(stack):
    """The first turns after Rasa starts load lazily and can exceed the gateway's upstream timeout
    (the user would get the stored 「系統暫時忙碌」 notice); warm the bot up directly first."""
    from chatutil import Chat

    chat = Chat(stack.cfg.rasa_url)
    for text in ("你好", "診斷輔導要多少錢", "幫我試算補助", "不算了"):
        chat.say(text)
    return stack


@pytest.mark.stack
def test_real_stack_answers_buttons_and_history(warm_stack, page):
    stack = warm_stack
    page.goto(stack.cfg.gateway_url + "/")
    expect(page.locator("h1")).to_contain_text("升級轉型")
    open_widget(page)
    expect(page.locator(INPUT)).to_be_focused()

    # a programme question: the cited answer
    ask(page, "診斷輔導要多少錢")
    expect(page.locator(USER).last).to_have_text(re.compile("診斷輔導要多少錢"))
    expect(page.locator(BOT).first).to_contain_text("依據", timeout=ANSWER_TIMEOUT)
    first_answer = page.locator(f"{BOT} .hw-bubble").first.inner_text()
    assert "診斷" in first_answer and "依據" in first_answer

    # a greeting offers topics as buttons; one click gives that topic's cited answer
    bots_before = page.locator(BOT).count()
    ask(page, "你好")
    wait_for_count(page, BOT, bots_before + 1)
    greeting = page.locator(BOT).last
    chips = greeting.locator(BUTTON)
    expect(chips.first).to_be_visible()
    assert chips.count() >= 2
    topic = chips.first.inner_text()
    chips.first.click()
    expect(page.locator(USER).last).to_have_text(re.compile(re.escape(topic)))
    wait_for_count(page, BOT, bots_before + 2)
    expect(page.locator(BOT).last).to_contain_text("依據")
    topic_answer = page.locator(f"{BOT} .hw-bubble").last.inner_text()
    assert page.locator(USER).count() == 3 and page.dialogs == [] and page.console_errors == []

    # a reload shows the same conversation, read back from the gateway
    page.reload()
    open_widget(page)
    wait_for_count(page, USER, 3)
    wait_for_count(page, BOT, bots_before + 2)
    bubbles = page.locator(f"{BOT} .hw-bubble").all_inner_texts()
    assert bubbles[0] == first_answer and bubbles[-1] == topic_answer
    assert [u.strip() for u in page.locator(f"{USER} .hw-bubble").all_inner_texts()] == \
        ["診斷輔導要多少錢", "你好", topic]
    shot = screenshot(page, "widget-real-stack")
    assert shot.exists() and shot.stat().st_size > 10_000
    body = page.inner_text("body")
    assert first_answer.splitlines()[0] in body and "依據" in body


@pytest.mark.stack
def test_real_stack_keyboard_only(warm_stack, page):
    stack = warm_stack
    page.goto(stack.cfg.gateway_url + "/")
    toggle = page.locator(TOGGLE)
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-label", "開啟線上諮詢")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(page.locator(PANEL)).to_be_visible()
    expect(page.locator(PANEL)).to_have_attribute("role", "dialog")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator(INPUT)).to_be_focused()
    page.keyboard.type("診斷輔導要多少錢")
    page.keyboard.press("Enter")
    expect(page.locator(BOT).first).to_contain_text("依據", timeout=ANSWER_TIMEOUT)
    expect(page.locator(INPUT)).to_have_value("")
    expect(page.locator(INPUT)).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator(PANEL)).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(page.locator(PANEL)).to_be_visible()
    expect(page.locator(BOT)).to_have_count(1)


# ==================================================================== an in-process gateway (FakeRasa)
IN_HOURS = datetime(2026, 11, 30, 10, 0, tzinfo=TAIPEI)
DIAG_ANSWER = "依規定，診斷輔導由政府負擔大部分經費，業者自籌一部分。\n（依據：診斷輔導．輔導經費）"


def fake_script(sender: str, message: str) -> list[dict]:
    from knowledge.calc.diagnosis import calculate_diagnosis

    if message == "你好":
        return [{"text": "您好！請從下列主題開始：",
                 "buttons": [{"title": "診斷輔導費用", "payload": "/topic_diag"},
                             {"title": "補助上限", "payload": "/topic_caps"}]}]
    if message == "/topic_diag":
        return [{"text": DIAG_ANSWER}]
    if message == "試算":
        result = calculate_diagnosis(sme=True)
        return [{"text": "【診斷輔導費用】（文字版）\n（依據：診斷輔導．輔導經費）"},
                calc_answer(result)]
    if message == "試算貸款":   # as the action server sends a result: its chat text, then the real card
        return real_result(find_loans(LoanInput(sme=True, employees=20, transformation_plan=True,
                                                purpose=Purpose.WORKING)))
    if "找專人" in message:
        return [{"custom": {"type": "handoff", "reason": "requested", "summary": {}}}]
    return [{"text": f"bot: {message}"}]


def real_result(result) -> list[dict]:
    from actions.render import calc_payload, render
    from knowledge.loader import load_knowledge

    kb = load_knowledge()
    return [{"text": render(result, kb)}, {"custom": dict(calc_payload(result, kb))}]


class LocalGateway:
    def __init__(self, tmp):
        self.rasa = FakeRasa(fake_script)
        self.ctx = build_context(Settings(database_url=f"sqlite:///{tmp}/h.db"), rasa=self.rasa,
                                 clock=fixed_clock(IN_HOURS), assist=AgentAssist(False))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        import uvicorn

        config = uvicorn.Config(create_app(context=self.ctx), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.server.serve(),),
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the in-process gateway did not start")
            time.sleep(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)
        self.loop.close()

    def run(self, coro, timeout: float = 10):
        """Run a hub coroutine (an officer's action) on the gateway's own event loop."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def sent(self, message: str) -> int:
        return sum(1 for _, m in self.rasa.sent if m == message)


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    gw = LocalGateway(tmp_path_factory.mktemp("widget-gw"))
    gw.start()
    try:
        yield gw
    finally:
        gw.stop()


def test_card_chips_and_markup_as_text(local, page):
    page.goto(local.url + "/")
    open_widget(page)
    ask(page, "試算")
    card = page.locator("[data-testid=calc-card]")
    expect(card).to_be_visible(timeout=10_000)
    expect(card).to_contain_text("診斷輔導費用")
    expect(card.locator("[data-testid=calc-amount]")).to_have_text("4萬元")
    expect(card.locator("ol li")).to_have_count(3)
    expect(card.locator("ol li").first).to_contain_text("類別")
    expect(card.locator("[data-testid=calc-citations]")).to_contain_text("依據：診斷輔導．輔導經費")
    expect(page.locator(BOT).first).to_contain_text("（文字版）")        # the text answer is shown too
    screenshot(page, "widget-card")

    ask(page, "你好")
    chip = page.locator(BUTTON, has_text="診斷輔導費用")
    expect(chip).to_be_visible()
    chip.click()
    expect(page.locator(BOT).last).to_contain_text("依據：診斷輔導．輔導經費")
    assert local.sent("/topic_diag") >= 1
    expect(page.locator(USER).last).to_contain_text("診斷輔導費用")

    attack = "<img src=x onerror=\"window.__xss=1;alert(1)\"><b>粗體</b>"
    ask(page, attack)
    expect(page.locator(f"{BOT} .hw-bubble").last).to_have_text("bot: " + attack)
    expect(page.locator(f"{USER} .hw-bubble").last).to_have_text(attack)
    assert page.locator("#hotline-widget img, #hotline-widget b").count() == 0
    assert page.evaluate("window.__xss") is None and page.dialogs == []
    assert page.console_errors == []


def test_officer_reply_and_handoff_state_arrive_by_polling(local, page):
    page.goto(local.url + "/")
    open_widget(page)
    expect(page.locator(STATUS)).to_have_attribute("data-state", "bot")
    ask(page, "我要找專人")
    expect(page.locator(SYSTEM).last).to_contain_text("排隊第")
    expect(page.locator(STATUS)).to_have_text("已轉接專人，請稍候")

    session = page.evaluate("window.__hotlineWidget.sessionId()")
    ticket = local.ctx.store.open_ticket(f"web:{session}")
    assert ticket is not None and ticket.state.value == "waiting"
    officer = local.ctx.store.create_officer(f"wang-{session[:8]}", "王小明", "x")
    local.run(local.ctx.hub.claim(ticket.id, officer))
    expect(page.locator(STATUS)).to_have_text("專人服務中：王小明", timeout=15_000)
    expect(page.locator(SYSTEM).last).to_contain_text("王小明")

    local.run(local.ctx.hub.officer_reply(ticket.id, officer, "您好，我是王小明，請問貴公司員工幾人？"))
    msg = page.locator(OFFICER)
    expect(msg).to_have_count(1, timeout=15_000)
    expect(msg.locator("[data-testid=officer-name]")).to_have_text("王小明（專人）")
    expect(msg).to_contain_text("請問貴公司員工幾人")

    # replies that arrive while the panel is closed are counted on the bubble
    page.keyboard.press("Escape")
    expect(page.locator(PANEL)).to_be_hidden()
    local.run(local.ctx.hub.officer_reply(ticket.id, officer, "還在嗎？"))
    expect(page.locator("#hotline-widget-badge")).to_have_text("1", timeout=20_000)
    open_widget(page)
    expect(page.locator(OFFICER).last).to_contain_text("還在嗎？")
    expect(page.locator("#hotline-widget-badge")).to_be_hidden()

    local.run(local.ctx.hub.resolve(ticket.id, officer))
    expect(page.locator(STATUS)).to_have_attribute("data-state", "bot", timeout=15_000)
    screenshot(page, "widget-officer")
    page.reload()
    open_widget(page)
    expect(page.locator(OFFICER)).to_have_count(2)
    assert page.locator(f"{OFFICER} .hw-bubble").all_inner_texts() == ["您好，我是王小明，請問貴公司員工幾人？", "還在嗎？"]


def test_connection_lost_banner_and_nothing_sent_twice(local, page):
    page.goto(local.url + "/")
    open_widget(page)
    ask(page, "第一句")
    expect(page.locator(BOT).last).to_have_text(re.compile("bot: 第一句"))

    # the network goes away: the banner shows, the send fails and is offered again
    page.route("**/api/widget/messages**", lambda route: route.abort())
    ask(page, "斷線時的問題")
    expect(page.locator(BANNER)).to_be_visible(timeout=10_000)
    expect(page.locator(BANNER)).to_have_text("連線中斷，重新連線中…")
    retry = page.locator("[data-testid=send-retry]")
    expect(retry).to_be_visible()
    assert local.sent("斷線時的問題") == 0
    page.unroute("**/api/widget/messages**")
    expect(page.locator(BANNER)).to_be_hidden(timeout=20_000)      # the backoff poll reconnects
    retry.click()
    expect(page.locator(BOT).last).to_have_text(re.compile("bot: 斷線時的問題"))
    expect(page.locator("[data-testid=send-failed]")).to_have_count(0)
    assert local.sent("斷線時的問題") == 1

    # the answer is lost on the way back: the message was stored, so the widget shows it once and
    # picks the answer up by polling instead of sending it again
    def lose_answer(route):
        if route.request.method == "POST":
            route.fetch()          # reaches the gateway
            route.abort()          # the browser never sees the answer
        else:
            route.continue_()

    page.route("**/api/widget/messages", lose_answer)
    ask(page, "回覆遺失的問題")
    expect(page.locator(BOT).last).to_have_text(re.compile("bot: 回覆遺失的問題"), timeout=20_000)
    page.unroute("**/api/widget/messages")
    expect(page.locator(USER, has_text="回覆遺失的問題")).to_have_count(1)
    expect(page.locator("[data-testid=send-failed]")).to_have_count(0)
    expect(page.locator(BANNER)).to_be_hidden(timeout=20_000)
    assert local.sent("回覆遺失的問題") == 1
    users = page.locator(f"{USER} .hw-bubble").all_inner_texts()
    assert users == ["第一句", "斷線時的問題", "回覆遺失的問題"]
    page.reload()
    open_widget(page)
    wait_for_count(page, USER, 3)
    assert page.locator(f"{USER} .hw-bubble").all_inner_texts() == users


@pytest.fixture
def partner_site(local):
    """A company's own web site on another origin (another port; Chromium lets a page reach the
    loopback address space only from loopback), embedding the widget with the one-line snippet."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    page = ("<!doctype html><html lang='zh-Hant-TW'><head><meta charset='utf-8'><title>某機械公司</title></head>"
            "<body><h1>某機械公司</h1><p>歡迎光臨</p>"
            f"<script src='{local.url}/widget.js' defer></script></body></html>").encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_embedded_on_a_page_of_another_origin(local, partner_site, page):
    page.goto(partner_site)
    assert page.evaluate("location.origin") != local.url
    open_widget(page)
    assert page.evaluate("window.__hotlineWidget.apiBase") == local.url + "/"
    ask(page, "跨網域的問題")
    expect(page.locator(BOT).last).to_have_text(re.compile("bot: 跨網域的問題"), timeout=10_000)
    expect(page.locator(BANNER)).to_be_hidden()
    # the widget's stylesheet came from the gateway too
    assert page.evaluate("getComputedStyle(document.getElementById('hotline-widget')).position") == "fixed"
    assert page.console_errors == []


def test_a_result_is_one_card_led_by_its_plain_sentence_with_steps_behind_a_toggle(local, chromium):
    """Issue 10: the widget draws a result once (the card, not its text again), leads with the plain
    sentence, keeps the steps collapsed behind 「看計算過程」 (opened by keyboard), and shows the start of
    the new answer, not its end."""
    # a phone-sized view: the answer is taller than the conversation area, so its start and its end differ
    context = chromium.new_context(locale="zh-TW", viewport={"width": 390, "height": 480})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(local.url + "/")
        open_widget(page)
        for i in range(4):                       # some conversation above the answer
            ask(page, f"問題{i}")
            wait_for_count(page, BOT, i + 1, 10_000)
        ask(page, "試算貸款")
        card = page.locator("[data-testid=calc-card]").last
        expect(card).to_be_visible(timeout=10_000)
        wait_for_count(page, BOT, 5, 10_000)     # one message for the result: the card
        expect(page.locator(".hw-bubble", has_text="【低利貸款試算】")).to_have_count(0)
        expect(page.locator(BOT).last.locator(".hw-bubble")).to_have_count(0)

        lead = card.locator("[data-testid=calc-lead]")
        expect(lead).to_have_text("轉型發展專案貸款利息補貼約55.8萬元（估算）；轉型發展專案貸款額度上限3,500萬元（固定金額）。")
        expect(card.locator("[data-testid=calc-amount]")).to_have_text("約55.8萬元（估算）")
        expect(card.locator("[data-testid=calc-limit]")).to_have_text("3,500萬元（固定金額）")
        expect(card.locator("[data-testid=calc-next]")).to_contain_text("下一步：貸款申請與核貸問題，請洽馬上辦服務中心：0800-056-476")
        expect(card.locator("[data-testid=calc-citations]")).to_have_count(1)
        expect(card.locator("[data-testid=calc-citations]")).to_contain_text("依據：低利貸款．轉型發展專案貸款")

        # the view shows the new answer from its start (its top at the top of the conversation)
        offset = """() => {
            const log = document.querySelector('#hotline-widget-log');
            const msgs = log.querySelectorAll('[data-testid=msg-bot]');
            return msgs[msgs.length - 1].getBoundingClientRect().top - log.getBoundingClientRect().top; }"""
        try:
            page.wait_for_function(f"() => {{ const d = ({offset})(); return d >= -1 && d <= 24; }}", timeout=5_000)
        except Exception:
            sizes = page.evaluate("""() => { const log = document.querySelector('#hotline-widget-log');
                const msgs = log.querySelectorAll('[data-testid=msg-bot]');
                return [log.clientHeight, msgs[msgs.length - 1].offsetHeight, log.scrollTop, log.scrollHeight]; }""")
            pytest.fail(f"the new answer starts {page.evaluate(offset)}px below the top of the view "
                        f"(view, answer height, scrollTop, scrollHeight: {sizes})")
        not_at_end = page.evaluate("""() => { const log = document.querySelector('#hotline-widget-log');
            return log.scrollHeight - log.scrollTop - log.clientHeight; }""")
        assert not_at_end > 20, "the view jumped to the end of the answer"
        screenshot(page, "widget-card-plain")

        steps = card.locator("[data-testid=calc-steps]")
        summary = steps.locator("summary")
        expect(summary).to_have_text("看計算過程")
        expect(steps.locator("ol li").first).to_be_hidden()            # collapsed
        summary.focus()
        page.keyboard.press("Enter")                                    # opened by keyboard
        expect(steps).to_have_attribute("open", "")
        expect(steps.locator("ol li").first).to_be_visible()
        expect(steps.locator("ol li").first).to_contain_text("適用")
        steps.locator("ol li").first.scroll_into_view_if_needed()
        screenshot(page, "widget-card-steps-open")
        page.keyboard.press("Enter")                                    # and closed again
        expect(steps.locator("ol li").first).to_be_hidden()
        assert not errors, errors
    finally:
        context.close()
