"""English and mixed questions, Simplified Chinese and typos by sound (issue 11 items 4 and 5): the
glossary's in-place translation for the dense model, English figures read the Chinese way, the
follow-up rule («上限多少？» judged with the sentence before it) and homophone corrections. The
questions are written for these tests (not taken from the bench sets)."""
from __future__ import annotations

import re

import pytest

from knowledge.direct import direct_answer, english_as_chinese, staff_range
from knowledge.glossary import load_glossary
from knowledge.loader import load_knowledge
from knowledge.retriever import is_follow_up
from knowledge.soundalike import SoundAlike
from knowledge.textnorm import normalize

KB = load_knowledge()

# --- the glossary --------------------------------------------------------------------------------


def test_dense_text_replaces_phrases_in_place_and_keeps_the_sentence():
    g = load_glossary()
    text = g.dense_text("What does the 1 in the 1+4 big-helps-small scheme stand for?")
    assert text.startswith("What does the 1 in the ")  # the question's own words, case and all
    assert "以大帶小" in text and "stand for?" in text
    assert "big" not in text and "scheme" not in text
    # one term per phrase (the first of zh): the others are search aids for BM25
    assert g.dense_text("working capital") == "週轉性支出"
    # Chinese is kept as typed (no Traditional over-conversion such as 才 → 纔)
    assert g.dense_text("才 apply 就好") == "才 申請 就好"


@pytest.mark.parametrize("english, term", [
    ("Is there a limit for a single machine?", "單一設備"),
    ("How much co-funding do we need?", "自籌"),
    ("Does the expert come on-site?", "赴廠"),
    ("What is low carbonization?", "低碳化"),
    ("Can a big firm join?", "參與"),
    ("soft loan for smart manufacturing", "低利貸款"),
    ("paid-in capital under the SME definition", "實收資本額"),
])
def test_glossary_knows_the_words_sme_people_use(english, term):
    assert term in load_glossary().lexical_text(english)


def test_cover_is_not_read_as_subsidy():
    # "Does the loan cover working capital?" is about the loan, not the 補助
    assert "補助" not in load_glossary().lexical_text("Does the loan cover working capital?")


# --- English figures as the Chinese readers take them ----------------------------------------------


@pytest.mark.parametrize("english, chinese", [
    ("budget of NT$9.5 million", "950萬"),
    ("a 3.5M plan", "350萬"),
    ("borrow 35 million", "3500萬"),
    ("a loan of 500k", "50萬"),
    ("for two years", "為期2年"),
    ("We have fewer than 5 employees", "員工未滿5人"),
    ("we have less than five staff", "員工未滿5人"),
    ("a plant with 10 or more workers", "員工10人以上"),
    ("at least 10 employees", "員工10人以上"),
    ("more than 200 people", "員工超過200人"),
    ("no more than 9 employees", "員工9人以下"),
    ("our headcount is twelve", "員工12人"),
    ("headcount under 5", "員工未滿5人"),
])
def test_english_figures_are_read_the_chinese_way(english, chinese):
    assert chinese in english_as_chinese(english + ", how much?")


def test_an_amount_and_a_period_stay_apart():
    # 「3500萬2年」 would read as one number: the period is written 為期2年
    text = english_as_chinese("We borrow 35 million for 2 years, how much interest subsidy?")
    assert re.search(r"3500萬\s*為期2年", text)


@pytest.mark.parametrize("question, rule, step", [
    ("Our plan costs NT$9.5 million in total. How much can the new machinery get?", "new_equipment", "950萬元 × 30%"),
    ("Our headcount is twelve. What is the biggest grant we could get?", "tier_cap", "員工12人"),
    ("We plan to borrow 35 million for two years; roughly how much interest subsidy?", "interest_subsidy", "3,500萬元"),
])
def test_english_questions_with_their_own_figures_are_computed(question, rule, step):
    answer = direct_answer(question, KB)
    assert answer is not None and answer.rule == rule
    assert step in answer.formula


def test_a_bounded_head_count_is_never_read_as_the_bound_itself():
    # "fewer than 5" is not 5 people: 5 would put the firm in the general loan class
    answer = direct_answer("We have fewer than 5 employees. How much can we borrow under the recovery loan?", KB)
    assert answer is None or "loan_recovery_micro" in answer.citations


@pytest.mark.parametrize("text, low, high", [
    ("员工未满5人可以借多少", 0, 4),        # Simplified 未满
    ("員工 未滿 5人 可以借多少", 0, 4),     # spaces before the count
    ("員工 10人以上 補助多少", 10, None),
])
def test_head_count_bounds_are_read_in_simplified_and_spaced_text(text, low, high):
    staff = staff_range(text)
    assert staff is not None and (staff.low, staff.high) == (low, high)


# --- follow-ups ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("part, follow_up", [
    ("上限多少？", True), ("利率呢", True), ("要錢嗎", True), ("電話幾號？", True),
    ("how much?", True), ("and the phone number?", True),
    ("課程呢", False), ("利息補貼又怎麼算", False), ("診斷多少錢", False), ("is there a subsidy?", False),
])
def test_a_follow_up_names_no_subject_of_its_own(part, follow_up):
    assert is_follow_up(part) is follow_up


def test_a_follow_up_is_judged_with_the_question_before_it(retriever):
    # 「上限多少？」 alone would be the subsidy cap; here it asks the loan's limit
    plan = retriever.plan("轉型發展貸款可以拿來當週轉金嗎？上限多少？")
    assert [c.entry.id for c in plan.answers] == ["loan_transformation"]
    # two questions that each name their subject are still both answered
    plan = retriever.plan("診斷多少錢？課程呢？")
    assert [c.entry.id for c in plan.answers] == ["diagnosis_cost", "training_free"]


# --- English questions through the real index --------------------------------------------------------


@pytest.mark.parametrize("question, entry_id", [
    ("What does the 1 stand for in the 1+10 low-carbon scheme?", "subsidy_lead_factory"),
    ("Does the subsidy have a limit per single machine?", "subsidy_new_equipment"),
    ("Can a firm that is not an SME take part as the anchor company?", "subsidy_lead_factory"),
    ("What is covered by low carbonisation in this programme?", "scope_lowcarbon"),
    ("Is a branch office allowed to apply for the grant?", "subsidy_eligibility"),
    ("轉型發展貸款 can we use it for working capital? what is the cap?", "loan_transformation"),
    ("Who do I call about the credit guarantee?", "loan_credit_guarantee"),
])
def test_english_questions_in_other_words_find_their_entry(retriever, question, entry_id):
    plan = retriever.plan(question)
    assert plan.status.answers, [(c.entry.id, c.score) for c in plan.ranked[:3]]
    assert plan.answers[0].entry.id == entry_id


# --- typos by sound ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, term", [
    ("貸款額渡有多少", "額度"),            # jieba glues 貸款額: the typo follows a term typed right
    ("委拖研究費可以補嗎", "委託"),
    ("只有稅籍的營力事業能借嗎", "營利事業"),
    ("申請資各是什麼", "資格"),
    ("和合做廠商一起申請", "合作廠商"),
    ("減少碳排方的課程", "碳排放"),
    ("连輔基金电话", "聯輔基金"),          # Simplified and a typo together
])
def test_more_programme_terms_are_corrected_by_sound(typed, term):
    fixed, fixes = SoundAlike.default().correct(typed)
    assert term in fixed and fixes and len(fixed) == len(typed)


@pytest.mark.parametrize("text", ["按例辦理", "比利時的公司", "萬元工廠", "補助款是多少", "中心廠帶幾家", "貸款額度"])
def test_words_and_exact_terms_next_to_terms_are_left_alone(text):
    assert SoundAlike.default().correct(text) == (normalize(text), [])


# --- how a question is asked is not what it is about (h50) ------------------------------------------


@pytest.mark.parametrize("text, plain", [
    ("這些培訓課程是不是要收費", "這些培訓課程是要收費"),
    ("可不可以用補助款買機台", "可以用補助款買機台"),
    ("工廠登記有沒有要求", "工廠登記有要求"),
    ("需不需要先做診斷", "需要先做診斷"),
])
def test_a_not_a_questions_are_folded_for_lexical_search(text, plain):
    from knowledge.textnorm import lexical_tokens
    assert lexical_tokens(text) == lexical_tokens(plain)
    assert "不要" not in lexical_tokens("上課要不要繳費") and "要不" not in lexical_tokens("上課要不要繳費")


def test_a_course_fee_asked_a_not_a_is_not_the_diagnosis_fee(retriever):
    # 「要不要…」 is how the diagnosis entry's sample question asks too: the form must not decide
    for question in ("這些培訓課程是不是要收費", "培訓課程要不要收費呀"):
        plan = retriever.plan(question)
        assert plan.status.answers and plan.answers[0].entry.id == "training_free", \
            [(c.entry.id, c.score) for c in plan.ranked[:3]]


# --- the programme's budget (h50) -----------------------------------------------------------------


def test_the_programme_budget_is_not_a_project_budget():
    g = load_glossary()
    assert g.translated("How large is the budget of the whole programme?").split()[0] == "預算"
    assert "計畫總經費" not in g.lexical_text("What is the total budget of the SME upgrading programme?")
    # a company's own project budget stays the project's
    assert "計畫總經費" in g.lexical_text("Our total project budget is 9 million")


# --- a statement after the question is context (h50) -------------------------------------------------


@pytest.mark.parametrize("message, entry_id", [
    ("低碳化的課程在教什麼？我們是做自行車零件的", "training_lowcarbon"),   # not the bicycle case
    ("補助有哪幾種？我們是做金屬製品的小工廠", "subsidy_overview"),
])
def test_a_statement_after_the_question_does_not_replace_it(retriever, message, entry_id):
    plan = retriever.plan(message)
    assert plan.status.answers and plan.answers[0].entry.id == entry_id, \
        [(c.entry.id, c.score) for c in plan.ranked[:3]]


def test_the_question_after_a_colon_is_judged_alone(retriever):
    message = "上週聽朋友講政府有開智慧化的課，我們想派兩個人去，老闆想問清楚：這些課要不要錢？"
    plan = retriever.plan(message)
    assert plan.status.answers and plan.answers[0].entry.id == "training_free", \
        [(c.entry.id, c.score) for c in plan.ranked[:3]]
