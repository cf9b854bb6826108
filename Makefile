# 绩效自评 — set-up, run and test. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Debian packages: CJK fonts for the PDFs, HarfBuzz's subsetter (without it WeasyPrint spends ~5 s per
# Chinese PDF), poppler for looking at PDFs, Chromium for the browser tests.
# PostgreSQL's client tools (pg_dump/pg_restore) for make backup/restore and their test, when the database is
# PostgreSQL and they are missing; Debian's are version 15, like the compose file's server.
PG_CLIENT := $(if $(filter postgres%,$(DATABASE_URL)),$(if $(shell command -v pg_dump),,postgresql-client))
RUN_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 $(PG_CLIENT)
TEST_PACKAGES := $(RUN_PACKAGES) poppler-utils chromium
# Local runs use the embedded defaults; CI and production pass their own environment.
DEV_ENV := DEBUG=$${DEBUG:-1}
# Tests talk plain HTTP to a local live server: no HTTPS redirect, no Secure cookies, no HSTS.
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-test-only-secret-key} DEBUG=0 SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0 DB_CONN_MAX_AGE=0

.PHONY: help run install install-dev system-packages system-packages-test migrate demo test lint format check-migrations clean \
	backup restore

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed system-packages ## Create .venv and install the runtime requirements and fonts

install-dev: $(VENV)/.installed-dev system-packages-test ## Install everything the tests need

# Installs the named Debian packages with apt-get when any is missing (as root, or through sudo).
define ensure_packages
	@missing=""; for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  command -v apt-get >/dev/null || { echo "缺少系统软件包$$missing，本机没有 apt-get，请手动安装。" >&2; exit 1; }; \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
	  echo "正在安装系统软件包：$$missing"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

system-packages: ## Install the CJK fonts and HarfBuzz subsetter with apt when missing
	$(call ensure_packages,$(RUN_PACKAGES))

system-packages-test:
	$(call ensure_packages,$(TEST_PACKAGES))

migrate: $(VENV)/.installed
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

demo: migrate ## Load the demo data from the five seed documents (idempotent)
	$(DEV_ENV) $(BIN)/python manage.py load_demo

run: install demo ## Install, migrate, load the demo and serve on http://127.0.0.1:$(PORT)
	@echo "在浏览器打开 http://127.0.0.1:$(PORT)/ ，演示账号见 README（密码 demo1234）。"
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install-dev ## Run the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
	$(TEST_ENV) $(BIN)/python -m pytest -q -n $${PYTEST_WORKERS:-2} $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev ## ruff lint and format check, and the one-way layers (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=. $(BIN)/lint-imports --no-cache

format: $(VENV)/.installed-dev ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-migrations: $(VENV)/.installed ## Fail when models changed without a migration
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

backup: install ## Back up the database (DATABASE_URL or SQLite) and media files into backups/
	$(DEV_ENV) $(BIN)/python manage.py backup

restore: install ## Restore a backup (asks first): make restore BACKUP=backups/jixiao-….tar.gz
	@[ -n "$(BACKUP)" ] || { echo "请指定备份文件：make restore BACKUP=backups/jixiao-….tar.gz" >&2; exit 2; }
	$(DEV_ENV) $(BIN)/python manage.py restore "$(BACKUP)"

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var
