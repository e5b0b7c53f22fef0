"""rasa-sdk action server: thin adapters from Rasa trackers to the domain code in knowledge/.

Run with ``python -m rasa_sdk --actions actions``.
"""

from . import forms, knowledge_actions  # noqa: F401,E402  (register the actions)
