"""rasa-sdk action server: thin adapters from Rasa trackers to the domain code in knowledge/.

Run with ``python -m rasa_sdk --actions actions``; rasa_sdk imports every module of this package.

- knowledge_actions.py  Action classes that answer programme questions and hand over to a person
- forms.py              Action classes of the guided calculations (validation, questions, results)
- kb.py                 the retriever (loaded once, in the serving process), answering one entry, topic/person buttons
- handoff.py            the officer's summary, the ``handoff`` payload, counting unanswered questions
- form_spec.py          what each form asks and how answers are read (pure)
- form_step.py          one turn of a form: facts, misunderstood answers, 不知道, stop, questions (pure)
- render.py             a calculation result's chat text and card (pure)
- messages.py           every zh-TW sentence the bot side says

The pure modules and messages.py load no model or index: tests import them directly.
"""
