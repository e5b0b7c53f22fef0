"""rasa-sdk action server: thin adapters from Rasa trackers to the domain code in knowledge/.

Run with ``python -m rasa_sdk --actions actions``.
"""
