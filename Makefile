# Jobflow: every target works on a fresh machine with Node.js 20 or later, PostgreSQL and Redis.
.DEFAULT_GOAL := help
SHELL := /bin/bash

.PHONY: help setup start dev migrate admin build test typecheck bench up down logs

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## Start local PostgreSQL/Redis if needed, install dependencies, build what changed, migrate
	bash scripts/services.sh
	bash scripts/install.sh
	bash scripts/build.sh
	bash scripts/ensure-env.sh && set -a && . ./.env && set +a && node server/dist/migrate.js

start: ## Set up, then serve UI + API + Socket.IO on $$PORT (3000) with $$WORKERS workers (1), as compiled JavaScript
	bash scripts/start.sh

dev: setup ## Server and worker from TypeScript with reload on change, UI with Vite's dev server on :5173
	bash scripts/ensure-env.sh && set -a && . ./.env && set +a && DEV=1 npx tsx scripts/run-all.ts

migrate: ## Create the database if missing, apply pending migrations and seal stored secrets with SECRETS_KEY
	bash scripts/services.sh
	bash scripts/install.sh
	bash scripts/build.sh
	bash scripts/ensure-env.sh && set -a && . ./.env && set +a && node server/dist/migrate.js

admin: ## Create or reset an admin: make admin EMAIL=a@example.com PASSWORD=... (prompts when omitted)
	@bash scripts/services.sh
	@bash scripts/install.sh
	@bash scripts/build.sh
	@bash scripts/ensure-env.sh && set -a && . ./.env && set +a && EMAIL="$(EMAIL)" PASSWORD="$(PASSWORD)" NAME="$(NAME)" node server/dist/admin.js

build: ## Build the UI into ui/dist and the server and worker into server/dist and worker/dist
	npm run build

typecheck: ## Type-check every workspace
	npx tsc -p tsconfig.json

test: ## Run every test (unit, API, live events, fault, browser)
	bash scripts/test.sh

bench: ## Benchmarks beside their peers (make bench ARGS=--quick)
	npm run bench -- $(ARGS)

up: ## Run the whole stack with Docker Compose
	docker compose up -d --build

down: ## Stop the Docker Compose stack
	docker compose down

logs: ## Follow the Docker Compose logs
	docker compose logs -f
