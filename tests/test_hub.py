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
    assert [m.author for m in transcript if m.direction == "out"][-3:] == ["system", "officer", "system"]
    assert transcript[-1].text == texts.BOT_BACK and "林專員" in transcript[-4].text
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
    assert "0912-345-678" in ok[0].text and "11月30日（一）08:30" in ok[0].text
    ticket = ctx.store.open_ticket("line:U1")
    assert ticket.state is TicketState.CALLBACK and ticket.contact == "0912-345-678"
    assert ticket.callback_after == datetime(2026, 11, 30, 8, 30, tzinfo=TAIPEI)
    sent = len(rasa.sent)
    assert texts_of(run(ctx.hub.user_message("line", "U1", "補助上限"))) == ["bot: 補助上限"]  # bot is back
    assert len(rasa.sent) == sent + 1
    again = run(ctx.hub.user_message("line", "U1", "找專人"))  # no second ticket
    assert "0912-345-678" in again[0].text
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
    assert replies[0].text == texts.UPSTREAM_DOWN
    assert ctx.store.messages("web:s1")[0].text == "補助"


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
                                                 ["早安，回覆您週五的問題。"], [texts.BOT_BACK]]
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
