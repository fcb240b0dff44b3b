# Arcana: the two commands are `make serve` and `make test` (see README.md).
SHELL := /bin/bash
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:7770
DATA_DIR ?= ./data

FUZZ_BUILD_DIR ?= build-fuzz
ASAN_BUILD_DIR ?= build-asan
FUZZ_SECONDS ?= 60
# Sanitizer builds: -O1 keeps stacks readable and assertions (no -DNDEBUG) stay on.
SANITIZE_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g"

.PHONY: deps build serve serve-dev serve-cluster test unit integration bench clean \
        fuzz-build fuzz-configure-build fuzz sanitize-build test-sanitize

deps:
	@bash scripts/install-deps.sh

# Release build; leaves build/arcanad (server), build/arcana (CLI) and build/arcana-agent.
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

# Two nodes on one local PostgreSQL (Debian's postgresql-15, ./data-cluster), 127.0.0.1:7771
# and :7772, one root key file; prints endpoints and credentials; Ctrl-C stops everything.
serve-cluster: build
	@exec bash scripts/serve-cluster.sh $(BUILD_DIR)

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

integration: build
	@bash tests/integration/run.sh

# Unit, integration, and every fuzzer for 10 s (a crash fails the target; `make fuzz` runs
# longer). The whole target stays under CI's 25 minutes on 2 cores: the fuzzers' sanitized
# build, then their runs, go beside the integration suite at the lowest priority, so they take
# only the CPU the suite leaves (its passes wait on servers and fsyncs; the shorter pass ends
# minutes before the other), not minutes of their own afterwards. A run is bounded by time, so
# a busy machine only gives it fewer executions; its per-input limit is 30 s rather than 10 s
# for that reason. The build's output is in $(BUILD_DIR)/fuzz-build.log, the runs' report
# (printed after the suite) in $(BUILD_DIR)/fuzz-run.log.
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)
	@( nice -n 19 $(MAKE) --no-print-directory fuzz-configure-build >$(BUILD_DIR)/fuzz-build.log 2>&1 \
	     || { echo "== the fuzzers' build failed:"; tail -n 40 $(BUILD_DIR)/fuzz-build.log; exit 1; }; \
	   FUZZ_INPUT_TIMEOUT=30 nice -n 19 bash fuzz/run.sh $(FUZZ_BUILD_DIR) 10 ) >$(BUILD_DIR)/fuzz-run.log 2>&1 & \
	  fuzz=$$!; \
	  bash tests/integration/run.sh; rc=$$?; \
	  wait $$fuzz; fuzz_rc=$$?; \
	  cat $(BUILD_DIR)/fuzz-run.log; \
	  [ $$rc -eq 0 ] && [ $$fuzz_rc -eq 0 ]

# libFuzzer targets (fuzz/*_fuzzer.cc), clang with ASan+UBSan, in their own build dir.
fuzz-build: deps fuzz-configure-build

fuzz-configure-build:
	@cmake -S . -B $(FUZZ_BUILD_DIR) -DCMAKE_CXX_COMPILER=clang++ -DARCANA_FUZZ=ON \
	    $(SANITIZE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS) --target fuzzers

# Runs each fuzzer FUZZ_SECONDS seconds from its seeds (fuzz/corpus/<target>); prints
# executions per target; non-zero on any crash (inputs in fuzz/artifacts/).
fuzz: fuzz-build
	@bash fuzz/run.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS)

# ASan+UBSan build of the server, the CLI and the unit tests; then both suites against it.
sanitize-build: deps
	@cmake -S . -B $(ASAN_BUILD_DIR) -DARCANA_SANITIZE=ON $(SANITIZE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD_DIR) -j$(JOBS) --target arcanad arcana arcana-agent unit_tests store_conformance_tests

test-sanitize: sanitize-build
	@bash scripts/test-sanitize.sh $(ASAN_BUILD_DIR)

bench: build
	@bash bench/get-secret-value

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_BUILD_DIR) $(ASAN_BUILD_DIR)
