# The README's two commands: `make run` and `make test`. Both install the
# missing Debian packages first (as root), then build the release preset
# into build/ (the binary is build/krgdemo).
#
#   make run     the run set of packages, the krgdemo target alone, then the
#                main job: krgdemo run mandelbrot
#   make test    the run and test sets, every target, then every test
#                (ctest, a timeout per test; boots the LiveCD under qemu)
#   make deps    only install the missing packages of the run set
#   make deps-test  the same for the run and test sets
#   make build   the test set, then configure and build every target
#   make format  clang-format every C++ file in place
#   make clean   remove build/
#
# The package and the LiveCD (docs/image.md; image targets need root):
#   make deb        build/krgdemo_<version>_amd64.deb (CPack)
#   make image      build/image/krgdemo-$(PROFILE).iso, hybrid BIOS + UEFI
#   make netboot    build/image/netboot/: kernel, initrd, squashfs, pxelinux
#   make image-test the full boot test: BIOS CD, UEFI CD, BIOS disk, PXE,
#                   then the cluster test on that ISO
#   make cluster-test  a head and two PXE-booted machines under qemu run
#                   krgdemo across the three (docs/image.md)
# Image variables: PROFILE=console|desktop KERNEL=debian KERRIGHED_DEBS=DIR
#   EXTRA_DEBS=DIR MIRROR=URL COMPRESSION=release|fast NETBOOT_URL=URL

JOBS ?= 2
RUN_ARGS ?= mandelbrot

.PHONY: run test deps deps-test build build-run format check-format clean
.PHONY: deb image netboot image-test cluster-test

run: build-run
	./build/krgdemo run $(RUN_ARGS)

test: build check-format
	ctest --preset release --output-on-failure -j $(JOBS)

deps:
	@./cmake/install-deps.sh run

deps-test:
	@./cmake/install-deps.sh test

# Tests and microbenchmarks are AUTO in CMake (built when GoogleTest and
# Google Benchmark are installed); `build` asks for them so a missing one is
# an error, not a silently smaller build.
build-run: deps
	@cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target krgdemo

build: deps-test
	@cmake --preset release -DKRG_BUILD_TESTS=ON -DKRG_BUILD_BENCH=ON >/dev/null
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

PROFILE ?= console
COMPRESSION ?= release
NETBOOT_URL ?= http://10.0.2.2:8081
IMAGE_ENV = PROFILE='$(PROFILE)' KERNEL='$(KERNEL)' \
  KERRIGHED_DEBS='$(KERRIGHED_DEBS)' EXTRA_DEBS='$(EXTRA_DEBS)' \
  MIRROR='$(MIRROR)' COMPRESSION='$(COMPRESSION)'

deb: build
	@rm -f build/krgdemo_*_amd64.deb
	cd build && cpack -G DEB >/dev/null
	@ls build/krgdemo_*_amd64.deb

image: deb
	$(IMAGE_ENV) ./image/build-image.sh build/krgdemo_*_amd64.deb

# The tree comes from the ISO of `make image` (built first when missing).
netboot:
	@test -f build/image/krgdemo-$(PROFILE).iso || $(MAKE) image
	./image/config/includes.chroot_after_packages/usr/local/sbin/krgdemo-netboot \
	  --tree build/image/netboot --iso build/image/krgdemo-$(PROFILE).iso \
	  --url $(NETBOOT_URL)

image-test: deb
	./image/tests/image-test.sh build/krgdemo_*_amd64.deb

cluster-test: build
	./image/tests/cluster-test.sh build
