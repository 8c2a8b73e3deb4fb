# Quick start: `make demo` and `make test` each set up .venv on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= demo-output

.PHONY: demo test install install-dev bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.core: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,st,dask,ann]"
	touch $@ $(VENV)/.core

install: $(VENV)/.core
install-dev: $(VENV)/.dev

demo: $(VENV)/.core
	$(BIN)/sellglobal demo -o $(OUT)

test: $(VENV)/.dev
	$(BIN)/python -m pytest -q

bench: $(VENV)/.dev
	$(BIN)/python bench/xling.py
	$(BIN)/python bench/demo_quality.py
	$(BIN)/python bench/cache.py --products 100000
	$(BIN)/python bench/overhead.py
	$(BIN)/python bench/naive.py
	$(BIN)/python bench/ann.py
	$(BIN)/python bench/listings_vs_jinja.py
	$(BIN)/python bench/encoder_threads.py
	$(BIN)/python bench/listings_scale.py
	$(BIN)/python bench/finetune.py

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
