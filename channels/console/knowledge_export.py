"""An approved knowledge draft as files a maintainer adds to the knowledge (issue 16).

``export(draft, ...)`` gives the entry as YAML for ``knowledge/entries/`` (one ``entries:`` list with
the one entry), the catalogue line for ``knowledge/ENTRY_IDS.md``, and a labelled question for
``bench/questions.yml``. The source quote is left for the maintainer to fill with the verbatim
words of the source (``QUOTE_PLACEHOLDER`` is in no source, so the knowledge checks fail until it is
replaced): nothing reaches users before that review and a rebuild of the index and the model.
"""
from __future__ import annotations

from typing import Any

import yaml

from knowledge.loader import SOURCE_DOCS, TITLE_MAX, TOPICS

from ..core.store.analytics import DraftView

QUOTE_PLACEHOLDER = "TODO: quote the source verbatim"
MIN_QUESTIONS = 3          # the knowledge loader's minimum
MAX_QUESTIONS = 12
MAX_ANSWER = 2000
ENTRIES_FILE = "officer_drafts.yml"   # where approved drafts go in knowledge/entries/ (one file, appended)


def entry_id(draft: DraftView) -> str:
    return f"officer_draft_{draft.id}"


def problems(title: str, topic: str, questions: list[str], answer: str, rule: str, doc: str) -> list[str]:
    """What keeps a proposal from becoming a valid entry (codes; the console words them)."""
    found = []
    if not title or len(title) > TITLE_MAX:
        found.append("title")
    if topic not in TOPICS:
        found.append("topic")
    if not (MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS) or any(not q or len(q) > 300 for q in questions):
        found.append("questions")
    if not answer or len(answer) > MAX_ANSWER:
        found.append("answer")
    if not rule or len(rule) > 200:
        found.append("rule")
    if doc not in SOURCE_DOCS:
        found.append("doc")
    return found


def split_rule(rule: str) -> tuple[str, str]:
    """The stored rule is ``<doc>|<section>``."""
    doc, _, section = rule.partition("|")
    return (doc, section) if section else ("seed", rule)


def export(draft: DraftView, bench_question: str | None) -> dict[str, Any]:
    doc, section = split_rule(draft.rule)
    eid = entry_id(draft)
    entry = {"id": eid, "topic": draft.topic, "title": draft.title, "citation": section,
             "answer": draft.answer.strip() + "\n", "questions": list(draft.questions),
             "source": {"doc": doc, "section": section, "quotes": [QUOTE_PLACEHOLDER]}}
    header = (f"# Knowledge draft {draft.id} (ticket {draft.ticket_id}), proposed by {draft.officer_name}, "
              f"approved by {draft.reviewer_name}.\n"
              "# Before adding it to knowledge/entries/: replace the quote with the source's own words,\n"
              "# add the catalogue line to knowledge/ENTRY_IDS.md, then rebuild the index and retrain.\n")
    entry_yaml = header + yaml.safe_dump({"entries": [entry]}, allow_unicode=True, sort_keys=False, width=1000)
    question = (bench_question or draft.questions[-1]).strip()
    bench = yaml.safe_dump([{"q": question, "entry": eid, "intent": "ask_programme", "split": "dev"}],
                           allow_unicode=True, sort_keys=False, width=1000)
    return {"entry_id": eid, "filename": ENTRIES_FILE, "entry_yaml": entry_yaml, "bench_yaml": bench,
            "catalogue_line": f"| {ENTRIES_FILE} | {eid} | {draft.title} |"}
