"""Measured fixes to Rasa 3.6, applied when the model's components are imported.

1. Rasa validates every action-server response with ``jsonschema.validate(result, spec)``, which
re-checks the (large, static) schema itself on every call: 35 ms of each custom-action turn on
this 2-core machine, the biggest single cost of a REST reply. Here the validator is compiled once
and the same checks run with the same error (best match, same message suffix), ~1 ms.

2. The NLU parse of a message is a pure function of its text for this pipeline (tokenizer,
featurizers, DIET, synonym mapper, fallback classifier: none reads the tracker, the message id or
its metadata, and those are not among the output properties). Hotline questions repeat a lot, so
the parse result is kept in a bounded LRU cache keyed by the exact text; a hit returns a deep copy.
``HOTLINE_NLU_CACHE`` sets the number of texts kept (default 2048; 0 turns the cache off).

3. Bounded trackers (issue 12 §9): a turn costs in proportion to the tracker Rasa loads, rebuilds,
sends to the action server and saves; the SQL tracker store loads only the latest session. Rasa
starts a new session only after ``session_expiration_time`` minutes of silence, so a long, busy
conversation grew without bound (a turn 5–8× slower after 200 turns). Here a session also
"expires" once it holds ``HOTLINE_SESSION_TURNS`` user messages (default 20; 0: off) — never while
a form is active or the conversation is paused. Rasa's own ``action_session_start`` then runs with
``carry_over_slots_to_new_session: true`` (bot/domain.yml): the slots, i.e. what the assistant
knows about the enterprise, carry over; the full history stays in the tracker store
(``GET /conversations/<id>/tracker`` still returns every session). Rasa's carry-over replays every
``slot`` event of the ending session, so each session would start with all the previous sessions'
slot events (growing again); here it sets each slot once, to its final value.
4. Logs linked across the services (issue 17): while Rasa handles a user message, its log records
carry the gateway's request id (``metadata.request_id``) and the hashed conversation id
(observe/logs.py), and one JSON line per message says how long it took — no user text. With
``rasa run --logging-config-file bot/logging.yml`` every Rasa line is a JSON line.

5. A cheap SQL tracker store turn (issue 14): ``SQLTrackerStore`` keeps recently used trackers in
process memory and checks them against the database with one indexed query; SQLite runs in WAL
mode (components/tracker_cache.py, ``HOTLINE_TRACKER_CACHE``, ``HOTLINE_TRACKER_WAL``).
"""
from __future__ import annotations

import copy
import functools
import logging
import os
import time
from collections import OrderedDict
from typing import Any, Dict, Optional, Text

from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@functools.lru_cache(maxsize=1)
def _validator():
    from jsonschema.validators import validator_for

    spec = RemoteAction.action_response_format_spec()
    cls = validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


class ParseCache:
    """A bounded LRU map from a message's exact text to its parse result (kept as deep copies)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: "OrderedDict[str, Dict[Text, Any]]" = OrderedDict()
        self.hits = self.misses = 0

    def get(self, text: str) -> Optional[Dict[Text, Any]]:
        found = self._items.get(text)
        if found is None:
            self.misses += 1
            return None
        self._items.move_to_end(text)
        self.hits += 1
        return copy.deepcopy(found)

    def put(self, text: str, parse_data: Dict[Text, Any]) -> None:
        self._items[text] = copy.deepcopy(parse_data)
        self._items.move_to_end(text)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def _cache_size() -> int:
    try:
        return max(0, int(os.environ.get("HOTLINE_NLU_CACHE", "2048")))
    except ValueError:
        return 2048


def _cached_parse(original):
    @functools.wraps(original)
    def parse(self, message, tracker, only_output_properties: bool = True):
        cache: Optional[ParseCache] = getattr(self, "_hotline_parse_cache", None)
        if cache is None:
            cache = self._hotline_parse_cache = ParseCache(_cache_size())
        text = message.text
        # only the output properties are a function of the text alone (the full dict has the id)
        if cache.size <= 0 or not only_output_properties or not isinstance(text, str):
            return original(self, message, tracker, only_output_properties)
        found = cache.get(text)
        if found is not None:
            return found
        parse_data = original(self, message, tracker, only_output_properties)
        cache.put(text, parse_data)
        return parse_data

    parse._hotline_original = original
    return parse


def _session_turns() -> int:
    try:
        return max(0, int(os.environ.get("HOTLINE_SESSION_TURNS", "20")))
    except ValueError:
        return 20


def user_turns_in_session(tracker) -> int:
    """User messages since the tracker's latest ``session_started`` event (or since its start)."""
    from rasa.shared.core.events import SessionStarted, UserUttered

    n = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        if isinstance(event, UserUttered):
            n += 1
    return n


def session_full(tracker, cap: int) -> bool:
    """Whether the current session reached ``cap`` user messages and may end here (no active form,
    not paused)."""
    if cap <= 0 or tracker.active_loop_name or tracker.is_paused():
        return False
    return user_turns_in_session(tracker) >= cap


def _carried_slots(tracker):
    """One ``SlotSet`` per slot with its value at the end of the session (Rasa: every slot event)."""
    from rasa.shared.core.events import SlotSet

    final: dict = {}
    for event in tracker.applied_events():
        if isinstance(event, SlotSet):
            final.pop(event.key, None)
            final[event.key] = event
    return [SlotSet(key=e.key, value=e.value, metadata=e.metadata) for e in final.values()]


def _capped_expiry(original):
    @functools.wraps(original)
    def has_session_expired(self, tracker) -> bool:
        if original(self, tracker):
            return True
        if not self.domain.session_config.are_sessions_enabled():
            return False
        return session_full(tracker, _session_turns())

    has_session_expired._hotline_original = original
    return has_session_expired
turn_logger = logging.getLogger("hotline.rasa")


def _bound_handle_message(original):
    from observe import logs

    @functools.wraps(original)
    async def handle_message(self, message):
        meta = message.metadata if isinstance(getattr(message, "metadata", None), dict) else {}
        with logs.bind(logs.clean_request_id(meta.get("request_id")), message.sender_id):
            t0 = time.perf_counter()
            try:
                responses = await original(self, message)
            except Exception:
                turn_logger.exception("message failed", extra={"event": "rasa_turn"})
                raise
            ms = round((time.perf_counter() - t0) * 1000, 1)
            turn_logger.info("message handled in %s ms", ms, extra={
                "event": "rasa_turn", "ms": ms,
                "responses": len(responses or []), "channel": meta.get("channel")})
            return responses

    handle_message._hotline_original = original
    return handle_message


def _root_to_json() -> None:
    """``rasa run`` installs coloured text logging on the root logger after reading the logging
    config file: when that file made Rasa's own logger write JSON, the root logger does too."""
    try:
        from observe.logs import JsonFormatter
    except ImportError:
        return
    json_handlers = [h for h in logging.getLogger("rasa").handlers if isinstance(h.formatter, JsonFormatter)]
    root = logging.getLogger()
    if json_handlers and not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        for h in list(root.handlers):
            if isinstance(h, logging.StreamHandler):
                root.removeHandler(h)
        root.addHandler(json_handlers[0])
        logging.captureWarnings(True)


def apply() -> None:
    from rasa.core.processor import MessageProcessor

    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction._hotline_patched = True
    _root_to_json()
    if not hasattr(MessageProcessor._parse_message_with_graph, "_hotline_original"):
        MessageProcessor._parse_message_with_graph = _cached_parse(MessageProcessor._parse_message_with_graph)
    from rasa.core.actions.action import ActionSessionStart

    ActionSessionStart._slot_set_events_from_tracker = staticmethod(_carried_slots)
    if not hasattr(MessageProcessor._has_session_expired, "_hotline_original"):
        MessageProcessor._has_session_expired = _capped_expiry(MessageProcessor._has_session_expired)
    if not hasattr(MessageProcessor.handle_message, "_hotline_original"):
        try:
            MessageProcessor.handle_message = _bound_handle_message(MessageProcessor.handle_message)
        except ImportError:   # observe/ not on the path (an image built without it): plain logs
            pass
    from . import tracker_cache

    tracker_cache.apply()
