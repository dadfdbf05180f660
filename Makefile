# EmpirioLabs gateway. `make dev` runs the API locally; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
# uv from PATH, else the uv package installed for $(PYTHON) by the `uv` target (fresh machines have no uv).
UV := $(or $(shell command -v uv 2>/dev/null),$(PYTHON) -m uv)
RUN := $(UV) run --frozen
STAGE ?= dev
CDK := npx --yes aws-cdk@^2
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
# Boto3 and its dependencies come with the Lambda runtime; keeping them out keeps the layer small.
RUNTIME_PROVIDED := boto3 botocore s3transfer jmespath python-dateutil six urllib3

.PHONY: uv install dev test lint synth deploy requirements bench clean

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

.venv/.installed: pyproject.toml uv.lock | uv
	$(UV) sync --frozen
	touch $@

install: .venv/.installed

dev: install
	$(RUN) empirio dev

test: install
	$(RUN) pytest

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

requirements: | uv
	$(UV) export --frozen --no-default-groups --no-emit-project --no-hashes --no-header \
		$(foreach p,$(RUNTIME_PROVIDED),--no-emit-package $(p)) > layers/deps/requirements.txt

bench: install
	$(RUN) python -m bench.run

synth: install
	$(CDK) synth --quiet -c stage=$(STAGE)

deploy: install
	$(CDK) deploy -c stage=$(STAGE) --require-approval broadening

clean:
	rm -rf .venv cdk.out .pytest_cache .mypy_cache .ruff_cache
