#!/usr/bin/env bash
# The full boot test of the image (`make image-test`; run it whenever image/
# changes): the console ISO with the release compression, booted under qemu
# (TCG) as a BIOS CD, a UEFI CD (OVMF), a BIOS disk (the hybrid ISO written to
# a USB stick), and over PXE from the netboot tree (pxelinux over TFTP, the
# squashfs over HTTP from 127.0.0.1), each to the selftest's closing line;
# then the cluster test (cluster-test.sh) on the same ISO.
# Usage: image-test.sh KRGDEMO_DEB. Needs root (live-build).
# The ISO and the netboot tree go to build/image/test/, the serial logs of
# the four boots to build/image/test/logs/; live-build works in
# build/image/lb-console/, so it shares `make image`'s package cache.
set -euo pipefail

deb="$(realpath "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/build/image/test"
export BOOT_LOG_DIR="$out/logs"
rm -rf "$BOOT_LOG_DIR"
append="krgdemo.selftest=1 console=tty0 console=ttyS0,115200n8"
tmp="$(mktemp -d)"
http_pid=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    if [ -n "$http_pid" ]; then
        kill "$http_pid" 2>/dev/null || true
        wait "$http_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

start=$SECONDS
PROFILE=console COMPRESSION=release OUT="$out" WORK="$root/build/image/lb-console" \
    BOOT_APPEND="$append" "$here/../build-image.sh" "$deb"
iso="$out/krgdemo-console.iso"
echo "image: $(($(stat -c %s "$iso") / 1048576)) MB, built in $((SECONDS - start)) s"

failed=()
for mode in bios-cd uefi-cd bios-disk; do
    "$here/qemu-boot.sh" "$mode" "$iso" 300 || failed+=("$mode")
done

# PXE: the guest reaches the host's 127.0.0.1 as 10.0.2.2 (qemu user net).
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$BOOT_LOG_DIR"
netboot="$out/netboot"
"$root/image/config/includes.chroot_after_packages/usr/local/sbin/krgdemo-netboot" \
    --tree "$netboot" --iso "$iso" --url "http://10.0.2.2:$port" --append "$append"
python3 -m http.server --bind 127.0.0.1 --directory "$netboot" "$port" >"$BOOT_LOG_DIR/http.log" 2>&1 &
http_pid=$!
# One retry: a PXE boot under TCG occasionally misses the first DHCP offer.
"$here/qemu-boot.sh" pxe "$netboot" 300 || "$here/qemu-boot.sh" pxe "$netboot" 300 || failed+=(pxe)

# The cluster: this ISO as the head, two machines by PXE from it.
"$here/cluster-test.sh" "$root/build" --iso "$iso" || failed+=(cluster)

if [ "${#failed[@]}" -ne 0 ]; then
    echo "FAIL: ${failed[*]} (total $((SECONDS - start)) s)" >&2
    exit 1
fi
echo "PASS: bios-cd uefi-cd bios-disk pxe cluster (total $((SECONDS - start)) s)"
