"""rasa-sdk action server: thin adapters from Rasa trackers to the domain code in knowledge/.

Run with ``python -m rasa_sdk --actions actions``. rasa_sdk imports every module of this package
itself, so importing ``actions.messages`` alone (as the tests do) loads no model or index.
"""
