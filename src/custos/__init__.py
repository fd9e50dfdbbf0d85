"""custos."""
