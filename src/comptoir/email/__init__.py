"""The email channel: parsing, quote folding and mail import (issue 4). An adapter only: it
turns raw mail into ``Inbound`` and hands it to ``conversations.services``."""
