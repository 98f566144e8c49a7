# The two commands a newcomer needs:
#   make run    install what is missing, build (Release), start the gateway on $PORT (8080)
#   make test   install what is missing, build with sanitizers, run every test
#   make sandbox  the same, started with --sandbox: WhatsApp simulated by the emulator, SQLite in DATA_DIR
# Other targets: build, frontend, test-unit, test-frontend, test-integration, test-n8n, fuzz, bench, format, lint, coverage, clean.
JOBS ?= 2
BUILD_DIR ?= build
TEST_BUILD_DIR ?= build-test

.PHONY: run sandbox build frontend deps test test-unit test-integration test-frontend test-n8n fuzz bench format lint coverage clean

deps:
	@scripts/install-deps.sh

build: deps frontend
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DWA_BUILD_TESTS=OFF >/dev/null
	@cmake --build $(BUILD_DIR) -j$(JOBS)

# The dashboard (frontend/dist), served by the gateway at /.
frontend: deps
	@scripts/build-frontend.sh

run: build
	@$(BUILD_DIR)/bin/wa-gateway

# Sandbox mode (docs/SANDBOX.md): no phone, no WhatsApp; always SQLite in DATA_DIR.
sandbox: build
	@DATABASE_URL= $(BUILD_DIR)/bin/wa-gateway --sandbox

test:
	@scripts/test.sh

test-unit:
	@scripts/test.sh unit

test-integration:
	@scripts/test.sh integration

test-frontend:
	@scripts/test.sh frontend

test-n8n:
	@scripts/test.sh n8n

fuzz:
	@scripts/install-deps.sh --test
	@scripts/run-fuzzers.sh

# Line and branch coverage of wa/src and gateway/src over the unit and black-box tests
# (build-coverage/, gcovr); figures in docs/BENCHMARKS.md.
coverage:
	@scripts/coverage.sh

bench:
	@scripts/install-deps.sh --bench
	@bench/run.sh

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

# clang-format, ESLint and clang-tidy on every file (cached; records the clean ones in scripts/clang-tidy-clean.txt, see scripts/lint.sh). `make test` runs clang-tidy only on files not recorded there.
lint:
	@scripts/install-deps.sh --test
	@npm ci --no-audit --no-fund --loglevel=error
	@TEST_BUILD_DIR=$(TEST_BUILD_DIR) scripts/lint.sh

clean:
	rm -rf $(BUILD_DIR) $(TEST_BUILD_DIR) build-fuzz build-coverage
