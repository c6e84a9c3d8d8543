# Two commands matter: `make dev` runs the whole service, `make test` passes the tests.
# Both set everything up first (virtualenv, dependencies pinned by constraints.txt).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
UV_VERSION := 0.13.9

.PHONY: dev test lint format install lock migrate clean docker-up soak

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# uv installs in seconds; plain pip is the fallback when uv cannot be had.
	@if $(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; then \
		$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[dev]'; \
	else \
		$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'; \
	fi
	@touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)  ## API + worker + beat + Flower; embedded PostgreSQL/Redis/SMTP sink when not configured
	$(BIN)/clockify-tracker dev $(DEV_ARGS)

test: $(STAMP)  ## the whole suite against real PostgreSQL, Redis, SMTP and a Celery worker
	$(BIN)/pytest $(PYTEST_ARGS)

soak: $(STAMP)  ## 10-minute load run of the whole service; prints figures, never fails (bench/README.md)
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Not on $(STAMP): installing first would fail when pyproject.toml no longer admits a pin.
lock:  ## re-pin every dependency after changing pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra local --python-version 3.11 -o constraints.txt

migrate: $(STAMP)
	$(BIN)/clockify-tracker migrate

docker-up:
	docker compose up --build

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
