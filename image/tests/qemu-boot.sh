#!/usr/bin/env bash
# Boots a krgdemo image under qemu (software CPU: -accel tcg, never KVM) and
# waits for the selftest's closing line on the serial console; then checks
# that the machine powers itself off. qemu is always stopped by its PID.
#
# Usage: qemu-boot.sh MODE TARGET [TIMEOUT_S]
#   MODE bios-cd | uefi-cd | bios-disk   TARGET is the ISO
#   MODE pxe                            TARGET is a netboot tree (TFTP root)
# The image must boot with "krgdemo.selftest=1 console=ttyS0" by default
# (BOOT_APPEND=... at build time, or the netboot tree's --append).
# Prints "MODE: selftest line after N s" and exits 0, or says why not and
# exits 1. With BOOT_LOG_DIR=DIR, the serial console's log is kept as
# DIR/MODE.serial.log (with the boot's timings, docs/image.md).
set -euo pipefail

mode="$1" target="$(realpath "$2")" limit="${3:-300}"
tmp="$(mktemp -d)"
qemu_pid=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
    fi
    if [ -n "${BOOT_LOG_DIR:-}" ] && [ -f "$log" ]; then
        mkdir -p "$BOOT_LOG_DIR"
        tr -d '\r' <"$log" >"$BOOT_LOG_DIR/$mode.serial.log" || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
log="$tmp/serial.log"

# -cpu Nehalem: a plain x86-64-v2 PC without AVX, so the portable binary's
# baseline paths run. Not qemu's default qemu64: on that made-up model
# Debian's OpenBLAS 0.3.21 picks its "Opteron" kernels, which die with SIGILL
# (a VEX vmovsd) in linsolve; Nehalem, SandyBridge, Haswell and max do not.
args=(-accel tcg -cpu Nehalem -m 2048 -smp 2 -display none -monitor none
    -serial "file:$log" -no-reboot)
case "$mode" in
    bios-cd) args+=(-nic none -drive "file=$target,media=cdrom,readonly=on" -boot d) ;;
    uefi-cd)
        cp /usr/share/OVMF/OVMF_VARS_4M.fd "$tmp/vars.fd"
        args+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"
            -drive "if=pflash,format=raw,unit=1,file=$tmp/vars.fd"
            -nic none -drive "file=$target,media=cdrom,readonly=on" -boot d)
        ;;
    bios-disk) args+=(-nic none -drive "file=$target,format=raw,if=ide,snapshot=on" -boot c) ;;
    pxe)
        args+=(-netdev "user,id=n0,tftp=$target,bootfile=pxelinux.0"
            -device "e1000,netdev=n0" -boot n)
        ;;
    *)
        echo "usage: $0 bios-cd|uefi-cd|bios-disk|pxe TARGET [TIMEOUT_S]" >&2
        exit 2
        ;;
esac

start=$SECONDS
qemu-system-x86_64 "${args[@]}" >"$tmp/qemu.out" 2>&1 &
qemu_pid=$!
result=""
while [ $((SECONDS - start)) -lt "$limit" ]; do
    if grep -aqE 'krgdemo selftest: [0-9]+ passed, 0 failed' "$log" 2>/dev/null; then
        result=pass
        break
    fi
    if grep -aqE 'krgdemo selftest: [0-9]+ passed, [1-9][0-9]* failed' "$log" 2>/dev/null; then
        result=failed
        break
    fi
    if ! kill -0 "$qemu_pid" 2>/dev/null; then
        result=exited
        break
    fi
    sleep 1
done
took=$((SECONDS - start))

if [ "$result" = pass ]; then
    # The image powers off after the line: qemu then exits by itself.
    for _ in $(seq 60); do
        kill -0 "$qemu_pid" 2>/dev/null || break
        sleep 1
    done
    if kill -0 "$qemu_pid" 2>/dev/null; then
        echo "$mode: selftest passed after $took s but the machine did not power off" >&2
        tail -n 20 "$log" | tr -d '\r' >&2
        exit 1
    fi
    grep -a 'krgdemo selftest: ' "$log" | tr -d '\r' | tail -n 1
    # The guest's own account: when the selftest started, how long it took,
    # and systemd-analyze time (krgdemo-boot-selftest prints them).
    grep -aE '^krgdemo: (running|selftest took|boot: Startup)' "$log" | tr -d '\r' | sed "s/^/$mode: /"
    echo "$mode: selftest line after $took s, powered off after $((SECONDS - start)) s"
    exit 0
fi
echo "$mode: no passing selftest line ($result after $took s, limit $limit s); serial console tail:" >&2
tail -n 40 "$log" 2>/dev/null | tr -d '\r' >&2 || true
cat "$tmp/qemu.out" >&2
exit 1
