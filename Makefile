# Every target runs through uv; if uv is missing it is installed with pip first.
UV ?= $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(shell python3 -m pip install --quiet uv==0.13.8 >/dev/null 2>&1; command -v uv || echo "python3 -m uv")
endif

.PHONY: demo test lint typecheck unit bench sync

sync:
	$(UV) sync --frozen

demo: sync
	$(UV) run custos demo

lint: sync
	$(UV) run ruff check src tests bench
	$(UV) run ruff format --check src tests bench

typecheck: sync
	$(UV) run mypy

unit: sync
	$(UV) run pytest

test: lint typecheck unit

bench: sync
	$(UV) run python -m bench.ledger
