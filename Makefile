# The README's two commands: `make run` and `make test`. Both install the
# missing Debian packages first (as root), then build the release preset
# into build/ (the binary is build/krgdemo).
#
#   make run     set-up, build, then the main job: krgdemo run mandelbrot
#   make test    set-up, build, then every test (ctest, a timeout per test)
#   make deps    only install the missing Debian packages
#   make build   only configure and build
#   make format  clang-format every C++ file in place
#   make clean   remove build/

JOBS ?= 2
RUN_ARGS ?= mandelbrot

.PHONY: run test deps build format check-format clean

run: build
	./build/krgdemo run $(RUN_ARGS)

test: build check-format
	ctest --preset release --output-on-failure -j $(JOBS)

deps:
	@./cmake/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

CXX_FILES = $(shell git ls-files '*.cc' '*.h' 2>/dev/null)

format:
	clang-format -i $(CXX_FILES)

check-format:
	@if command -v clang-format >/dev/null; then \
	  clang-format --dry-run --Werror $(CXX_FILES) || \
	  { echo "krgdemo: error: not clang-formatted; run 'make format'" >&2; exit 1; }; \
	else echo "krgdemo: warning: clang-format not found; format not checked" >&2; fi

clean:
	rm -rf build
