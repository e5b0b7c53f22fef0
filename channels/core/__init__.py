"""The handoff core, shared by every channel: the hub (the one path to Rasa and to the tickets), the
store, office hours, contact parsing, passwords, rate limits and agent assist (knowledge suggestions
for officers). Nothing here knows a channel."""
