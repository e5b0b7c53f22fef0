"""Intent accuracy of the trained Rasa model on held-out questions (never training examples).

    make bench-intent        # starts its own Rasa server (model bot/models/hotline.tar.gz)

Every question of bench/questions.yml whose text is not a training example is sent to Rasa's
/model/parse; the expected intent is its `intent` label. Prints accuracy per split and per
intent, and the confusions. `nlu_fallback` (low confidence) counts as correct for programme
questions, since the bot then asks retrieval, which answers them.
"""
from __future__ import annotations

import argparse
import collections
import glob
import tempfile
import time
from pathlib import Path

import httpx
import yaml

from scripts.stack import ROOT, Stack, StackConfig

from .common import load_questions


def training_examples() -> set[str]:
    seen: set[str] = set()
    for path in glob.glob(str(ROOT / "bot" / "data" / "nlu" / "*.yml")):
        for block in yaml.safe_load(Path(path).read_text("utf-8")).get("nlu", []):
            for line in block.get("examples", "").splitlines():
                if line.strip().startswith("- "):
                    seen.add(" ".join(line.strip()[2:].split()))
    return seen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rasa-url", help="use a running Rasa server instead of starting one")
    ap.add_argument("--show-misses", action="store_true", help="print every misclassified question")
    args = ap.parse_args(argv)
    train = training_examples()
    items = [q for q in load_questions() if " ".join(q["q"].split()) not in train]
    print(f"{len(items)} held-out questions ({len(load_questions()) - len(items)} skipped: also training examples)")
    stack = None
    url = args.rasa_url
    if not url:
        work = Path(tempfile.mkdtemp(prefix="bench-intent-"))
        cfg = StackConfig(rasa_port=25005, action_port=25055, var_dir=work, log_dir=work / "logs")
        stack = Stack(cfg, services=("rasa",))
        stack.start()
        t0 = time.perf_counter()
        stack.wait_ready(timeout=400)
        print(f"Rasa ready in {time.perf_counter() - t0:.0f}s")
        url = cfg.rasa_url
    try:
        per_split = collections.defaultdict(lambda: [0, 0])
        per_intent = collections.defaultdict(lambda: [0, 0])
        confusions = collections.Counter()
        with httpx.Client(timeout=30) as client:
            for q in items:
                got = client.post(f"{url}/model/parse", json={"text": q["q"]}).json()["intent"]["name"]
                want = q["intent"]
                ok = got == want or (want == "ask_programme" and got == "nlu_fallback")
                for bucket in (per_split[q["split"]], per_split["all"], per_intent[want]):
                    bucket[0] += ok
                    bucket[1] += 1
                if not ok:
                    confusions[(want, got)] += 1
                    if args.show_misses:
                        print(f"   miss [{q['split']}]: {q['q']!r} want {want} got {got}")
        for split in ("dev", "test", "all"):
            ok, n = per_split[split]
            print(f"[{split:4}] intent accuracy {ok / n:.3f} ({ok}/{n})")
        for intent, (ok, n) in sorted(per_intent.items()):
            print(f"   {intent:15} {ok / n:.3f} ({ok}/{n})")
        for (want, got), n in confusions.most_common(12):
            print(f"   confused: {want} -> {got} ×{n}")
    finally:
        if stack:
            stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
