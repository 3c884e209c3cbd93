# Everyday tasks, one word each. The first `make` creates .venv and installs everything.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: setup run test lint bench browser clean-sample

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e .
	touch $(STAMP)

setup: $(STAMP)

## run: the browser app on the bundled sample project (built on first run), through `qualcode serve`:
## open the address it prints, http://127.0.0.1:8501/?token=… (the token keeps other users out)
run: setup
	@$(BIN)/python -c "from qualcode.sample import default_project as d; print('Project:', d())"
	$(BIN)/python -m qualcode serve

## test: the whole suite, browser tests included (Chromium is installed if missing and we are root)
test: setup browser
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check qualcode tests benchmarks app.py

bench: setup
	$(BIN)/python benchmarks/import_throughput.py

browser:
	@if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "Chromium not found: browser tests will be skipped. Install it with: sudo apt-get install chromium"; fi

## clean-sample: delete the per-user sample project so the next `make run` rebuilds it
clean-sample: setup
	$(BIN)/python -c "from qualcode.sample import sample_project_path as p; import pathlib; \
	[pathlib.Path(str(p()) + s).unlink(missing_ok=True) for s in ('', '-wal', '-shm')]; print('removed', p())"
