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


def written_in_simplified(text: str) -> bool:
    """``text`` is written in Simplified characters: more of its characters are Simplified forms (that
    OpenCC rewrites to Traditional) than Traditional-only ones (that it rewrites to Simplified). A
    Traditional text with a character OpenCC also rewrites (台→臺, 核→覈) is not."""
    simplified = traditional = 0
    for ch in text:
        if not is_cjk(ch):
            continue
        if t2s(ch) != ch:
            traditional += 1
        elif to_traditional(ch) != ch:
            simplified += 1
    return simplified > traditional


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


_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_PLACE = {"十": 10, "百": 100, "千": 1000}
# a Chinese numeral below 萬 (一百一十, 三千, 九), read when a unit follows it or it has a place
# character (十/百/千): 一百一十億 is indexed like 110億, 九人 like 9人; 一下, 一起 are not numbers
_CN_RUN = re.compile(r"[零〇一二兩三四五六七八九十百千]+")
_CN_UNIT = "萬億人元家天班年成倍"


def _cn_small(run: str) -> int | None:
    """Value of a Chinese numeral below 萬 (一百一十 → 110, 十二 → 12, 三千五百 → 3500); None when it
    is not one (三五, 一百二: an approximation or an elliptic form is left alone)."""
    total, digit, last_place = 0, None, None
    for ch in run:
        if ch in "零〇":
            if digit is not None:
                return None
            continue                 # 一千零五十: the 零 only marks a skipped place
        if ch in _CN_DIGIT:
            if digit is not None:
                return None          # two digits in a row: 三五, 七八 (a range)
            digit = _CN_DIGIT[ch]
        else:
            place = _CN_PLACE[ch]
            if last_place is not None and place >= last_place:
                return None
            total += (1 if digit is None else digit) * place
            digit, last_place = None, place
    if digit is not None:
        if last_place is not None and last_place > 10 and run[-2] not in "零〇":
            return None              # 一百二 (= 120?) is elliptic: not read
        total += digit
    return total


def _numerals(chunk: str) -> list[tuple[int, int, str]]:
    """(start, end, Arabic form) of the Chinese numerals read in a CJK chunk (一百一十億 → 110)."""
    out = []
    for m in _CN_RUN.finditer(chunk):
        run = m.group()
        unit = chunk[m.end()] if m.end() < len(chunk) else ""
        if chunk[m.end():m.end() + 2] == "分之" or unit == "點" or chunk[max(0, m.start() - 1):m.start()] == "點":
            continue                 # 百分之五十, 零點五: a share or a decimal, not read here
        if unit not in _CN_UNIT and not any(ch in _CN_PLACE for ch in run):
            continue
        value = _cn_small(run)
        if value is not None and (value >= 10 or unit):
            out.append((m.start(), m.end(), str(value)))
    return out


def numeral_tokens(chunk: str) -> list[str]:
    """Arabic forms of the Chinese numerals in a CJK chunk (一百一十億 → ['110'])."""
    return [arabic for _, _, arabic in _numerals(chunk)]


def _cjk_tokens(chunk: str) -> list[str]:
    out = [word for word, _ in segment(chunk) if len(word) > 1 or word not in _STOP]
    out.extend(chunk[i : i + 2] for i in range(len(chunk) - 1))
    return out


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
        # a Chinese numeral is tokenised as if written in digits: 「聽說有一百一十億」 like 「聽說有110億」
        at = 0
        for start, end, arabic in _numerals(chunk):
            if start > at:
                out.extend(_cjk_tokens(chunk[at:start]))
            out.append(arabic)
            at = end
        if at < len(chunk):
            out.extend(_cjk_tokens(chunk[at:]))
    return out
