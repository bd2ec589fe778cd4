# gate: Google sign-in with a domain policy for apps behind an AWS ALB.
#   make demo   the whole sign-in locally (mock Google, ALB emulator, demo Streamlit app)
#   make test   every test: Rust (unit, handler, end-to-end with moto), Terraform checks,
#               Python, browser end-to-end in headless Chromium
# Everything a target needs is installed by the target itself (project venv, apt chromium).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# cargo-lambda and zig come from PyPI into the project venv.
LAMBDA_PATH := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"
WATCH_PORT ?= 9000

.PHONY: help venv test rust-test infra-test py-test e2e lint fmt package watch demo \
        streamlit-local bench fuzz clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

venv: ## create/refresh the project venv (.venv) from requirements-dev.txt
	@bash scripts/venv.sh

test: rust-test infra-test py-test e2e ## run every test
	@echo "All tests passed."

rust-test: venv ## Rust tests: unit, handler and end-to-end (moto SSM + in-process mock Google)
	cargo nextest run --workspace --no-fail-fast

infra-test: ## Terraform: HCL invariant tests and the checkers' own tests
	bash infra/scripts/check.sh test

py-test: venv ## Python: the ALB identity verifier and the stack launcher
	$(PY) -m pytest -q local/streamlit/tests local/tests

e2e: venv ## browser end-to-end tests (headless Chromium through the ALB emulator)
	bash scripts/install-chromium.sh
	$(PY) -m pytest -q local/e2e

lint: ## rustfmt, clippy (deny warnings), Terraform fmt/schema/checkov, workflow checks
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	bash infra/scripts/check.sh lint
	bash scripts/cargo-deny.sh licenses bans sources

fmt: ## format the Rust code
	cargo fmt --all

package: venv ## build both Lambdas for arm64: target/lambda/{callback,authorizer}/bootstrap.zip
	$(LAMBDA_PATH) cargo lambda build --release --arm64 --output-format zip -p callback -p authorizer
	@for f in callback authorizer; do \
	  printf '  %-11s %s bytes\n' "$$f" "$$(stat -c %s target/lambda/$$f/bootstrap.zip)"; done

watch: venv ## run both functions under cargo lambda watch on 127.0.0.1:$(WATCH_PORT)
	$(LAMBDA_PATH) cargo lambda watch -A 127.0.0.1 -P $(WATCH_PORT) --disable-cors

demo: venv ## the whole stack locally; prints "Gate ready: http://127.0.0.1:<DEMO_PORT>/"
	$(PY) local/stack.py demo

streamlit-local: venv ## the demo app alone, no gate (LOCAL_STREAMLIT=1), for UI work
	LOCAL_STREAMLIT=1 $(VENV)/bin/streamlit run local/streamlit/Home.py --server.headless true \
	  --server.address 127.0.0.1 --server.port $${STREAMLIT_PORT:-8501} --browser.gatherUsageStats false

bench: venv package ## benchmarks vs a Python reference: writes bench/results.md and bench/results.json (minutes)
	$(PY) bench/run.py

fuzz: ## fuzz every cargo-fuzz target for FUZZ_SECONDS each (default 60); prints executions and crashes
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} bash scripts/fuzz.sh

.PHONY: deny load
deny: ## cargo deny check licenses bans sources (installs cargo-deny once; advisories need the RustSec DB)
	bash scripts/cargo-deny.sh licenses bans sources

load: venv ## 500 sign-ins by distinct users, 50 at a time, through the local stack (LOAD_USERS, LOAD_CONCURRENCY)
	$(LAMBDA_PATH) $(PY) local/load/run.py --users $${LOAD_USERS:-500} --concurrency $${LOAD_CONCURRENCY:-50}

clean: ## remove build output and local caches
	cargo clean
	rm -rf $(VENV) .cache
