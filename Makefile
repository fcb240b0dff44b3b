# Arcana: the two commands are `make serve` and `make test` (see README.md).
SHELL := /bin/bash
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:7770
DATA_DIR ?= ./data

.PHONY: deps build serve serve-dev test unit integration bench clean

deps:
	@bash scripts/install-deps.sh

# Release build; leaves build/arcanad (server) and build/arcana (CLI).
build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD_DIR) -j$(JOBS)

serve: build
	@echo "arcanad: endpoint http://$(LISTEN)   data dir $(DATA_DIR)"
	@echo "  The first start of a new data dir prints the root access key pair once."
	@echo "  Then: export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... AWS_DEFAULT_REGION=us-east-1"
	@echo "        aws --endpoint-url http://$(LISTEN) secretsmanager list-secrets"
	@echo "  More keys: $(BUILD_DIR)/arcana --data-dir $(DATA_DIR) access-key create"
	@exec $(BUILD_DIR)/arcanad --listen $(LISTEN) --data-dir $(DATA_DIR)

# Local testing like LocalStack/moto: any credentials accepted (loopback only).
serve-dev: build
	@echo "arcanad (DEV MODE): endpoint http://$(LISTEN); any AWS_ACCESS_KEY_ID/SECRET works"
	@exec $(BUILD_DIR)/arcanad --listen $(LISTEN) --data-dir $(DATA_DIR)-dev --dev

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

integration: build
	@bash tests/integration/run.sh

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)
	@bash tests/integration/run.sh

bench: build
	@bash bench/get-secret-value

clean:
	rm -rf $(BUILD_DIR)
