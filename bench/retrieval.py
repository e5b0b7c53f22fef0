"""Retrieval quality on the labelled question set (bench/questions.yml).

    make bench-retrieval                 # figures on the dev and held-out test splits
    make bench-retrieval ARGS=--tune     # grid over weights/thresholds on the DEV split only

Prints, per split: hit@1 and hit@3 over programme questions (an item hits when its entry, or
one of its `also` ids, is ranked there), how often a programme question is answered directly
(status answer), refused (status none), and how often an out-of-scope or chit-chat item is
correctly refused.
"""
from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import replace

from knowledge.retriever import Retriever

from .common import load_questions, percentile


def evaluate(retriever: Retriever, items: list[dict], ranked: dict[str, list] | None = None) -> dict:
    s = retriever.settings
    prog = [q for q in items if q["entry"]]
    other = [q for q in items if not q["entry"]]
    hit1 = hit3 = answered_right = answered_wrong = refused = 0
    for q in prog:
        cands = ranked[q["q"]] if ranked else retriever.rank(q["q"])[2]
        ok = {q["entry"], *q.get("also", [])}
        top = [c.entry.id for c in cands[:3]]
        hit1 += top[0] in ok
        hit3 += bool(ok & set(top))
        best = cands[0].score
        if best >= s.answer_threshold and best - cands[1].score >= s.answer_margin:
            answered_right += top[0] in ok
            answered_wrong += top[0] not in ok
        elif best < s.suggest_threshold:
            refused += 1
    other_refused = 0
    for q in other:
        cands = ranked[q["q"]] if ranked else retriever.rank(q["q"])[2]
        other_refused += (not cands) or cands[0].score < s.suggest_threshold
    n, m = len(prog), len(other)
    return {
        "n_programme": n, "hit@1": hit1 / n, "hit@3": hit3 / n,
        "answered_correct": answered_right / n, "answered_wrong": answered_wrong / n,
        "programme_refused": refused / n,
        "n_other": m, "other_refused": other_refused / m if m else float("nan"),
    }


def tune(retriever: Retriever, dev: list[dict]) -> None:
    base = retriever.settings
    feats = {q["q"]: retriever.features(q["q"]) for q in dev}
    rows = []
    grid = itertools.product([0.2, 0.3, 0.4, 0.5, 0.6], [0.80, 0.82, 0.84, 0.86], [1.0, 1.5, 2.0, 3.0])
    for dw, floor, half in grid:
        s = replace(base, dense_weight=dw, lexical_weight=round(1 - dw, 2), dense_floor=floor, lexical_scale=half)
        ranked = {q: retriever.fuse(f, s) for q, f in feats.items()}
        for ans, sug, margin in itertools.product([0.35, 0.4, 0.45, 0.5, 0.55], [0.25, 0.3, 0.35, 0.4, 0.45],
                                                  [0.0, 0.02, 0.04, 0.06]):
            if sug > ans:
                continue
            retriever.settings = replace(s, answer_threshold=ans, suggest_threshold=sug, answer_margin=margin)
            r = evaluate(retriever, dev, ranked)
            # a wrong confident answer costs most; a refused programme question or an unrefused
            # out-of-scope one costs less; buttons instead of a direct answer cost a little
            suggested = 1 - r["answered_correct"] - r["answered_wrong"] - r["programme_refused"]
            cost = (4 * r["answered_wrong"] + 1.5 * r["programme_refused"] + (1 - r["other_refused"])
                    + 0.5 * suggested)
            rows.append((cost, dw, floor, half, ans, sug, margin, r))
    rows.sort(key=lambda row: row[0])
    print("cost   dense_w floor  lexsc  answer suggest margin | hit@1 hit@3 ans_ok ans_wrong prog_refused other_refused")
    for cost, dw, floor, half, ans, sug, margin, r in rows[:15]:
        print(f"{cost:6.3f} {dw:5.2f} {floor:6.2f} {half:5.1f} {ans:6.2f} {sug:6.2f} {margin:6.2f} | "
              f"{r['hit@1']:.3f} {r['hit@3']:.3f} {r['answered_correct']:.3f} {r['answered_wrong']:.3f} "
              f"{r['programme_refused']:.3f} {r['other_refused']:.3f}")
    retriever.settings = base


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tune", action="store_true", help="grid-search settings on the dev split")
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    retriever = Retriever.from_env()
    print(f"retriever loaded in {time.perf_counter() - t0:.1f}s ({retriever.embedder.model_id}, "
          f"{len(retriever.kb.entries)} entries)")
    if args.tune:
        tune(retriever, load_questions("dev"))
        return 0
    for split in ("dev", "test"):
        items = load_questions(split)
        lat = []
        for q in items:
            t = time.perf_counter()
            retriever.search(q["q"])
            lat.append((time.perf_counter() - t) * 1000)
        r = evaluate(retriever, items)
        print(f"[{split:4}] programme n={r['n_programme']}: hit@1 {r['hit@1']:.3f}  hit@3 {r['hit@3']:.3f}  "
              f"answered correctly {r['answered_correct']:.3f}  answered wrongly {r['answered_wrong']:.3f}  "
              f"refused {r['programme_refused']:.3f} | out-of-scope/chit-chat n={r['n_other']}: refused "
              f"{r['other_refused']:.3f} | search p50 {percentile(lat, 50):.1f} ms p95 {percentile(lat, 95):.1f} ms")
        if args.show_misses:
            for q in items:
                cands = retriever.rank(q["q"])[2][:3] or retriever.scores(q["q"])[:3]
                ok = {q["entry"], *q.get("also", [])} if q["entry"] else set()
                bad = (q["entry"] and cands[0].entry.id not in ok) or (
                    not q["entry"] and cands[0].score >= retriever.settings.suggest_threshold)
                if bad:
                    print(f"   miss: {q['q']!r} want {q['entry']} got "
                          + ", ".join(f"{c.entry.id}:{c.score:.2f}" for c in cands))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
