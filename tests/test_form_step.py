"""The guided calculations' dialogue logic, one turn at a time, in-process (no Rasa, no servers).

``Talk`` plays the part of Rasa's form loop around the pure ``form_step.step``: it keeps the slots,
applies each outcome and asks the next question, the way actions/forms.py's adapter does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from actions import messages as msg
from actions.form_spec import FORMS, LOAN_MAX, ask_buttons, ask_text, explain_text
from actions.form_step import MAX_MISSES, Decline, Outcome, step
from knowledge.calc.params import parameters
from knowledge.calc.result import wan

P = parameters()


@dataclass
class Talk:
    form: str
    question_answered: set[str] = field(default_factory=set)  # texts the knowledge "answers"
    slots: dict[str, Any] = field(default_factory=dict)
    asked: str | None = None
    failures: int = 0
    questions_seen: list[str] = field(default_factory=list)
    pending: dict[str, Any] | None = None   # an "about" amount waiting for 「以…計算，對嗎？」

    def say(self, text: str, intent: str | None = None) -> Outcome:
        out = step(FORMS[self.form], self.slots, self.asked, text, intent, self.failures,
                   lambda t: self.questions_seen.append(t) or t in self.question_answered, self.pending)
        if out.declined is None:
            self.slots.update(out.updates)
            self.asked, self.failures, self.pending = out.next_slot, out.failures, out.pending
        return out

    def question(self) -> str:
        """What the ask action says next (the confirmation when an amount waits for it)."""
        return ask_text(self.asked, self.pending)

    def result(self):
        return FORMS[self.form].result(self.slots)


def said(out: Outcome) -> str:
    return "\n".join(r.text for r in out.replies)


# ---------------------------------------------------------------- several facts in one message

def test_several_facts_in_one_message_are_noted_and_only_the_missing_question_is_asked():
    talk = Talk("subsidy_form")
    out = talk.say("我們是25人的製造業中小企業，總經費800萬，新設備500萬，幫我算補助", "calc_subsidy")
    assert out.replies[0].text == msg.FORM_INTRO["subsidy_form"]
    assert "已記下" in said(out) and "員工25人" in said(out) and "計畫總經費800萬元" in said(out)
    assert out.updates == {"manufacturing": True, "sme": True, "employees": 25, "total_budget": 8_000_000,
                           "cost_items": {"new_equipment": 5_000_000}}
    assert out.next_slot == "lead_factory" and out.failures == 0
    done = talk.say("否")
    assert done.complete and done.replies == ()
    assert talk.result().amount == 3_999_999 and talk.result().extra["tier"] == "medium"


def test_a_second_fact_given_with_an_answer_is_noted_too():
    talk = Talk("subsidy_form")
    talk.say("幫我試算補助", "calc_subsidy")
    talk.say("是")
    out = talk.say("是，我們有12個員工")
    assert out.updates == {"sme": True, "employees": 12}
    assert said(out).startswith("已記下") and "中小企業" in said(out) and "員工12人" in said(out)
    assert out.next_slot == "lead_factory"


def test_sme_follows_from_capital_when_not_stated():
    talk = Talk("subsidy_form")
    talk.say("幫我試算補助", "calc_subsidy")
    talk.say("是")
    out = talk.say("資本額5000萬")
    assert out.updates == {"company_capital": 50_000_000, "sme": True}
    assert out.next_slot == "employees"


def test_a_known_fact_is_not_overwritten_by_a_number_answering_another_question():
    talk = Talk("subsidy_form", slots={"manufacturing": True, "sme": True, "employees": 25,
                                       "lead_factory": False}, asked="total_budget")
    out = talk.say("八百萬")
    assert out.updates == {"total_budget": 8_000_000} and talk.slots["employees"] == 25
    assert out.next_slot == "cost_items"


# ---------------------------------------------------------------- answers it does not understand

def test_a_misunderstood_answer_is_explained_and_asked_again():
    talk = Talk("subsidy_form", slots={"manufacturing": True, "sme": True}, asked="employees")
    out = talk.say("很多")
    assert said(out) == msg.NOT_UNDERSTOOD + explain_text("employees")
    assert "員工人數" in said(out) and out.replies[0].buttons == ()
    assert out.next_slot == "employees" and out.failures == 1 and out.updates == {}


def test_two_misunderstood_answers_in_a_row_offer_to_stop_or_talk_to_a_person():
    talk = Talk("subsidy_form", slots={"manufacturing": True, "sme": True}, asked="employees")
    talk.say("很多")
    out = talk.say("好多好多")
    assert out.failures == MAX_MISSES and out.next_slot == "employees"
    assert said(out).startswith(msg.STILL_NOT_UNDERSTOOD) and explain_text("employees") in said(out)
    assert {b["payload"] for b in out.replies[0].buttons} == {"/stop", "/request_human"}
    accepted = talk.say("12人")  # still in the form: the answer is taken and the count starts again
    assert accepted.updates["employees"] == 12 and accepted.failures == 0 and accepted.next_slot == "lead_factory"


def test_a_bare_amount_without_unit_is_asked_again_with_its_unit():
    talk = Talk("subsidy_form", slots={"manufacturing": True, "sme": True, "employees": 10,
                                       "lead_factory": False}, asked="total_budget")
    out = talk.say("800")
    assert said(out) == msg.UNIT_MISSING and "單位" in said(out)
    assert out.updates == {} and out.next_slot == "total_budget" and out.failures == 1
    assert talk.say("800萬").updates == {"total_budget": 8_000_000}


@pytest.mark.parametrize("slot", ["capital_spending", "loan_amount"])
def test_the_loan_amounts_want_a_unit_too(slot):
    talk = Talk("loan_form", slots={"sme": True, "employees": 20, "transformation_plan": True,
                                    "loan_purpose": "capital"}, asked=slot)
    assert said(talk.say("500")) == msg.UNIT_MISSING


def test_cost_items_above_the_budget_are_questioned():
    talk = Talk("subsidy_form", slots={"manufacturing": True, "sme": True, "employees": 10,
                                       "lead_factory": False, "total_budget": 8_000_000}, asked="cost_items")
    out = talk.say("新設備900萬")
    assert said(out) == msg.COSTS_TOO_LARGE and "cost_items" not in out.updates
    assert out.next_slot == "cost_items"


# ---------------------------------------------------------------- 不知道, stop, a person, a question

def test_dont_know_is_explained_with_the_figures_of_the_parameters_and_not_counted_as_a_miss():
    talk = Talk("subsidy_form", slots={"manufacturing": True}, asked="sme", failures=1)
    out = talk.say("不知道")
    assert said(out) == explain_text("sme")
    assert wan(P.sme_capital_max) in said(out) and f"{P.sme_employees_below}人" in said(out)
    assert "1億元" in said(out) and "200人" in said(out)  # the brief's figures, as parameters.yml holds them
    assert out.failures == 1 and out.next_slot == "sme"
    assert talk.say("資本額5000萬").next_slot == "employees"


def test_dont_know_the_loan_amount_means_the_highest_amount():
    talk = Talk("loan_form", slots={"sme": True, "employees": 20, "transformation_plan": False}, asked="loan_amount")
    out = talk.say("不知道")
    assert out.updates == {"loan_amount": LOAN_MAX} and out.complete


@pytest.mark.parametrize("text,intent", [("不算了", None), ("不算了", "stop"), ("算了不用了", "stop")])
def test_stop_lets_the_form_go(text, intent):
    talk = Talk("subsidy_form", slots={"manufacturing": True}, asked="sme")
    out = talk.say(text, intent)
    assert out.declined is Decline.STOP and out.replies == () and out.updates == {}


def test_an_answer_mistaken_for_stop_is_still_an_answer():
    talk = Talk("subsidy_form", slots={"manufacturing": True}, asked="sme")
    out = talk.say("不是", "stop")
    assert out.declined is None and out.updates["sme"] is False


def test_asking_for_a_person_mid_form_lets_the_form_go():
    talk = Talk("subsidy_form", slots={"manufacturing": True}, asked="sme")
    assert talk.say("我想找專人", "request_human").declined is Decline.HANDOFF


def test_a_programme_question_mid_form_is_answered_and_the_form_continues():
    question = "補助上限是多少"
    talk = Talk("subsidy_form", question_answered={question}, slots={"manufacturing": True}, asked="sme")
    out = talk.say(question, "ask_programme")
    assert out.declined is Decline.QUESTION and talk.questions_seen == [question]
    assert talk.asked == "sme" and talk.failures == 0     # the form waits on the same question
    back = talk.say("是")
    assert back.updates == {"sme": True} and back.next_slot == "employees"


def test_a_question_the_knowledge_cannot_answer_counts_as_a_miss():
    talk = Talk("subsidy_form", slots={"manufacturing": True}, asked="sme")
    out = talk.say("你們的辦公室在哪裡", "ask_programme")
    assert out.declined is None and out.failures == 1 and msg.NOT_UNDERSTOOD in said(out)


def test_a_message_that_answers_is_not_taken_for_a_question():
    talk = Talk("subsidy_form", question_answered={"我們有25人"}, slots={"manufacturing": True, "sme": True},
                asked="employees")
    out = talk.say("我們有25人", "ask_programme")
    assert out.updates == {"employees": 25} and talk.questions_seen == []


# ---------------------------------------------------------------- each form to its end

def test_subsidy_form_one_question_at_a_time():
    talk = Talk("subsidy_form")
    assert talk.say("幫我試算補助", "calc_subsidy").next_slot == "manufacturing"
    assert talk.say("是").next_slot == "sme"
    assert talk.say("對").next_slot == "employees"
    assert talk.say("八個人").next_slot == "lead_factory"
    assert talk.say("否").next_slot == "total_budget"
    assert talk.say("一千萬").next_slot == "cost_items"
    assert talk.say("沒有明細").complete
    assert talk.result().amount == 3_000_000 and talk.result().extra["tier"] == "small"


def test_subsidy_form_ends_at_once_for_a_non_manufacturer():
    talk = Talk("subsidy_form")
    talk.say("幫我試算補助", "calc_subsidy")
    assert talk.say("不是").complete and not talk.result().eligible


def test_subsidy_form_asks_the_track_of_a_lead_factory():
    talk = Talk("subsidy_form", slots={"manufacturing": True, "sme": False}, asked="lead_factory")
    assert talk.say("是").next_slot == "track"
    assert talk.say("低碳化").next_slot == "total_budget"
    assert talk.slots["track"] == "lowcarbon"


def test_diagnosis_form():
    talk = Talk("diagnosis_form")
    out = talk.say("診斷要多少錢", "calc_diagnosis")
    assert out.replies[0].text == msg.FORM_INTRO["diagnosis_form"] and out.next_slot == "lead_factory"
    assert talk.say("否").next_slot == "sme"
    assert talk.say("是").complete
    assert talk.result().kind == "diagnosis" and talk.result().eligible


def test_loan_form_with_capital_spending():
    talk = Talk("loan_form")
    assert talk.say("我想借錢", "calc_loan").next_slot == "sme"
    assert talk.say("是").next_slot == "employees"
    assert talk.say("20人").next_slot == "transformation_plan"
    assert talk.say("是").next_slot == "loan_purpose"
    assert talk.say("買設備").next_slot == "capital_spending"
    assert talk.say("一千萬").next_slot == "loan_amount"
    assert talk.say("五百萬").complete
    assert talk.slots["loan_amount"] == 5_000_000 and talk.result().kind == "loan"


def test_loan_form_for_a_firm_with_only_a_tax_registration():
    talk = Talk("loan_form")
    out = talk.say("我們只有稅籍登記，可以貸款嗎", "calc_loan")
    assert out.updates.get("tax_only") is True and out.next_slot == "loan_amount"
    assert talk.say("最高").complete and talk.slots["loan_amount"] == LOAN_MAX


# ---------------------------------------------------------------- issue 10: what the calculators now offer

def test_the_rest_of_the_budget_named_in_words_is_used_in_the_dialogue():
    """「新設備大概三百萬，其他是人事費」 with a total of 800萬: 人事費 is self-funded → 240萬, not 300萬."""
    talk = Talk("subsidy_form", slots={"manufacturing": True, "sme": True, "employees": 8, "lead_factory": False,
                                       "total_budget": 8_000_000}, asked="cost_items")
    out = talk.say("新設備大概三百萬，其他是人事費")
    assert out.complete and out.pending is None
    assert talk.slots["cost_items"] == {"new_equipment": 3_000_000, "personnel": 5_000_000}
    assert "人事費500萬元" in said(out)          # the rest is said back before it is used
    assert talk.result().amount == 2_400_000


def test_a_registered_factory_that_is_not_an_sme_is_offered_the_transformation_loan():
    talk = Talk("loan_form")
    out = talk.say("我們不是中小企業，但有特定工廠登記，想借錢", "calc_loan")
    assert out.updates["sme"] is False and out.updates["registered_factory"] is True
    assert out.next_slot == "loan_purpose"       # no head count, no 「轉型嗎」: 轉型發展 applies to it
    assert talk.say("週轉金").next_slot == "loan_amount"
    assert talk.say("最高").complete
    result = talk.result()
    assert result.eligible and [o["loan"] for o in result.extra["options"]] == ["transformation"]


def test_without_a_registered_factory_a_non_sme_still_ends_at_once():
    talk = Talk("loan_form")
    talk.say("我想借錢", "calc_loan")
    assert talk.say("不是").complete and not talk.result().eligible


def test_an_about_amount_is_confirmed_before_it_is_used():
    talk = Talk("subsidy_form", slots={"manufacturing": True, "sme": True, "employees": 8, "lead_factory": False},
                asked="total_budget")
    out = talk.say("大概八百萬")
    assert "total_budget" not in out.updates and out.next_slot == "total_budget"
    assert out.pending == {"slot": "total_budget", "value": 8_000_000, "said": "八百萬", "kind": "about"}
    assert talk.question() == "計畫總經費以800萬元計算，對嗎？不對請直接輸入金額。"
    assert [b["title"] for b in ask_buttons("total_budget", talk.pending)] == [msg.YES_BUTTON, msg.NO_BUTTON]
    out = talk.say("是")
    assert out.updates == {"total_budget": 8_000_000} and out.pending is None and out.next_slot == "cost_items"
    assert talk.question() == ask_text("cost_items")


def test_an_about_amount_turned_down_is_asked_again():
    talk = Talk("subsidy_form", slots={"manufacturing": True, "sme": True, "employees": 8, "lead_factory": False},
                asked="total_budget")
    talk.say("800萬左右")
    out = talk.say("否")
    assert out.updates == {} and out.pending is None and out.next_slot == "total_budget"
    assert said(out) == msg.CONFIRM_NO.format(amount="800萬元")
    assert talk.question() == ask_text("total_budget")


def test_an_about_amount_corrected_with_the_right_amount():
    talk = Talk("subsidy_form", slots={"manufacturing": True, "sme": True, "employees": 8, "lead_factory": False},
                asked="total_budget")
    talk.say("大概八百萬")
    out = talk.say("不對，是750萬")
    assert out.updates == {"total_budget": 7_500_000} and out.pending is None and out.next_slot == "cost_items"


def test_more_than_is_taken_at_its_lower_figure_and_confirmed():
    talk = Talk("loan_form", slots={"sme": True, "employees": 20, "transformation_plan": True,
                                    "loan_purpose": "capital"}, asked="capital_spending")
    out = talk.say("七百多萬")
    assert out.pending == {"slot": "capital_spending", "value": 7_000_000, "said": "七百多萬", "kind": "more_than"}
    assert "七百多萬" in talk.question() and "700萬元" in talk.question() and "對嗎" in talk.question()
    assert talk.say("對").updates == {"capital_spending": 7_000_000}
    assert talk.asked == "loan_amount"


@pytest.mark.parametrize("text, said_back, example", [("七八百萬", "七八百萬", "750萬元"),
                                                      ("一千萬出頭", "一千萬", "1,000萬元")])
def test_a_range_is_asked_back_not_guessed(text, said_back, example):
    talk = Talk("subsidy_form", slots={"manufacturing": True, "sme": True, "employees": 8, "lead_factory": False},
                asked="total_budget")
    out = talk.say(text)
    assert out.updates == {} and out.pending is None and out.next_slot == "total_budget" and out.failures == 0
    assert said(out) == msg.RANGE_ASK_BACK.format(said=said_back, example=example)
    assert "請給一個金額" in said(out)


def test_an_about_amount_in_the_first_message_waits_for_its_question():
    talk = Talk("subsidy_form")
    out = talk.say("我們是8人的製造業中小企業，總經費大概八百萬，幫我算補助", "calc_subsidy")
    assert "total_budget" not in out.updates and out.pending["value"] == 8_000_000
    assert out.next_slot == "lead_factory"
    assert talk.say("否").next_slot == "total_budget"          # the pending amount is kept meanwhile
    assert talk.question() == "計畫總經費以800萬元計算，對嗎？不對請直接輸入金額。"
    assert talk.say("是").updates == {"total_budget": 8_000_000}


def test_a_question_while_confirming_keeps_the_amount_waiting():
    talk = Talk("subsidy_form", slots={"manufacturing": True, "sme": True, "employees": 8, "lead_factory": False},
                asked="total_budget")
    talk.say("大概八百萬")
    out = talk.say("什麼意思")
    assert out.next_slot == "total_budget" and out.pending["value"] == 8_000_000
