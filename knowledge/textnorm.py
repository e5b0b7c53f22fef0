"""Text normalisation shared by the Rasa tokenizer (Python 3.10) and the retriever (3.11).

Pure Python: imports only opencc (pure-Python port) and jieba. Every function keeps the
string length unchanged, so token offsets computed on the normalised text stay valid for the
original message.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

import opencc

USERDICT = Path(__file__).resolve().parent / "jieba" / "userdict.txt"

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space


@functools.lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


@functools.lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


#: Converted texts kept per process: the pure-Python OpenCC port is the largest cost after the query
#: encoding in the action server (~14 conversions of the same few strings per message, issue 14)
#: and hotline questions repeat. Bounded; the functions are pure, so a cache cannot change a result.
CONVERT_CACHE = 8192


@functools.lru_cache(maxsize=CONVERT_CACHE)
def to_traditional(text: str) -> str:
    """Simplified → Traditional characters; keeps length, falls back to the input if not."""
    converted = _s2t().convert(text)
    return converted if len(converted) == len(text) else text


@functools.lru_cache(maxsize=CONVERT_CACHE)
def t2s(text: str) -> str:
    """Traditional → Simplified as OpenCC gives it (the length may change)."""
    return _t2s().convert(text)


def _to_simplified(text: str) -> str:
    """Traditional → Simplified (for jieba's dictionary); the input when the length would change."""
    simp = t2s(text)
    return simp if len(simp) == len(text) else text


def normalize(text: str) -> str:
    """Traditional characters, half-width ASCII, lower case; same length as ``text``."""
    text = text.translate(_FULLWIDTH)
    return to_traditional(text).lower()


#: Messages longer than this are judged on their head and tail (where people put the question);
#: the Rasa tokenizer and the retriever both clip, so NLU and retrieval see the same text.
MAX_MESSAGE_CHARS = 300


def clip_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> tuple[str, bool]:
    """(text, False) when short enough, else (first half + " … " + last half of the limit, True)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text, False
    half = limit // 2
    return f"{text[:half]} … {text[-half:]}", True


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def is_cjk(ch: str) -> bool:
    return bool(_CJK.match(ch))


@functools.lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    if USERDICT.exists():
        tok.load_userdict(str(USERDICT))
    return tok


def segment(text: str) -> list[tuple[str, int]]:
    """Jieba words of ``text`` with their start offsets; ``text`` is returned sliced, not converted.

    jieba's dictionary is Simplified, so segmentation runs on a Simplified copy of the text
    (same length) and the spans are cut from the original: 製造業 segments like 制造业.
    """
    simp = _to_simplified(text)
    return [(text[start:end], start) for _, start, end in _jieba().tokenize(simp)]


_STOP = set("的了嗎呢吧啊喔哦嘛呀是在有我們你您請問一下可以要想會能這那個些麼什怎麼多少")
_WORD = re.compile(r"[a-z0-9]+(?:[.,:][0-9]+)*|[\u3400-\u9fff\uf900-\ufaff]+")
# an A-not-A question (要不要, 有沒有, 可不可以, 需不需要): the asking form, not a topic. Folded to
# the plain verb (要不要收費 → 要收費) so that 「不要」「要不」 do not match every entry whose sample
# questions were asked the same way (「診斷要不要錢」 against 「課程要不要收費」)
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不沒]\1")


def lexical_tokens(text: str) -> list[str]:
    """Tokens for lexical retrieval: jieba words plus CJK character bigrams, on normalised text.

    Bigrams make the index robust to segmentation differences and typos in one character;
    words keep multi-character terms (以大帶小, 疫後振興) strong.
    """
    norm = _A_NOT_A.sub(r"\1", normalize(text))
    out: list[str] = []
    for chunk in _WORD.findall(norm):
        if chunk[0].isascii():
            out.append(chunk.replace(",", ""))
            continue
        for word, _ in segment(chunk):
            if len(word) > 1 or word not in _STOP:
                out.append(word)
        out.extend(chunk[i : i + 2] for i in range(len(chunk) - 1))
    return out
