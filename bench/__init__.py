"""Benchmarks for custos (run with ``uv run python -m bench.<name>``)."""
