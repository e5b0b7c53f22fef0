"""Personal-data masking lives in observe/pii.py (shared with the logs of all three services)."""
from observe.pii import has_pii, mask, redact

__all__ = ["has_pii", "mask", "redact"]
