"""What an operator watches, shared by the three services: JSON-line logs with the request and
conversation ids (logs.py, standard library only: Rasa's Python 3.10 environment imports it too)."""
