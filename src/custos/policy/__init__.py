"""Agreements and the fail-closed rules every request passes."""
