# inbox-pipeline: `make` lists the targets, by section (`##@ Title`); a target
# with `## text` is listed, one without is an internal step. TARGET=local
# (default) deploys into the local cloud on this machine; TARGET=aws into the
# AWS account of your credentials.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

TARGET ?= local
NAME_PREFIX ?= inbox-pipeline
# The region both stacks (the pipeline and the account's API Gateway settings) deploy to.
REGION ?= us-east-1
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
# make test's stack fails fast: a poison message reaches the DLQ in ~36 s, not 5 minutes
# (two receives, below AWS's floor of 5 on purpose; an 18 s visibility timeout: 6 x the function's 3 s
# timeout, AWS's guidance).
TEST_STACK_VARS ?= -var process_timeout_seconds=3 -var input_visibility_timeout_seconds=18 -var max_receive_count=2
CHECKOV_VENV ?= .venv-checkov
CHECKOV_VERSION ?= 3.3.30
PARLIAMENT_VENV ?= .venv-parliament
PARLIAMENT_VERSION ?= 1.6.4

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
# Functions made by Terraform reach our runner through their own environment (local_runner_url).
# EXTRA_FUNCTIONS names functions created outside Terraform (the benchmark's boto3 probes): the local
# cloud hands them to the runner only if it knew their names when it started.
EXTRA_FUNCTIONS ?=
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
# A target's settings: targets/<TARGET>.tfvars (every local difference, each
# with its reason), then what make knows (names, the port), then the caller's.
TF_VARS = -var-file=$(CURDIR)/targets/$(TARGET).tfvars -var name_prefix=$(NAME_PREFIX) -var region=$(REGION) \
	$(LOCAL_TF_VARS) $(EXTRA_TF_VARS)
TFC := $(TFW) -chdir=$(CONTRACT_DIR)
# Static checks keep their own .terraform, so they can run while a deploy inits.
TFS := TF_DATA_DIR=$(CURDIR)/build/terraform-static terraform
CONTRACT_TF_VARS = $(if $(LOCAL_ENDPOINT),-var-file=$(CURDIR)/targets/local-contract.tfvars $(LOCAL_TF_VARS)) \
	-var name_prefix=$(NAME_PREFIX) -var zip_path=$(CURDIR)/$(CONTRACT_ZIP)
# The Terraform commands make env gives the variables to (TF_CLI_ARGS_<command>);
# make itself ignores what a shell holds after eval "$(make env)" and sets its own.
TF_SUBCOMMANDS_WITH_VARS := plan apply destroy refresh import console
unexport TF_WORKSPACE TF_CLI_ARGS $(addprefix TF_CLI_ARGS_,$(TF_SUBCOMMANDS_WITH_VARS))

ifeq ($(TARGET),local)
LOCAL_ENDPOINT := http://localhost:$(LOCALCLOUD_PORT)
# The Lambda runner listens on the local cloud's port + 1 (localcloud/settings.py runner_port).
LOCAL_RUNNER_URL := http://127.0.0.1:$(shell echo $$(($(LOCALCLOUD_PORT) + 1)))
# What the targets/local*.tfvars files cannot know: the port.
LOCAL_TF_VARS := -var local_endpoint=$(LOCAL_ENDPOINT) -var local_runner_url=$(LOCAL_RUNNER_URL)
# The local target never uses a developer's real credentials.
export AWS_ENDPOINT_URL := $(LOCAL_ENDPOINT)
export AWS_ACCESS_KEY_ID := test
export AWS_SECRET_ACCESS_KEY := test
export AWS_DEFAULT_REGION := $(REGION)
export AWS_REGION := $(REGION)
unexport AWS_PROFILE AWS_SESSION_TOKEN
export LOCALCLOUD_PORT
export LOCALCLOUD_FUNCTIONS := $(EXTRA_FUNCTIONS)
else
LOCAL_ENDPOINT :=
LOCAL_TF_VARS :=
# A shell still pointing at a local endpoint must not turn an AWS deploy into a local one.
unexport AWS_ENDPOINT_URL
endif

LC := $(VENV_PY) -m localcloud
# The slow static checks run only when what they read changed since they last passed (FRESH=1 runs them anyway).
UNLESS_PASSED := $(VENV_PY) -m tools.unless_passed
# What every Terraform check reads (fnmatch patterns: "*" crosses folders); the Terraform version is one more input.
TF_INPUTS := '*.tf' '*.tfvars' '*.hcl' 'modules/*.json'
TF_SALT = --salt "$$($(TF) version | head -1)"

# The credentials make deploy's curl lines sign with when api_authorization is AWS_IAM.
ifeq ($(TARGET),local)
TRY_CREDENTIALS := test:test
else
TRY_CREDENTIALS := \"\$$AWS_ACCESS_KEY_ID:\$$AWS_SECRET_ACCESS_KEY\"
endif

##@ Everyday

.PHONY: help
help: ## List the targets, by section
	@awk 'BEGIN {FS = ":.*## "; printf "Usage: make <target> [TARGET=local|aws] [VARIABLE=value ...]\n"} \
		/^##@ / {printf "\n%s\n", substr($$0, 5)} \
		/^[a-zA-Z0-9_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: deploy
deploy: $(VENV_STAMP) terraform-installed ## Build and apply the stack (local: starts the local cloud first), print curl commands
ifeq ($(TARGET),local)
	$(LC) up
	$(LC) forget-stale-state --state-file $(STATE_FILE)
	@$(VENV_PY) -m tools.api_gateway_account --region $(REGION) >/dev/null 2>&1 || $(MAKE) account-setup
else
	@$(VENV_PY) -m tools.api_gateway_account --region $(REGION) >/dev/null
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
	@$(LC) repair-templates
	@$(LC) check-runner
endif
	@api=$$(sed -n 's/^api_url = "\(.*\)"$$/\1/p' $(DEPLOY_LOG)); \
		mode=$$(sed -n 's/^api_authorization = "\(.*\)"$$/\1/p' $(DEPLOY_LOG)); \
		region=$$(sed -n 's/^region = "\(.*\)"$$/\1/p' $(DEPLOY_LOG)); \
		case "$$mode" in \
			AWS_IAM) auth=" --aws-sigv4 'aws:amz:$$region:execute-api' --user $(TRY_CREDENTIALS)" ;; \
			API_KEY) auth=" -H \"x-api-key: \$$(terraform output -raw api_key)\"" ;; \
			*) auth="" ;; \
		esac; \
		echo; echo "api_url: $$api (api_authorization $$mode, docs/security.md)"; echo "Try it:"; \
		echo "  curl$$auth -X POST \"$$api/inbox\" -H 'Content-Type: application/json' -d '{\"id\": \"1\", \"message\": \"hi\"}'"; \
		echo "  curl$$auth \"$$api/outbox?id=1\""

# make test's orchestration (phases, lanes, the teardown however the run ends) is
# tools/test_run.py (docs/testing.md); its live half runs on local clouds of its
# own (TEST_PORT and TEST_PORT + 2), so it never touches a developer's stack.
# A clone keeps make test's clouds (stopped, with their state) for its next run; CI keeps nothing and destroys
# the stacks. FRESH=1 starts from nothing and runs every static check.
TEST_KEEP_CLOUDS ?= $(if $(CI),no,yes)
TEST_RUN = $(VENV_PY) -m tools.test_run --port $(TEST_PORT) --stack-vars="$(TEST_STACK_VARS)" --pytest-args="$(PYTEST_ARGS)" \
	--keep-clouds=$(TEST_KEEP_CLOUDS)

.PHONY: test
test: $(VENV_STAMP) terraform-installed ## All of it, as CI runs it: static checks while the test clouds deploy, suites and faults side by side (FRESH=1: from nothing)
	$(TEST_RUN)

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

# A plain shell set up like make's recipes: eval "$(make env)" (TARGET=aws for
# AWS), then terraform plan/apply, aws, pytest and curl reach the same stack.
SHQ = '$(subst ','\'',$(1))'
.PHONY: env
env: ## Print the exports a plain shell needs for terraform, aws and pytest: eval "$(make env)"
	@echo "# inbox-pipeline, target $(TARGET): eval \"\$$(make env$(if $(filter aws,$(TARGET)), TARGET=aws))\""
ifeq ($(TARGET),local)
	@echo "export AWS_ENDPOINT_URL=$(call SHQ,$(AWS_ENDPOINT_URL)) AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test"
	@echo "export AWS_DEFAULT_REGION=$(AWS_DEFAULT_REGION) AWS_REGION=$(AWS_REGION) LOCALCLOUD_PORT=$(LOCALCLOUD_PORT)"
	@echo "unset AWS_PROFILE AWS_SESSION_TOKEN"
else
	@echo "unset AWS_ENDPOINT_URL LOCALCLOUD_PORT"
	@echo '[ "$${AWS_ACCESS_KEY_ID:-}" != test ] || unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY'
endif
	@echo "export TF_WORKSPACE=$(WORKSPACE) TF_CLI_CONFIG_FILE=$(call SHQ,$(TF_CLI_CONFIG_FILE))"
	@$(foreach command,$(TF_SUBCOMMANDS_WITH_VARS),echo "export TF_CLI_ARGS_$(command)="$(call SHQ,$(call SHQ,$(strip $(TF_VARS))));)

.PHONY: logs
logs: cloud-reachable ## Follow the functions' logs (CloudWatch Logs; TARGET=aws too)
	$(LC) logs --follow $(if $(filter local,$(TARGET)),--runner-wrappers) --function $(NAME_PREFIX)-process-input-queue --function $(NAME_PREFIX)-check-output-queue

##@ Inner loop

# The inner loop (docs/inner-loop.md): functions run from functions/<name>/ on the deployed local
# stack, each save live at the next invocation, no Terraform run; Ctrl-C returns them to their zips.
DEBUG_PORT ?= 5678
FUNCTION ?=
INNER_LOOP = $(LC) watch --name-prefix $(NAME_PREFIX)

.PHONY: watch
watch: cloud-reachable ## Run functions/ live on the local stack: a save is the next invocation's code, no deploy (Ctrl-C ends)
ifneq ($(TARGET),local)
	@echo "error: make watch runs functions on the local cloud only (TARGET=local)"; exit 1
endif
	@$(INNER_LOOP)

.PHONY: debug
debug: cloud-reachable ## Run FUNCTION=<folder> under debugpy, 127.0.0.1:5678 (DEBUG_PORT=), its timeouts lifted until Ctrl-C
ifneq ($(TARGET),local)
	@echo "error: make debug runs functions on the local cloud only (TARGET=local)"; exit 1
endif
	@$(INNER_LOOP) --debug "$(FUNCTION)" --debug-port $(DEBUG_PORT)

##@ Development

.PHONY: venv
venv: $(VENV_STAMP) ## Create the project virtualenv (tests, tools)

$(VENV_STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; set PYTHON=python3.x"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

.PHONY: build
build: $(VENV_STAMP) ## Zip every function into build/ (byte-identical when unchanged)
	$(VENV_PY) -m tools.build_functions

.PHONY: fmt
fmt: $(VENV_STAMP) ## Format Terraform and Python in place
	$(TF) fmt -recursive
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix --select I .

.PHONY: lint
lint: $(VENV_STAMP) ## terraform fmt -check, ruff, checkov, parliament, stale generated docs
	$(TF) fmt -check -recursive
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV_PY) -m tools.terraform_docs --check
	$(MAKE) checkov
	$(MAKE) parliament

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	@touch $@

.PHONY: checkov
checkov: $(CHECKOV_VENV)/.installed $(VENV_STAMP) ## Scan the Terraform with checkov (own virtualenv; skips are inline with reasons)
	@$(UNLESS_PASSED) checkov --inputs $(TF_INPUTS) --salt $(CHECKOV_VERSION) -- \
		$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework terraform -d . \
		--skip-path .terraform --skip-path tests --skip-path .localcloud

$(PARLIAMENT_VENV)/.installed:
	$(PYTHON) -m venv $(PARLIAMENT_VENV)
	$(PARLIAMENT_VENV)/bin/pip install --quiet --disable-pip-version-check parliament==$(PARLIAMENT_VERSION)
	@touch $@

# The policies as Terraform would send them: tests/terraform/policies.tftest.hcl
# applies the pipeline and plans the account stack on a mocked provider, offline.
.PHONY: parliament
parliament: $(PARLIAMENT_VENV)/.installed static-init ## Lint every IAM policy the stacks render with parliament (own virtualenv; allowed findings in tools/lint_policies.py)
	@$(UNLESS_PASSED) parliament --inputs $(TF_INPUTS) tools/lint_policies.py --salt $(PARLIAMENT_VERSION) $(TF_SALT) -- \
		$(MAKE) parliament-run

.PHONY: parliament-run
parliament-run:
	@mkdir -p build
	@$(TFS) test -test-directory=tests/terraform -filter=tests/terraform/policies.tftest.hcl -json -verbose > build/policies.jsonl \
		|| { grep -h '"@level":"error"' build/policies.jsonl | head -5; echo "error: rendering the policies failed (build/policies.jsonl)"; exit 1; }
	$(PARLIAMENT_VENV)/bin/python -m tools.lint_policies build/policies.jsonl

.PHONY: validate
validate: static-init $(VENV_STAMP) ## terraform validate
	@$(UNLESS_PASSED) validate --inputs $(TF_INPUTS) $(TF_SALT) -- env $(TFS) validate

.PHONY: init
init: $(INIT_STAMP) ## terraform init (providers from the local mirror when present), when the root module or lock changed

# Init takes seconds even with nothing to do, so it runs only when what it reads changed.
$(INIT_STAMP): .terraform.lock.hcl $(wildcard *.tf) $(TF_CLI_CONFIG_FILE) | terraform-installed
	$(TFW) init -input=false -test-directory=tests/terraform >/dev/null
	@touch $@

.PHONY: docs
docs: $(VENV_STAMP) ## Regenerate the inputs/outputs tables of the root module and modules/* from their .tf files
	$(VENV_PY) -m tools.terraform_docs

.PHONY: docs-check
docs-check: $(VENV_STAMP) ## Fail when a generated inputs/outputs table is stale (make lint runs it)
	$(VENV_PY) -m tools.terraform_docs --check

##@ Testing

.PHONY: test-unit
# terraform test runs beside the moto suite (its log is shown when it fails); either failing fails the target.
# It reads the zips too; like the static checks, it runs only when its inputs changed since it passed.
test-unit: build static-init ## Unit tests (handlers on moto, our tools), terraform test, the zip import check
	@mkdir -p build/logs
	@$(UNLESS_PASSED) terraform-test --inputs $(TF_INPUTS) $(ZIPS) $(TF_SALT) -- \
		env $(TFS) test -test-directory=tests/terraform > build/logs/terraform-test.log 2>&1 & tf=$$!; rc=0; \
		$(VENV)/bin/pytest tests/unit -n 2 $(PYTEST_ARGS) || rc=1; \
		if wait $$tf; then echo "terraform test: $$(tail -1 build/logs/terraform-test.log | sed "s/^terraform-test: //")"; \
		else cat build/logs/terraform-test.log; echo "error: terraform test failed"; rc=1; fi; \
		$(LC) package-check $(ZIPS) || rc=1; exit $$rc

# QUICK=1 leaves out the checks marked slow (those that wait out the redrive window).
QUICK ?=

.PHONY: test-integration
test-integration: cloud-reachable ## Integration suite against the deployed stack (TARGET=local|aws; QUICK=1 skips the slow checks)
	TF_WORKSPACE=$(WORKSPACE) $(VENV)/bin/pytest tests/integration -m "integration$(if $(QUICK), and not slow)" -n 4 $(PYTEST_ARGS)

.PHONY: test-integration-quick
test-integration-quick: ## The integration checks that need no redrive window: seconds, for the everyday loop
	$(MAKE) test-integration QUICK=1

.PHONY: test-contract
test-contract: contract-deploy ## Contract suite: the AWS behaviours the pipeline relies on, against the deployed stack (TARGET=local|aws)
	TF_WORKSPACE=$(WORKSPACE) $(VENV)/bin/pytest tests/contract -m contract -n 4 $(PYTEST_ARGS)

.PHONY: test-devloop
test-devloop: cloud-reachable ## make watch and make debug against the deployed local stack, serially (edits a copy of functions/)
	TF_WORKSPACE=$(WORKSPACE) $(VENV)/bin/pytest tests/devloop -m devloop $(PYTEST_ARGS)

# make test-faults runs these (files or test ids); make test splits them over stacks of their own.
FAULTS ?= tests/faults

.PHONY: test-faults
test-faults: cloud-reachable ## Fault suite against the deployed stack, serially: kills, timeouts, IAM denial, restart, redrive, a 5,000 burst
	TF_WORKSPACE=$(WORKSPACE) $(VENV)/bin/pytest $(FAULTS) -m faults $(PYTEST_ARGS)

.PHONY: fidelity
fidelity: ## Run the contract suite on the local cloud's deployed stack and regenerate docs/fidelity.md
	$(MAKE) test-contract TARGET=local PYTEST_ARGS="--fidelity-report=$(FIDELITY_REPORT) $(PYTEST_ARGS)"
	$(VENV_PY) -m tools.fidelity_table $(FIDELITY_REPORT) docs/fidelity.md

# A deployed stack must leave nothing for the next plan to do.
.PHONY: clean-plan
clean-plan: ## Fail unless a plan of the deployed stack shows no changes
	@$(MAKE) plan > build/logs/plan-$(WORKSPACE).log 2>&1 \
		|| { grep -E '^  [#~+-]|Plan:|Error' build/logs/plan-$(WORKSPACE).log; \
		     echo "error: the plan is not clean (build/logs/plan-$(WORKSPACE).log)"; exit 1; }
	@echo "plan: no changes"

.PHONY: test-live
test-live: $(VENV_STAMP) terraform-installed ## The live half of make test alone: fresh local cloud on TEST_PORT, deploy, live suites, faults, teardown
	$(TEST_RUN) --live-only

# The integration and contract suites in one parallel pytest run, as make test
# runs them, then the check that docs/fidelity.md matches what they found.
.PHONY: live-suites
live-suites: cloud-reachable
	TF_WORKSPACE=$(WORKSPACE) $(VENV)/bin/pytest tests/integration tests/contract -m "integration or contract" \
		-n 4 --fidelity-report=$(FIDELITY_REPORT) $(PYTEST_ARGS)
	$(VENV_PY) -m tools.fidelity_table --check $(FIDELITY_REPORT) docs/fidelity.md

$(VENV)/.bench-installed: $(VENV_STAMP)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	@touch $@

.PHONY: bench
bench: $(VENV)/.bench-installed ## Benchmark deploy, latency, throughput, Lambda and SQS overheads, make test (~30 min); writes bench/results.{json,png}
	$(VENV_PY) -m bench $(BENCH_ARGS)

##@ Local cloud

.PHONY: up
up: $(VENV_STAMP) ## Start the local cloud in the background (LOCALCLOUD_AUTH=false: no IAM enforcement)
	$(LC) up

.PHONY: down
down: $(VENV_STAMP) ## Stop the local cloud and every process it started
	$(LC) down

.PHONY: status
status: $(VENV_STAMP) ## Is the local cloud running and answering?
	$(LC) status

.PHONY: clean
clean: ## Remove build output and the local cloud's files (stops it first)
	-$(LC) down
	rm -rf build .localcloud

##@ Operations

# The account's API Gateway CloudWatch role, in its own stack and state
# (account/): set once per account and region, never by a pipeline deploy or
# destroy. The local target applies it when a deploy finds no role (a fresh
# local cloud), so the local cloud runs the same path; on AWS a role someone
# else already set is left alone. One state per region: the setting is per
# account and region.
ACCOUNT_DIR := account
# One state per account and region: on the local target that is per local cloud (port), shared by
# every stack deployed into it (make test deploys several at once; the lock makes them take turns).
ACCOUNT_WORKSPACE := $(if $(filter local,$(TARGET)),local-$(LOCALCLOUD_PORT),$(WORKSPACE))-$(REGION)
TFA := TF_WORKSPACE=$(ACCOUNT_WORKSPACE) terraform -chdir=$(ACCOUNT_DIR)
ACCOUNT_STATE_FILE := $(ACCOUNT_DIR)/terraform.tfstate.d/$(ACCOUNT_WORKSPACE)/terraform.tfstate

.PHONY: account-setup
account-setup: cloud-reachable terraform-installed ## Give API Gateway its CloudWatch Logs role in this account and region, once (REGION=...; a role already set is kept)
	@mkdir -p build/logs
ifeq ($(TARGET),aws)
	@if [ ! -s $(ACCOUNT_STATE_FILE) ] && role=$$($(VENV_PY) -m tools.api_gateway_account --region $(REGION) 2>/dev/null); then \
		echo "API Gateway in $(REGION) already writes logs with $$role; leaving it as it is"; exit 0; fi; \
	$(MAKE) account-apply
else
	@$(MAKE) account-apply
endif

.PHONY: redrive
redrive: cloud-reachable init ## Move a DLQ's messages back to its queue once their cause is fixed (DLQ=input|output; DRY_RUN=1 only counts)
	@from=$$($(TFW) output -raw $(DLQ)_dlq_url 2>/dev/null) && to=$$($(TFW) output -raw $(DLQ)_queue_url 2>/dev/null) \
		|| { echo "error: workspace $(WORKSPACE) has no deployed $(DLQ) DLQ (DLQ is input or output; make deploy first)"; exit 1; }; \
		$(VENV_PY) -m tools.redrive --from "$$from" --to "$$to" $(if $(filter 1 true yes,$(DRY_RUN)),--dry-run)

# Steps the targets above are made of (no `## text`, so make help leaves them out).

# Apply the account stack (make account-setup).
.PHONY: account-apply
account-apply:
	@$(TFA) init -input=false >/dev/null
	@$(TFA) apply -auto-approve -input=false -no-color -lock-timeout=5m -var region=$(REGION) > build/logs/account-$(ACCOUNT_WORKSPACE).log 2>&1 \
		|| { grep -E '^(Error|│)' build/logs/account-$(ACCOUNT_WORKSPACE).log; \
		     echo "error: setting up the account's API Gateway CloudWatch role failed; full log: build/logs/account-$(ACCOUNT_WORKSPACE).log"; exit 1; }

# Fail with one line when terraform is not on PATH.
.PHONY: terraform-installed
terraform-installed:
	@command -v $(TF) >/dev/null || { echo "error: terraform is not installed (https://developer.hashicorp.com/terraform/install)"; exit 1; }

# Terraform init for the static checks, in their own data dir.
.PHONY: static-init
static-init: terraform-installed
	@$(TFS) init -backend=false -input=false -test-directory=tests/terraform >/dev/null

# On the local target, fail with one line instead of Terraform's connection errors.
# On the local target, fail with one line when the local cloud is down.
.PHONY: cloud-reachable
cloud-reachable: $(VENV_STAMP)
ifeq ($(TARGET),local)
	@$(LC) status >/dev/null || { echo "error: the local cloud on port $(LOCALCLOUD_PORT) is not running: make up (or make deploy)"; exit 1; }
endif

# The probe's zip (tests/contract/functions), built like the pipeline's.
# Zip the contract probe's functions.
.PHONY: contract-build
contract-build: $(VENV_STAMP)
	@mkdir -p build/logs
	@$(VENV_PY) -m tools.build_functions --functions tests/contract/functions --build $(dir $(CONTRACT_ZIP)) >/dev/null

# The probe stack the contract suite needs beside the pipeline; applying an
# unchanged one is a no-op.
# Apply the contract suite's probe stack (a no-op when unchanged).
.PHONY: contract-deploy
contract-deploy: cloud-reachable contract-build
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
