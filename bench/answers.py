"""What strangers' questions get: the answering decision on the blind question set and the old set.

    make bench-answers                          # blind dev, blind test, old set (dev and test splits)
    make bench-answers ARGS="--sets dev --by-kind --show-misses"   # tuning view: DEV ONLY
    make bench-answers ARGS=--tune              # grid over the decision settings on dev + old-dev

Every question goes through ``Retriever.plan`` — the decision ``action_answer_question`` acts on
(homophone correction, glossary for English, answer / answer + 「您可能也想問」 / menu / not found,
two-topic split). No servers run, so Rasa's intent step before it is not included: an out-of-scope
message Rasa would have caught is judged here by retrieval alone (the harder case).

Sets: bench/blind/dev.yml and bench/blind/test.yml (written from the brief only, by someone who had
not seen the knowledge entries; each item: q, kind, expect [entry ids], figures, note) and the old
labelled set bench/questions.yml (entry + also → expect). Tune on the blind dev set and the old set
only; the blind test set is for reporting (``--show-misses`` refuses it).

Figures, per set, over the answerable questions (expect not empty; kinds other than unanswerable and
out_of_scope), as shares of them — the first five add up to 100 %:

* direct-right: the plan answers directly (answer, answer + alternatives, or several answers) and
  the first answer is an expected entry; for kind two_topics, at least two expected entries (all of
  them when fewer) are among the answers;
* partial (two_topics only): answered directly, an expected entry first, but not both topics;
* direct-wrong: answered directly, and not right or partial — the costly mistake;
* menu: 「我不太確定您想問的是哪一項」 with topic buttons (status suggest);
* refusal: "not found" (status none);
* hit@1 / hit@3: an expected entry first / among the first three of the plan's ranking (answers
  first, then the other entries best first), whatever the decision;
* alternatives offered: share of the answered questions that also got 「您可能也想問」 buttons.

Over the questions that must not be answered from the entries (kind unanswerable or out_of_scope;
in the old set every item without an entry):

* refused-or-handed-off: "not found", or an answer only from the entries that send the user to a
  person (not_in_brief_deadline, not_in_brief_case_status, hotline_main);
* menu: topic buttons instead (each menu also carries 「都不是，找專人」);
* out-of-scope with a figure: kind out_of_scope (old set: intent out_of_scope) answered with an
  entry whose text has a digit — the bot must not state a programme figure to those.

Each set is also shown without kinds numbers and calculate (questions carrying the user's own
figures, answered by the direct computations of knowledge/direct.py where present), and the time
per question (p50/p95 of ``plan``).
"""
from __future__ import annotations

import argparse
import functools
import itertools
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace

import yaml

from knowledge.retriever import AnswerPlan, Retriever, Status

from .common import ROOT, load_questions, percentile

BLIND_DIR = ROOT / "bench" / "blind"
HANDOFF_ENTRIES = frozenset({"not_in_brief_deadline", "not_in_brief_case_status", "hotline_main"})
NOT_ANSWERABLE = frozenset({"unanswerable", "out_of_scope"})
OWN_NUMBERS = frozenset({"numbers", "calculate"})
SETS = ("dev", "test", "old-dev", "old-test")


def load_set(name: str) -> list[dict]:
    """Items as {q, kind, expect}: the blind set as written, the old set converted."""
    if name in ("dev", "test"):
        items = yaml.safe_load((BLIND_DIR / f"{name}.yml").read_text("utf-8"))["questions"]
        return [{"q": str(i["q"]), "kind": str(i["kind"]), "expect": list(i.get("expect") or [])} for i in items]
    split = name.removeprefix("old-")
    out = []
    for i in load_questions(split):
        if i["entry"]:
            out.append({"q": i["q"], "kind": "old", "expect": [i["entry"], *i.get("also", [])]})
        else:
            kind = "out_of_scope" if i.get("intent") == "out_of_scope" else "unanswerable"
            out.append({"q": i["q"], "kind": kind, "expect": []})
    return out


def outcome(item: dict, plan: AnswerPlan) -> str:
    """right | partial | wrong | menu | refusal for an answerable item; refused | menu | answered
    for one that must not be answered."""
    answered = [c.entry.id for c in plan.answers]
    if item["kind"] in NOT_ANSWERABLE or not item["expect"]:
        if plan.status is Status.NONE or (answered and set(answered) <= HANDOFF_ENTRIES):
            return "refused"
        return "menu" if plan.status is Status.SUGGEST else "answered"
    if plan.status is Status.NONE:
        return "refusal"
    if plan.status is Status.SUGGEST:
        return "menu"
    expect = set(item["expect"])
    first_ok = answered[0] in expect
    if item["kind"] == "two_topics":
        need = min(2, len(expect))
        if len(expect & set(answered)) >= need:
            return "right"
        return "partial" if first_ok or expect & set(answered) else "wrong"
    return "right" if first_ok else "wrong"


def hits(item: dict, plan: AnswerPlan) -> tuple[bool, bool]:
    expect = set(item["expect"])
    top = [c.entry.id for c in plan.ranked[:3]]
    return bool(top[:1] and top[0] in expect), bool(expect & set(top))


def figure_in_answer(plan: AnswerPlan) -> bool:
    return any(re.search(r"\d", c.entry.answer) for c in plan.answers)


def summarise(rows: list[tuple[dict, AnswerPlan, float]]) -> dict:
    ans = [(i, p) for i, p, _ in rows if i["kind"] not in NOT_ANSWERABLE and i["expect"]]
    other = [(i, p) for i, p, _ in rows if not (i["kind"] not in NOT_ANSWERABLE and i["expect"])]
    n, m = len(ans), len(other)
    oc = Counter(outcome(i, p) for i, p in ans)
    h1 = sum(hits(i, p)[0] for i, p in ans)
    h3 = sum(hits(i, p)[1] for i, p in ans)
    answered = [p for _, p in ans if p.status.answers]
    alts = sum(bool(p.alternatives) for p in answered)
    ooc = Counter(outcome(i, p) for i, p in other)
    oos = [(i, p) for i, p in other if i["kind"] == "out_of_scope"]
    oos_fig = sum(p.status.answers and figure_in_answer(p) and outcome(i, p) != "refused" for i, p in oos)
    lat = [t for _, _, t in rows]
    rate = (lambda k, c, d: c[k] / d if d else float("nan"))
    return {
        "n": n, "right": rate("right", oc, n), "partial": rate("partial", oc, n), "wrong": rate("wrong", oc, n),
        "menu": rate("menu", oc, n), "refusal": rate("refusal", oc, n),
        "hit1": h1 / n if n else float("nan"), "hit3": h3 / n if n else float("nan"),
        "alts": alts / len(answered) if answered else float("nan"),
        "m": m, "refused": rate("refused", ooc, m), "other_menu": rate("menu", ooc, m),
        "n_oos": len(oos), "oos_figure": oos_fig / len(oos) if oos else float("nan"),
        "p50": percentile(lat, 50), "p95": percentile(lat, 95),
    }


def fmt(name: str, r: dict) -> str:
    pct = (lambda x: "  n/a" if x != x else f"{100 * x:5.1f}")
    return (f"{name:<24} n={r['n']:3d} | right {pct(r['right'])} partial {pct(r['partial'])} "
            f"wrong {pct(r['wrong'])} menu {pct(r['menu'])} refusal {pct(r['refusal'])} | "
            f"hit@1 {pct(r['hit1'])} hit@3 {pct(r['hit3'])} | alt offered {pct(r['alts'])} | "
            f"not answerable n={r['m']:3d}: refused/handed off {pct(r['refused'])} menu {pct(r['other_menu'])}"
            f" | out-of-scope n={r['n_oos']} with figure {pct(r['oos_figure'])}"
            f" | p50 {r['p50']:.0f} ms p95 {r['p95']:.0f} ms")


def run_set(retriever: Retriever, name: str) -> list[tuple[dict, AnswerPlan, float]]:
    rows = []
    for item in load_set(name):
        t = time.perf_counter()
        plan = retriever.plan(item["q"])
        rows.append((item, plan, (time.perf_counter() - t) * 1000))
    return rows


def report(name: str, rows, by_kind: bool) -> None:
    print(fmt(name, summarise(rows)))
    print(fmt(f"{name} excl. numbers/calc", summarise([r for r in rows if r[0]["kind"] not in OWN_NUMBERS])))
    if by_kind:
        groups: dict[str, list] = defaultdict(list)
        for r in rows:
            groups[r[0]["kind"]].append(r)
        for kind in sorted(groups):
            print(fmt(f"  {kind}", summarise(groups[kind])))


def show_misses(rows) -> None:
    for item, plan, _ in rows:
        o = outcome(item, plan)
        if o in ("right", "refused"):
            continue
        got = ", ".join(f"{c.entry.id}:{c.score:.2f}" for c in plan.ranked[:3])
        ans = "+".join(c.entry.id for c in plan.answers)
        print(f"   {o:8} [{item['kind']}] {item['q']!r} want {item['expect']} | {plan.status.value} {ans} | {got}")


TUNE_GRID = {
    "likely_threshold": [0.35, 0.40, 0.45],
    "tie_margin": [0.02, 0.05],
    "lead_margin": [0.0, 0.02, 0.04],
    "split_threshold": [0.40, 0.50],
    "latin_dense_weight": [0.4, 0.6, 0.8],
}


def tune(retriever: Retriever) -> None:
    """Grid over the decision settings on the blind DEV set and the old set's dev split (never the
    blind test set). Cost: a wrong direct answer 4, a refusal 1.5, a menu 1, a partial two-topic
    answer 0.5, an unrefused must-not-answer question 2 — per question, averaged per set."""
    retriever.features = functools.lru_cache(maxsize=None)(retriever.features)
    retriever.corrected = functools.lru_cache(maxsize=None)(retriever.corrected)
    sets = {name: load_set(name) for name in ("dev", "old-dev")}
    base = retriever.settings
    rows = []
    keys = list(TUNE_GRID)
    for values in itertools.product(*(TUNE_GRID[k] for k in keys)):
        s = replace(base, **dict(zip(keys, values)))
        if s.likely_threshold < s.suggest_threshold:
            continue
        retriever.settings = s
        cost, figs = 0.0, {}
        for name, items in sets.items():
            r = summarise([(i, retriever.plan(i["q"]), 0.0) for i in items])
            cost += (4 * r["wrong"] + 1.5 * r["refusal"] + r["menu"] + 0.5 * r["partial"]
                     + 2 * (1 - r["refused"]))
            figs[name] = r
        rows.append((cost, values, figs))
    retriever.settings = base
    rows.sort(key=lambda row: row[0])
    print("cost   " + " ".join(f"{k[:12]:>12}" for k in keys) + " | dev right/wrong/menu/refusal/refused"
          " | old-dev right/wrong/menu/refusal/refused")
    for cost, values, figs in rows[:20]:
        f = lambda r: "/".join(f"{100 * r[k]:.0f}" for k in ("right", "wrong", "menu", "refusal", "refused"))  # noqa: E731
        print(f"{cost:6.3f} " + " ".join(f"{v:12.2f}" for v in values) + f" | {f(figs['dev'])} | {f(figs['old-dev'])}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, from {SETS}")
    ap.add_argument("--by-kind", action="store_true", help="a line per kind of question")
    ap.add_argument("--show-misses", action="store_true", help="list what went wrong (not for the blind test set)")
    ap.add_argument("--tune", action="store_true", help="grid-search the decision settings on dev + old-dev")
    args = ap.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    if bad := [s for s in sets if s not in SETS]:
        ap.error(f"unknown set(s) {bad}")
    if args.show_misses and "test" in sets:
        ap.error("--show-misses is not available for the blind test set (it is kept out of tuning)")
    t0 = time.perf_counter()
    retriever = Retriever.from_env()
    retriever.plan("補助上限多少")  # warm the lazy parts (jieba, pinyin) out of the timings
    print(f"retriever loaded in {time.perf_counter() - t0:.1f}s ({retriever.embedder.model_id}, "
          f"{len(retriever.kb.entries)} entries)")
    if args.tune:
        tune(retriever)
        return 0
    for name in sets:
        if name in ("dev", "test") and not (BLIND_DIR / f"{name}.yml").exists():
            print(f"{name}: {BLIND_DIR / name}.yml missing", file=sys.stderr)
            continue
        rows = run_set(retriever, name)
        report(f"[{name}]", rows, args.by_kind)
        if args.show_misses:
            show_misses(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
