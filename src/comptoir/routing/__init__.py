"""Where a conversation goes: its language, its team, its assignee.

``language.py`` detects the customer's language; ``rules.py`` holds the assignment rules
(pure: no ORM); ``roster.py`` loads what the rules read; ``services.py`` routes conversations
and records why (``RoutingDecision``).
"""
