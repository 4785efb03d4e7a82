"""The case-management domain: cases, consent, plans, follow-up, evaluation; no Flask."""
