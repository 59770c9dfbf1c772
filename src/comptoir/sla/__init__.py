"""Business-hours calendars, SLA policies and their clocks."""
