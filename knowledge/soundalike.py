"""Homophone typos of programme terms, corrected by pinyin at query time.

People type by sound (注音 or pinyin input) and pick the wrong character: 補住 for 補助, 帶款 for
貸款, 智會化 for 智慧化, 診段 for 診斷, 以大代小 for 以大帶小. ``SoundAlike.correct`` replaces such a
span with the programme term when all of these hold:

* the span reads like the term: same toneless pinyin syllable by syllable, any reading of a
  polyphonic character counts, and the usual Taiwanese mergers are folded (zh/z, ch/c, sh/s,
  -ing/-in, -eng/-en, -ang/-an);
* it differs from the term in one character (two for terms of four or more) and keeps the others;
* the span is not a word of its own (jieba's dictionary: 不住 stays 不住), and it starts and ends on
  the word boundaries jieba finds in the question (萬元工廠 is never read as 萬員工廠) — or starts
  right after a programme term typed right (貸款額渡, which jieba cuts 貸款額|渡).

Exact terms are never touched, so exact-term ranking is unchanged. The output has the input's
length (one character for one), so offsets stay valid.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .glossary import load_glossary
from .textnorm import USERDICT, _jieba, is_cjk, normalize, t2s, to_traditional

_FOLD_INITIAL = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FOLD_FINAL = (("ing", "in"), ("eng", "en"), ("ang", "an"))


def _fold(syllable: str) -> str:
    for a, b in _FOLD_INITIAL:
        if syllable.startswith(a):
            syllable = b + syllable[len(a):]
            break
    for a, b in _FOLD_FINAL:
        if syllable.endswith(a):
            return syllable[: -len(a)] + b
    return syllable


@functools.lru_cache(maxsize=8192)
def readings(ch: str) -> frozenset[str]:
    """Folded toneless pinyin readings of one character (empty for non-CJK)."""
    if not is_cjk(ch):
        return frozenset()
    from pypinyin import Style, pinyin

    return frozenset(_fold(r) for r in pinyin(ch, style=Style.NORMAL, heteronym=True)[0])


def _userdict_terms() -> set[str]:
    if not USERDICT.exists():
        return set()
    out = set()
    for line in USERDICT.read_text("utf-8").splitlines():
        word = line.split(" ")[0].strip()
        if len(word) >= 2 and all(is_cjk(ch) for ch in word):
            out.add(to_traditional(word))
    return out


@dataclass(frozen=True)
class Correction:
    start: int
    typed: str
    term: str


class SoundAlike:
    def __init__(self, terms: set[str] | tuple[str, ...]) -> None:
        self.terms = tuple(sorted({t for t in terms if len(t) >= 2 and all(is_cjk(ch) for ch in t)},
                                  key=lambda t: (-len(t), t)))
        self._term_set = frozenset(self.terms)
        # first syllable → terms starting with it, longest first
        self._by_first: dict[str, list[tuple[str, tuple[frozenset[str], ...]]]] = {}
        for term in self.terms:
            sylls = tuple(readings(ch) for ch in term)
            for first in sylls[0]:
                self._by_first.setdefault(first, []).append((term, sylls))

    @classmethod
    @functools.lru_cache(maxsize=1)
    def default(cls) -> "SoundAlike":
        return cls(set(load_glossary().terms) | _userdict_terms())

    @staticmethod
    def _is_word(span: str) -> bool:
        tok = _jieba()
        tok.check_initialized()
        return bool(tok.FREQ.get(t2s(span)) or tok.FREQ.get(span))

    def corrections(self, text: str) -> list[Correction]:
        norm = normalize(text)
        out: list[Correction] = []
        for m in re.finditer(r"[\u3400-\u9fff\uf900-\ufaff]{2,}", norm):
            chunk, base = m.group(), m.start()
            bounds = None  # jieba word boundaries, computed only when a candidate shows up
            i = 0
            while i < len(chunk) - 1:
                hit = None
                for first in readings(chunk[i]):
                    for term, sylls in self._by_first.get(first, ()):
                        n = len(term)
                        span = chunk[i : i + n]
                        if len(span) < n or span == term or span in self._term_set:
                            continue
                        diff = sum(a != b for a, b in zip(span, term))
                        if diff > (2 if n >= 4 else 1):
                            continue
                        if not all(readings(ch) & s for ch, s in zip(span, sylls)):
                            continue
                        if bounds is None:
                            bounds = _word_bounds(chunk)
                        if (i not in bounds and not _after_term(chunk, i, self._term_set)) \
                                or i + n not in bounds or self._is_word(span):
                            continue
                        # the span must not cut through a programme term already typed right
                        if any(t in chunk and _overlaps(chunk, t, i, i + n) for t in self.terms):
                            continue
                        hit = (span, term)
                        break
                    if hit:
                        break
                if hit:
                    out.append(Correction(base + i, hit[0], hit[1]))
                    i += len(hit[1])
                else:
                    i += 1
        return out

    def correct(self, text: str) -> tuple[str, list[Correction]]:
        """(normalised text with homophone typos of programme terms replaced, the corrections)."""
        norm = normalize(text)
        fixes = self.corrections(norm)
        if not fixes:
            return norm, []
        chars = list(norm)
        for fix in fixes:
            chars[fix.start : fix.start + len(fix.term)] = fix.term
        return "".join(chars), fixes


def _word_bounds(chunk: str) -> set[int]:
    """Offsets where jieba's dictionary words start and end (no HMM guessing, so an unknown
    typo such as 以大代小 stays in single characters instead of being glued to its neighbours)."""
    simp = t2s(chunk)
    if len(simp) != len(chunk):
        simp = chunk
    bounds = {0, len(chunk)}
    for _, start, end in _jieba().tokenize(simp, HMM=False):
        bounds.update((start, end))
    return bounds


def _after_term(chunk: str, i: int, terms: frozenset[str]) -> bool:
    """Offset ``i`` follows a programme term typed right that jieba glued to the next character
    (貸款額渡: jieba reads 貸款額 as one word, so 額渡 does not start on a word boundary)."""
    return any(chunk[max(0, i - n):i] in terms for n in range(2, min(i, 8) + 1))


def _overlaps(chunk: str, term: str, start: int, end: int) -> bool:
    """Whether an exact occurrence of ``term`` in ``chunk`` overlaps [start, end) partly."""
    pos = chunk.find(term)
    while pos >= 0:
        t_end = pos + len(term)
        if pos < end and start < t_end and not (start <= pos and t_end <= end):
            return True
        pos = chunk.find(term, pos + 1)
    return False
