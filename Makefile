# The two quick-start commands: `make run` (the product on the embedded default) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format worker clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py load_demo
	@echo ""
	@echo "  Second-life battery marketplace: http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password: secondlife-demo):"
	@echo "    supplier, supplier2   suppliers listing lots"
	@echo "    buyer, buyer2         buyers browsing verified lots"
	@echo "    auditor               platform auditor (audit queue at /review/)"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/python -m pytest

worker: install
	$(BIN)/celery -A config worker --loglevel INFO

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
