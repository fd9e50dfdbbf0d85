# Every target runs through uv; if uv is missing it is installed with pip first.
# Targets sync once, then run with --no-sync so a run never changes the environment.
UV ?= $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(shell python3 -m pip install --quiet uv==0.13.8 >/dev/null 2>&1; command -v uv || echo "python3 -m uv")
endif

.PHONY: demo test lint typecheck unit unit-postgres postgres bench sync

sync:
	$(UV) sync --frozen

demo: sync
	$(UV) run --no-sync custos demo --serve

lint: sync
	$(UV) run --no-sync ruff check src tests bench
	$(UV) run --no-sync ruff format --check src tests bench

typecheck: sync
	$(UV) run --no-sync mypy

unit: sync
	$(UV) run --no-sync pytest

# The same suite against a real PostgreSQL server (production's backend); .ci/postgres installs
# Debian's server and starts it when none answers on 127.0.0.1:5432 (it needs root for apt).
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || .ci/postgres

unit-postgres: sync postgres
	CUSTOS_TEST_BACKEND=postgresql $(UV) run --no-sync pytest

# Both backends at once: the PostgreSQL run spends much of its time waiting on the server's
# fsyncs, so on two cores the pair takes little longer than the slower one. Each run's output is
# printed whole when it ends.
test: lint typecheck
	$(MAKE) --no-print-directory -j2 --output-sync=target unit unit-postgres

bench: sync
	$(UV) run --no-sync python -m bench.ledger
