# inbox-pipeline: `make` lists the targets. TARGET=local (default) deploys into
# the local cloud on this machine; TARGET=aws into the AWS account of your
# credentials.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

TARGET ?= local
NAME_PREFIX ?= inbox-pipeline
PYTHON ?= python3
VENV ?= .venv
LOCALCLOUD_PORT ?= 4566
TEST_PORT ?= 4577
PYTEST_ARGS ?=
BENCH_ARGS ?=
# make redrive: which dead-letter queue to move back (input or output), and whether only to count.
DLQ ?= input
DRY_RUN ?=
EXTRA_TF_VARS ?=
# make test's stack fails fast: a poison message reaches the DLQ in ~36 s, not 3 minutes
# (two receives, an 18 s visibility timeout: 6 x the function's 3 s timeout, AWS's guidance).
TEST_STACK_VARS ?= -var process_timeout_seconds=3 -var input_visibility_timeout_seconds=18 -var max_receive_count=2
CHECKOV_VENV ?= .venv-checkov
CHECKOV_VERSION ?= 3.3.30

ifeq ($(TARGET),local)
WORKSPACE ?= local
else ifeq ($(TARGET),aws)
WORKSPACE ?= aws
else
$(error TARGET must be local or aws, not '$(TARGET)')
endif
# make test deploys into its own workspace and leaves the one `terraform
# output` reads alone.
SELECT_WORKSPACE ?= yes

VENV_PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
INIT_STAMP := .terraform/.initialized
PIPELINE_FUNCTIONS := $(NAME_PREFIX)-process-input-queue $(NAME_PREFIX)-check-output-queue
# The contract suite's probe stack (tests/contract/stack), deployed beside the pipeline.
CONTRACT_FUNCTIONS := $(NAME_PREFIX)-contract-probe $(NAME_PREFIX)-contract-missing-dep $(NAME_PREFIX)-contract-json-logs
# EXTRA_FUNCTIONS adds benchmark or other probes.
EXTRA_FUNCTIONS ?=
# Every function the local cloud hands to our runner.
FUNCTIONS := $(PIPELINE_FUNCTIONS) $(CONTRACT_FUNCTIONS) $(EXTRA_FUNCTIONS)
ZIPS := build/process_input_queue.zip build/check_output_queue.zip
STATE_FILE := terraform.tfstate.d/$(WORKSPACE)/terraform.tfstate
CONTRACT_DIR := tests/contract/stack
CONTRACT_ZIP := build/contract/probe.zip
CONTRACT_STATE_FILE := $(CONTRACT_DIR)/terraform.tfstate.d/$(WORKSPACE)/terraform.tfstate
FIDELITY_REPORT := build/fidelity-$(WORKSPACE).json
DEPLOY_LOG := build/logs/deploy-$(WORKSPACE).log

# Providers come from the machine's mirror when it has one, else the registry.
export TF_CLI_CONFIG_FILE := $(CURDIR)/tf/$(if $(wildcard /opt/tf-plugins),mirror,registry).tfrc
export TF_IN_AUTOMATION := 1
export TF_INPUT := 0
TF := terraform
TFW := TF_WORKSPACE=$(WORKSPACE) terraform
TF_VARS := -var name_prefix=$(NAME_PREFIX) $(EXTRA_TF_VARS)
TFC := $(TFW) -chdir=$(CONTRACT_DIR)
# Static checks keep their own .terraform, so they can run while a deploy inits.
TFS := TF_DATA_DIR=$(CURDIR)/build/terraform-static terraform
CONTRACT_TF_VARS := -var name_prefix=$(NAME_PREFIX) -var zip_path=$(CURDIR)/$(CONTRACT_ZIP)

ifeq ($(TARGET),local)
LOCAL_ENDPOINT := http://localhost:$(LOCALCLOUD_PORT)
# The local target never uses a developer's real credentials.
export AWS_ENDPOINT_URL := $(LOCAL_ENDPOINT)
export AWS_ACCESS_KEY_ID := test
export AWS_SECRET_ACCESS_KEY := test
export AWS_DEFAULT_REGION := us-east-1
export AWS_REGION := us-east-1
unexport AWS_PROFILE AWS_SESSION_TOKEN
export LOCALCLOUD_PORT
export LOCALCLOUD_FUNCTIONS := $(FUNCTIONS)
TF_VARS += -var local_endpoint=$(LOCAL_ENDPOINT) -var dlq_alarms_enabled=false -var sqs_batch_action_aliases=true
CONTRACT_TF_VARS += -var local_endpoint=$(LOCAL_ENDPOINT) -var sqs_batch_action_aliases=true
else
# A shell still pointing at a local endpoint must not turn an AWS deploy into a local one.
unexport AWS_ENDPOINT_URL
endif

LC := $(VENV_PY) -m localcloud

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "; printf "Usage: make <target> [TARGET=local|aws]\n\n"} \
		/^[a-zA-Z_-]+:.*## / {printf "  %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV_STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; set PYTHON=python3.x"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

.PHONY: venv
venv: $(VENV_STAMP) ## Create the project virtualenv (tests, tools)

.PHONY: build
build: $(VENV_STAMP) ## Zip every function into build/ (byte-identical when unchanged)
	$(VENV_PY) -m tools.build_functions

.PHONY: fmt
fmt: $(VENV_STAMP) ## Format Terraform and Python in place
	$(TF) fmt -recursive
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix --select I .

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	@touch $@

.PHONY: checkov
checkov: $(CHECKOV_VENV)/.installed ## Scan the Terraform with checkov (own virtualenv; skips are inline with reasons)
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework terraform -d . \
		--skip-path .terraform --skip-path tests --skip-path .localcloud

.PHONY: lint
lint: $(VENV_STAMP) ## terraform fmt -check, ruff, checkov
	$(TF) fmt -check -recursive
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MAKE) checkov

.PHONY: init
init: $(INIT_STAMP) ## terraform init (providers from the local mirror when present), when the root module or lock changed

# Init takes seconds even with nothing to do, so it runs only when what it reads changed.
$(INIT_STAMP): .terraform.lock.hcl $(wildcard *.tf) $(TF_CLI_CONFIG_FILE) | terraform-installed
	$(TFW) init -input=false -test-directory=tests/terraform >/dev/null
	@touch $@

.PHONY: terraform-installed
terraform-installed: ## (internal) fail with one line when terraform is not on PATH
	@command -v $(TF) >/dev/null || { echo "error: terraform is not installed (https://developer.hashicorp.com/terraform/install)"; exit 1; }

.PHONY: static-init
static-init: terraform-installed ## (internal) terraform init for the static checks, in their own data dir
	@$(TFS) init -backend=false -input=false -test-directory=tests/terraform >/dev/null

.PHONY: validate
validate: static-init ## terraform validate
	$(TFS) validate

.PHONY: test-unit
test-unit: build static-init ## Unit tests (handlers on moto, our tools), terraform test, the zip import check
	$(VENV)/bin/pytest tests/unit $(PYTEST_ARGS)
	$(TFS) test -test-directory=tests/terraform
	$(LC) package-check $(ZIPS)

.PHONY: test-integration
test-integration: cloud-reachable ## Integration suite against the deployed stack (TARGET=local|aws)
	TF_WORKSPACE=$(WORKSPACE) $(VENV)/bin/pytest tests/integration -m integration -n 4 $(PYTEST_ARGS)

.PHONY: test-faults
test-faults: cloud-reachable ## Fault suite against the deployed stack, serially: kills, timeouts, IAM denial, restart, redrive, a 5,000 burst
	TF_WORKSPACE=$(WORKSPACE) $(VENV)/bin/pytest tests/faults -m faults $(PYTEST_ARGS)

.PHONY: test-contract
test-contract: contract-deploy ## Contract suite: the AWS behaviours the pipeline relies on, against the deployed stack (TARGET=local|aws)
	TF_WORKSPACE=$(WORKSPACE) $(VENV)/bin/pytest tests/contract -m contract -n 4 $(PYTEST_ARGS)

# The probe stack the contract suite needs beside the pipeline; applying an
# unchanged one is a no-op.
.PHONY: contract-deploy
contract-deploy: cloud-reachable contract-build ## (internal) apply the contract suite's probe stack (a no-op when unchanged)
ifeq ($(TARGET),local)
	@$(LC) forget-stale-state --state-file $(CONTRACT_STATE_FILE)
endif
	@$(TFC) init -input=false >/dev/null
	@$(TFC) apply -auto-approve -input=false -no-color $(CONTRACT_TF_VARS) > build/logs/contract-deploy-$(WORKSPACE).log 2>&1 \
		|| { grep -E '^(Error|│)' build/logs/contract-deploy-$(WORKSPACE).log; \
		     echo "error: deploying the contract probe failed; full log: build/logs/contract-deploy-$(WORKSPACE).log"; exit 1; }
ifeq ($(TARGET),local)
	@$(LC) check-runner
endif

# The probe's zip (tests/contract/functions), built like the pipeline's.
.PHONY: contract-build
contract-build: $(VENV_STAMP) ## (internal) zip the contract probe's functions
	@mkdir -p build/logs
	@$(VENV_PY) -m tools.build_functions --functions tests/contract/functions --build $(dir $(CONTRACT_ZIP)) >/dev/null

.PHONY: fidelity
fidelity: ## Run the contract suite on the local cloud's deployed stack and regenerate docs/fidelity.md
	$(MAKE) test-contract TARGET=local PYTEST_ARGS="--fidelity-report=$(FIDELITY_REPORT) $(PYTEST_ARGS)"
	$(VENV_PY) -m tools.fidelity_table $(FIDELITY_REPORT) docs/fidelity.md

# make test's live half runs on a local cloud of its own, so it never touches a
# developer's stack: its own port, workspace and fast-failing settings. It
# persists its state so the fault suite can restart it with a backlog waiting,
# and starts from no saved state (down --forget-state).
LIVE_VARS = TARGET=local LOCALCLOUD_PORT=$(TEST_PORT) WORKSPACE=test SELECT_WORKSPACE=no EXTRA_TF_VARS="$(TEST_STACK_VARS)" \
	LOCALCLOUD_PERSIST=true

# The teardown runs however the rest ends (Ctrl-C included), and its failure fails the run.
TEARDOWN_TRAP = trap 'rc=$$?; $(MAKE) live-teardown $(LIVE_VARS) || { [ $$rc -ne 0 ] || rc=1; }; exit $$rc' EXIT

.PHONY: test
test: ## All of it, as CI runs it: static checks while a fresh local cloud deploys, then the live suites, destroy, stop
	$(TEARDOWN_TRAP); \
		$(MAKE) -j2 --output-sync=line static-checks live-deploy && $(MAKE) live-suites $(LIVE_VARS)

.PHONY: static-checks
static-checks: ## lint, validate and test-unit, one after the other
	$(MAKE) lint
	$(MAKE) validate
	$(MAKE) test-unit

.PHONY: test-live
test-live: $(VENV_STAMP) ## The live half of make test alone: fresh local cloud on TEST_PORT, deploy, live suites, destroy, stop
	$(TEARDOWN_TRAP); \
		$(MAKE) live-deploy && $(MAKE) live-suites $(LIVE_VARS)

# Deploying is mostly the provider's waits, so it overlaps the CPU-bound static
# checks; the live suites then run alone, so their timings are not squeezed.
# Seen once in about ten runs: the contract probe's apply failed with a 409 ConflictException on
# a CreateResource MiniStack had already carried out (most likely a request the provider sent
# twice; not reproduced with TF_LOG on). The resource is then in the cloud but not in the state,
# so only a fresh cloud recovers; the warning keeps the retry visible.
.PHONY: live-deploy
live-deploy: $(VENV_STAMP) ## (internal) make test's fresh local cloud and stack, on TEST_PORT; a failed bring-up is retried once
	$(MAKE) live-stack $(LIVE_VARS) || { echo "warning: bringing up make test's stack failed (see above and build/logs); once more on a fresh local cloud"; \
		$(MAKE) live-stack $(LIVE_VARS); }

.PHONY: live-stack
live-stack: ## (internal) the steps of live-deploy, run with make test's settings
	$(LC) down --forget-state >/dev/null
	$(LC) up
	$(MAKE) -j2 deploy contract-deploy
	$(MAKE) clean-plan

.PHONY: live-teardown
live-teardown: ## (internal) destroy make test's stack and stop its local cloud; fails if either fails
	@mkdir -p build/logs
	@rc=0; $(MAKE) destroy > build/logs/destroy-$(WORKSPACE).log 2>&1 \
		|| { rc=1; tail -20 build/logs/destroy-$(WORKSPACE).log; echo "error: destroy failed; full log: build/logs/destroy-$(WORKSPACE).log"; }; \
		$(LC) down || rc=1; exit $$rc

# The integration and contract suites in one parallel pytest run on the
# deployed stack. The fault suite runs after them, alone: it changes the stack
# (IAM, function settings) and restarts the cloud, and restores all of it,
# which the second clean plan proves.
.PHONY: live-suites
live-suites: cloud-reachable ## (internal) make test's live suites on the deployed stack
	TF_WORKSPACE=$(WORKSPACE) $(VENV)/bin/pytest tests/integration tests/contract -m "integration or contract" \
		-n 4 --fidelity-report=$(FIDELITY_REPORT) $(PYTEST_ARGS)
	$(VENV_PY) -m tools.fidelity_table --check $(FIDELITY_REPORT) docs/fidelity.md
	$(MAKE) test-faults
	$(MAKE) clean-plan

# A deployed stack must leave nothing for the next plan to do.
.PHONY: clean-plan
clean-plan: ## Fail unless a plan of the deployed stack shows no changes
	@$(MAKE) plan > build/logs/plan-$(WORKSPACE).log 2>&1 \
		|| { grep -E '^  [#~+-]|Plan:|Error' build/logs/plan-$(WORKSPACE).log; \
		     echo "error: the plan is not clean (build/logs/plan-$(WORKSPACE).log)"; exit 1; }
	@echo "plan: no changes"

.PHONY: up
up: $(VENV_STAMP) ## Start the local cloud in the background (LOCALCLOUD_AUTH=false: no IAM enforcement)
	$(LC) up

.PHONY: down
down: $(VENV_STAMP) ## Stop the local cloud and every process it started
	$(LC) down

.PHONY: status
status: $(VENV_STAMP) ## Is the local cloud running and answering?
	$(LC) status

.PHONY: logs
logs: cloud-reachable ## Follow the functions' logs (CloudWatch Logs; TARGET=aws too)
	$(LC) logs --follow $(if $(filter local,$(TARGET)),--runner-wrappers) $(addprefix --function ,$(PIPELINE_FUNCTIONS))

.PHONY: deploy
deploy: $(VENV_STAMP) terraform-installed ## Build and apply the stack (local: starts the local cloud first), print curl commands
ifeq ($(TARGET),local)
	$(LC) up
	$(LC) forget-stale-state --state-file $(STATE_FILE)
endif
	$(MAKE) build init
ifeq ($(SELECT_WORKSPACE),yes)
	@$(TF) workspace select -or-create $(WORKSPACE) >/dev/null
endif
	@mkdir -p $(dir $(DEPLOY_LOG))
	@echo "terraform apply ($(TARGET), workspace $(WORKSPACE)); full log: $(DEPLOY_LOG)"
	@$(TFW) apply -auto-approve -input=false -no-color $(TF_VARS) 2>&1 | tee $(DEPLOY_LOG) \
		| { grep -E --line-buffered '^(Apply complete|Plan:|Error|│)|complete after' || true; } \
		|| { echo "error: deploy failed; full log: $(DEPLOY_LOG)"; exit 1; }
ifeq ($(TARGET),local)
	@$(LC) check-runner
endif
	@api=$$(sed -n 's/^api_url = "\(.*\)"$$/\1/p' $(DEPLOY_LOG)); \
		echo; echo "api_url: $$api"; echo "Try it:"; \
		echo "  curl -X POST \"$$api/inbox\" -H 'Content-Type: application/json' -d '{\"id\": \"1\", \"message\": \"hi\"}'"; \
		echo "  curl \"$$api/outbox?id=1\""

.PHONY: plan
plan: cloud-reachable build init ## Show what a deploy would change (exit 2 when something would)
	$(TFW) plan -input=false -detailed-exitcode $(TF_VARS)

.PHONY: destroy
destroy: cloud-reachable build init contract-build ## Delete the deployed stack (and the contract probe, when deployed)
	@if [ -s $(CONTRACT_STATE_FILE) ]; then \
		$(TFC) init -input=false >/dev/null && \
		$(TFC) destroy -auto-approve -input=false $(CONTRACT_TF_VARS) > build/logs/contract-destroy-$(WORKSPACE).log 2>&1 \
		|| { echo "error: destroying the contract probe failed; full log: build/logs/contract-destroy-$(WORKSPACE).log"; exit 1; }; fi
	$(TFW) destroy -auto-approve -input=false $(TF_VARS)

# On the local target, fail with one line instead of Terraform's connection errors.
.PHONY: cloud-reachable
cloud-reachable: $(VENV_STAMP) ## (internal) on the local target, fail with one line when the local cloud is down
ifeq ($(TARGET),local)
	@$(LC) status >/dev/null || { echo "error: the local cloud on port $(LOCALCLOUD_PORT) is not running: make up (or make deploy)"; exit 1; }
endif

.PHONY: redrive
redrive: cloud-reachable init ## Move a DLQ's messages back to its queue once their cause is fixed (DLQ=input|output; DRY_RUN=1 only counts)
	@from=$$($(TFW) output -raw $(DLQ)_dlq_url 2>/dev/null) && to=$$($(TFW) output -raw $(DLQ)_queue_url 2>/dev/null) \
		|| { echo "error: workspace $(WORKSPACE) has no deployed $(DLQ) DLQ (DLQ is input or output; make deploy first)"; exit 1; }; \
		$(VENV_PY) -m tools.redrive --from "$$from" --to "$$to" $(if $(filter 1 true yes,$(DRY_RUN)),--dry-run)

$(VENV)/.bench-installed: $(VENV_STAMP)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	@touch $@

.PHONY: bench
bench: $(VENV)/.bench-installed ## Benchmark deploy, latency, throughput, Lambda and SQS overheads, make test (~30 min); writes bench/results.{json,png}
	$(VENV_PY) -m bench $(BENCH_ARGS)

.PHONY: clean
clean: ## Remove build output and the local cloud's files (stops it first)
	-$(LC) down
	rm -rf build .localcloud
