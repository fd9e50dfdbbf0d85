"""The matching engine: confirm the right person at the right address, and nobody else."""
