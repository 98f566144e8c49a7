# The two commands a newcomer needs:
#   make run    install what is missing, build (Release), start the gateway on $PORT (8080)
#   make test   install what is missing, build with sanitizers, run every test
# Other targets: build, frontend, test-unit, test-frontend, test-integration, test-n8n, fuzz, bench, format, lint, clean.
JOBS ?= 2
BUILD_DIR ?= build
TEST_BUILD_DIR ?= build-test

.PHONY: run build frontend deps test test-unit test-integration test-frontend test-n8n fuzz bench format lint clean

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

bench:
	@scripts/install-deps.sh --bench
	@bench/run.sh

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

lint:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror
	@cmake -S . -B $(TEST_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@git ls-files 'gateway/src/*.cpp' | xargs clang-tidy -p $(TEST_BUILD_DIR) --quiet

clean:
	rm -rf $(BUILD_DIR) $(TEST_BUILD_DIR) build-fuzz
