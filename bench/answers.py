"""What strangers' questions get: the answering decision on the blind question set and the old set.

    make bench-answers                          # blind dev/test, dev2/test2, test3, dev3, dev4/test4, dev5, dev6/test5, old set (dev and test splits)
    make bench-answers ARGS="--sets dev --by-kind --show-misses"   # tuning view: DEV SETS ONLY
    make bench-answers ARGS=--tune              # grid over the decision settings on dev + dev2 + dev3 + dev4 + dev5 + dev6 + old-dev

Every question goes through ``knowledge.answering.decide`` — the very function
``action_answer_question`` acts on, in the bot's order: first a direct answer with the user's own
figures (knowledge/direct/, one rule applied, formula shown), else the retrieval plan (homophone
correction, glossary for English, answer / answer + 「您可能也想問」 / menu / not found, two-topic
split). No servers run, so Rasa's intent step before it is not included: an out-of-scope message
Rasa would have caught is judged here by the answering decision alone (the harder case).

Sets: bench/blind/dev.yml and bench/blind/test.yml (written from the brief only, by someone who had
not seen the knowledge entries; each item: q, kind, expect [entry ids], figures, note), a second
independent blind set bench/blind/dev2.yml and bench/blind/test2.yml (same format, see
bench/blind/README.md), a third blind set bench/blind/test3.yml (same format, held out as a whole: it
has no dev part), a fourth blind set bench/blind/dev3.yml (same format, a tuning set only: it has no
test part), a fifth blind set bench/blind/dev4.yml and bench/blind/test4.yml (same format, split by
kind in halves), a sixth blind set bench/blind/dev5.yml (same format, a tuning set only: it has
no test part), a seventh blind set bench/blind/dev6.yml and bench/blind/test5.yml (same format, split
by kind in halves), and the old labelled set bench/questions.yml (entry + also → expect). Tune on
the blind dev sets (dev, dev2, dev3, dev4, dev5, dev6) and the old set only; the blind test sets (test, test2, test3,
test4, test5) are for reporting (``--show-misses`` refuses them).

Figures, per set, over the answerable questions (expect not empty; kinds other than unanswerable and
out_of_scope), as shares of them — the first five add up to 100 %:

* direct-right: the reply answers directly (a direct computation citing an expected entry first and
  stating every figure the item lists — bench/figures.py: 萬/万, 元, commas, NT$ compared by value,
  rounding only for a figure its note calls an estimate — or a plan
  answering directly (answer, answer + alternatives, or several answers) and
  the first answer is an expected entry; for kind two_topics, at least two expected entries (all of
  them when fewer) are among the answers (a direct computation counts the entries it cites; a
  message answered question by question — a computation for one, an entry for another — counts
  every part's);
* partial (two_topics only): answered directly, an expected entry first, but not both topics;
* direct-wrong: answered directly, and not right or partial — the costly mistake;
* menu: 「我不太確定您想問的是哪一項」 with topic buttons (status suggest), or a direct reply that
  asks the user to check a figure (rule check_input);
* refusal: "not found" (status none);
* hit@1 / hit@3: an expected entry first / among the first three of the ranking (a direct
  computation's cited entries, then the plan's: answers first, then the other entries best first),
  whatever the decision;
* direct computations: share of the questions answered by knowledge/direct/; "wrong figure": share of
  the answerable questions answered by a direct computation missing an expected figure (counted in
  direct-wrong);
* alternatives offered: share of the answered questions that also got 「您可能也想問」 buttons.

When several blind test sets are run, a last line pools them (``[held-out test+test2+…]``): the
figure the issue's targets are read on.

Over the questions that must not be answered from the entries (kind unanswerable or out_of_scope;
in the old set every item without an entry):

* refused-or-handed-off: "not found", or an answer only from the entries that send the user to a
  person (not_in_brief_deadline, not_in_brief_case_status, not_in_brief_other, hotline_main);
* menu: topic buttons instead (each menu also carries 「都不是，找專人」);
* out-of-scope with a figure: kind out_of_scope (old set: intent out_of_scope) answered with a
  direct computation or an entry whose text has a digit — the bot must not state a programme figure to those.

Each set is also shown without kinds numbers and calculate (questions carrying the user's own
figures), and the time per question (p50/p95 of ``decide``).
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
from typing import NamedTuple

import yaml

from knowledge.answering import Reply, decide
from knowledge.retriever import Retriever, Status

from .common import ROOT, load_questions, percentile
from .figures import missing_figures

BLIND_DIR = ROOT / "bench" / "blind"
HANDOFF_ENTRIES = frozenset({"not_in_brief_deadline", "not_in_brief_case_status", "not_in_brief_other", "hotline_main"})
NOT_ANSWERABLE = frozenset({"unanswerable", "out_of_scope"})
OWN_NUMBERS = frozenset({"numbers", "calculate"})
BLIND_SETS = ("dev", "test", "dev2", "test2", "test3", "dev3", "dev4", "test4", "dev5", "dev6", "test5", "dev7")
HELD_OUT = frozenset({"test", "test2", "test3", "test4", "test5"})  # reporting only: no --show-misses, no tuning
SETS = (*BLIND_SETS, "old-dev", "old-test")
TUNE_SETS = ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7", "old-dev")
CHECK_INPUT = "check_input"  # a direct reply asking the user to check a figure: not an answer


def load_set(name: str) -> list[dict]:
    """Items as {q, kind, expect}: the blind set as written, the old set converted."""
    if name in BLIND_SETS:
        items = yaml.safe_load((BLIND_DIR / f"{name}.yml").read_text("utf-8"))["questions"]
        return [{"q": str(i["q"]), "kind": str(i["kind"]), "expect": list(i.get("expect") or []),
                 "figures": [str(f) for f in i.get("figures") or []], "note": str(i.get("note") or "")}
                for i in items]
    split = name.removeprefix("old-")
    out = []
    for i in load_questions(split):
        if i["entry"]:
            out.append({"q": i["q"], "kind": "old", "expect": [i["entry"], *i.get("also", [])]})
        else:
            kind = "out_of_scope" if i.get("intent") == "out_of_scope" else "unanswerable"
            out.append({"q": i["q"], "kind": kind, "expect": []})
    return out


def answered_ids(reply: Reply) -> list[str]:
    """The entries the reply answers with, in order (a direct computation: the entries it cites)."""
    return reply.entry_ids


def reply_kind(reply: Reply) -> str:
    """answer | menu (topic buttons, or a direct reply asking to check a figure) | none."""
    if reply.parts:
        return "answer"
    if reply.direct is not None:
        return "menu" if reply.direct.rule == CHECK_INPUT else "answer"
    if reply.plan.status is Status.NONE:
        return "none"
    return "menu" if reply.plan.status is Status.SUGGEST else "answer"


def computed_text(reply: Reply) -> str | None:
    """The text the figures are checked in: a direct computation's, or for several questions with a
    computation among them every part's (the computations and the entries' answers); None otherwise."""
    if reply.parts:
        if not any(p.direct is not None for p in reply.parts):
            return None
        return "\n".join(p.direct.text if p.direct is not None else p.plan.answers[0].entry.answer
                         for p in reply.parts)
    if reply.direct is None or reply.direct.rule == CHECK_INPUT:
        return None
    return reply.direct.text


def wrong_figure(item: dict, reply: Reply) -> bool:
    """A direct computation that does not state every figure the item expects (bench/figures.py):
    a computed answer with a wrong or missing figure is wrong, whatever entry it cites."""
    text = computed_text(reply)
    if text is None or not item.get("figures"):
        return False
    return bool(missing_figures(item["figures"], text, item.get("note", "")))


def outcome(item: dict, reply: Reply) -> str:
    """right | partial | wrong | menu | refusal for an answerable item; refused | menu | answered
    for one that must not be answered."""
    answered = answered_ids(reply)
    kind = reply_kind(reply)
    if item["kind"] in NOT_ANSWERABLE or not item["expect"]:
        if kind == "none" or (kind == "answer" and set(answered) <= HANDOFF_ENTRIES):
            return "refused"
        return "menu" if kind == "menu" else "answered"
    if kind == "none":
        return "refusal"
    if kind == "menu":
        return "menu"
    if wrong_figure(item, reply):
        return "wrong"
    expect = set(item["expect"])
    first_ok = answered[0] in expect
    if item["kind"] == "two_topics":
        need = min(2, len(expect))
        if len(expect & set(answered)) >= need:
            return "right"
        return "partial" if first_ok or expect & set(answered) else "wrong"
    return "right" if first_ok else "wrong"


def hits(item: dict, ranked: list[str]) -> tuple[bool, bool]:
    expect = set(item["expect"])
    top = ranked[:3]
    return bool(top[:1] and top[0] in expect), bool(expect & set(top))


def figure_in_answer(reply: Reply) -> bool:
    if reply.parts:
        return any(figure_in_answer(p) for p in reply.parts)
    if reply.direct is not None:
        return reply.direct.rule != CHECK_INPUT
    return any(re.search(r"\d", c.entry.answer) for c in reply.plan.answers)


class Row(NamedTuple):
    item: dict
    reply: Reply
    ranked: list[str]   # entry ids, for hit@k: the direct computation's citations, then the plan's ranking
    ms: float           # time of ``decide``


def summarise(rows: list[Row]) -> dict:
    ans = [r for r in rows if r.item["kind"] not in NOT_ANSWERABLE and r.item["expect"]]
    other = [r for r in rows if not (r.item["kind"] not in NOT_ANSWERABLE and r.item["expect"])]
    n, m = len(ans), len(other)
    oc = Counter(outcome(r.item, r.reply) for r in ans)
    h1 = sum(hits(r.item, r.ranked)[0] for r in ans)
    h3 = sum(hits(r.item, r.ranked)[1] for r in ans)
    answered = [r.reply for r in ans if reply_kind(r.reply) == "answer"]
    alts = sum(bool(p.plan and p.plan.alternatives) for p in answered)
    direct = sum(r.reply.direct is not None or any(p.direct is not None for p in r.reply.parts) for r in rows)
    fig_wrong = sum(wrong_figure(r.item, r.reply) for r in ans)
    ooc = Counter(outcome(r.item, r.reply) for r in other)
    oos = [r for r in other if r.item["kind"] == "out_of_scope"]
    oos_fig = sum(reply_kind(r.reply) == "answer" and figure_in_answer(r.reply)
                  and outcome(r.item, r.reply) != "refused" for r in oos)
    lat = [r.ms for r in rows]
    rate = (lambda k, c, d: c[k] / d if d else float("nan"))
    return {
        "n": n, "right": rate("right", oc, n), "partial": rate("partial", oc, n), "wrong": rate("wrong", oc, n),
        "menu": rate("menu", oc, n), "refusal": rate("refusal", oc, n),
        "hit1": h1 / n if n else float("nan"), "hit3": h3 / n if n else float("nan"),
        "alts": alts / len(answered) if answered else float("nan"),
        "direct": direct / len(rows) if rows else float("nan"),
        "fig_wrong": fig_wrong / n if n else float("nan"),
        "m": m, "refused": rate("refused", ooc, m), "other_menu": rate("menu", ooc, m),
        "n_oos": len(oos), "oos_figure": oos_fig / len(oos) if oos else float("nan"),
        "p50": percentile(lat, 50), "p95": percentile(lat, 95),
    }


def fmt(name: str, r: dict) -> str:
    pct = (lambda x: "  n/a" if x != x else f"{100 * x:5.1f}")
    return (f"{name:<24} n={r['n']:3d} | right {pct(r['right'])} partial {pct(r['partial'])} "
            f"wrong {pct(r['wrong'])} menu {pct(r['menu'])} refusal {pct(r['refusal'])} | "
            f"hit@1 {pct(r['hit1'])} hit@3 {pct(r['hit3'])} | alt offered {pct(r['alts'])} "
            f"direct computations {pct(r['direct'])} (wrong figure {pct(r['fig_wrong'])}) | "
            f"not answerable n={r['m']:3d}: refused/handed off {pct(r['refused'])} menu {pct(r['other_menu'])}"
            f" | out-of-scope n={r['n_oos']} with figure {pct(r['oos_figure'])}"
            f" | p50 {r['p50']:.0f} ms p95 {r['p95']:.0f} ms")


def judge(retriever: Retriever, item: dict) -> Row:
    t = time.perf_counter()
    reply = decide(item["q"], retriever)
    ms = (time.perf_counter() - t) * 1000
    if reply.direct is not None or reply.parts:
        cited = answered_ids(reply)
        ranked = cited + [c.entry.id for c in retriever.plan(item["q"]).ranked if c.entry.id not in cited]
    else:
        ranked = [c.entry.id for c in reply.plan.ranked]
    return Row(item, reply, ranked, ms)


def run_set(retriever: Retriever, name: str) -> list[Row]:
    return [judge(retriever, item) for item in load_set(name)]


def report(name: str, rows, by_kind: bool) -> None:
    print(fmt(name, summarise(rows)))
    print(fmt(f"{name} excl. numbers/calc", summarise([r for r in rows if r.item["kind"] not in OWN_NUMBERS])))
    if by_kind:
        groups: dict[str, list] = defaultdict(list)
        for r in rows:
            groups[r.item["kind"]].append(r)
        for kind in sorted(groups):
            print(fmt(f"  {kind}", summarise(groups[kind])))


def show_misses(rows: list[Row]) -> None:
    for item, reply, ranked, _ in rows:
        o = outcome(item, reply)
        if o in ("right", "refused"):
            continue
        if reply.parts:
            got = ", ".join(ranked[:3])
            how = "parts:" + "+".join(p.direct.rule if p.direct is not None else "entry" for p in reply.parts)
        elif reply.direct is not None:
            got, how = ", ".join(ranked[:3]), f"direct:{reply.direct.rule}"
        else:
            got = ", ".join(f"{c.entry.id}:{c.score:.2f}" for c in reply.plan.ranked[:3])
            how = reply.plan.status.value
        ans = "+".join(answered_ids(reply))
        if wrong_figure(item, reply):
            how += " missing " + ",".join(missing_figures(item["figures"], computed_text(reply), item.get("note", "")))
        print(f"   {o:8} [{item['kind']}] {item['q']!r} want {item['expect']} | {how} {ans} | {got}")


TUNE_GRID = {
    "likely_threshold": [0.36, 0.40],
    "lead_margin": [0.03, 0.04, 0.05],
    "same_topic_margin": [0.0, 0.01, 0.02, 0.03],
    "strong_threshold": [0.40, 0.42, 0.45],
    "strong_lead_margin": [0.005, 0.01, 0.02],
}


def tune(retriever: Retriever) -> None:
    """Grid over the decision settings on the blind DEV sets (dev, dev2, dev3, dev4, dev5, dev6) and the old set's dev split
    (never the blind test sets). Cost: a wrong direct answer 4, a refusal 1.5, a menu 1, a partial two-topic
    answer 0.5, an unrefused must-not-answer question 2 — per question, averaged per set."""
    retriever.features = functools.lru_cache(maxsize=None)(retriever.features)
    retriever.corrected = functools.lru_cache(maxsize=None)(retriever.corrected)
    sets = {name: load_set(name) for name in TUNE_SETS}
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
            r = summarise([Row(i, decide(i["q"], retriever), [], 0.0) for i in items])
            cost += (4 * r["wrong"] + 1.5 * r["refusal"] + r["menu"] + 0.5 * r["partial"]
                     + 2 * (1 - r["refused"]))
            figs[name] = r
        rows.append((cost, values, figs))
    retriever.settings = base
    rows.sort(key=lambda row: row[0])
    print("cost   " + " ".join(f"{k[:12]:>12}" for k in keys)
          + "".join(f" | {name} right/wrong/menu/refusal/refused" for name in TUNE_SETS))
    for cost, values, figs in rows[:20]:
        f = lambda r: "/".join(f"{100 * r[k]:.0f}" for k in ("right", "wrong", "menu", "refusal", "refused"))  # noqa: E731
        print(f"{cost:6.3f} " + " ".join(f"{v:12.2f}" for v in values)
              + "".join(f" | {f(figs[name])}" for name in TUNE_SETS))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, from {SETS}")
    ap.add_argument("--by-kind", action="store_true", help="a line per kind of question")
    ap.add_argument("--show-misses", action="store_true", help="list what went wrong (not for the blind test sets)")
    ap.add_argument("--tune", action="store_true", help="grid-search the decision settings on dev + dev2 + dev3 + dev4 + dev5 + dev6 + old-dev")
    args = ap.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    if bad := [s for s in sets if s not in SETS]:
        ap.error(f"unknown set(s) {bad}")
    if args.show_misses and (held := [s for s in sets if s in HELD_OUT]):
        ap.error(f"--show-misses is not available for the blind test set(s) {held} (they are kept out of tuning)")
    t0 = time.perf_counter()
    retriever = Retriever.from_env()
    decide("補助上限多少", retriever)  # warm the lazy parts (jieba, pinyin) out of the timings
    print(f"retriever loaded in {time.perf_counter() - t0:.1f}s ({retriever.embedder.model_id}, "
          f"{len(retriever.kb.entries)} entries)")
    if args.tune:
        tune(retriever)
        return 0
    held_rows: list[Row] = []
    held_names: list[str] = []
    for name in sets:
        if name in BLIND_SETS and not (BLIND_DIR / f"{name}.yml").exists():
            print(f"{name}: {BLIND_DIR / name}.yml missing", file=sys.stderr)
            continue
        rows = run_set(retriever, name)
        report(f"[{name}]", rows, args.by_kind)
        if args.show_misses:
            show_misses(rows)
        if name in HELD_OUT:
            held_rows += rows
            held_names.append(name)
    if len(held_names) > 1:
        # the issue's targets are on strangers' questions nobody tuned on: every blind test part together
        report(f"[held-out {'+'.join(held_names)}]", held_rows, False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
