"""Programme knowledge: reviewed YAML entries, the hybrid retrieval index and its retriever.

Import the submodules you need (``knowledge.loader``, ``knowledge.retriever``); this package
imports nothing heavy at import time so the Rasa tokenizer can share ``knowledge.textnorm``.
"""
