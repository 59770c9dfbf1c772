"""Reports: support metrics computed from the append-only event log.

- :mod:`~comptoir.reports.metrics` — the pure arithmetic (no Django): first reply, resolution,
  waits, FCR, one-contact resolution, SLA attainment, Buffer's response-time breakdown.
- :mod:`~comptoir.reports.facts` — one conversation's events → its facts (through ``metrics``).
- :mod:`~comptoir.reports.services` — the rollups: refreshed incrementally from the events
  since a watermark (a Celery beat task), or rebuilt from scratch.
- :mod:`~comptoir.reports.queries` — the reports, read from the rollups only.
"""
