"""The knowledge base: complete, sourced, and saying nothing the sources do not say."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from knowledge.loader import KnowledgeError, load_knowledge, source_text

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"\d+(?:[,.]\d+)*")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("**", "")


def numbers(text: str) -> set[str]:
    """Numbers as written, thousands separators dropped: '3,500' -> '3500', '2.095' stays."""
    out = set()
    for raw in NUMBER.findall(text):
        n = raw.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", raw) else raw
        out.update(n.split(",")) if "," in n else out.add(n)
    return out


def catalogue_ids() -> set[str]:
    table = (ROOT / "knowledge" / "ENTRY_IDS.md").read_text("utf-8")
    return set(re.findall(r"^\| [a-z_]+\.yml \| ([a-z0-9_]+) \|", table, flags=re.M))


def test_every_catalogued_entry_exists_once(kb):
    assert set(kb.ids()) == catalogue_ids()
    assert len(kb.ids()) == len(set(kb.ids()))


def test_source_copies_match_shared_seed():
    shared = ROOT.parent / "shared" / "seed"
    if not shared.exists():
        pytest.skip("no ../shared/seed beside this checkout")
    assert source_text("seed") == (shared / "000_229a236f21da249c.txt").read_text("utf-8")
    assert source_text("verified-facts") == (shared / "verified-facts.md").read_text("utf-8")


def test_every_quote_is_verbatim_in_its_source(kb):
    missing = []
    for entry in kb.entries:
        text = squash(source_text(entry.source.doc))
        missing += [(entry.id, q) for q in entry.source.quotes if squash(q) not in text]
    assert not missing, f"quotes not found in their source: {missing}"


def test_every_number_in_the_brief_is_in_some_entry(kb):
    brief = source_text("seed")
    known = set().union(*(numbers(e.answer) for e in kb.entries))
    assert numbers(brief) - known == set()


def test_no_answer_states_a_number_the_sources_do_not(kb):
    allowed = numbers(source_text("seed")) | numbers(source_text("verified-facts"))
    invented = {e.id: sorted(numbers(e.answer) - allowed) for e in kb.entries}
    assert {k: v for k, v in invented.items() if v} == {}


@pytest.mark.parametrize("fact", [
    ("subsidy_caps", ["300萬", "500萬", "3,000萬", "2,000萬", "50%"]),
    ("subsidy_lead_factory", ["1+4", "1+10", "2,000萬", "3,000萬"]),
    ("subsidy_new_equipment", ["30%", "800萬", "240萬"]),
    ("subsidy_commissioned_research", ["40%"]),
    ("diagnosis_cost", ["20萬", "16萬", "4萬", "30萬", "24萬", "6萬"]),
    ("loan_recovery_general", ["3,500萬", "2.095%"]),
    ("loan_recovery_micro", ["400萬", "1.595%", "2.095%"]),
    ("loan_transformation", ["8成", "3,500萬", "1.595%"]),
    ("hotline_main", ["0800-000-257", "08:30", "18:00"]),
    ("sme_definition", ["1億", "200人"]),
    ("programme_budget", ["110億"]),
    ("training_classes", ["0.5天", "6班", "10班", "40班", "3天", "24班"]),
])
def test_key_figures_are_stated_in_their_entry(kb, fact):
    entry_id, figures = fact
    answer = kb.get(entry_id).answer.replace("～", "~").replace("：", ":")
    assert [f for f in figures if f not in answer] == []


def test_reply_text_carries_the_citation(kb):
    entry = kb.get("subsidy_caps")
    assert entry.reply_text().endswith(f"（依據：{entry.citation}）")


def _write(tmp_path: Path, entries: list[dict]) -> Path:
    (tmp_path / "a.yml").write_text(yaml.safe_dump({"entries": entries}, allow_unicode=True), "utf-8")
    return tmp_path


GOOD = {"id": "x_one", "topic": "總覽", "title": "標題", "citation": "出處", "answer": "答案",
        "questions": ["一", "二", "三"],
        "source": {"doc": "seed", "section": "s", "quotes": ["預算約110億"]}}


@pytest.mark.parametrize("broken, message", [
    ([GOOD, GOOD], "duplicate id"),
    ([{**GOOD, "answer": ""}], "missing field 'answer'"),
    ([{**GOOD, "topic": "天氣"}], "topic must be one of"),
    ([{**GOOD, "title": "很長" * 9}], "title longer"),
    ([{**GOOD, "id": "Bad-Id"}], "snake_case"),
    ([{**GOOD, "source": {"doc": "blog", "section": "s", "quotes": ["x"]}}], "source.doc"),
    ([{**GOOD, "source": {"doc": "seed", "section": "s", "quotes": []}}], "quotes"),
])
def test_loader_rejects_malformed_entries(tmp_path, broken, message):
    with pytest.raises(KnowledgeError, match=message):
        load_knowledge(_write(tmp_path, broken))


def test_loader_accepts_a_good_entry(tmp_path):
    kb = load_knowledge(_write(tmp_path, [GOOD]))
    assert kb.ids() == ["x_one"] and len(kb.digest) == 64


def test_nlu_training_file_is_generated_from_the_knowledge():
    assert subprocess.run([sys.executable, "-m", "knowledge.export_nlu", "--check"], cwd=ROOT).returncode == 0


def test_domain_responses_state_no_figures_and_topic_buttons_name_existing_entries(kb):
    from actions import messages

    domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text("utf-8"))
    for name, variants in domain["responses"].items():
        for v in variants:
            assert not re.search(r"\d", v.get("text", "")), f"{name} states a figure"
            assert "{" not in json.dumps(v, ensure_ascii=False).strip("{}"), f"{name}: Rasa reads braces as slot templates"
    assert set(messages.GREET_TOPICS + messages.OUT_OF_SCOPE_TOPICS) <= set(kb.ids())


def test_action_messages_state_no_figures():
    from actions import messages

    texts = [v for k, v in vars(messages).items() if k.isupper() and isinstance(v, str)]
    assert texts and not [t for t in texts if re.search(r"\d", t)]
