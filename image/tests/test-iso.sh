#!/usr/bin/env bash
# Builds the ISO the qemu tests boot, from the CMake build folder $1: the
# krgdemo .deb, then the console ISO with fast compression and the boot
# parameters "krgdemo.selftest=1 console=ttyS0" into $1/image-test/
# (live-build's package cache stays in $1/image-test/lb-console/cache, so a
# rebuild downloads nothing). Prints the ISO's path. Used by boot-test.sh
# (image_boot_test) and cluster-test.sh (make cluster-test). Needs root.
set -euo pipefail

build="$(realpath "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
out="$build/image-test"
deb="$("$here/make-deb.sh" "$build" "$out/deb")"
PROFILE=console COMPRESSION=fast OUT="$out" \
    BOOT_APPEND="krgdemo.selftest=1 console=tty0 console=ttyS0,115200n8" \
    "$here/../build-image.sh" "$deb" >&2
echo "$out/krgdemo-console.iso"
