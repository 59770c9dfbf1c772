"""Whole-team support: everyone's daily share of conversations, "ask an advocate", and the
leads' coverage by team (issue 7)."""
