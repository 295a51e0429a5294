# archer developer entry points. `make demo` and `make test` are the README's quick start.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= --durations=15

.PHONY: setup demo test test-rust test-python lint wheel bench clean

setup:
	@scripts/setup

# The main job on embedded defaults.
demo: setup
	$(BIN)/archer train --preset smoke

# Every test: formatting, lints, Rust unit tests, Python tests (slow ones included).
test: setup lint test-rust test-python

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --workspace --all-targets --features python -- -D warnings
	$(BIN)/ruff check python tests benches
	$(BIN)/ruff format --check python tests benches

test-rust:
	cargo test --workspace

test-python:
	$(BIN)/python -m pytest $(PYTEST_ARGS)

wheel:
	$(BIN)/maturin build --release --out dist

bench: setup
	$(BIN)/python benches/bench_advantages.py
	$(BIN)/python benches/bench_step.py
	$(BIN)/python benches/bench_scoring.py
	$(BIN)/python benches/bench_verify.py

clean:
	rm -rf target dist $(VENV) .pytest_cache
