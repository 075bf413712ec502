"""Audit entries and users' history."""
