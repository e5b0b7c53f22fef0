"""The gateway's one code path (channels/core/hub.py) with a stand-in Rasa and an injected clock."""
from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from channels import texts
from channels.app import build_context
from channels.core.hours import TAIPEI
from channels.core.store import TicketConflict, TicketState
from channels.settings import Settings
from fakes import FakeRasa, handoff_script
from knowledge import contract

MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=TAIPEI)
FRIDAY_19 = datetime(2026, 11, 27, 19, 0, tzinfo=TAIPEI)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make(tmp_path, now=MONDAY_10, script=None):
    clock = Clock(now)
    rasa = FakeRasa(script or handoff_script())
    ctx = build_context(Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}", typical_wait_minutes=15),
                        clock=clock, rasa=rasa)
    return ctx, rasa, clock


def run(coro):
    return asyncio.run(coro)


def texts_of(messages):
    return [m.text for m in messages]


def test_plain_messages_go_to_rasa_and_both_directions_are_stored(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    replies = run(ctx.hub.user_message("web", "s1", "補助上限多少"))
    assert texts_of(replies) == ["bot: 補助上限多少"]
    assert rasa.sent == [("web:s1", "補助上限多少")]
    stored = ctx.store.messages("web:s1")
    assert [(m.direction, m.author, m.text) for m in stored] == [("in", "user", "補助上限多少"),
                                                                  ("out", "bot", "bot: 補助上限多少")]
    assert ctx.store.unhandled_inbound() == []


def test_button_payload_goes_to_rasa_and_its_title_to_the_transcript(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    run(ctx.hub.user_message("web", "s1", "診斷輔導費用", payload='/choose_topic{"topic_id":"diagnosis_cost"}'))
    assert rasa.sent[-1][1] == '/choose_topic{"topic_id":"diagnosis_cost"}'
    assert ctx.store.messages("web:s1")[0].text == "診斷輔導費用"


def test_in_hours_handoff_opens_a_waiting_ticket_and_the_bot_goes_silent(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    replies = run(ctx.hub.user_message("web", "s1", "找專人"))
    assert len(replies) == 1 and "已為您轉接專人" in replies[0].text and "排隊第1位" in replies[0].text
    assert "15分鐘" in replies[0].text  # no claimed tickets yet: the configured typical wait
    ticket = ctx.store.open_ticket("web:s1")
    assert ticket.state is TicketState.WAITING and ticket.reason == "requested"
    assert ticket.summary["slots"] == {"employees": 25, "total_budget": 8_000_000}
    sent_before = len(rasa.sent)
    first = run(ctx.hub.user_message("web", "s1", "我的案子是去年送的"))
    second = run(ctx.hub.user_message("web", "s1", "還在嗎"))
    assert len(rasa.sent) == sent_before  # not passed to the bot
    assert "已收到您的留言" in first[0].text and second == []  # one acknowledgement, not one per message
    routed = [m for m in ctx.store.messages("web:s1") if m.direction == "in" and m.ticket_id == ticket.id]
    assert texts_of(routed) == ["我的案子是去年送的", "還在嗎"]


def test_without_measured_waits_or_a_setting_no_wait_figure_is_invented(tmp_path):
    ctx = build_context(Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}"), clock=Clock(MONDAY_10),
                        rasa=FakeRasa(handoff_script()))
    text = run(ctx.hub.user_message("web", "s1", "找專人"))[0].text
    assert texts.WAIT_UNKNOWN in text and "分鐘" not in text


def test_second_waiting_company_is_told_its_place(tmp_path):
    ctx, _, _ = make(tmp_path)
    run(ctx.hub.user_message("web", "a", "找專人"))
    replies = run(ctx.hub.user_message("line", "U2", "找專人"))
    assert "排隊第2位" in replies[0].text


def test_officer_claim_reply_resolve_and_the_bot_resumes(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    run(ctx.hub.user_message("web", "s1", "找專人"))
    ticket = ctx.store.open_ticket("web:s1")
    lin = ctx.store.create_officer("lin", "林專員", "x")
    wang = ctx.store.create_officer("wang", "王專員", "x")
    with pytest.raises(TicketConflict):
        run(ctx.hub.officer_reply(ticket.id, lin, "先回覆"))  # must claim first
    run(ctx.hub.claim(ticket.id, lin))
    with pytest.raises(TicketConflict):
        run(ctx.hub.claim(ticket.id, wang))               # held by 林專員
    with pytest.raises(TicketConflict):
        run(ctx.hub.officer_reply(ticket.id, wang, "我來"))
    with pytest.raises(TicketConflict):
        run(ctx.hub.resolve(ticket.id, wang))
    run(ctx.hub.officer_reply(ticket.id, lin, "您好，我是林專員，請問案件編號？"))
    assert run(ctx.hub.user_message("web", "s1", "A123")) == []  # with an officer: no bot, no ack
    resolved = run(ctx.hub.resolve(ticket.id, lin))
    assert resolved.state is TicketState.RESOLVED
    sender, events = rasa.events[-1]
    assert sender == "web:s1"
    assert events[0] == {"event": "bot", "text": "您好，我是林專員，請問案件編號？",
                         "metadata": {"officer": "林專員", "ticket_id": ticket.id}}
    assert events[-1] == {"event": "action", "name": "action_listen"}
    assert {"event": "active_loop", "name": None} in events
    transcript = ctx.store.messages("web:s1")
    # the bot is back, then the satisfaction question (issue 16)
    assert [m.author for m in transcript if m.direction == "out"][-4:] == ["system", "officer", "system", "system"]
    assert [m.text for m in transcript][-2:] == [texts.BOT_BACK, texts.CSAT_ASK]
    assert transcript[-2].text == texts.BOT_BACK and "林專員" in transcript[-5].text
    replies = run(ctx.hub.user_message("web", "s1", "診斷要多少錢"))
    assert texts_of(replies) == ["bot: 診斷要多少錢"] and rasa.sent[-1] == ("web:s1", "診斷要多少錢")


def test_take_over_is_explicit(tmp_path):
    ctx, _, _ = make(tmp_path)
    run(ctx.hub.user_message("web", "s1", "找專人"))
    t = ctx.store.open_ticket("web:s1")
    a, b = ctx.store.create_officer("a", "甲", "x"), ctx.store.create_officer("b", "乙", "x")
    run(ctx.hub.claim(t.id, a))
    taken = run(ctx.hub.claim(t.id, b, take_over=True))
    assert taken.officer_name == "乙"
    with pytest.raises(TicketConflict):
        run(ctx.hub.officer_reply(t.id, a, "還是我"))


def test_out_of_hours_asks_for_a_contact_and_opens_a_callback(tmp_path):
    ctx, rasa, _ = make(tmp_path, now=FRIDAY_19)
    first = run(ctx.hub.user_message("line", "U1", "找專人"))
    assert "目前非專人服務時間" in first[0].text and "11月30日（一）08:30" in first[0].text
    assert ctx.store.open_ticket("line:U1").state is TicketState.AWAITING_CONTACT
    bad = run(ctx.hub.user_message("line", "U1", "12345"))
    assert "不是有效的電話或Email" in bad[0].text
    ok = run(ctx.hub.user_message("line", "U1", "我的電話是 0912345678"))
    assert "09**-***-678" in ok[0].text and "11月30日（一）08:30" in ok[0].text   # masked (issue 13)
    ticket = ctx.store.open_ticket("line:U1")
    assert ticket.state is TicketState.CALLBACK and ticket.contact == "0912-345-678"
    assert ticket.callback_after == datetime(2026, 11, 30, 8, 30, tzinfo=TAIPEI)
    sent = len(rasa.sent)
    assert texts_of(run(ctx.hub.user_message("line", "U1", "補助上限"))) == ["bot: 補助上限"]  # bot is back
    assert len(rasa.sent) == sent + 1
    again = run(ctx.hub.user_message("line", "U1", "找專人"))  # no second ticket
    assert "09**-***-678" in again[0].text
    # the clear number is only in the ticket's contact field, not in the transcript
    said = [m.text for m in ctx.store.messages("line:U1") if m.direction == "in"]
    assert "我的電話是 09*****678" in said and not [t for t in said if "0912" in t]
    assert len(ctx.store.tickets([TicketState.CALLBACK])) == 1


def test_out_of_hours_contact_can_be_declined(tmp_path):
    ctx, _, _ = make(tmp_path, now=datetime(2026, 11, 28, 12, 0, tzinfo=TAIPEI))  # Saturday
    run(ctx.hub.user_message("web", "s9", "找專人"))
    reply = run(ctx.hub.user_message("web", "s9", "不用了"))
    assert "不留聯絡方式" in reply[0].text
    t = ctx.store.open_ticket("web:s9")
    assert t.state is TicketState.CALLBACK and t.contact is None


def test_three_unrecognised_contacts_still_register_the_callback(tmp_path):
    ctx, _, _ = make(tmp_path, now=FRIDAY_19)
    run(ctx.hub.user_message("web", "s2", "找專人"))
    run(ctx.hub.user_message("web", "s2", "嗯"))
    run(ctx.hub.user_message("web", "s2", "再說"))
    last = run(ctx.hub.user_message("web", "s2", "？"))
    assert "已先為您登記" in last[0].text
    assert ctx.store.open_ticket("web:s2").state is TicketState.CALLBACK


def test_bot_unavailable_is_said_politely_and_the_message_is_kept(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    rasa.down = True
    replies = run(ctx.hub.user_message("web", "s1", "補助"))
    # the busy text now says what happens (answered when the bot is back), not "try again"
    assert replies[0].text == texts.QUEUED_WHILE_DOWN
    assert ctx.store.messages("web:s1")[0].text == "補助"
    assert [m.text for m in ctx.store.unhandled_inbound()] == ["補助"]   # still pending, not dropped


def test_oversized_message_is_cut_and_said_so(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    replies = run(ctx.hub.user_message("web", "s1", "字" * 5000))
    assert "超過1000字" in replies[0].text and len(rasa.sent[-1][1]) == 1000


def test_messages_stored_but_not_answered_are_answered_after_a_restart(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    ctx.store.touch_conversation("web:s1", "web", "s1")
    ctx.store.add_message("web:s1", "in", "user", "當機前的問題")  # stored, then the process died
    ctx2, rasa2, _ = make(tmp_path)
    assert run(ctx2.hub.replay_unhandled()) == 1
    assert rasa2.sent == [("web:s1", "當機前的問題")]
    assert ctx2.store.messages("web:s1")[-1].text == "bot: 當機前的問題"
    assert run(ctx2.hub.replay_unhandled()) == 0


def test_measured_wait_replaces_the_configured_one(tmp_path):
    ctx, _, clock = make(tmp_path)
    run(ctx.hub.user_message("web", "a", "找專人"))
    t = ctx.store.open_ticket("web:a")
    run(ctx.hub.claim(t.id, ctx.store.create_officer("o", "歐", "x")))
    replies = run(ctx.hub.user_message("web", "b", "找專人"))
    assert "最近專人通常約1分鐘內回覆" in replies[0].text


class RecordingDelivery:
    def __init__(self):
        self.sent: list[tuple[str, list[str]]] = []

    async def deliver(self, conversation_id, external_id, messages):
        self.sent.append((external_id, [m.text for m in messages]))
        return True


def test_next_morning_an_officer_takes_a_callback_and_the_reply_is_pushed(tmp_path):
    ctx, _, clock = make(tmp_path, now=FRIDAY_19)
    line = ctx.hub.deliveries["line"] = RecordingDelivery()
    run(ctx.hub.user_message("line", "U7", "找專人"))
    run(ctx.hub.user_message("line", "U7", "wang@example.com"))
    t = ctx.store.open_ticket("line:U7")
    assert t.state is TicketState.CALLBACK and t.contact == "wang@example.com"
    clock.now = MONDAY_10
    officer = ctx.store.create_officer("lin", "林專員", "x")
    assert run(ctx.hub.claim(t.id, officer)).state is TicketState.WITH_OFFICER
    run(ctx.hub.officer_reply(t.id, officer, "早安，回覆您週五的問題。"))
    assert run(ctx.hub.resolve(t.id, officer)).state is TicketState.RESOLVED
    assert [sent for _, sent in line.sent] == [[texts.OFFICER_JOINED.format(name="林專員")],
                                                 ["早安，回覆您週五的問題。"], [texts.BOT_BACK, texts.CSAT_ASK]]
    undelivered = ctx.store.undelivered_outbound("line")
    assert "早安，回覆您週五的問題。" not in [m.text for m in undelivered]


def test_an_officer_can_close_a_ticket_still_asking_for_a_contact(tmp_path):
    ctx, rasa, _ = make(tmp_path, now=FRIDAY_19)
    run(ctx.hub.user_message("web", "s5", "找專人"))
    t = ctx.store.open_ticket("web:s5")
    officer = ctx.store.create_officer("lin", "林專員", "x")
    assert run(ctx.hub.resolve(t.id, officer)).state is TicketState.RESOLVED
    assert texts_of(run(ctx.hub.user_message("web", "s5", "補助上限"))) == ["bot: 補助上限"]
    with pytest.raises(TicketConflict):
        run(ctx.hub.resolve(t.id, officer))  # already resolved


def test_the_reasons_said_are_exactly_the_contracts_reason_codes():
    assert set(texts.REASONS) == set(contract.HANDOFF_REASON_CODES)


def test_an_unknown_reason_is_taken_as_a_request_and_resuming_resets_the_contracts_slots(tmp_path):
    ctx, rasa, _ = make(tmp_path, script=handoff_script(reason="no-such-reason"))
    run(ctx.hub.user_message("web", "s6", "找專人"))
    t = ctx.store.open_ticket("web:s6")
    assert t.reason == contract.REQUESTED
    officer = ctx.store.create_officer("lin", "林專員", "x")
    run(ctx.hub.resolve(t.id, officer))
    _, events = rasa.events[-1]
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == contract.RESET_ON_RESUME


# ---------------------------------------------------------------- at-least-once answering (issue 12)
def replies_of(store, conversation_id):
    """user message id -> texts of its answers (outage notices left out), in stored order."""
    out: dict[int, list[str]] = {}
    for m in store.messages(conversation_id):
        if m.direction == "out" and m.reply_to is not None and (m.payload or {}).get("kind") not in ("queued", "recovered"):
            out.setdefault(m.reply_to, []).append(m.text)
    return out


def test_messages_sent_while_rasa_is_down_are_answered_in_order_once_it_is_back(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    rasa.down = True
    first = run(ctx.hub.user_message("web", "s1", "一"))
    second = run(ctx.hub.user_message("web", "s1", "二"))
    assert texts_of(first) == texts_of(second) == [texts.QUEUED_WHILE_DOWN]
    assert [m.text for m in ctx.store.unhandled_inbound()] == ["一", "二"]
    rasa.down = False
    assert run(ctx.hub.replay_unhandled()) == 1          # one conversation with pending messages
    assert rasa.sent == [("web:s1", "一"), ("web:s1", "二")]
    assert ctx.store.unhandled_inbound() == []
    stored = ctx.store.messages("web:s1")
    ins = [m.id for m in stored if m.direction == "in"]
    assert replies_of(ctx.store, "web:s1") == {ins[0]: ["bot: 一"], ins[1]: ["bot: 二"]}
    # each late answer is introduced once, after the busy notices, before the answer itself
    tail = [m.text for m in stored][-4:]
    assert tail[0].startswith("系統已恢復") and "「一」" in tail[0] and tail[1] == "bot: 一"
    assert run(ctx.hub.replay_unhandled()) == 0          # nothing answered twice


def test_a_replay_while_rasa_is_still_down_leaves_messages_pending_without_a_busy_text(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    ctx.store.touch_conversation("web:s1", "web", "s1")
    ctx.store.add_message("web:s1", "in", "user", "當機前的問題")
    rasa.down = True
    run(ctx.hub.replay_unhandled())
    assert [m.text for m in ctx.store.unhandled_inbound()] == ["當機前的問題"]
    assert [m.direction for m in ctx.store.messages("web:s1")] == ["in"]   # nothing said, nothing dropped


def test_a_newer_message_waits_behind_an_older_pending_one(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    ctx.store.touch_conversation("web:s1", "web", "s1")
    ctx.store.add_message("web:s1", "in", "user", "舊的")      # pending (e.g. from before a restart)
    replies = run(ctx.hub.user_message("web", "s1", "新的"))
    assert rasa.sent == [("web:s1", "舊的"), ("web:s1", "新的")]
    assert texts_of(replies) == ["bot: 舊的", "bot: 新的"]


def empty_when(pred):
    def script(sender, message):
        return [] if pred() else [{"text": f"bot: {message}"}]
    return script


def test_an_empty_reply_is_no_answer_the_message_stays_pending(tmp_path):
    actions_down = [True]
    ctx, rasa, _ = make(tmp_path, script=empty_when(lambda: actions_down[0]))

    async def healthy():
        return not actions_down[0]
    ctx.hub.bot_healthy = healthy
    for _ in range(5):   # however often it is tried while the action server is down
        assert texts_of(run(ctx.hub.user_message("web", "s1", "補助"))) == [texts.QUEUED_WHILE_DOWN] \
            or run(ctx.hub.replay_unhandled()) >= 0
    assert [m.text for m in ctx.store.unhandled_inbound()] == ["補助"] * 5
    actions_down[0] = False
    run(ctx.hub.replay_unhandled())
    assert ctx.store.unhandled_inbound() == []
    assert all(v == ["bot: 補助"] for v in replies_of(ctx.store, "web:s1").values())


def test_an_empty_reply_while_everything_is_healthy_is_given_up_after_a_few_tries(tmp_path):
    ctx, rasa, _ = make(tmp_path, script=empty_when(lambda: True))

    async def healthy():
        return True
    ctx.hub.bot_healthy = healthy
    for _ in range(3):
        run(ctx.hub.replay_unhandled()) if _ else run(ctx.hub.user_message("web", "s1", "怪問題"))
    run(ctx.hub.replay_unhandled())
    assert ctx.store.unhandled_inbound() == []
    assert ctx.store.messages("web:s1")[-1].text == texts.MESSAGE_FAILED


def test_a_request_for_a_person_opens_a_ticket_while_rasa_is_down(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    rasa.down = True
    run(ctx.hub.user_message("web", "s1", "補助上限多少"))          # pending
    replies = run(ctx.hub.user_message("web", "s1", "我要找真人"))
    ticket = ctx.store.open_ticket("web:s1")
    assert ticket is not None and ticket.state is TicketState.WAITING and ticket.reason == "requested"
    assert ticket.summary["pending_questions"] == ["補助上限多少"] and ticket.summary["bot_unavailable"]
    assert "已為您轉接專人" in replies[-1].text
    assert ctx.store.unhandled_inbound() == []                    # both routed to the ticket
    assert all(m.ticket_id == ticket.id for m in ctx.store.messages("web:s1") if m.direction == "in")


def test_a_programme_question_with_a_trigger_word_opens_no_ticket_while_rasa_is_down(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    rasa.down = True
    run(ctx.hub.user_message("web", "s1", "專人到廠診斷要多少錢"))
    assert ctx.store.open_ticket("web:s1") is None
    assert [m.text for m in ctx.store.unhandled_inbound()] == ["專人到廠診斷要多少錢"]


def test_while_the_bot_is_up_its_own_handoff_decides(tmp_path):
    ctx, rasa, _ = make(tmp_path, script=lambda sender, message: [{"text": "bot answers"}])
    run(ctx.hub.user_message("web", "s1", "我要找真人"))
    assert ctx.store.open_ticket("web:s1") is None and rasa.sent == [("web:s1", "我要找真人")]


class Exploding(FakeRasa):
    async def send(self, sender, message, metadata=None):
        if "炸" in message:
            raise UnicodeEncodeError("utf-8", message, 0, 1, "surrogates not allowed")
        return await super().send(sender, message, metadata)


def test_a_message_that_cannot_be_answered_is_marked_failed_on_its_own(tmp_path):
    clock = Clock(MONDAY_10)
    rasa = Exploding()
    ctx = build_context(Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}"), clock=clock, rasa=rasa)
    ctx.store.touch_conversation("web:s1", "web", "s1")
    ctx.store.add_message("web:s1", "in", "user", "炸")
    ctx.store.add_message("web:s1", "in", "user", "後面的問題")
    run(ctx.hub.replay_unhandled())
    assert ctx.store.unhandled_inbound() == []
    stored = ctx.store.messages("web:s1")
    assert [m.text for m in stored if m.direction == "out"] == [texts.MESSAGE_FAILED, "bot: 後面的問題"]


def test_idle_conversation_locks_are_dropped(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    for i in range(50):
        run(ctx.hub.user_message("web", f"s{i}", "補助"))
    assert ctx.hub._locks == {}


def test_concurrent_messages_of_one_conversation_are_answered_once_each_in_order(tmp_path):
    ctx, rasa, _ = make(tmp_path)

    async def main():
        ins = [await ctx.hub.accept("web", "s1", f"問題{i}") for i in range(6)]
        await asyncio.gather(*(ctx.hub.answer(m) for m in reversed(ins)), ctx.hub.replay_unhandled())
        return ins
    ins = run(main())
    assert [m for _, m in rasa.sent] == [f"問題{i}" for i in range(6)]
    assert replies_of(ctx.store, "web:s1") == {m.id: [f"bot: 問題{i}"] for i, m in enumerate(ins)}


# ---------------------------------------------------------------- the gateway's own "a person, please" rule
from channels.core.person import wants_person  # noqa: E402


@pytest.mark.parametrize("text", [
    "我要找真人", "真人", "找專人", "請幫我轉專人", "可以轉接客服嗎", "人工客服", "轉人工", "客服在嗎",
    "請打電話給我", "請專人回電", "有承辦人可以聯絡嗎", "我想跟真人說話", "talk to a human",
    "Can I speak with an agent?", "I want a real person", "call me please", "ＴＡＬＫ ＴＯ Ａ ＨＵＭＡＮ",
    "專人到廠診斷太貴了，我要找專人"])
def test_a_request_for_a_person_is_recognised(text):
    assert wants_person(text)


@pytest.mark.parametrize("text", [
    "專人到廠診斷要多少錢", "專人到廠診斷的流程", "請問專人輔導的內容", "專人訪視要準備什麼",
    "AI人工智慧導入有補助嗎", "人工成本可以列入補助嗎", "客服系統導入算數位轉型嗎", "診斷輔導要多少錢",
    "補助上限多少", "你好", "謝謝", "human resources training subsidy", ""])
def test_programme_questions_are_not_taken_for_a_request_for_a_person(text):
    assert not wants_person(text)


def test_the_bots_request_human_payload_counts_as_a_request():
    assert wants_person("找專人協助", "/request_human") and wants_person("按鈕", "/request_human")
    assert not wants_person("按鈕", "/greet")


def test_the_background_task_answers_pending_messages_once_the_bot_is_back(tmp_path):
    ctx, rasa, _ = make(tmp_path)
    line = ctx.hub.deliveries["line"] = RecordingDelivery()

    async def main():
        stop = asyncio.Event()
        task = asyncio.create_task(ctx.hub.retry_pending(stop))
        rasa.down = True
        await ctx.hub.user_message("line", "U1", "一")
        await ctx.hub.user_message("line", "U1", "二")
        await ctx.hub.user_message("web", "w1", "三")
        await asyncio.sleep(2.5)
        assert len(ctx.store.unhandled_inbound()) == 3
        rasa.down = False
        for _ in range(100):
            if not ctx.store.unhandled_inbound():
                break
            await asyncio.sleep(0.2)
        stop.set()
        await asyncio.wait_for(task, 5)
    run(main())
    assert ctx.store.unhandled_inbound() == []
    assert [m for _, m in rasa.sent if m in ("一", "二")] == ["一", "二"]
    pushed = [t for _, texts_ in line.sent for t in texts_]
    assert [t for t in pushed if t.startswith("bot:")] == ["bot: 一", "bot: 二"]   # LINE: pushed
    assert any(t.startswith("系統已恢復") for t in pushed)
