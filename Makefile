# mimic: the three jobs a user asks for. Each first makes sure the Debian
# packages mimic builds against are present (scripts/bootstrap).
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all build bootstrap bootstrap-check demo check bench clean format fuzz fuzz-run

all: build

bootstrap:
	@scripts/bootstrap

# the tests' own packages too (the browser and node for the labeling page's tests)
bootstrap-check:
	@scripts/bootstrap --check

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: bootstrap $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# the demo builds only the command it runs, not the libraries' tests
demo: bootstrap $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target mimic
	@scripts/demo $(BUILD)

check: bootstrap-check build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@scripts/bench $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# libFuzzer targets (fuzz/), built with clang, ASan and UBSan; fuzz-run runs
# each for FUZZ_SECONDS from its seed corpus (what .ci/run does)
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 10
fuzz:
	@scripts/bootstrap --ci
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DMIMIC_FUZZ=ON -DMIMIC_BUILD_TESTS=OFF -DMIMIC_BUILD_BENCH=OFF -DMIMIC_BUILD_PYTHON=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

fuzz-run: fuzz
	scripts/fuzz-run $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) build-asan build-clang build-fuzz
