"""The glossary of programme terms (knowledge/glossary.yml) and what the retriever does with it.

* ``Glossary.lexical_text(text)``: the question as lexical (BM25) search should see it — Latin-script
  phrases replaced by the programme's Chinese term (``Is there a subsidy for buying new machines`` →
  ``補助 全新設備之購置費``), colloquial words followed by the term they mean (耗材 → 耗材 消耗性器材),
  and Latin words nobody can match (``is``, ``there``) dropped so they do not dilute the score.
* ``Glossary.dense_text(text)``: the question for the dense model to judge next to the original —
  every glossary phrase replaced in place by the programme's term, every other word (``what``,
  ``does``, ``for``) kept, so the sentence keeps its shape (``What does the 1 in the 1+4 scheme
  stand for?`` → ``what does the 1 in the 以大帶小 計畫 stand for?``). The multilingual model ranks
  such a mixed sentence far better than the English one or the bare list of terms.
* ``Glossary.translated(text)``: only the Chinese terms found in a non-Chinese question.

Pure Python (PyYAML only); works on text already passed through ``textnorm.normalize``.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .textnorm import is_cjk, normalize

GLOSSARY_FILE = Path(__file__).resolve().parent / "glossary.yml"

_LATIN_WORD = re.compile(r"[a-z0-9]+(?:[&+.'’][a-z0-9]+)*")  # a hyphen separates words
MAX_PHRASE_WORDS = 6

# Function words that carry no topic: never kept for lexical search even if an entry contains them.
ENGLISH_STOPWORDS = frozenset(
    "a an the is are was were be been being am do does did doing have has had having i we you he she it "
    "they me us our ours your my its their them this that these those there here what which who whom whose "
    "when where why how can could would should shall will may might must of to in on at by for with from "
    "about as into onto over under than then so if or and but not no nor any some all each per get got "
    "let please tell know want wanted need needed like just also too very much many more less one any "
    "hi hello thanks thank ok okay yes".split())


def stem(word: str) -> str:
    """A light English plural fold: machines → machine, subsidies → subsidy, 's dropped."""
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def latin_words(text: str) -> list[tuple[str, int, int]]:
    """(stemmed word, start, end) of each Latin-script word or number in normalised ``text``."""
    return [(stem(m.group()), m.start(), m.end()) for m in _LATIN_WORD.finditer(text)]


@dataclass(frozen=True)
class Glossary:
    english: dict[tuple[str, ...], str]  # stemmed phrase → Chinese term(s)
    terms: tuple[str, ...]               # programme terms (Traditional), for homophone correction
    synonyms: dict[str, str]             # colloquial word → programme term
    dense_forms: tuple[tuple[str, str], ...] = ()  # Chinese term(s) → the word dense_text puts in their place

    @classmethod
    def load(cls, path: Path = GLOSSARY_FILE) -> "Glossary":
        raw = yaml.safe_load(Path(path).read_text("utf-8"))
        english: dict[tuple[str, ...], str] = {}
        dense_forms: dict[str, str] = {}
        for row in raw["english"]:
            zh = normalize(str(row["zh"]))
            if row.get("dense"):
                dense_forms[zh] = normalize(str(row["dense"]))
            for phrase in row["en"]:
                key = tuple(w for w, _, _ in latin_words(normalize(str(phrase))))
                if not key or len(key) > MAX_PHRASE_WORDS:
                    raise ValueError(f"glossary phrase {phrase!r} is empty or too long")
                if key in english and english[key] != zh:
                    raise ValueError(f"glossary phrase {phrase!r} maps to both {english[key]} and {zh}")
                english[key] = zh
        terms = {normalize(str(t)) for t in raw.get("terms") or ()}
        for zh in english.values():
            terms.update(w for w in zh.split() if len(w) >= 2 and all(is_cjk(ch) for ch in w))
        synonyms = {normalize(str(k)): normalize(str(v)) for k, v in (raw.get("synonyms") or {}).items()}
        return cls(english=english, terms=tuple(sorted(terms)), synonyms=synonyms,
                   dense_forms=tuple(dense_forms.items()))

    def english_matches(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, Chinese term) for each glossary phrase in normalised ``text``, longest first."""
        words = latin_words(text)
        out, i = [], 0
        while i < len(words):
            for n in range(min(MAX_PHRASE_WORDS, len(words) - i), 0, -1):
                key = tuple(w for w, _, _ in words[i : i + n])
                # a phrase must be contiguous Latin text (only spaces/hyphens between its words)
                if key in self.english and all(
                        not text[words[j][2] : words[j + 1][1]].strip(" -") for j in range(i, i + n - 1)):
                    out.append((words[i][1], words[i + n - 1][2], self.english[key]))
                    i += n
                    break
            else:
                i += 1
        return out

    def lexical_text(self, text: str, known: frozenset[str] | set[str] = frozenset()) -> str:
        """Normalised ``text`` rewritten for lexical search (see the module docstring).

        English function words are dropped; other Latin words the glossary has no phrase for are
        kept (the index knows some, e.g. ``ceo``, ``ai``, ``erp``; the others count as unknown
        words and so lower the score, as unknown Chinese words do). Numbers are kept.
        """
        norm = normalize(text)
        matches = self.english_matches(norm)
        pieces, pos = [], 0
        for start, end, zh in matches:
            pieces.append(self._keep_latin(norm[pos:start], known))
            pieces.append(f" {zh} ")
            pos = end
        pieces.append(self._keep_latin(norm[pos:], known))
        out = "".join(pieces)
        extra = [term for word, term in self.synonyms.items() if word in out and term not in out]
        if extra:
            out += " " + " ".join(extra)
        return " ".join(out.split())

    @staticmethod
    def _keep_latin(segment: str, known) -> str:
        def keep(m: re.Match) -> str:
            word = m.group()
            if word[0].isdigit():
                return word
            if word in ENGLISH_STOPWORDS or stem(word) in ENGLISH_STOPWORDS:
                return " "
            return word

        return _LATIN_WORD.sub(keep, segment)

    def dense_text(self, text: str) -> str:
        """``text`` with each glossary phrase replaced in place by its first Chinese term (the others
        in ``zh`` are search aids for BM25, not part of the meaning), or by the row's ``dense`` word
        when it has one (the programme's full name is read as 計畫: "the budget of the SME upgrading
        and transformation programme" asks about the budget, and the long name, which the overview
        entry repeats, would otherwise pull the embedding to the overview) — unless the question names
        nothing else ("What is the upgrade and transformation programme?"); the rest verbatim."""
        norm = normalize(text)   # same length as text: the matches' offsets index both
        pieces, pos = [], 0
        matches = self.english_matches(norm)
        dense_forms = dict(self.dense_forms)
        if all(zh in dense_forms for _, _, zh in matches):
            dense_forms = {}  # the name is all the question names: it asks about the programme itself
        for start, end, zh in matches:
            pieces.append(text[pos:start])
            pieces.append(dense_forms.get(zh, zh.split()[0]))
            pos = end
        pieces.append(text[pos:])
        return "".join(pieces)

    def translated(self, text: str) -> str:
        """The Chinese terms of the glossary phrases found in ``text`` (empty when none)."""
        return " ".join(dict.fromkeys(zh for _, _, zh in self.english_matches(normalize(text))))


def cjk_share(text: str) -> float:
    """Share of CJK characters among the letters and ideographs of ``text`` (0 for none)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(is_cjk(ch) for ch in letters) / len(letters)


def is_latin_question(text: str) -> bool:
    """Mostly Latin-script words (English) with at most a Chinese term or two in it."""
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(is_cjk(ch) for ch in letters) * 4 < len(letters) and \
        sum(ch.isascii() for ch in letters) >= 6


@functools.lru_cache(maxsize=1)
def load_glossary() -> Glossary:
    return Glossary.load()
