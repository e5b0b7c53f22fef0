"""The blind question sets (bench/blind/*.yml) are well formed and wired into bench/answers.py.

No servers: these read the YAML files and the knowledge base ids, and call the bench's own argument
checks (which stop before any retriever is loaded)."""
from __future__ import annotations

import pytest
import yaml

from bench import answers
from knowledge.loader import load_knowledge

KINDS = {"rule", "numbers", "calculate", "english", "simplified", "typo", "two_topics",
         "unanswerable", "out_of_scope"}
NEW_SETS = ("dev2", "test2")
THIRD_SET = "test3"  # held out as a whole (no dev part)
FOURTH_SET = "dev3"  # a tuning set as a whole (no test part)


@pytest.fixture(scope="module")
def kb_ids() -> set[str]:
    return set(load_knowledge().ids())


def raw(name: str) -> list[dict]:
    return yaml.safe_load((answers.BLIND_DIR / f"{name}.yml").read_text("utf-8"))["questions"]


@pytest.mark.parametrize("name", [*NEW_SETS, THIRD_SET, FOURTH_SET])
def test_new_blind_set_loads_and_labels_are_consistent(name: str, kb_ids: set[str]) -> None:
    items = answers.load_set(name)
    assert len(items) >= 140, f"{name}: only {len(items)} questions"
    for item, full in zip(items, raw(name), strict=True):
        q = item["q"]
        assert q.strip(), f"{name}: empty question"
        assert item["kind"] in KINDS, f"{name}: kind {item['kind']!r} of {q!r}"
        assert set(full) == {"q", "kind", "expect", "figures", "note"}, f"{name}: fields of {q!r}"
        assert isinstance(full["figures"], list) and str(full["note"]).strip(), f"{name}: {q!r}"
        unknown = [e for e in item["expect"] if e not in kb_ids]
        assert not unknown, f"{name}: {q!r} expects unknown entry ids {unknown}"
        if item["kind"] in ("unanswerable", "out_of_scope"):
            assert item["expect"] == [], f"{name}: {q!r} is {item['kind']} but expects {item['expect']}"
        else:
            assert item["expect"], f"{name}: {q!r} ({item['kind']}) expects no entry"
        if item["kind"] == "two_topics":
            assert len(item["expect"]) >= 2, f"{name}: two_topics {q!r} expects one entry"


def test_new_sets_cover_every_kind_and_do_not_overlap() -> None:
    dev2, test2 = (answers.load_set(n) for n in NEW_SETS)
    for name, items in (("dev2", dev2), ("test2", test2)):
        assert {i["kind"] for i in items} == KINDS, f"{name} misses kinds {KINDS - {i['kind'] for i in items}}"
    questions = [i["q"] for i in dev2 + test2]
    assert len(questions) == len(set(questions)), "a question is repeated in dev2/test2"
    old = {i["q"] for n in ("dev", "test") for i in answers.load_set(n)}
    overlap = sorted(old & set(questions))  # only these are shown on failure, not the first set itself
    assert not overlap, f"also in the first blind set: {overlap}"


@pytest.mark.parametrize("name, at_least, others", [
    (THIRD_SET, 160, ("dev", "test", *NEW_SETS)),
    (FOURTH_SET, 140, ("dev", "test", *NEW_SETS, THIRD_SET, "old-dev", "old-test")),
])
def test_later_sets_cover_every_kind_and_overlap_no_other_set(name: str, at_least: int, others: tuple) -> None:
    items = answers.load_set(name)
    assert len(items) >= at_least, f"{name}: only {len(items)} questions"
    assert {i["kind"] for i in items} == KINDS, f"{name} misses kinds {KINDS - {i['kind'] for i in items}}"
    questions = [i["q"] for i in items]
    assert len(questions) == len(set(questions)), f"a question is repeated in {name}"
    share = {k: sum(i["kind"] == k for i in items) / len(items) for k in ("unanswerable", "out_of_scope")}
    assert 0.12 <= share["unanswerable"] <= 0.18 and 0.03 <= share["out_of_scope"] <= 0.08, share
    seen = {i["q"] for n in others for i in answers.load_set(n)}
    overlap = sorted(seen & set(questions))  # only these are shown on failure, not the other sets
    assert not overlap, f"{name} questions also in another set: {overlap}"


def test_fourth_set_is_a_tuning_set_not_held_out() -> None:
    assert FOURTH_SET in answers.BLIND_SETS and FOURTH_SET in answers.SETS
    assert FOURTH_SET in answers.TUNE_SETS and FOURTH_SET not in answers.HELD_OUT


def test_new_sets_are_wired_into_the_bench() -> None:
    assert {"dev2", "test2", THIRD_SET} <= set(answers.SETS) and THIRD_SET in answers.BLIND_SETS
    assert "dev2" in answers.TUNE_SETS and not set(answers.TUNE_SETS) & {"test", "test2", THIRD_SET}
    assert answers.HELD_OUT == {"test", "test2", THIRD_SET}


@pytest.mark.parametrize("sets", ["test2", "dev2,test2", "test", "test3", "dev,test3", "dev3,test3"])
def test_show_misses_refuses_held_out_sets(sets: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        answers.main(["--sets", sets, "--show-misses"])
    assert exc.value.code == 2
    assert "--show-misses is not available" in capsys.readouterr().err


def test_unknown_set_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        answers.main(["--sets", "test9"])
    assert exc.value.code == 2
    assert "unknown set" in capsys.readouterr().err
