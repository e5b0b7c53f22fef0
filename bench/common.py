"""Shared helpers for the benchmark scripts."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "bench" / "questions.yml"


def load_questions(split: str | None = None) -> list[dict]:
    items = yaml.safe_load(QUESTIONS.read_text("utf-8"))["questions"]
    return [q for q in items if split in (None, "all") or q["split"] == split]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)
