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
# The Stripe SDK and what only it needs: a layer of their own, for the two functions that talk to Stripe.
PAYMENTS := stripe requests certifi charset-normalizer

.PHONY: uv install dev test test-fast lint synth deploy requirements bench bench-peers soak audit clean vendor browser catalog

# The browser tests drive Debian's chromium (Playwright cannot download browsers here).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || $(SUDO) apt-get install -y -qq chromium >/dev/null 2>&1 \
		|| { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	@chromium --version

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

test-fast: install  # unit + integration (moto) only: the quick lane before `make test`
	$(RUN) pytest tests/unit tests/integration

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

requirements: | uv  # the dependency layer (every function) and the payments layer (billing and the balance watch)
	$(UV) export --frozen --no-default-groups --no-emit-project --no-hashes --no-header \
		$(foreach p,$(RUNTIME_PROVIDED) $(PAYMENTS),--no-emit-package $(p)) > layers/deps/requirements.txt
	$(UV) export --frozen --no-default-groups --no-emit-project --no-hashes --no-header \
		| grep -E '^($(subst $(eval) ,|,$(PAYMENTS)))==' > layers/payments/requirements.txt

catalog: install  # prices, limits and shutdown dates from LiteLLM's model cost map; read the diff, then commit
	$(RUN) python catalog/refresh.py

bench: install
	$(RUN) python -m bench.run
	$(RUN) python -m bench.console
	$(RUN) python -m bench.devstore

bench-peers: install  # LiteLLM's proxy beside ours, from its own virtualenv (bench/.peers)
	$(RUN) python -m bench.peers

audit: install  # pip-audit over uv.lock; fails on a known vulnerability
	UV_COMMAND="$(UV)" $(RUN) python .ci/audit.py

soak: install  # 10 minutes, 16 clients (SOAK_SECONDS=60 for a short one)
	$(RUN) python -m bench.soak

# COMPUTE=managed-instances runs the inference function on Lambda Managed Instances (docs/deploy.md: cost model).
COMPUTE ?= lambda
# CAPACITY=provisioned bills the per-request tables by autoscaled capacity instead of by request (docs/deploy.md: cost model).
CAPACITY ?= on-demand

synth: install
	$(CDK) synth --quiet -c stage=$(STAGE) -c inference_compute=$(COMPUTE) -c table_capacity=$(CAPACITY) $(CDK_ARGS)

deploy: install  # CDK_ARGS="-c email_sender=billing@example.com" for customer emails through SES
	$(CDK) deploy -c stage=$(STAGE) -c inference_compute=$(COMPUTE) -c table_capacity=$(CAPACITY) --require-approval broadening $(CDK_ARGS)

clean:
	rm -rf .venv cdk.out .pytest_cache .mypy_cache .ruff_cache

# Browser libraries of the console, pinned files in the repo (with their licences), refreshed from the npm registry.
UPLOT := 1.6.32
DOMPURIFY := 3.5.0
MARKED := 18.2.1
VENDOR := functions/console/static/vendor
vendor:
	rm -rf .vendor-tmp && mkdir -p .vendor-tmp $(VENDOR)
	cd .vendor-tmp && npm pack --silent uplot@$(UPLOT) dompurify@$(DOMPURIFY) marked@$(MARKED) >/dev/null
	cd .vendor-tmp && for t in *.tgz; do mkdir -p "$${t%.tgz}" && tar -xzf "$$t" -C "$${t%.tgz}"; done
	cp .vendor-tmp/uplot-$(UPLOT)/package/dist/uPlot.iife.min.js $(VENDOR)/uplot.iife.min.js
	cp .vendor-tmp/uplot-$(UPLOT)/package/dist/uPlot.min.css $(VENDOR)/uplot.min.css
	cp .vendor-tmp/uplot-$(UPLOT)/package/LICENSE $(VENDOR)/uplot.LICENSE
	cp .vendor-tmp/dompurify-$(DOMPURIFY)/package/dist/purify.min.js $(VENDOR)/purify.min.js
	cp .vendor-tmp/dompurify-$(DOMPURIFY)/package/LICENSE $(VENDOR)/dompurify.LICENSE
	cp .vendor-tmp/marked-$(MARKED)/package/lib/marked.esm.js $(VENDOR)/marked.esm.js
	cp .vendor-tmp/marked-$(MARKED)/package/LICENSE $(VENDOR)/marked.LICENSE
	cd $(VENDOR) && { echo "uplot $(UPLOT) dompurify $(DOMPURIFY) marked $(MARKED) (npm registry)"; \
		sha256sum *.js *.css; } > VERSIONS
	rm -rf .vendor-tmp
