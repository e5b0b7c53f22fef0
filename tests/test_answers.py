"""Answering what people actually ask (issue 11), at the retriever level, in-process: the glossary
for English, homophone typos, two questions in one message, and the decision between an answer, an
answer with 「您可能也想問」, the menu and "not found". `make bench-answers` measures the same
decision on the blind question set."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest
import yaml

from knowledge.glossary import GLOSSARY_FILE, Glossary, is_latin_question, load_glossary
from knowledge.loader import ENTRIES_DIR, SOURCE_FILES
from knowledge.retriever import Candidate, Retriever, Status
from knowledge.soundalike import SoundAlike
from knowledge.textnorm import normalize

# --- the glossary is data with a source --------------------------------------------------------


def test_every_chinese_term_of_the_glossary_is_the_programmes_wording():
    sources = normalize("".join(p.read_text("utf-8") for p in SOURCE_FILES.values()))
    entries = normalize("".join(p.read_text("utf-8") for p in ENTRIES_DIR.glob("*.yml")))
    raw = yaml.safe_load(GLOSSARY_FILE.read_text("utf-8"))
    words = {w for row in raw["english"] for w in str(row["zh"]).split()}
    words |= set(raw["terms"]) | set(raw["synonyms"].values())
    unsourced = sorted(w for w in words if normalize(w) not in sources and normalize(w) not in entries)
    assert unsourced == []
    assert not [w for w in words if re.search(r"\d", w)], "the glossary must state no figure"


def test_glossary_rewrites_english_for_lexical_search():
    g = load_glossary()
    text = g.lexical_text("Is there a subsidy for buying new machines?")
    assert "補助" in text and "全新設備之購置費" in text
    assert not re.search(r"[a-z]", text)  # English function words are dropped
    assert "利息補貼" in g.lexical_text("how much interest subsidy for a 3,500萬 loan")
    assert "3,500萬" in g.lexical_text("how much interest subsidy for a 3,500萬 loan")
    # the longest phrase wins; words the index knows are kept
    assert g.lexical_text("working capital loan", {"ceo"}).split() == ["週轉性支出", "週轉金", "貸款"]
    assert g.lexical_text("recommend a good stock to buy").split() == ["recommend", "good", "stock", "購置"]
    assert g.lexical_text("CEO班幾天", {"ceo"}) == "ceo班幾天"
    # Chinese text is left as it is, apart from a colloquial word followed by the term
    assert g.lexical_text("補助上限多少") == "補助上限多少"
    assert g.lexical_text("耗材可以補嗎").endswith("消耗性器材")


def test_glossary_refuses_a_phrase_with_two_meanings(tmp_path):
    path = tmp_path / "g.yml"
    path.write_text("english:\n  - {zh: 補助, en: [grant]}\n  - {zh: 貸款, en: [grants]}\n", "utf-8")
    with pytest.raises(ValueError, match="grants"):
        Glossary.load(path)


@pytest.mark.parametrize("text, latin", [
    ("Is there a subsidy for buying new machines?", True),
    ("Do we need 工廠登記 to apply for the subsidy?", True),
    ("interest subsidy 大概多少 for a 3,500萬 loan", True),
    ("請問 subsidy 上限是多少", False),
    ("補助上限多少", False),
    ("CEO班幾天", False),
])
def test_english_questions_are_told_apart_from_mixed_ones(text, latin):
    assert is_latin_question(text) is latin


# --- homophone typos -----------------------------------------------------------------------------


@pytest.mark.parametrize("typed, fixed", [
    ("我們12個人，補住最多可以拿多少", "補助"),
    ("帶款利率多少", "貸款"),
    ("智會化課程有哪些", "智慧化"),
    ("診段輔導要錢嗎", "診斷"),
    ("以大代小要帶幾家", "以大帶小"),
    ("补住上限", "補助"),
])
def test_homophone_typos_of_programme_terms_are_corrected(typed, fixed):
    text, fixes = SoundAlike.default().correct(typed)
    assert fixed in text and fixes and len(text) == len(typed)


@pytest.mark.parametrize("text", ["我記不住補助上限", "總經費500萬元工廠要登記嗎", "補助上限多少", "貸款額度",
                                  "診斷輔導費用", "智慧化低碳化", "以大帶小", "申請要準備什麼"])
def test_real_words_and_exact_terms_are_left_alone(text):
    assert SoundAlike.default().correct(text) == (normalize(text), [])


# --- the decision ---------------------------------------------------------------------------------


def _ranked(retriever, *pairs):
    return [Candidate(retriever.get(eid), score, 0.0, 0.0) for eid, score in pairs]


def test_decision_rules(retriever):
    s = replace(retriever.settings, answer_threshold=0.5, answer_margin=0.1, likely_threshold=0.35,
                suggest_threshold=0.3, tie_margin=0.03, lead_margin=0.02, alternatives_window=0.15,
                max_alternatives=2, strong_lead_margin=None)
    decide = lambda *pairs: retriever.decide(_ranked(retriever, *pairs), s)  # noqa: E731
    # dominant: answered alone
    status, kept = decide(("diagnosis_cost", 0.6), ("diagnosis_overview", 0.4), ("training_free", 0.2))
    assert status is Status.ANSWER and kept[0].entry.id == "diagnosis_cost"
    # plausible, not dominant, runner-up of the same topic: answer + the runner-ups
    status, kept = decide(("diagnosis_cost", 0.45), ("diagnosis_overview", 0.42), ("diagnosis_reports", 0.36),
                          ("training_free", 0.2))
    assert status is Status.ANSWER_WITH_ALTERNATIVES
    assert [c.entry.id for c in kept] == ["diagnosis_cost", "diagnosis_overview", "diagnosis_reports"]
    # plausible, the runner-up of another topic clearly behind: still answered
    status, kept = decide(("diagnosis_cost", 0.45), ("training_free", 0.40))
    assert status is Status.ANSWER_WITH_ALTERNATIVES and kept[0].entry.id == "diagnosis_cost"
    # …but not when it hardly leads (lead_margin)
    assert decide(("diagnosis_cost", 0.45), ("diagnosis_overview", 0.44))[0] is Status.SUGGEST
    # a real tie between different topics: the menu
    status, kept = decide(("diagnosis_cost", 0.45), ("training_free", 0.44), ("loan_overview", 0.31))
    assert status is Status.SUGGEST and {c.entry.id for c in kept} == {"diagnosis_cost", "training_free",
                                                                       "loan_overview"}
    # weak: the menu; nothing close: not found
    assert decide(("diagnosis_cost", 0.32), ("diagnosis_overview", 0.2))[0] is Status.SUGGEST
    assert decide(("diagnosis_cost", 0.2), ("diagnosis_overview", 0.1)) == (Status.NONE, ())


def test_a_close_runner_up_of_the_same_topic_is_not_a_tie(retriever):
    # issue 11: related entries of one topic (補助上限 / 政府補助比例) close behind the best are
    # offered next to its answer; only an entry of ANOTHER topic that close makes the menu
    s = replace(retriever.settings, answer_threshold=0.5, answer_margin=0.1, likely_threshold=0.35,
                suggest_threshold=0.3, tie_margin=0.0, lead_margin=0.05, same_topic_margin=0.02,
                alternatives_window=0.15, max_alternatives=2, strong_lead_margin=None)
    decide = lambda *pairs: retriever.decide(_ranked(retriever, *pairs), s)  # noqa: E731
    status, kept = decide(("subsidy_caps", 0.45), ("subsidy_gov_share", 0.42), ("training_free", 0.38))
    assert status is Status.ANSWER_WITH_ALTERNATIVES
    assert [c.entry.id for c in kept] == ["subsidy_caps", "subsidy_gov_share", "training_free"]
    # the same lead over another topic's entry is a tie: the menu
    assert decide(("subsidy_caps", 0.45), ("training_free", 0.42))[0] is Status.SUGGEST
    # and a same-topic runner-up closer than same_topic_margin is still the menu
    assert decide(("subsidy_caps", 0.45), ("subsidy_gov_share", 0.44))[0] is Status.SUGGEST
    # without same_topic_margin the old rule (lead_margin over any runner-up) holds
    old = replace(s, same_topic_margin=None)
    assert retriever.decide(_ranked(retriever, ("subsidy_caps", 0.45), ("subsidy_gov_share", 0.42)),
                            old)[0] is Status.SUGGEST


def test_a_strong_best_narrowly_ahead_is_answered_with_the_runner_ups(retriever):
    # h45: a strong match (≥ strong_threshold) that leads by at least strong_lead_margin is answered
    # with 「您可能也想問」 even against another topic; weaker or exactly tied, the menu stays
    s = replace(retriever.settings, answer_threshold=0.6, answer_margin=0.1, likely_threshold=0.36,
                suggest_threshold=0.3, tie_margin=0.02, lead_margin=0.04, same_topic_margin=0.02,
                alternatives_window=0.15, max_alternatives=2, strong_threshold=0.42, strong_lead_margin=0.01)
    decide = lambda *pairs, settings=s, latin=False: retriever.decide(  # noqa: E731
        _ranked(retriever, *pairs), settings, latin=latin)
    status, kept = decide(("one_stop_window", 0.55), ("loan_application_flow", 0.53), ("training_free", 0.31))
    assert status is Status.ANSWER_WITH_ALTERNATIVES
    assert [c.entry.id for c in kept] == ["one_stop_window", "loan_application_flow"]  # .31: out of the window
    # same topic, narrowly ahead: answered too
    assert decide(("subsidy_caps", 0.50), ("subsidy_gov_share", 0.488))[0] is Status.ANSWER_WITH_ALTERNATIVES
    # a near-exact tie (closer than strong_lead_margin): the menu
    assert decide(("one_stop_window", 0.55), ("loan_application_flow", 0.545))[0] is Status.SUGGEST
    # not strong enough: the usual lead is needed
    assert decide(("one_stop_window", 0.41), ("loan_application_flow", 0.39))[0] is Status.SUGGEST
    # English questions keep the usual margins (their lexical side sees only the glossary's terms)
    assert decide(("one_stop_window", 0.55), ("loan_application_flow", 0.53), latin=True)[0] is Status.SUGGEST
    # without strong_lead_margin the rule is off
    off = replace(s, strong_lead_margin=None)
    assert decide(("one_stop_window", 0.55), ("loan_application_flow", 0.53), settings=off)[0] is Status.SUGGEST


# --- real questions through the real index ---------------------------------------------------------


@pytest.mark.parametrize("question, entry_id", [
    ("Are the training courses free?", "training_free"),
    ("How much does the on-site diagnosis cost for an SME?", "diagnosis_cost"),
    ("Is there an interest subsidy for the loans?", "loan_interest_subsidy"),
    ("Can the subsidy pay for salaries?", "subsidy_self_funded"),
    ("是否有 subsidy for 新設備", "subsidy_new_equipment"),
])
def test_english_and_mixed_questions_are_answered_in_chinese_with_the_entry(retriever, question, entry_id):
    plan = retriever.plan(question)
    assert plan.status.answers, [(c.entry.id, c.score) for c in plan.ranked[:3]]
    assert plan.answers[0].entry.id == entry_id
    assert plan.latin is is_latin_question(question)


def test_english_out_of_scope_gets_no_answer(retriever):
    assert retriever.plan("What will the weather be like in Taipei tomorrow?").status is Status.NONE
    # one programme-like word among others: at most the menu, never an answer
    assert not retriever.plan("Recommend me a good stock to buy").status.answers


@pytest.mark.parametrize("typo, exact, entry_id", [
    ("補住上限是多少", "補助上限是多少", "subsidy_caps"),
    ("疫後振興帶款最高可以借多少", "疫後振興貸款最高可以借多少", "loan_recovery_general"),
    ("智會化的課程有哪些主題", "智慧化的課程有哪些主題", "training_smart_topics"),
    ("診段輔導中小企業要付多少", "診斷輔導中小企業要付多少", "diagnosis_cost"),
])
def test_homophone_typo_ranks_like_the_exact_term(retriever, typo, exact, entry_id):
    typed, right = retriever.plan(typo), retriever.plan(exact)
    assert right.status.answers and right.answers[0].entry.id == entry_id
    assert typed.status.answers and typed.answers[0].entry.id == entry_id
    assert typed.ranked[0].score == right.ranked[0].score


def test_correction_changes_nothing_for_questions_without_typos(retriever, questions):
    """Exact-term ranking is untouched: the same scores with and without the homophone step."""
    plain = Retriever(retriever.kb, retriever.dense, retriever.embedder, retriever.settings,
                      soundalike=SoundAlike(()))
    for q in [q["q"] for q in questions if q["split"] == "dev"][:40]:
        if retriever.corrected(q)[1]:
            continue
        assert [(c.entry.id, c.score) for c in retriever.scores(q)[:3]] == \
               [(c.entry.id, c.score) for c in plain.scores(q)[:3]], q


@pytest.mark.parametrize("question, entry_ids", [
    ("上課要錢嗎？另外診斷輔導一案多少錢？", ["training_free", "diagnosis_cost"]),
    ("新設備可以補幾成？委託研究費又可以補幾成？", ["subsidy_new_equipment", "subsidy_commissioned_research"]),
    ("信保基金電話幾號，還有疫後振興貸款最多借多少", ["loan_credit_guarantee", "loan_recovery_general"]),
    # English: ", and" before a new question (are/what/who…) joins two questions
    ("How much does the diagnosis cost, and are the courses free?", ["diagnosis_cost", "training_free"]),
    ("What is the interest rate of the post-pandemic loan, and who can apply for the transformation loan?",
     ["loan_recovery_general", "loan_transformation"]),
])
def test_two_questions_in_one_message_get_both_answers(retriever, question, entry_ids):
    plan = retriever.plan(question)
    assert plan.status is Status.ANSWER
    assert [c.entry.id for c in plan.answers] == entry_ids
    assert len(plan.parts) == 2


@pytest.mark.parametrize("question", ["人事費、無形資產引進費可以用補助款嗎", "我們是做螺絲的。請問診斷輔導費用多少？"])
def test_one_question_with_several_clauses_gets_one_answer(retriever, question):
    plan = retriever.plan(question)
    assert plan.status.answers and len(plan.answers) == 1


def test_nothing_close_is_refused(retriever):
    for text in ["今天台北會下雨嗎", "asdfghjkl", "幫我寫一段python程式"]:
        plan = retriever.plan(text)
        assert plan.status is Status.NONE and plan.answers == () and plan.menu == ()


def test_the_decision_tries_the_users_figures_first_then_retrieval(retriever):
    from knowledge.answering import decide

    direct = decide("總經費950萬，買新機器最多補多少", retriever)
    assert direct.plan is None and direct.direct.rule == "new_equipment"
    plain = decide("課程要錢嗎", retriever)
    assert plain.direct is None and plain.plan.answers[0].entry.id == "training_free"


def test_the_bench_judges_the_bots_own_decision(retriever):
    from bench.answers import judge, outcome

    row = judge(retriever, {"q": "總經費950萬，買新機器最多補多少", "kind": "numbers", "expect": ["subsidy_new_equipment"]})
    assert row.reply.direct is not None and outcome(row.item, row.reply) == "right"
    assert row.ranked[0] == "subsidy_new_equipment"
    wrong = judge(retriever, {"q": "總經費950萬，買新機器最多補多少", "kind": "numbers", "expect": ["training_free"]})
    assert outcome(wrong.item, wrong.reply) == "wrong"


@pytest.mark.parametrize("question", ["申請文件的表格在哪裡拿", "經濟部以外，其他部會的補助要怎麼申請"])
def test_what_the_brief_does_not_cover_is_said_so_with_the_hotline(retriever, question):
    plan = retriever.plan(question)
    assert plan.status is Status.ANSWER and plan.answers[0].entry.id == "not_in_brief_other"
    assert "0800-000-257" in plan.answers[0].entry.answer
    # a question the brief does answer is still answered by its entry
    assert retriever.plan("補助可以用在哪些項目").answers[0].entry.id == "subsidy_cost_items"


# --- two questions in one message, one carrying the user's figures (issue 11 item 6) -----------------


@pytest.mark.parametrize("question, first_rule, second_entry", [
    ("總經費600萬，全部買新設備最多補多少？另外診斷輔導要怎麼申請？", "new_equipment", "diagnosis_overview"),
    ("我們公司員工12人，補助上限多少？還有課程是免費的嗎？", "tier_cap", "training_free"),
    ("借款1000萬、3年，利息補貼大概多少？順便問一下信保基金電話", "interest_subsidy", "loan_credit_guarantee"),
    ("1. 總經費500萬買新機器可以補多少 2. 人才培訓課程要收費嗎", "new_equipment", "training_free"),
])
def test_a_computed_question_and_a_rule_question_get_both_answers(retriever, question, first_rule, second_entry):
    from knowledge.answering import decide

    reply = decide(question, retriever)
    assert reply.direct is None and reply.plan is None and len(reply.parts) == 2
    computed, entry = reply.parts
    assert computed.direct.rule == first_rule and computed.plan is None
    assert entry.direct is None and [c.entry.id for c in entry.plan.answers] == [second_entry]
    assert reply.entry_ids[-1] == second_entry and reply.entry_ids[0] in computed.direct.citations


def test_the_figures_stated_once_reach_the_question_that_needs_them(retriever):
    from knowledge.answering import decide

    reply = decide("我們工廠15人，想做診斷也想申請補助，診斷自付多少、補助上限又是多少", retriever)
    # either each question computed on its own, or one computation that answers and cites both
    computed = [p.direct for p in reply.parts] if reply.parts else [reply.direct]
    assert all(d is not None for d in computed)
    cited = {c for d in computed for c in d.citations}
    assert {"diagnosis_cost", "subsidy_caps"} <= cited
    assert {"diagnosis_split"} <= {d.rule for d in computed}
    text = "\n".join(d.text for d in computed)
    assert "員工15人" in text and "自付" in text and "補助上限" in text


@pytest.mark.parametrize("question", [
    "總經費900萬買新機器，政府補多少？我們自己要出多少？",   # the follow-up names nothing new
    "計畫總經費1,200萬，買新機器最多補多少",                  # one question
])
def test_one_computation_is_not_split(retriever, question):
    from knowledge.answering import decide

    reply = decide(question, retriever)
    assert reply.parts == () and reply.direct is not None and reply.direct.rule == "new_equipment"


@pytest.mark.parametrize("question, entry_ids", [
    ("智慧化與低碳化的課程分別在教什麼", ["training_smart_topics", "training_lowcarbon"]),
    ("疫後振興貸款和轉型發展貸款的利率各是多少", ["loan_recovery_general", "loan_transformation"]),
    ("①信保基金電話 ②疫後振興貸款利率", ["loan_credit_guarantee", "loan_recovery_general"]),
])
def test_the_same_question_about_two_things_gets_both_answers(retriever, question, entry_ids):
    plan = retriever.plan(question)
    assert plan.status is Status.ANSWER and [c.entry.id for c in plan.answers] == entry_ids


def test_two_parts_answered_by_the_same_entry_get_that_entry_not_a_menu(retriever):
    # both tracks' lead-factory caps are in one entry: it answers the message (the menu asked nothing new)
    plan = retriever.plan("以大帶小智慧化跟低碳化的上限各多少")
    assert plan.status.answers and [c.entry.id for c in plan.answers] == ["subsidy_caps"]


def test_an_elliptic_follow_up_is_not_judged_alone(retriever):
    # 「電話？」 alone ranks the phone directory first; it asks about the fund named before it
    plan = retriever.plan("信保基金是做什麼的？電話？")
    assert plan.status.answers and [c.entry.id for c in plan.answers] == ["loan_credit_guarantee"]


def test_two_computations_in_one_message_each_use_their_own_figures(retriever):
    from knowledge.answering import decide

    reply = decide("借款1000萬、3年，利息補貼多少？另外總經費500萬買新機器補多少？", retriever)
    assert [p.direct.rule for p in reply.parts] == ["interest_subsidy", "new_equipment"]
    assert "1,000萬元" in reply.parts[0].direct.text or "1000萬" in reply.parts[0].direct.text
    assert "500萬元 × 30%" in reply.parts[1].direct.text


def test_a_likely_handoff_is_said_alone(retriever):
    # h45: when the likely best is a not_in_brief entry, it is answered without 「您可能也想問」
    s = replace(retriever.settings, answer_threshold=0.6, answer_margin=0.1, likely_threshold=0.36,
                suggest_threshold=0.3, tie_margin=0.02, lead_margin=0.04, same_topic_margin=0.02,
                alternatives_window=0.15, max_alternatives=2, strong_lead_margin=None)
    status, kept = retriever.decide(_ranked(retriever, ("not_in_brief_deadline", 0.50), ("one_stop_window", 0.45)), s)
    assert status is Status.ANSWER and kept[0].entry.id == "not_in_brief_deadline"


@pytest.mark.parametrize("question", [
    "買設備2,000萬，轉型發展貸款可以貸多少？我們自己要準備多少？",   # own funds beside the loan
    "預算六百萬，員工三十幾個人，補助最多大概多少",                    # an approximate head-count asks nothing
])
def test_a_follow_up_about_the_same_figures_is_one_computation(retriever, question):
    from knowledge.answering import decide

    reply = decide(question, retriever)
    assert reply.parts == () and reply.direct is not None, reply


def test_one_computation_with_own_funds_beside_a_loan(retriever):
    from knowledge.answering import decide

    reply = decide("買設備2,000萬，轉型發展貸款可以貸多少？我們自己要準備多少？", retriever)
    assert reply.direct is not None and reply.direct.rule == "loan_capex"
    assert "2,000萬元 − 1,600萬元 = 400萬元" in reply.direct.text
    assert reply.entry_ids == ["loan_transformation"]


@pytest.mark.parametrize("question", ["我們是零售業，補助上限多少", "不是製造業，是做貿易的，補助最多多少"])
def test_a_firm_that_is_not_a_manufacturer_gets_the_subsidys_targets_first(retriever, question):
    from knowledge.answering import decide

    reply = decide(question, retriever)
    assert reply.direct is None and reply.entry_ids[:1] == ["subsidy_eligibility"], reply.entry_ids


def test_a_manufacturer_still_gets_the_cap(retriever):
    from knowledge.answering import decide

    assert decide("我們是製造業，補助上限多少", retriever).entry_ids[:1] != ["subsidy_eligibility"]
