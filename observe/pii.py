"""Masking of personal data users type (Taiwan's PDPA: keep no more than the purpose needs).

``mask`` hides, in free text:
- 身分證字號 and 居留證號 (one letter, then 1/2, 8/9 or A–D, then 8 digits): ``A*******89``;
- Taiwan phone numbers (mobile 09xx-xxx-xxx, landlines 0X-XXXXXXX[X], +886): all digits but the
  first two and the last three, e.g. ``09**-***-678``;
- email addresses: the local part but its first character, e.g. ``n***@example.com``.

``redact`` replaces each of them (and LINE user ids) by ``***``: what the logs of all three services
write (observe/logs.py). One home for what counts as personal data in this project.

Plain Python (standard library only: Rasa's Python 3.10 environment imports it for its logs), no
I/O. The gateway stores and forwards (to Rasa, so also Rasa's tracker) only the
masked text of a user's message; the contact a user leaves for a callback is parsed from the clear
text first and kept only in the ticket's contact field.
"""
from __future__ import annotations

import re

_LETTER = "A-Za-zＡ-Ｚａ-ｚ"
_ID = re.compile(rf"(?<![{_LETTER}0-9０-９])([{_LETTER}])([12ABCD89ＡＢＣＤ１２８９][0-9０-９]{{6}})([0-9０-９]{{2}})"
                 rf"(?![{_LETTER}0-9０-９])")
_EMAIL = re.compile(r"([A-Za-z0-9._%+\-])([A-Za-z0-9._%+\-]*)(@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})")
_PHONE = re.compile(r"(?<![0-9０-９])(?:[+＋]?(?:886|８８６)[\s\-]?|[0０])[0-9０-９\s\-()（）]{7,14}[0-9０-９]"
                    r"(?![0-9０-９])")
_DIGIT = re.compile(r"[0-9０-９]")
_LINE_USER = re.compile(r"(?<![A-Za-z0-9])U[0-9a-f]{32}(?![0-9a-f])")
REDACTED = "***"


def _ascii_digits(text: str) -> str:
    return "".join(str(int(c)) for c in _DIGIT.findall(text))


def _is_phone(candidate: str) -> bool:
    digits = _ascii_digits(candidate)
    if digits.startswith("886"):
        digits = "0" + digits[3:]
    return bool(re.fullmatch(r"09\d{8}", digits) or re.fullmatch(r"0[2-8]\d{7,8}", digits))


def _mask_digits(candidate: str, keep_head: int = 2, keep_tail: int = 3) -> str:
    positions = [m.start() for m in _DIGIT.finditer(candidate)]
    hidden = set(positions[keep_head:len(positions) - keep_tail])
    return "".join("*" if i in hidden else c for i, c in enumerate(candidate))


def _phone(m: re.Match[str]) -> str:
    return _mask_digits(m.group(0)) if _is_phone(m.group(0)) else m.group(0)


def mask(text: str) -> str:
    """``text`` with ID/residence-permit numbers, phone numbers and emails masked."""
    if not text:
        return text
    out = _ID.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)
    out = _EMAIL.sub(lambda m: m.group(1) + "*" * max(3, len(m.group(2))) + m.group(3), out)
    return _PHONE.sub(_phone, out)


def phone_numbers(text: str) -> list[str]:
    """The Taiwan phone numbers in ``text`` as plain digits in national form (``0912345678``)."""
    found = []
    for m in _PHONE.finditer(text or ""):
        if _is_phone(m.group(0)):
            digits = _ascii_digits(m.group(0))
            found.append("0" + digits[3:] if digits.startswith("886") else digits)
    return found


def redact(text: str) -> str:
    """``text`` with ID/residence-permit numbers, emails, phone numbers and LINE user ids replaced by
    ``***`` (for logs: nothing of them is kept)."""
    if not text:
        return text
    out = _EMAIL.sub(REDACTED, text)
    out = _LINE_USER.sub(REDACTED, out)
    out = _ID.sub(REDACTED, out)
    return _PHONE.sub(lambda m: REDACTED if _is_phone(m.group(0)) else m.group(0), out)


def has_pii(text: str) -> bool:
    return bool(text) and mask(text) != text
