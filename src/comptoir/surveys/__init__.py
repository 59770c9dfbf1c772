"""Satisfaction surveys (CSAT): one per solved conversation, sent after a delay by email (a
signed, expiring link) or inline in chat, answered good/bad on a public page, measured in
the reports (``queries.py``)."""
