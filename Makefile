# mapix top-level driver. `make demo` and `make check` are the two commands
# the README promises; both install missing dependencies first.

PREFIX    ?= /usr/local
BUILD     ?= build
BUILD_SAN ?= build-asan
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
CTEST_ARGS ?= --output-on-failure -j $(JOBS)

.PHONY: all deps build build-san demo check check-gcc check-san stress install clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(GENERATOR) -DCMAKE_C_COMPILER=gcc \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX)

$(BUILD_SAN)/CMakeCache.txt:
	cmake -S . -B $(BUILD_SAN) $(GENERATOR) -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=Debug -DMAPIX_SANITIZE=ON -DMAPIX_FUZZ=ON

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

build-san: deps $(BUILD_SAN)/CMakeCache.txt
	cmake --build $(BUILD_SAN) -j $(JOBS)

demo: build
	@scripts/demo $(BUILD)

check-gcc: build
	cd $(BUILD) && ctest $(CTEST_ARGS)

check-san: build-san
	cd $(BUILD_SAN) && ctest $(CTEST_ARGS)

check: check-gcc check-san

# Long stress and fuzz runs; MAPIX_STRESS scales them (default 20 here).
stress: build build-san
	cd $(BUILD) && MAPIX_STRESS=$${MAPIX_STRESS:-20} ctest $(CTEST_ARGS)
	cd $(BUILD_SAN) && MAPIX_STRESS=$${MAPIX_STRESS:-20} MAPIX_FUZZ_SECONDS=$${MAPIX_FUZZ_SECONDS:-600} ctest $(CTEST_ARGS)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(BUILD_SAN)
