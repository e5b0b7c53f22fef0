"""Callback contact details: a Taiwan phone number or an email address, validated (plain Python).

Phone numbers are checked and split with ``phonenumbers`` (Google's libphonenumber metadata): a
Taipei number has 8 digits after 02 (02-2345678 is refused), the area code is the one the number
plan says (037, 049, 082, 0836, 089, ...), and a 分機/轉/#/ext extension is kept after ``#``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from ..texts import DECLINE_WORDS, EXTENSION_WORDS, LEAVE_CONTACT_WORDS, TIME_WORDS

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_EXT = re.compile(r"(?:#|ext\.?|" + "|".join(map(re.escape, EXTENSION_WORDS)) + r")\s*(\d{1,6})", re.I)


@dataclass(frozen=True)
class Contact:
    kind: str        # "phone" | "email"
    value: str       # normalised: 0912-345-678, 02-2345-6789#123, name@example.com


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def parse_phone(text: str) -> str | None:
    """Taiwan mobile (09xx-xxx-xxx) or landline (0X-XXXXXXX[X], optional extension); +886 accepted."""
    t = _fold(text)
    ext_m = _EXT.search(t)
    ext = ext_m.group(1) if ext_m else None
    if ext_m:
        t = t[:ext_m.start()]
    candidates = re.findall(r"(?:\+?886[\s\-]?|\(?0)[\d\s\-()]{7,14}\d", t)
    for raw in candidates:
        digits = re.sub(r"\D", "", raw)
        if digits.startswith("886"):
            digits = "0" + digits[3:]
        number = format_tw(digits)
        if number is None:
            continue
        return f"{number}#{ext}" if ext else number
    return None


def format_tw(digits: str) -> str | None:
    """A valid Taiwan number (national digits, leading 0) as people write it, else None:
    mobile 0912-345-678, toll-free 0800-000-257, landline <area code>-<subscriber number>."""
    if not re.fullmatch(r"0\d{7,9}", digits):
        return None
    try:
        parsed = phonenumbers.parse(digits, "TW")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    kind = phonenumbers.number_type(parsed)
    if kind in (PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE):
        return f"{digits[:4]}-{digits[4:7]}-{digits[7:]}"
    area, *rest = phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL).split()
    return f"{area}-{''.join(rest)}" if rest else None


def parse_contact(text: str) -> Contact | None:
    t = _fold(text or "").strip()
    if not t or len(t) > 200:
        return None
    email = _EMAIL.search(t)
    if email:
        return Contact("email", email.group(0))
    phone = parse_phone(t)
    return Contact("phone", phone) if phone else None


def is_decline(text: str) -> bool:
    t = _fold(text or "").strip()
    return len(t) <= 20 and any(w in t for w in DECLINE_WORDS)


_PHONE_SPAN = re.compile(r"(?:\+?886[\s\-]?|0)[\d\s\-()]{7,14}\d")
_CLAUSES = re.compile(r"[，,。.；;！!？?、\s　~～]+")
NOTE_LIMIT = 60


def contact_note(text: str) -> str | None:
    """What a message gives beside its contact that says when to call ("下午打比較方便"): the clauses
    with a time word once the phone number, extension and email are taken out; None if there is none."""
    t = _fold(text or "")
    t = _EMAIL.sub(" ", t)
    t = _EXT.sub(" ", t)
    t = _PHONE_SPAN.sub(" ", t)
    kept = [c for c in _CLAUSES.split(t) if c and any(w in c for w in TIME_WORDS)]
    if not kept:
        return None
    note = "，".join(kept)
    return note[:NOTE_LIMIT]


def is_contact_only(text: str) -> bool:
    """A message that is a contact (and perhaps a time to call), not a question with a number in it."""
    t = _fold(text or "").strip()
    return parse_contact(t) is not None and len(t) <= 60 and "?" not in t and "？" not in t


def looks_like_question(text: str) -> bool:
    """Not a contact, not a refusal, but something to answer: a question or a sentence (at least six
    characters, or four with a question mark). Short noise ("嗯", "？") is not."""
    t = re.sub(r"[\s　]+", "", _fold(text or ""))
    if parse_contact(t) is not None or is_decline(t):
        return False
    return len(t) >= 6 or (len(t) >= 4 and ("?" in t or "？" in text))


def offers_contact(text: str) -> bool:
    """"留電話" typed (no number yet): the user wants to leave a contact."""
    t = _fold(text or "").strip().lower()
    return len(t) <= 20 and parse_contact(t) is None and any(w.lower() in t for w in LEAVE_CONTACT_WORDS)
