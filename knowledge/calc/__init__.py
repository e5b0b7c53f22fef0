"""Domain calculators: eligibility, subsidy, diagnosis and loan amounts.

Plain typed Python over dataclasses; no Rasa, FastAPI or I/O besides reading
knowledge/parameters.yml. Money is integer NT dollars.
"""
