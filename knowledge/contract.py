"""The written contract between the bot (Rasa + action server) and the gateway (channels/).

Both sides import this module and nothing else to agree on: the custom payload kinds a bot reply
can carry, the handoff reason codes, and the slots the gateway resets when a person hands the
conversation back. Dependency-free on purpose (standard library only): the action server, the
gateway and the tests can all import it.
"""
from __future__ import annotations

from typing import Any, Literal, TypedDict

# ---------------------------------------------------------------- payload kinds
# A bot message's ``custom`` payload (Rasa ``json_message``) is one of these, told by its "type".
HANDOFF = "handoff"              # bot → gateway: open a ticket (the user never sees this payload)
CALC_RESULT = "calc_result"      # bot → channels: a calculation result, drawn as a card
HANDOFF_STATE = "handoff_state"  # gateway → channels: the ticket's state changed (header label)
OUTCOME = "outcome"              # bot → gateway: what this reply did, for the metrics (never stored or shown)
CSAT = "csat"                    # gateway → channels: the satisfaction question after an officer resolved
ASSIST = "assist"                # action server → gateway: agent assist's ranked entries (console only)
PAYLOAD_KINDS: tuple[str, ...] = (HANDOFF, CALC_RESULT, HANDOFF_STATE, OUTCOME, CSAT, ASSIST)

# An ``outcome`` payload's kind. Calculations (``calc_result``) and handoffs (``handoff``) are told
# by their own payloads; a direct answer with the user's figures says ``calculation`` here.
CITED_ANSWER = "cited_answer"        # an answer from a knowledge entry, with its citation
CHOICES_OFFERED = "choices_offered"  # not sure: topics offered as buttons
NOT_FOUND = "not_found"              # nothing in the knowledge: the hotline's number instead
REFUSED = "refused"                  # out of scope: a polite refusal
CALCULATION = "calculation"
OUTCOME_KINDS: tuple[str, ...] = (CITED_ANSWER, CHOICES_OFFERED, NOT_FOUND, REFUSED, CALCULATION)


class OutcomePayload(TypedDict):
    type: Literal["outcome"]
    kind: str                   # one of OUTCOME_KINDS


class AssistEntry(TypedDict):
    id: str
    title: str
    citation: str
    score: float
    text: str                   # the entry's reply text, for the officer to adapt


class AssistPayload(TypedDict):
    type: Literal["assist"]
    entries: list[AssistEntry]  # best first


class HandoffSummary(TypedDict, total=False):
    last_question: str          # the user's last real question
    request_text: str           # the message that caused the handoff
    intent: str | None
    topic_id: str | None
    topic: str | None
    slots: dict[str, Any]       # facts collected so far (SUMMARY_SLOTS)
    form: str | None


class HandoffPayload(TypedDict):
    type: Literal["handoff"]
    reason: str                 # one of HANDOFF_REASON_CODES
    summary: HandoffSummary


class CalcStep(TypedDict, total=False):
    text: str
    citation: str | None        # knowledge entry id
    citation_text: str | None   # that entry's citation, resolved by the action server


class CalcHeadings(TypedDict):
    """The card's section headings, as the chat text says them (the bot's messages module)."""
    steps: str
    alternatives: str
    notes: str
    citations: str
    show_steps: str             # the control that opens the steps: 「看計算過程」
    next_step: str              # 「下一步」


class CalcCard(TypedDict, total=False):
    """Everything a channel needs to draw a calculation result; rendered once, by the action server."""
    kind: str                   # subsidy | diagnosis | loan
    title: str
    eligible: bool
    headline: str               # the one-sentence result, as the chat text says it
    plain: str                  # the card's lead: one short plain sentence (same figures as headline)
    amount: int | None          # NT dollars, when the result has one
    amount_label: str
    amount_text: str            # the amount as said to users (e.g. "須低於400萬元")
    binding_rule: str | None    # what decided the amount, or why the user is not eligible
    is_estimate: bool           # amount_text is an estimate (loans: the interest subsidy)
    limit_label: str            # loans: what limit_text is (「…額度上限」), else ""
    limit_text: str             # loans: the fixed loan limit (not an estimate), else ""
    next_step: str              # what to do next, with the contact from the knowledge (may be "")
    next_step_citation: str     # that entry's citation
    citation_line: str          # the one citation line: 「依據：A；B」
    steps: list[CalcStep]
    notes: list[str]
    alternatives: list[str]
    citations: list[str]        # entry ids
    citation_texts: dict[str, str]   # entry id → citation, for every id in citations and steps
    headings: CalcHeadings      # section headings (steps, alternatives, notes, citations)
    text: str                   # the full chat text (for channels that cannot draw a card)


class CalcResultPayload(TypedDict, total=False):
    type: Literal["calc_result"]
    card: CalcCard
    result: dict[str, Any]      # the raw CalcResult.to_dict(), kept for compatibility


class HandoffStatePayload(TypedDict, total=False):
    type: Literal["handoff_state"]
    state: str                  # a TicketState value
    officer: str                # display name, when an officer joined


# ---------------------------------------------------------------- handoff reasons
REQUESTED = "requested"
COMPLAINT = "complaint"
CASE_STATUS = "case_status"
MISUNDERSTOOD = "misunderstood"
HANDOFF_REASON_CODES: tuple[str, ...] = (REQUESTED, COMPLAINT, CASE_STATUS, MISUNDERSTOOD)
# The intent that asked for a person → the reason code the bot sends.
INTENT_REASONS: dict[str, str] = {"request_human": REQUESTED, "complain": COMPLAINT, "case_status": CASE_STATUS}

# ---------------------------------------------------------------- slots
# Facts the officer sees in the ticket summary, when the user has stated them.
SUMMARY_SLOTS: tuple[str, ...] = (
    "manufacturing", "sme", "employees", "lead_factory", "track", "total_budget", "cost_items",
    "company_capital", "transformation_plan", "loan_purpose", "capital_spending", "loan_amount",
)
# Slots the gateway resets (with the active loop) when an officer resolves a ticket, so the bot
# listens again outside any form. Each must be a slot of bot/domain.yml (a test checks).
RESET_ON_RESUME: dict[str, Any] = {"requested_slot": None, "misunderstood": 0, "form_failures": 0}


def resume_events(officer_messages: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Rasa tracker events that record an officer's messages and leave the bot listening."""
    events: list[dict[str, Any]] = [{"event": "bot", "text": text, "metadata": meta}
                                    for text, meta in officer_messages]
    events.append({"event": "active_loop", "name": None})
    events += [{"event": "slot", "name": name, "value": value} for name, value in RESET_ON_RESUME.items()]
    events.append({"event": "action", "name": "action_listen"})
    return events


def custom_of(payload: dict[str, Any] | None) -> dict[str, Any] | None:
    """The custom payload of a stored/bot message, or None."""
    custom = (payload or {}).get("custom")
    return custom if isinstance(custom, dict) else None


def kind_of(payload: dict[str, Any] | None) -> str | None:
    custom = custom_of(payload)
    kind = custom.get("type") if custom else None
    return kind if isinstance(kind, str) else None
