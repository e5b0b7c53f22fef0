"""Is a user asking for a person? The gateway's own rule, used when the bot cannot answer.

While Rasa or the action server is down the bot's handoff cannot run, yet a user who asks for a
person must still reach one (issue 12): the hub opens the ticket itself when this rule says yes.
While the bot is up, the bot's own handoff decides (it knows the context), not this rule.

The rule is deliberately small: words that ask for a human, minus programme terms that contain
them (「專人到廠診斷」 is a service of the programme, 「人工智慧」 is a topic, 「人工成本」 a cost item).
"""
from __future__ import annotations

import re
import unicodedata

# programme phrases that contain a trigger word but ask for no person (removed before matching)
_NOT_A_REQUEST = re.compile(
    "專人(?:到廠|到場|到府|到公司|實地|現場|診斷|輔導|訪視|陪同)|人工(?:智慧|智能|成本|費用?|作業|處理費)|"
    "客服(?:系統|機器人|中心導入)|真人實境|"
    r"artificial intelligence")

_REQUEST = re.compile(
    "真人|專人|客服|人工|轉接|承辦人|打電話給我|打給我|回電|來電給我|請.{0,4}聯絡我|和人說|跟人說|找人(?:幫忙|協助|回答)|"
    r"\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|some\s*one|the\s+)?(?:human|person|agent|operator|people|officer|staff|real)"
    r"|\b(?:human|live|real)\s+(?:agent|person|operator|support)\b|\bcall\s+me\b|\boperator\b")

# the bot's own intent for it, when a button sends it as a payload
_REQUEST_PAYLOADS = ("/request_human",)


def wants_person(text: str | None, payload: str | None = None) -> bool:
    """True if the message asks to talk to a person (a human officer), not the bot."""
    if payload and payload.strip().startswith(_REQUEST_PAYLOADS):
        return True
    if not text:
        return False
    norm = unicodedata.normalize("NFKC", text).lower()
    norm = re.sub(r"[\s　]+", " ", norm)
    norm = _NOT_A_REQUEST.sub(" ", norm)
    return _REQUEST.search(norm) is not None
