"""Where a conversation goes: its language, its team, its assignee."""
