#!/usr/bin/env bash
# The LiveCD boots (issue 10), the `make test` part: builds the test ISO of
# build folder $1 (test-iso.sh: the krgdemo .deb, the console ISO with fast
# compression and the boot parameters "krgdemo.selftest=1 console=ttyS0")
# and boots it once as a BIOS CD under qemu (TCG), waiting for "krgdemo
# selftest: N passed, 0 failed" on the serial console. live-build needs
# root: exits 77 (skipped) otherwise. The ISO stays for cluster_boot_test.
# `make image-test` is the full version.
set -euo pipefail

build="$(realpath "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: live-build needs root (run 'sudo ctest -R image_boot_test')"
    exit 77
fi
for tool in lb qemu-system-x86_64 xorriso mksquashfs; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing; run 'make deps'" >&2; exit 1; }
done

start=$SECONDS
iso="$("$here/test-iso.sh" "$build")"
built=$SECONDS
"$here/qemu-boot.sh" bios-cd "$iso" 480
echo "PASS: image built in $((built - start)) s, booted in $((SECONDS - built)) s"
