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
FIFTH_SETS = ("dev4", "test4")  # one set split by kind: dev4 tuning, test4 held out
SIXTH_SET = "dev5"  # a tuning set as a whole (no test part)
SEVENTH_SETS = ("dev6", "test5")  # one set split by kind: dev6 tuning, test5 held out
EIGHTH_SET = "dev7"  # a tuning set as a whole (no test part)


@pytest.fixture(scope="module")
def kb_ids() -> set[str]:
    return set(load_knowledge().ids())


def raw(name: str) -> list[dict]:
    return yaml.safe_load((answers.BLIND_DIR / f"{name}.yml").read_text("utf-8"))["questions"]


@pytest.mark.parametrize("name", [*NEW_SETS, THIRD_SET, FOURTH_SET, *FIFTH_SETS, SIXTH_SET, *SEVENTH_SETS, EIGHTH_SET])
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


# unanswerable share: sets 3 and 4 were asked for 12-18 %; set 5 was asked for ~30 of ~300 (about 10 %),
# set 6 for ~22 of ~220, set 7 for about 13 % of ~400
@pytest.mark.parametrize("name, at_least, others, unanswerable", [
    (THIRD_SET, 160, ("dev", "test", *NEW_SETS), (0.12, 0.18)),
    (FOURTH_SET, 140, ("dev", "test", *NEW_SETS, THIRD_SET, "old-dev", "old-test"), (0.12, 0.18)),
    ("dev4", 140, ("dev", "test", *NEW_SETS, THIRD_SET, FOURTH_SET, "test4", "old-dev", "old-test"), (0.08, 0.14)),
    ("test4", 140, ("dev", "test", *NEW_SETS, THIRD_SET, FOURTH_SET, "dev4", "old-dev", "old-test"), (0.08, 0.14)),
    (SIXTH_SET, 200, ("dev", "test", *NEW_SETS, THIRD_SET, FOURTH_SET, *FIFTH_SETS, "old-dev", "old-test"),
     (0.08, 0.14)),
    ("dev6", 200, ("dev", "test", *NEW_SETS, THIRD_SET, FOURTH_SET, *FIFTH_SETS, SIXTH_SET, "test5", "old-dev",
                   "old-test"), (0.11, 0.15)),
    ("test5", 200, ("dev", "test", *NEW_SETS, THIRD_SET, FOURTH_SET, *FIFTH_SETS, SIXTH_SET, "dev6", "old-dev",
                    "old-test"), (0.11, 0.15)),
    (EIGHTH_SET, 280, ("dev", "test", *NEW_SETS, THIRD_SET, FOURTH_SET, *FIFTH_SETS, SIXTH_SET, *SEVENTH_SETS,
                       "old-dev", "old-test"), (0.11, 0.15)),
])
def test_later_sets_cover_every_kind_and_overlap_no_other_set(name: str, at_least: int, others: tuple,
                                                              unanswerable: tuple) -> None:
    items = answers.load_set(name)
    assert len(items) >= at_least, f"{name}: only {len(items)} questions"
    assert {i["kind"] for i in items} == KINDS, f"{name} misses kinds {KINDS - {i['kind'] for i in items}}"
    questions = [i["q"] for i in items]
    assert len(questions) == len(set(questions)), f"a question is repeated in {name}"
    share = {k: sum(i["kind"] == k for i in items) / len(items) for k in ("unanswerable", "out_of_scope")}
    low, high = unanswerable
    assert low <= share["unanswerable"] <= high and 0.03 <= share["out_of_scope"] <= 0.08, share
    seen = {i["q"] for n in others for i in answers.load_set(n)}
    overlap = sorted(seen & set(questions))  # only these are shown on failure, not the other sets
    assert not overlap, f"{name} questions also in another set: {overlap}"


def test_fourth_set_is_a_tuning_set_not_held_out() -> None:
    assert FOURTH_SET in answers.BLIND_SETS and FOURTH_SET in answers.SETS
    assert FOURTH_SET in answers.TUNE_SETS and FOURTH_SET not in answers.HELD_OUT


def test_sixth_set_is_a_tuning_set_not_held_out() -> None:
    assert SIXTH_SET in answers.BLIND_SETS and SIXTH_SET in answers.SETS
    assert SIXTH_SET in answers.TUNE_SETS and SIXTH_SET not in answers.HELD_OUT


def test_eighth_set_is_a_tuning_set_not_held_out() -> None:
    assert EIGHTH_SET in answers.BLIND_SETS and EIGHTH_SET in answers.SETS
    assert EIGHTH_SET in answers.TUNE_SETS and EIGHTH_SET not in answers.HELD_OUT


def test_fifth_set_dev_part_tunes_and_test_part_is_held_out() -> None:
    assert set(FIFTH_SETS) <= set(answers.BLIND_SETS) and set(FIFTH_SETS) <= set(answers.SETS)
    assert "dev4" in answers.TUNE_SETS and "dev4" not in answers.HELD_OUT
    assert "test4" in answers.HELD_OUT and "test4" not in answers.TUNE_SETS


@pytest.mark.parametrize("names", [FIFTH_SETS, SEVENTH_SETS])
def test_split_sets_are_stratified_by_kind(names: tuple) -> None:
    dev, test = (answers.load_set(n) for n in names)
    for kind in KINDS:
        d, t = (sum(i["kind"] == kind for i in items) for items in (dev, test))
        assert abs(d - t) <= 1, f"{kind}: {names[0]} {d}, {names[1]} {t}"


def test_seventh_set_dev_part_tunes_and_test_part_is_held_out() -> None:
    assert set(SEVENTH_SETS) <= set(answers.BLIND_SETS) and set(SEVENTH_SETS) <= set(answers.SETS)
    assert "dev6" in answers.TUNE_SETS and "dev6" not in answers.HELD_OUT
    assert "test5" in answers.HELD_OUT and "test5" not in answers.TUNE_SETS


def test_new_sets_are_wired_into_the_bench() -> None:
    assert {"dev2", "test2", THIRD_SET} <= set(answers.SETS) and THIRD_SET in answers.BLIND_SETS
    assert "dev2" in answers.TUNE_SETS and not set(answers.TUNE_SETS) & {"test", "test2", THIRD_SET, "test4", "test5"}
    assert answers.HELD_OUT == {"test", "test2", THIRD_SET, "test4", "test5"}


@pytest.mark.parametrize("sets", ["test2", "dev2,test2", "test", "test3", "dev,test3", "dev3,test3", "test4",
                                  "dev4,test4", "test5", "dev6,test5"])
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


def test_the_held_out_sets_run_together_are_also_reported_pooled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's targets are read on the blind test parts together: a last line pools the held-out
    sets of the run (and only them: a tuning set run beside them is not in it)."""
    class FakeRetriever:
        embedder = type("E", (), {"model_id": "fake"})()
        kb = type("K", (), {"entries": []})()

    reported: list[tuple[str, list]] = []
    monkeypatch.setattr(answers.Retriever, "from_env", classmethod(lambda cls: FakeRetriever()))
    monkeypatch.setattr(answers, "decide", lambda text, retriever: None)
    monkeypatch.setattr(answers, "run_set", lambda retriever, name: [f"{name}-1", f"{name}-2"])
    monkeypatch.setattr(answers, "report", lambda name, rows, by_kind: reported.append((name, list(rows))))
    assert answers.main(["--sets", "test,dev,test2"]) == 0
    assert [name for name, _ in reported] == ["[test]", "[dev]", "[test2]", "[held-out test+test2]"]
    assert reported[-1][1] == ["test-1", "test-2", "test2-1", "test2-2"]
    reported.clear()
    assert answers.main(["--sets", "dev,test3"]) == 0          # one held-out set: nothing to pool
    assert [name for name, _ in reported] == ["[dev]", "[test3]"]
