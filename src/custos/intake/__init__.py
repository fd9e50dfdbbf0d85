"""Intake of submissions: the signed envelope and its request batch file, read as untrusted input."""
