"""The user's side of a handoff (issue 15), through the real Hub and Store with a stand-in Rasa:
the contact step answers questions instead of looping, offers 「留電話」/「不用」, keeps a time to call
with the number, tells a ticket reference, lets the user change or withdraw the contact, and opens a
complaint with an apology."""
from __future__ import annotations

import asyncio
from datetime import datetime

from channels import texts
from channels.app import build_context
from channels.core.contact import contact_note, is_contact_only, looks_like_question
from channels.core.hours import TAIPEI
from channels.core.hub import (PAYLOAD_CHANGE_CONTACT, PAYLOAD_LEAVE_CONTACT, PAYLOAD_NO_CONTACT, PAYLOAD_WITHDRAW,
                               ticket_ref)
from channels.core.store import SearchQuery, TicketState
from channels.settings import Settings
from observe.pii import mask
from fakes import FakeRasa, handoff_script

FRIDAY_19 = datetime(2026, 11, 27, 19, 0, tzinfo=TAIPEI)
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=TAIPEI)


def make(tmp_path, now=FRIDAY_19, reason="requested"):
    rasa = FakeRasa(handoff_script(reason=reason))
    ctx = build_context(Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}"), clock=lambda: now, rasa=rasa)
    return ctx, rasa


def say(ctx, text, payload=None, session="s1"):
    return asyncio.run(ctx.hub.user_message("web", session, text, payload=payload))


def buttons(message):
    return [b["payload"] for b in (message.payload or {}).get("buttons", [])]


def test_a_question_while_the_contact_is_asked_for_is_answered_not_looped(tmp_path):
    ctx, rasa = make(tmp_path)
    opened = say(ctx, "找專人")
    ticket = ctx.store.open_ticket("web:s1")
    assert ticket.state is TicketState.AWAITING_CONTACT
    assert ticket_ref(ticket.id) in opened[0].text and "案件編號" in opened[0].text
    assert buttons(opened[0]) == [PAYLOAD_LEAVE_CONTACT, PAYLOAD_NO_CONTACT]
    for question in ("申請補助需要準備哪些文件？", "診斷輔導要多少錢"):
        replies = say(ctx, question)
        assert [m.author for m in replies] == ["bot", "system"]
        assert replies[0].text == f"bot: {question}"              # answered by the bot
        assert "不是有效的電話" not in " ".join(m.text for m in replies)
        assert replies[1].text == texts.CONTACT_REMINDER and buttons(replies[1]) == [PAYLOAD_LEAVE_CONTACT,
                                                                                        PAYLOAD_NO_CONTACT]
    assert ctx.store.open_ticket("web:s1").state is TicketState.AWAITING_CONTACT
    assert ctx.store.open_ticket("web:s1").contact_attempts == 0


def test_the_leave_phone_button_asks_for_it_and_the_time_said_with_the_number_is_kept(tmp_path):
    ctx, _ = make(tmp_path)
    say(ctx, "找專人")
    ask = say(ctx, texts.BUTTON_LEAVE_PHONE, PAYLOAD_LEAVE_CONTACT)
    assert ask[0].text == texts.CONTACT_ASK
    saved = say(ctx, "好啦 0922333444，下午打比較方便")
    t = ctx.store.open_ticket("web:s1")
    assert t.state is TicketState.CALLBACK and t.contact == "0922-333-444"
    assert t.summary["contact_time"] == "下午打比較方便"
    assert mask("0922-333-444") in saved[0].text and "下午打比較方便" in saved[0].text and ticket_ref(t.id) in saved[0].text
    assert buttons(saved[0]) == [PAYLOAD_CHANGE_CONTACT, PAYLOAD_WITHDRAW]


def test_typing_the_buttons_words_works_like_pressing_it(tmp_path):
    ctx, _ = make(tmp_path)
    say(ctx, "找專人")
    assert say(ctx, "留電話")[0].text == texts.CONTACT_ASK
    assert ctx.store.open_ticket("web:s1").contact_attempts == 0
    assert "不留聯絡方式" in say(ctx, "不用")[0].text


def test_the_no_button_registers_without_a_contact(tmp_path):
    ctx, rasa = make(tmp_path)
    say(ctx, "找專人")
    sent = len(rasa.sent)
    reply = say(ctx, texts.BUTTON_NO_CONTACT, PAYLOAD_NO_CONTACT)
    assert "不留聯絡方式" in reply[0].text
    t = ctx.store.open_ticket("web:s1")
    assert t.state is TicketState.CALLBACK and t.contact is None
    assert len(rasa.sent) == sent          # the hub's own button never reaches the bot


def test_the_contact_can_be_changed_and_the_callback_withdrawn(tmp_path):
    ctx, rasa = make(tmp_path)
    say(ctx, "找專人")
    say(ctx, "0912345678")
    ask = say(ctx, texts.BUTTON_CHANGE_CONTACT, PAYLOAD_CHANGE_CONTACT)
    assert ask[0].text == texts.CONTACT_CHANGE_ASK
    changed = say(ctx, "02-2345-6789 週三以後")
    t = ctx.store.open_ticket("web:s1")
    assert t.contact == "02-23456789" and t.summary["contact_time"] == "週三以後"
    assert "已更新您的聯絡方式" in changed[0].text
    # a question in the callback state still goes to the bot
    assert [m.text for m in say(ctx, "補助上限是多少")] == ["bot: 補助上限是多少"]
    gone = say(ctx, texts.BUTTON_WITHDRAW, PAYLOAD_WITHDRAW)
    assert ticket_ref(t.id) in gone[0].text and "已取消" in gone[0].text
    assert ctx.store.open_ticket("web:s1") is None
    closed = ctx.store.ticket(t.id)
    assert closed.state is TicketState.RESOLVED and closed.outcome == "withdrawn"
    # the old button pressed again: said politely, not sent to the bot
    sent = len(rasa.sent)
    stale = say(ctx, texts.BUTTON_WITHDRAW, PAYLOAD_WITHDRAW)
    assert stale[0].text == texts.HANDOFF_BUTTON_STALE and len(rasa.sent) == sent


def test_short_noise_still_gets_the_contact_hint_with_buttons(tmp_path):
    ctx, _ = make(tmp_path)
    say(ctx, "找專人")
    bad = say(ctx, "12345")
    assert bad[0].text == texts.CONTACT_INVALID and buttons(bad[0]) == [PAYLOAD_LEAVE_CONTACT, PAYLOAD_NO_CONTACT]


def test_in_hours_the_user_gets_a_reference_and_a_complaint_opens_with_an_apology(tmp_path):
    ctx, _ = make(tmp_path, now=MONDAY_10, reason="complaint")
    opened = say(ctx, "找專人 你們的系統一直出錯")
    t = ctx.store.open_ticket("web:s1")
    assert t.state is TicketState.WAITING
    assert opened[0].text.startswith(texts.COMPLAINT_APOLOGY)
    assert ticket_ref(t.id) in opened[0].text


def test_a_transfer_and_a_resolve_with_outcome_are_stored_and_searchable(tmp_path):
    ctx, _ = make(tmp_path, now=MONDAY_10)
    say(ctx, "找專人，我的電話 0911222333", session="old")
    t = ctx.store.open_ticket("web:old")
    wang = ctx.store.create_officer("wang", "王專員", "x")
    lee = ctx.store.create_officer("lee", "李專員", "x")
    asyncio.run(ctx.hub.claim(t.id, wang))
    moved = asyncio.run(ctx.hub.transfer(t.id, wang, lee, "他問的是貸款，請協助"))
    assert moved.officer_id == lee.id and moved.state is TicketState.WITH_OFFICER
    assert "請協助" in ctx.store.notes(t.id)[0].text
    assert "李專員" in ctx.store.messages("web:old")[-1].text
    done = asyncio.run(ctx.hub.resolve(t.id, lee, "called_reached"))
    assert done.outcome == "called_reached"
    assert ctx.store.search_tickets(SearchQuery(phone_digits="0911-222-333")) == [t.id]
    assert ctx.store.search_tickets(SearchQuery(text="貸款")) == []         # notes are not the conversation
    assert ctx.store.search_tickets(SearchQuery(text="找專人")) == [t.id]
    assert ctx.store.search_tickets(SearchQuery(outcome="spam")) == []
    assert ctx.store.search_tickets(SearchQuery(outcome="called_reached", text=f"#{t.id}")) == [t.id]


def test_contact_words():
    assert contact_note("好啦 0922333444，下午打比較方便") == "下午打比較方便"
    assert contact_note("0912345678") is None
    assert contact_note("wang@example.com 平日上午10點後") == "平日上午10點後"
    assert is_contact_only("我的電話是 0912345678") and not is_contact_only("0912345678 這支可以申請嗎？")
    assert looks_like_question("申請補助需要準備哪些文件？") and looks_like_question("多少錢？？")
    assert not looks_like_question("嗯") and not looks_like_question("？") and not looks_like_question("再說")
    assert not looks_like_question("0912345678") and not looks_like_question("不用了")
