"""Bugs found in conversations: linked to their tracker's issue, and one follow-up to every
affected customer, in their language and on their channel, once the fix ships."""
