#!/usr/bin/env bash
# The cluster from a CD, proven under qemu (`make cluster-test`, ctest
# cluster_boot_test): boots the test ISO (test-iso.sh) as the head, logs in
# on its serial console and starts krgdemo-netboot.service (as the menu's
# `cluster` item does); boots two more
# machines by PXE from it; then, on the head, through the serial console:
#   - krgdemo info lists the 3 machines, all reachable;
#   - krgdemo run mandelbrot --size test --nodes 3 and krgdemo run poisson
#     --size test --nodes 3 verify, with the checksums of the same runs on
#     one machine (this machine's krgdemo, the same build), and their ranks
#     ran on all 3 machines;
#   - a node that is switched off is dropped from the cluster and named.
# The machines are on a private virtual LAN: a bridge and tap devices in a
# network namespace this test creates (nothing else is on it). Everything it
# starts is stopped by PID when it ends (a trap), and it gives up after a
# wall-clock limit. Its last line: `krgdemo cluster-test: 3 machines, N
# passed, M failed`. Serial logs stay in BUILD/image-test/cluster-logs/.
#
# Usage: cluster-test.sh BUILD_DIR [--reuse-iso | --iso ISO]
#   (default)    build the test ISO (test-iso.sh) into BUILD/image-test/
#   --reuse-iso  boot BUILD/image-test/krgdemo-console.iso as it is (ctest:
#                image_boot_test built it just before)
#   --iso ISO    boot that ISO (make image-test: the release ISO)
# BUILD_DIR's krgdemo computes the single-machine checksums.
# Needs root (live-build, network namespaces): exits 77 (skipped) otherwise.
set -euo pipefail

build="$(realpath "$1")"
how="${2:-}"
here="$(cd "$(dirname "$0")" && pwd)"
limit="${CLUSTER_TEST_LIMIT:-1500}"
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: the cluster test needs root (run 'sudo make cluster-test')"
    exit 77
fi
for tool in qemu-system-x86_64 xorriso ip; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing; run 'make deps'" >&2; exit 1; }
done
[ -x "$build/krgdemo" ] || { echo "FAIL: $build/krgdemo is missing; build first" >&2; exit 1; }

start=$SECONDS
case "$how" in
    "") iso="$("$here/test-iso.sh" "$build")" ;;
    --reuse-iso)
        iso="$build/image-test/krgdemo-console.iso"
        [ -f "$iso" ] || iso="$("$here/test-iso.sh" "$build")"
        ;;
    --iso)
        iso="$(realpath "${3:?--iso needs the ISO}")"
        [ -f "$iso" ] || { echo "FAIL: $iso: no such ISO" >&2; exit 1; }
        ;;
    *) echo "usage: $0 BUILD_DIR [--reuse-iso | --iso ISO]" >&2; exit 2 ;;
esac
logs="$build/image-test/cluster-logs"
rm -rf "$logs"
mkdir -p "$logs"

tmp="$(mktemp -d)"
ns="krgct$$"
pids=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
    local name
    for name in head node1 node2; do
        [ -f "$tmp/$name.log" ] && tr -d '\r' <"$tmp/$name.log" >"$logs/$name.serial.log"
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
    echo "cluster-test took $((SECONDS - start)) s; serial logs in $logs"
    echo "krgdemo cluster-test: 3 machines, $passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit
}
give_up() {
    fail "$*"
    finish
}
left() { echo $((limit - (SECONDS - start))); }

# The single-machine answers to compare with: this build, on this machine.
checksum_of() {
    "$build/krgdemo" run "$1" --size test --out "$tmp/one-$1" 2>&1 |
        sed -n 's/^ *checksum *\(fnv1a64:[0-9a-f]\{16\}\).*/\1/p' | head -n 1
}
want_mandelbrot="$(checksum_of mandelbrot)"
want_poisson="$(checksum_of poisson)"
if [ -z "$want_mandelbrot" ] || [ -z "$want_poisson" ]; then
    give_up "no checksum from the single-machine runs on this machine"
fi

# The kernel and initrd of the ISO: the head boots them directly (the CD is
# its live medium), with its own parameters instead of the selftest's.
xorriso -osirrox on -indev "$iso" -extract /live "$tmp/live" >/dev/null 2>&1 ||
    give_up "cannot read /live from $iso"
kernel="$(compgen -G "$tmp/live/vmlinuz*" | head -n 1)"
initrd="$(compgen -G "$tmp/live/initrd*" | head -n 1)"

# The virtual LAN: a bridge and one tap per machine, in a namespace of ours.
ip netns add "$ns"
ip -n "$ns" link add br0 type bridge
ip -n "$ns" link set br0 up
for i in 0 1 2; do
    ip -n "$ns" tuntap add dev "tap$i" mode tap
    ip -n "$ns" link set "tap$i" master br0 up
done

qemu_common=(-accel tcg -cpu Nehalem -m 2048 -display none -monitor none)
# live-config's locales, tzdata and keyboard components take ~40 s of debconf
# under TCG on every machine (seconds on a real PC); nothing here needs them.
quick="live-config.nocomponents=locales,tzdata,keyboard-configuration"
# Machine $1 (0 = head) on tap$1; the rest of the arguments are qemu's.
start_machine() {
    local i=$1
    shift
    ip netns exec "$ns" qemu-system-x86_64 "${qemu_common[@]}" \
        -netdev "tap,id=n0,ifname=tap$i,script=no,downscript=no" \
        -device "e1000,netdev=n0,mac=52:54:00:4b:52:0$i" "$@" >"$tmp/qemu$i.out" 2>&1 &
    pids+=($!)
    machine_pid[i]=$!
}
declare -a machine_pid

# The head: its serial console is a pair of FIFOs (qemu's pipe chardev).
mkfifo "$tmp/head.in" "$tmp/head.out"
start_machine 0 -smp 2 -no-reboot -kernel "$kernel" -initrd "$initrd" \
    -append "boot=live components quiet hostname=krgdemo-head username=user $quick console=ttyS0,115200n8" \
    -drive "file=$iso,media=cdrom,readonly=on" \
    -chardev "pipe,id=s0,path=$tmp/head" -serial chardev:s0
cat "$tmp/head.out" >"$tmp/head.log" &
pids+=($!)
exec 7>"$tmp/head.in"

# Waits until the head's console shows the extended regex $1 (after byte
# offset $3 of its log), for at most $2 seconds.
wait_for() {
    local pattern=$1 timeout=$2 from=${3:-0} t0=$SECONDS
    while [ $((SECONDS - t0)) -lt "$timeout" ] && [ "$(left)" -gt 0 ]; do
        tail -c +"$((from + 1))" "$tmp/head.log" | tr -d '\r' | grep -aqE "$pattern" && return 0
        kill -0 "${machine_pid[0]}" 2>/dev/null || return 1
        sleep 1
    done
    return 1
}
type_line() { printf '%s\r' "$1" >&7; }

# Runs a command on the head; $out is what it printed, $rc its exit status.
n_cmd=0
on_head() {
    local cmd=$1 timeout=$2 from
    n_cmd=$((n_cmd + 1))
    from="$(stat -c %s "$tmp/head.log")"
    type_line "$cmd; echo \"@@END$n_cmd rc=\$?@@\""
    if ! wait_for "@@END$n_cmd rc=[0-9]+@@" "$timeout" "$from"; then
        out="$(tail -c +"$((from + 1))" "$tmp/head.log" | tr -d '\r')"
        rc=timeout
        return 1
    fi
    out="$(tail -c +"$((from + 1))" "$tmp/head.log" | tr -d '\r')"
    rc="$(grep -aoE "@@END$n_cmd rc=[0-9]+@@" <<<"$out" | tail -n 1 | sed 's/.*rc=\([0-9]*\)@@/\1/')"
    out="$(sed "/@@END$n_cmd rc=[0-9]*@@/,\$d" <<<"$out")"
}

wait_for 'login:' 600 || give_up "the head did not reach its login prompt"
echo "head: login prompt after $((SECONDS - start)) s"
type_line user
wait_for 'Password:' 30 || give_up "no password prompt on the head"
type_line live
wait_for '\$ $' 60 || give_up "no shell prompt on the head after logging in"
# No colours, no progress bars, no pager; a failing krgdemo fails the pipe.
on_head "export TERM=dumb NO_COLOR=1 SYSTEMD_PAGER=; set -o pipefail; stty cols 200" 30 ||
    give_up "the head's shell does not answer"

# The head serves as the menu's "cluster" item has it do: it starts
# krgdemo-netboot.service and shows `krgdemo-netboot --status`. A runtime
# drop-in adds the nodes' boot parameters of this test (serial console, no
# live-config locales), the one thing the menu does not do.
dropin=/run/systemd/system/krgdemo-netboot.service.d
on_head "sudo mkdir -p $dropin && printf '%s\n' '[Service]' 'ExecStart=' 'ExecStart=/usr/local/sbin/krgdemo-netboot --append \"$quick console=ttyS0,115200n8\"' | sudo tee $dropin/test.conf >/dev/null && sudo systemctl daemon-reload && sudo systemctl start krgdemo-netboot.service; sleep 20; /usr/local/sbin/krgdemo-netboot --status" 90
if grep -q "serving on .*DHCP server for 10.123.0.100-199" <<<"$out"; then
    pass "the head serves the CD on a LAN without DHCP (its own DHCP server, 10.123.0.1)"
else
    give_up "krgdemo-netboot did not start serving: $out"
fi

# Two nodes boot from the network (PXE: DHCP and TFTP from the head's
# dnsmasq, the kernel, the initrd and the root filesystem over HTTP into
# RAM). One CPU each: the three machines share this machine's two. A node
# whose netboot fails reboots and tries again, as a PC does (no -no-reboot):
# under TCG one node in four runs once stopped after pxelinux had its
# config, before its kernel printed a line (the head's dnsmasq log: DHCP
# and TFTP done), and qemu -no-reboot ended it.
for i in 1 2; do
    start_machine "$i" -smp 1 -boot n -serial "file:$tmp/node$i.log"
done
echo "nodes: booting by PXE from the head"
joined=""
for _ in $(seq 120); do
    [ "$(left)" -gt 60 ] || break
    on_head "grep -vc '^#' /etc/krgdemo/cluster" 30 || break
    if grep -qx 3 <<<"$out"; then
        joined=1
        break
    fi
    sleep 5
done
[ -n "$joined" ] || give_up "the two nodes did not join within the limit (the head's cluster file: $out)"
pass "two nodes booted from the head and joined: the cluster file lists 3 machines ($((SECONDS - start)) s)"

# Three tries: krgdemo's ssh gives a machine 5 s for its banner, which a
# machine emulated on a loaded host can miss.
for _ in 1 2 3; do
    on_head "krgdemo info" 120
    [ "$rc" = 0 ] && break
    sleep 10
done
if [ "$rc" = 0 ] && [ "$(grep -cE '10\.123\.0\.[0-9]+' <<<"$out")" -ge 3 ]; then
    pass "krgdemo info lists the 3 machines, all reachable"
else
    fail "krgdemo info (exit $rc): $out"
fi

# What the head's menu shows (krgdemo-netboot --status) and what a node's
# screen says (krgdemo-node --screen reads its status file).
on_head "/usr/local/sbin/krgdemo-netboot --status; for a in \$(awk '/^10\\./ && NR > 3 { print \$1 }' /etc/krgdemo/cluster); do ssh -F /etc/krgdemo/ssh_config \$a cat /run/krgdemo-node/status; done" 120
if grep -q "cluster: 3 machines" <<<"$out" && [ "$(grep -c "state: *in the cluster" <<<"$out")" = 2 ] &&
    [ "$(grep -cE "this node: machine [23] of 3, 10\.123\.0\." <<<"$out")" = 2 ]; then
    pass "the head's status lists 3 machines; each node's screen says which machine of 3 it is"
else
    fail "status of the head and the nodes: $out"
fi

check_run() {
    local demo=$1 want=$2 got machines
    # The run as a person types it (its default passes). Under TCG a pass
    # of poisson's 190 CG iterations takes ~10 s; the whole run ~1 minute.
    on_head "cd /tmp && krgdemo run $demo --size test --nodes 3 2>&1 | cat" 600
    got="$(sed -n 's/^ *checksum *\(fnv1a64:[0-9a-f]\{16\}\).*/\1/p' <<<"$out" | head -n 1)"
    # Where the ranks ran: "machines  krgdemo-head: 2 ranks and the master,
    # krgdemo-10-123-0-128: 1 rank, krgdemo-10-123-0-129: 1 rank".
    machines="$(grep -m 1 '^ *machines ' <<<"$out")"
    if [ "$rc" = 0 ] && [ "$got" = "$want" ] && grep -q "krgdemo-head: " <<<"$machines" &&
        [ "$(grep -oE 'krgdemo-10-123-0-[0-9]+: [0-9]+ rank' <<<"$machines" | sort -u | wc -l)" = 2 ]; then
        pass "krgdemo run $demo --size test --nodes 3 on 3 machines: verified, checksum $got as on one machine"
    else
        fail "krgdemo run $demo --nodes 3 (exit $rc, checksum '$got', one machine: '$want'): $out"
    fi
}
check_run mandelbrot "$want_mandelbrot"
check_run poisson "$want_poisson"

# A node switched off (its qemu ends: no shutdown, no goodbye) is dropped.
kill "${machine_pid[2]}"
dropped=""
for _ in $(seq 12); do
    sleep 5
    on_head "grep -vc '^#' /etc/krgdemo/cluster; sudo journalctl -u krgdemo-netboot.service -o cat | grep left" 30 || break
    if grep -qx 2 <<<"$out" && grep -q "node 10.123.0.[0-9]* left" <<<"$out"; then
        dropped=1
        break
    fi
done
if [ -n "$dropped" ]; then
    pass "a node switched off was dropped from the cluster and named: $(grep -o 'node 10.123.0.[0-9]* left[^:]*' <<<"$out" | head -n 1)"
else
    fail "the switched-off node was not dropped within 60 s: $out"
fi
# The menu's "s" (stop serving).
on_head "sudo systemctl stop krgdemo-netboot.service; ls /etc/krgdemo/ /run/krgdemo-cluster 2>&1" 60
if ! grep -qE '^(cluster|ssh_config)$' <<<"$out" && grep -q "No such file" <<<"$out"; then
    pass "stopping krgdemo-netboot.service removes the cluster file, its ssh config and the cluster key"
else
    fail "after krgdemo-netboot stopped: $out"
fi
finish
