"""One measured fix to Rasa 3.6, applied when the model's components are imported.

Rasa validates every action-server response with ``jsonschema.validate(result, spec)``, which
re-checks the (large, static) schema itself on every call: 35 ms of each custom-action turn on
this 2-core machine, the biggest single cost of a REST reply. Here the validator is compiled once
and the same checks run with the same error (best match, same message suffix), ~1 ms.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Text

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


def apply() -> None:
    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction._hotline_patched = True
