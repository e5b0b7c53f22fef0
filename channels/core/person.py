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

from .. import texts

# the words are input vocabulary kept with the gateway's other words (channels/texts.py)
_NOT_A_REQUEST = re.compile(texts.PERSON_NOT_A_REQUEST)
_REQUEST = re.compile(texts.PERSON_REQUEST)

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
