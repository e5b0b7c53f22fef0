"""The bot↔gateway contract (knowledge/contract.py) agrees with the bot: its domain, its rules,
and what the action server's code can send. No servers, no index."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import get_type_hints

import yaml

from knowledge import contract

ROOT = Path(__file__).resolve().parents[1]
ACTIONS = ROOT / "actions"


def domain() -> dict:
    return yaml.safe_load((ROOT / "bot" / "domain.yml").read_text("utf-8"))


def rule_steps() -> list[list[dict]]:
    out = []
    for path in sorted((ROOT / "bot" / "data").glob("*/*.yml")):
        data = yaml.safe_load(path.read_text("utf-8")) or {}
        out += [item.get("steps") or [] for key in ("rules", "stories") for item in data.get(key) or []]
    return out


def test_the_slots_the_contract_names_are_slots_of_the_domain():
    d = domain()
    slots = set(d["slots"])
    assert set(contract.SUMMARY_SLOTS) <= slots
    builtin = {"requested_slot"} if d.get("forms") else set()  # Rasa adds it to a domain with forms
    assert set(contract.RESET_ON_RESUME) <= slots | builtin
    assert "requested_slot" in contract.RESET_ON_RESUME and d.get("forms")


def test_the_intents_that_ask_for_a_person_each_have_their_reason():
    d = domain()
    assert set(contract.INTENT_REASONS) <= set(d["intents"])
    assert set(contract.INTENT_REASONS.values()) <= set(contract.HANDOFF_REASON_CODES)
    assert contract.MISUNDERSTOOD in contract.HANDOFF_REASON_CODES
    asking = set()
    for steps in rule_steps():
        for before, after in zip(steps, steps[1:]):
            if after.get("action") == "action_request_human" and before.get("intent"):
                asking.add(before["intent"])
    assert asking and asking <= set(contract.INTENT_REASONS), asking - set(contract.INTENT_REASONS)


def _sources() -> dict[str, ast.Module]:
    return {p.name: ast.parse(p.read_text("utf-8")) for p in sorted(ACTIONS.glob("*.py"))}


def test_the_actions_spell_no_payload_kind_or_reason_code_themselves():
    """Kinds and reasons come from the contract by name; a literal would drift from the gateway."""
    by_hand = []
    for name, tree in _sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value in ("type", "reason")
                                                  for k in node.keys):
                by_hand.append((name, node.lineno, "payload written as a dict"))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("hand_off", "handoff_payload"):
                args = node.args + [k.value for k in node.keywords if k.arg == "reason"]
                reason = args[2] if getattr(node.func, "id") == "hand_off" else args[0]
                if isinstance(reason, ast.Constant):
                    by_hand.append((name, node.lineno, f"reason {reason.value!r} spelled out"))
    assert not by_hand


def test_every_custom_payload_the_actions_send_is_built_by_a_contract_typed_builder():
    builders = {"calc_payload": "render.py", "handoff_payload": "handoff.py", "outcome_payload": "kb.py",
                "assist_payload": "kb.py"}
    sent = []
    for name, tree in _sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "json_message":
                        assert isinstance(kw.value, ast.Call) and isinstance(kw.value.func, ast.Name), name
                        sent.append(kw.value.func.id)
    assert sent and set(sent) <= set(builders)
    trees = _sources()
    for builder, module in builders.items():
        fn = next(n for n in ast.walk(trees[module]) if isinstance(n, ast.FunctionDef) and n.name == builder)
        assert ast.unparse(fn.returns).startswith("contract."), builder


def test_a_calc_card_has_every_field_of_the_contract(kb):
    from actions.render import calc_payload
    from knowledge.calc.diagnosis import calculate_diagnosis

    result = calculate_diagnosis(sme=True)
    payload = calc_payload(result, kb)
    assert payload["type"] == contract.CALC_RESULT and payload["result"] == result.to_dict()
    card = payload["card"]
    assert set(card) == set(get_type_hints(contract.CalcCard))
    for step in card["steps"]:
        assert set(step) == set(get_type_hints(contract.CalcStep))
    assert set(card["headings"]) == set(get_type_hints(contract.CalcHeadings))
