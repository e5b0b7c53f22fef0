"""Phrasing patterns that used to get a wrong entry, a menu or a refusal (h54): a polite letter's
courtesy clauses, a bank that turned a loan down, a firm that says it is not a manufacturer, the
programme's full name in an English question, and glossary words (hashtag, lead-the-small, 數位轉型).
The questions are worded here, not taken from the bench sets."""
from __future__ import annotations

import pytest

from knowledge.answering import decide
from knowledge.glossary import load_glossary
from knowledge.scope import asked_slots


def first_entry(retriever, text: str) -> str | None:
    reply = decide(text, retriever)
    ids = reply.entry_ids
    return ids[0] if ids else None


@pytest.mark.parametrize("text", [
    "銀行說不借我們，被退件了該怎麼辦",
    "我們的貸款被銀行退件，還有別的管道嗎",
    "The bank rejected our loan, what can we do?",
])
def test_a_bank_refusal_is_not_a_review_status_question(text):
    assert "review" not in asked_slots(text)


@pytest.mark.parametrize("text", [
    "我們的補助申請被退件了，怎麼辦",
    "貸款被退件了，審核結果要去哪查",
])
def test_a_refused_application_is_still_a_review_question(text):
    assert "review" in asked_slots(text)


def test_a_bank_refusal_gets_the_loan_application_flow(retriever):
    assert first_entry(retriever, "銀行拒絕借錢給我們怎麼辦？被退件了") == "loan_application_flow"


@pytest.mark.parametrize("text", [
    "我們是做零售的，員工12人，補助上限是500萬嗎",
    "公司不是製造業，是服務業，補助最高多少",
])
def test_a_non_manufacturer_asking_about_the_subsidy_gets_the_eligibility_first(retriever, text):
    assert first_entry(retriever, text) == "subsidy_eligibility"


def test_a_manufacturer_asking_the_cap_still_gets_the_cap(retriever):
    assert first_entry(retriever, "我們是製造業，員工12人，補助上限多少") == "subsidy_caps"


def test_courtesy_clauses_do_not_hide_the_question(retriever):
    text = "您好，本公司是一家塑膠射出廠，冒昧請教貴中心，這個方案提供哪些協助？敬祝 商祺"
    assert first_entry(retriever, text) == "programme_overview"


def test_the_programme_name_is_context_in_an_english_question():
    g = load_glossary()
    assert "計畫" in g.dense_text("How large is the budget of the upgrading and transformation programme?")
    # a question naming only the programme asks about the programme itself
    assert "產業及中小企業升級轉型" in g.dense_text("What is the upgrading and transformation programme?")


def test_english_budget_question_naming_the_programme(retriever):
    assert first_entry(retriever, "How big is the overall budget of the upgrade and transformation programme?") \
        == "programme_budget"


@pytest.mark.parametrize("text, entry_id", [
    ("What does the '1' mean in lead-the-small?", "subsidy_lead_factory"),
    ("升級轉型的hashtag代表什麼", "programme_overview"),
    ("有教數位轉型的課嗎", "training_smart_topics"),
])
def test_glossary_words(retriever, text, entry_id):
    assert first_entry(retriever, text) == entry_id
