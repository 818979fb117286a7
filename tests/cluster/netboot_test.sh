#!/usr/bin/env bash
# The LiveCD's demo cluster without qemu (ctest netboot_test; the whole
# proof with booted machines is image/tests/cluster-test.sh, `make
# cluster-test`): the image's own scripts, krgdemo-netboot (the head) and
# krgdemo-node (a netbooted node), run in network namespaces of their own on
# a virtual LAN with no DHCP server:
#   - the head hands out addresses itself (10.123.0.x), generates the
#     cluster key, starts its sshd and the announce endpoint;
#   - two nodes take an address from it (busybox udhcpc), then krgdemo-node
#     fetches the key, names itself, starts sshd and announces;
#   - on the head, as the cluster's user: krgdemo info lists 3 machines,
#     mandelbrot and poisson --size test --nodes 3 verify with this
#     machine's checksums; hostile announces are refused;
#   - a node whose link goes down is dropped and named; stopping the head
#     removes the cluster file and the key.
# Nothing on this machine changes: the user the machines log in as exists
# only in a private copy of /etc/passwd (a mount namespace), /run and
# /etc/krgdemo are private tmpfs per host, every process is stopped by PID.
# Usage: netboot_test.sh KRGDEMO. Root only: exits 77 (skipped) otherwise.
set -euo pipefail

krgdemo="$(realpath "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
sbin="$here/../../image/config/includes.chroot_after_packages/usr/local/sbin"
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: network namespaces need root"
    exit 77
fi
for tool in dnsmasq busybox /usr/sbin/sshd ip unshare nsenter mpirun; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing; run 'make deps-test'" >&2; exit 1; }
done
[ -f /usr/lib/PXELINUX/lpxelinux.0 ] || { echo "FAIL: pxelinux is missing; run 'make deps-test'" >&2; exit 1; }

# Everything below runs in a mount namespace of its own.
if [ -z "${NBT_INSIDE:-}" ]; then
    NBT_INSIDE=1 exec unshare -m --propagation private "$0" "$@"
fi

tmp="$(mktemp -d)"
chmod 0755 "$tmp"
prefix="nbt$$"
pids=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    local pid ns
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for ns in head n1 n2; do ip netns del "$prefix-$ns" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
    echo "netboot_test: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

# The cluster's user, in private copies of the account files.
user=krgnbt
for f in passwd group shadow; do cp "/etc/$f" "$tmp/$f"; done
echo "$user:x:4242:4242:netboot test:$tmp/home:/bin/bash" >>"$tmp/passwd"
echo "$user:x:4242:" >>"$tmp/group"
echo "$user:*:19000:0:99999:7:::" >>"$tmp/shadow"
for f in passwd group shadow; do mount --bind "$tmp/$f" "/etc/$f"; done
mkdir -m 0755 "$tmp/home"
chown 4242:4242 "$tmp/home"

# krgdemo where every machine (and the cluster's user) finds it, as the CD
# has it at /usr/bin: this build's binary and its plug-ins.
mkdir -m 0755 "$tmp/bin"
cp "$krgdemo" "$tmp/bin/krgdemo"
[ -d "$(dirname "$krgdemo")/lib" ] && cp -r "$(dirname "$krgdemo")/lib" "$tmp/bin/lib"
chmod -R a+rX "$tmp/bin"
krgdemo="$tmp/bin/krgdemo"

# A live folder as the CD has it (the nodes boot nothing here).
mkdir "$tmp/live"
echo kernel >"$tmp/live/vmlinuz-test"
echo initrd >"$tmp/live/initrd.img-test"
head -c 65536 /dev/zero >"$tmp/live/filesystem.squashfs"

# The LAN: a bridge in the head's namespace, a veth to each node's.
ip netns add "$prefix-head"
ip -n "$prefix-head" link set lo up
ip -n "$prefix-head" link add br0 type bridge
ip -n "$prefix-head" link set br0 up
for n in 1 2; do
    ip netns add "$prefix-n$n"
    ip -n "$prefix-n$n" link set lo up
    ip link add "p$n" netns "$prefix-head" type veth peer name eth0 netns "$prefix-n$n"
    ip -n "$prefix-head" link set "p$n" master br0 up
    ip -n "$prefix-n$n" link set eth0 up
done

# Each host: its own /run (noexec, as on the live system), hostname,
# /etc/krgdemo (the head) and /proc/cmdline and /etc/hosts (the nodes).
cat >"$tmp/head.sh" <<EOF
#!/bin/bash
mount -t tmpfs -o mode=0755,noexec,nosuid,nodev tmpfs /run
mkdir -p /etc/krgdemo
mount -t tmpfs -o mode=0755 tmpfs /etc/krgdemo
hostname nbt-head
exec "$sbin/krgdemo-netboot" --from "$tmp/live" --interface br0 --user $user
EOF
cat >"$tmp/node.sh" <<EOF
#!/bin/bash
mount -t tmpfs -o mode=0755,noexec,nosuid,nodev tmpfs /run
echo "boot=live components username=$user krgdemo.head=10.123.0.1:8081" >"$tmp/cmdline"
mount --bind "$tmp/cmdline" /proc/cmdline
cp /etc/hosts "$tmp/hosts.\$\$"
mount --bind "$tmp/hosts.\$\$" /etc/hosts
exec "$sbin/krgdemo-node"
EOF
cat >"$tmp/udhcpc.sh" <<'EOF'
#!/bin/sh
[ "$1" = bound ] && ip addr add "$ip/${mask:-24}" dev "$interface"
exit 0
EOF
chmod 0755 "$tmp"/*.sh

ip netns exec "$prefix-head" unshare -m -u --propagation private "$tmp/head.sh" >"$tmp/head.log" 2>&1 &
head_pid=$!
pids+=("$head_pid")
for _ in $(seq 40); do
    grep -q "serving on" "$tmp/head.log" && break
    sleep 0.5
done
if grep -q "serving on br0 (10.123.0.1): DHCP server for 10.123.0.100-199" "$tmp/head.log"; then
    pass "the head hands out addresses itself on a LAN without a DHCP server"
else
    fail "the head does not serve: $(cat "$tmp/head.log")"
    finish
fi
# ip netns exec, unshare and head.sh each exec the next: this pid is the
# head's krgdemo-netboot, inside the head's namespaces.
head_ns_pid=$head_pid
in_head() { nsenter -t "$head_ns_pid" -m -n -u "$@"; }

for n in 1 2; do
    ip netns exec "$prefix-n$n" busybox udhcpc -i eth0 -n -q -t 5 -T 1 -s "$tmp/udhcpc.sh" >/dev/null 2>&1 ||
        { fail "node $n got no address from the head's DHCP server"; finish; }
    ip netns exec "$prefix-n$n" unshare -m -u --propagation private "$tmp/node.sh" >"$tmp/node$n.log" 2>&1 &
    pids+=("$!")
done
joined=""
for _ in $(seq 60); do
    if [ "$(in_head grep -vc '^#' /etc/krgdemo/cluster 2>/dev/null)" = 3 ]; then
        joined=1
        break
    fi
    sleep 0.5
done
if [ -n "$joined" ]; then
    pass "two nodes took addresses from the head, announced themselves and joined: $(grep -c joined "$tmp/head.log") joins"
else
    fail "the nodes did not join: $(cat "$tmp/head.log" "$tmp/node1.log")"
    finish
fi

as_user() { in_head setpriv --reuid=4242 --regid=4242 --init-groups env HOME="$tmp/home" "$@"; }
out="$(cd "$tmp" && as_user "$krgdemo" info 2>&1)" && rc=0 || rc=$?
if [ "$rc" = 0 ] && [ "$(grep -c 'reachable' <<<"$out")" = 3 ]; then
    pass "krgdemo info on the head lists the 3 machines, reachable with the cluster key (no step from the user)"
else
    fail "krgdemo info (exit $rc): $out"
fi

checksum() { sed -n 's/^ *checksum *\(fnv1a64:[0-9a-f]\{16\}\).*/\1/p' <<<"$1" | head -n 1; }
for demo in mandelbrot poisson; do
    want="$(checksum "$("$krgdemo" run "$demo" --size test --repeat 1 --out "$tmp/one-$demo" 2>&1)")"
    out="$(cd "$tmp/home" && as_user "$krgdemo" run "$demo" --size test --nodes 3 --repeat 1 --out "$tmp/home/$demo" 2>&1)" && rc=0 || rc=$?
    got="$(checksum "$out")"
    if [ "$rc" = 0 ] && [ -n "$want" ] && [ "$got" = "$want" ] && grep -q "krgdemo-10-123-0-" <<<"$out"; then
        pass "$demo --nodes 3 ran on the head and both nodes and verified, checksum $got as on one machine"
    else
        fail "$demo --nodes 3 (exit $rc, checksum '$got', want '$want'): $out"
    fi
done

# Hostile announces: refused, and nothing of them reaches the cluster file.
bad=0
# shellcheck disable=SC2016  # the $( ) is the attack, sent as it is
for q in 'cpus=2&mem=100&key=$(reboot)' 'cpus=0&mem=1&key=AAAAC3NzaC1lZDI1NTE5AAAAIKzwxTcCUCQN0iHsyqbiNyO1b3iXi2s4E3dZVy0i3Is6' \
    'cpus=2&mem=1&key=AAAAC3NzaC1lZDI1NTE5AAAAIKzwxTcCUCQN0iHsyqbiNyO1b3iXi2s4E3dZVy0i3Is6%0Aevil' '../../etc/passwd'; do
    code="$(ip netns exec "$prefix-n1" timeout 10 busybox wget -q -O /dev/null "http://10.123.0.1:8081/cgi-bin/announce?$q" 2>&1 || true)"
    grep -q "400\|404" <<<"$code" && bad=$((bad + 1))
done
if [ "$bad" = 4 ] && ! in_head grep -q "evil\|reboot" /etc/krgdemo/cluster; then
    pass "the announce endpoint refuses 4 malformed announces"
else
    fail "malformed announces: $bad of 4 refused"
fi

# The boot menu the head serves: a node's live system keeps its one
# address (nodhcp: no second DHCP client, which added a second address and
# left Open MPI runs hanging under qemu) and finds its head.
menu="$(ip netns exec "$prefix-n1" timeout 10 busybox wget -q -O - "http://10.123.0.1:8081/pxelinux.cfg/default" 2>&1 || true)"
if grep -q "^  APPEND boot=live .* nodhcp .*krgdemo.head=10.123.0.1:8081" <<<"$menu"; then
    pass "the nodes' boot menu keeps one address per node (nodhcp) and names the head"
else
    fail "the nodes' boot menu: $menu"
fi

# A node whose interface gains a second address leaves the cluster (Open
# MPI cannot use it) and says why; it joins again once the address is gone.
first="$(ip -n "$prefix-n1" -4 -o addr show eth0 | awk '{ print $4 }')"
first="${first%/*}"
ip -n "$prefix-n1" addr add 10.123.0.250/24 dev eth0
left=""
for _ in $(seq 60); do
    if grep -q "node $first left" "$tmp/head.log" && grep -q "several IPv4 addresses" "$tmp/node1.log"; then
        left=1
        break
    fi
    sleep 0.5
done
ip -n "$prefix-n1" addr del 10.123.0.250/24 dev eth0
back=""
for _ in $(seq 40); do
    if [ "$(grep -c "node $first joined" "$tmp/head.log")" = 2 ] &&
        [ "$(in_head grep -vc '^#' /etc/krgdemo/cluster)" = 3 ]; then
        back=1
        break
    fi
    sleep 0.5
done
if [ -n "$left" ] && [ -n "$back" ]; then
    pass "a node with two addresses leaves the cluster and says why, and joins again with one: $(grep -o "error: eth0 has several.*" "$tmp/node1.log" | head -n 1)"
else
    fail "a node with two addresses (left: ${left:-no}, back: ${back:-no}): $(tail -n 3 "$tmp/head.log" "$tmp/node1.log")"
fi

# Node 2 vanishes (its link goes down: no goodbye, no TCP reset).
gone="$(ip -n "$prefix-n2" -4 -o addr show eth0 | awk '{ print $4 }')"
gone="${gone%/*}"
ip -n "$prefix-head" link set p2 down
dropped=""
for _ in $(seq 60); do
    if grep -q "node $gone left" "$tmp/head.log" && [ "$(in_head grep -vc '^#' /etc/krgdemo/cluster)" = 2 ]; then
        dropped=1
        break
    fi
    sleep 0.5
done
if [ -n "$dropped" ]; then
    pass "a node that vanished was dropped and named: $(grep -o "node $gone left.*" "$tmp/head.log")"
else
    fail "the vanished node $gone was not dropped within 30 s: $(tail -n 3 "$tmp/head.log")"
fi

kill -TERM "$head_ns_pid"
wait "$head_pid" 2>/dev/null || true
if grep -q "stopped; the cluster file and the cluster key are gone" "$tmp/head.log"; then
    pass "stopping the head removes the cluster file, its ssh config and the key"
else
    fail "the head did not stop cleanly: $(tail -n 3 "$tmp/head.log")"
fi
finish
