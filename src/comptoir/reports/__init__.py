"""Reports: support metrics computed from the append-only event log.

For now this package holds only :mod:`comptoir.reports.metrics`, the pure arithmetic
(no Django, no ORM) that rollups, charts and CSV exports will be built on. It is not a Django
app yet: no models, no ``apps.py``.
"""
