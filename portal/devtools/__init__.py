"""Helpers for running the portal on a fresh machine and in tests: embedded Redis, SMTP sink."""
