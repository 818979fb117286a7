#!/usr/bin/env bash
# The cluster platform across separate network hosts (testbed.sh): 3 hosts,
# each with its own sshd, /proc view and hostname, and krgdemo run from a
# 'head' namespace with a cluster file listing them. Checks: `info` lists
# the 3 machines; mandelbrot, imgpipe and poisson on the 3 hosts give the
# checksums of the threads engine on this machine (poisson: the same
# iteration count too) and run.json records where the ranks ran; a
# hand-written --hostfile run records it too; an unreachable machine and a
# refused key are named in one line before anything runs (exit 1); killing
# one host's processes mid-run ends the run within seconds naming it, with
# nothing left running on any host (ps in each host's PID namespace); so
# does taking one host's link down mid-run (a machine that vanishes: no
# reset, no ICMP), nothing left on the other hosts. And: info exits 1 with
# an unreachable machine; run.json records each machine's own load;
# selftest, bench (a suite mapped to mpi) and scale run on the cluster;
# the dashboard's /api/state lists the machines by address.
# Usage: cluster_test.sh KRGDEMO_BINARY   (as root; ctest runs it)
set -euo pipefail

krgdemo=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
# shellcheck source=/dev/null  # testbed.sh is checked on its own
source "$here/testbed.sh"
trap testbed_down EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# A field of a JSON file: python3 expression on `j`.
json() {
    /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

# krgdemo in the head namespace, on the test bed's cluster.
on_head() {
    ip netns exec "$TB_HEAD" env KRGDEMO_CLUSTER="$TB_CLUSTER" \
        KRGDEMO_SSH_CONFIG="$TB_SSH_CONFIG" "$@"
}

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: network namespaces need root"
    exit 77
fi
testbed_up 3
out="$TB_DIR/out"
mkdir "$out"

echo "== info lists the 3 machines, reachable"
on_head "$krgdemo" info --json >"$out/info.json"
[ "$(json "$out/info.json" "j['platform']")" = cluster ] || fail "platform"
[ "$(json "$out/info.json" "len(j['nodes'])")" = 3 ] || fail "3 machines"
[ "$(json "$out/info.json" "all(n['reachable'] for n in j['nodes'])")" = True ] ||
    fail "every machine reachable: $(cat "$out/info.json")"
on_head "$krgdemo" info | grep -c "reachable" | grep -qx 3 || fail "info text"
# Each machine's own sample: the CPUs its kernel counts, its load average.
[ "$(json "$out/info.json" "all(n['machine_cpus'] >= 1 and n['loadavg_1m'] >= 0 for n in j['nodes'])")" = True ] ||
    fail "per-machine sample: $(cat "$out/info.json")"

echo "== mandelbrot, imgpipe, poisson on 3 hosts = threads on this machine"
for demo in mandelbrot imgpipe poisson; do
    env -u KRGDEMO_CLUSTER "$krgdemo" run "$demo" --size test --repeat 1 \
        --engine threads --out "$out/$demo-threads" >/dev/null
    on_head "$krgdemo" run "$demo" --size test --repeat 1 --nodes 3 \
        --out "$out/$demo-cluster" >"$out/$demo-cluster.txt"
    a=$(json "$out/$demo-threads/run.json" "j['runs'][0]['checksum']")
    b=$(json "$out/$demo-cluster/run.json" "j['runs'][0]['checksum']")
    [ "$a" = "$b" ] || fail "$demo checksum: threads $a, cluster $b"
    [ "$(json "$out/$demo-cluster/run.json" "j['runs'][0]['engine']")" = mpi ] ||
        fail "$demo: the cluster's default engine is mpi"
    hosts=$(json "$out/$demo-cluster/run.json" \
        "sorted((m['host'], m['ranks']) for m in j['runs'][0]['machines'] if m['ranks'])")
    [ "$hosts" = "[('h1', 1), ('h2', 1), ('h3', 1)]" ] ||
        fail "$demo ranks per machine: $hosts"
    grep -q "machines .*h1: 1 rank" "$out/$demo-cluster.txt" ||
        fail "$demo summary: $(cat "$out/$demo-cluster.txt")"
done
it() {
    json "$1/run.json" "j['metrics']['iterations']['value']"
}
# The busy-machine check read each machine's own load and CPUs.
[ "$(json "$out/mandelbrot-cluster/run.json" \
    "sorted(m['address'] for m in j['load']['machines'] if m['cpus'] >= 1)")" = \
    "['$TB_SUBNET.11', '$TB_SUBNET.12', '$TB_SUBNET.13']" ] ||
    fail "run.json load per machine: $(json "$out/mandelbrot-cluster/run.json" "j.get('load')")"
[ "$(it "$out/poisson-threads")" = "$(it "$out/poisson-cluster")" ] ||
    fail "poisson iterations differ"

echo "== a hand-written --hostfile run records its machines too"
printf 'localhost slots=1\n%s slots=2\n' "${TB_HOSTS[1]}" >"$TB_DIR/hostfile"
on_head "$krgdemo" run mandelbrot --size test --repeat 1 --nodes 2 \
    --engine mpi --hostfile "$TB_DIR/hostfile" --out "$out/hostfile" >/dev/null
hosts=$(json "$out/hostfile/run.json" \
    "[(m['host'], m['ranks']) for m in j['runs'][0]['machines'] if m['ranks']]")
[ "$hosts" = "[('h2', 2)]" ] || fail "hostfile ranks: $hosts"

echo "== selftest, bench and scale on the cluster use mpi across the machines"
# Every demo with an mpi row (about 1.7 s each here), the server farm,
# which would run on this machine, skipped.
on_head "$krgdemo" selftest >"$out/selftest.txt" 2>&1 ||
    fail "selftest: $(cat "$out/selftest.txt")"
grep -q "selftest on cluster: mpi engine, 3 nodes" "$out/selftest.txt" ||
    fail "selftest header: $(cat "$out/selftest.txt")"
for demo in mandelbrot poisson imgpipe; do
    grep -q "ok    $demo" "$out/selftest.txt" ||
        fail "selftest $demo: $(cat "$out/selftest.txt")"
done
grep -q "skip  webfarm" "$out/selftest.txt" || fail "selftest webfarm skipped"
grep -Eq "krgdemo selftest: [1-9][0-9]* passed, 0 failed, 1 skipped" \
    "$out/selftest.txt" || fail "selftest summary: $(cat "$out/selftest.txt")"
cat >"$TB_DIR/suite.json" <<'SUITE'
{"schema": "krgdemo.suite/1", "description": "cluster test", "rounds": 1,
 "repeat": {"warmups": 0, "min_samples": 1, "max_samples": 1},
 "runs": [
  {"demo": "mandelbrot", "size": "test", "engine": "threads", "nodes": [1]},
  {"demo": "mandelbrot", "size": "test", "engine": "procs", "nodes": [1, 2, 4]}]}
SUITE
ip netns exec "$TB_HEAD" env KRGDEMO_SSH_CONFIG="$TB_SSH_CONFIG" \
    "$krgdemo" bench --cluster "$TB_CLUSTER" --suite "$TB_DIR/suite.json" \
    --label c --out "$out/bench.json" >"$out/bench.txt" 2>"$out/bench.err" ||
    fail "bench: $(cat "$out/bench.txt" "$out/bench.err")"
runs=$(json "$out/bench.json" \
    "sorted((r['engine'], r['nodes'], r['verified']) for r in j['runs'])")
[ "$runs" = "[('mpi', 1, True), ('mpi', 2, True)]" ] ||
    fail "bench runs on the cluster: $runs"
grep -q "x4: dropped (the cluster has 3 machines)" "$out/bench.err" ||
    fail "bench says what it dropped: $(cat "$out/bench.err")"
on_head "$krgdemo" scale mandelbrot --size test --nodes 1,3 --repeat 1 \
    --out "$out/scale" >/dev/null 2>"$out/scale.err" ||
    fail "scale: $(cat "$out/scale.err")"
[ "$(json "$out/scale/run.json" "sorted((r['engine'], r['nodes']) for r in j['runs'])")" = \
    "[('mpi', 1), ('mpi', 3)]" ] || fail "scale on the cluster: $(cat "$out/scale/run.json")"

echo "== the dashboard shows one bar per machine, by address"
on_head "$krgdemo" dashboard --port 0 --exit-after 60 >"$out/dash.txt" 2>&1 &
dash=$!
url=
for _ in $(seq 1 100); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out/dash.txt" || true)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || fail "the dashboard did not start: $(cat "$out/dash.txt")"
for api in state catalog; do
    ip netns exec "$TB_HEAD" /usr/bin/python3 -c \
        "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())" \
        "$url/api/$api" >"$out/$api.json"
done
kill "$dash"
wait "$dash" || true
[ "$(json "$out/state.json" "[(n['address'], n['reachable']) for n in j['nodes']]")" = \
    "[('$TB_SUBNET.11', True), ('$TB_SUBNET.12', True), ('$TB_SUBNET.13', True)]" ] ||
    fail "dashboard machines: $(cat "$out/state.json")"
# The page's run form offers the one engine a cluster runs.
[ "$(json "$out/catalog.json" "j['engines']")" = "['mpi']" ] ||
    fail "dashboard engines: $(cat "$out/catalog.json")"

echo "== an unreachable machine is named before anything runs"
cp "$TB_CLUSTER" "$TB_DIR/cluster4"
echo "$TB_SUBNET.99 1 512M" >>"$TB_DIR/cluster4"
set +e
ip netns exec "$TB_HEAD" env KRGDEMO_SSH_CONFIG="$TB_SSH_CONFIG" \
    "$krgdemo" info --cluster "$TB_DIR/cluster4" >"$out/info4.txt" 2>&1
code=$?
set -e
[ "$code" = 1 ] || fail "info with an unreachable machine: exit $code"
grep -q "$TB_SUBNET.99 .*UNREACHABLE" "$out/info4.txt" ||
    fail "info names the unreachable machine: $(cat "$out/info4.txt")"
[ "$(grep -c ", reachable" "$out/info4.txt")" = 3 ] ||
    fail "info lists the others: $(cat "$out/info4.txt")"
set +e
ip netns exec "$TB_HEAD" env KRGDEMO_SSH_CONFIG="$TB_SSH_CONFIG" \
    "$krgdemo" run mandelbrot --size test --nodes 4 --cluster "$TB_DIR/cluster4" \
    --out "$out/missing" >/dev/null 2>"$out/missing.err"
code=$?
set -e
[ "$code" = 1 ] || fail "unreachable: exit $code"
# One line, besides a busy-machine warning (that one depends on what else
# this machine runs, not on the cluster).
[ "$(grep -vc 'krgdemo: warning: .*busy' "$out/missing.err")" = 1 ] ||
    fail "one line: $(cat "$out/missing.err")"
grep -q "$TB_SUBNET.99 is unreachable" "$out/missing.err" ||
    fail "names the machine: $(cat "$out/missing.err")"
[ ! -e "$out/missing/run.json" ] || fail "nothing ran"

echo "== a key the machines refuse: the message says what to fix"
ssh-keygen -q -t ed25519 -N '' -f "$TB_DIR/other"
sed "s|IdentityFile .*|IdentityFile $TB_DIR/other|" "$TB_SSH_CONFIG" \
    >"$TB_DIR/ssh_other"
set +e
ip netns exec "$TB_HEAD" env KRGDEMO_CLUSTER="$TB_CLUSTER" \
    KRGDEMO_SSH_CONFIG="$TB_DIR/ssh_other" "$krgdemo" run mandelbrot \
    --size test --nodes 1 --out "$out/refused" >/dev/null 2>"$out/refused.err"
code=$?
set -e
[ "$code" = 1 ] || fail "refused key: exit $code"
grep -q "authorized_keys" "$out/refused.err" ||
    fail "says what to fix: $(cat "$out/refused.err")"

# A long mandelbrot run on the 3 hosts, in the background ($run), once
# its ranks run on host $2; output in $out/$1.err.
start_long_run() {
    on_head "$krgdemo" run mandelbrot --size medium --repeat 50 --nodes 3 \
        --out "$out/$1" >/dev/null 2>"$out/$1.err" &
    run=$!
    for _ in $(seq 1 600); do
        testbed_ps "$2" | grep -q krgdemo && break
        sleep 0.1
    done
    testbed_ps "$2" | grep -q krgdemo || fail "the run never reached h$2"
}

# Waits (60 s at most) for $run to end; its exit in $code.
wait_run() {
    set +e
    timeout 60 tail --pid="$run" -f /dev/null
    wait "$run"
    code=$?
    set -e
}

# $1.err holds one error line, naming the machine ($2: a grep pattern).
one_line_naming() {
    grep -q "error: .*$2" "$out/$1.err" ||
        fail "names the machine: $(cat "$out/$1.err")"
    [ "$(grep -c "error" "$out/$1.err")" = 1 ] ||
        fail "one line: $(cat "$out/$1.err")"
}

# Nothing of the run is left on hosts "$@".
no_leftovers() {
    local i
    for i in "$@"; do
        # mpirun's daemons need a moment to see it and stop their ranks.
        for _ in $(seq 1 100); do
            testbed_ps "$i" | grep -qE "krgdemo|orted" || break
            sleep 0.1
        done
        ! testbed_ps "$i" | grep -E "krgdemo|orted" ||
            fail "left running on h$i"
    done
}

echo "== one host's processes killed mid-run: one line, no leftovers"
start_long_run killed 3
killed_at=$(date +%s)
# kill -1 inside the host's PID namespace: every process but its init
# (sshd) and the caller; the other hosts keep running.
nsenter -t "$(tb_host_init 3)" -p -m kill -KILL -1 || true
wait_run
took=$(($(date +%s) - killed_at))
[ "$code" = 1 ] || fail "killed host: exit $code"
[ "$took" -le 30 ] || fail "the run took ${took}s to end"
one_line_naming killed "\(h3\|$TB_SUBNET.13\)"
no_leftovers 1 2 3

echo "== a machine that vanishes mid-run (its network gone): named, bounded"
start_long_run vanished 2
gone_at=$(date +%s.%N)
# h2's only link down: no RST, no ICMP, its packets just stop.
tb_in "${TB_PREFIX}-h2" ip link set eth0 down
wait_run
vanish_took=$(/usr/bin/python3 -c "import sys,time; print('%.1f' % (time.time() - float(sys.argv[1])))" "$gone_at")
[ "$code" = 1 ] || fail "vanished host: exit $code"
# ssh's keepalives (2 s x 3) end it in about 9 s on an idle machine, and
# in 15 to 29 s with this machine's load at 8 to 14 on 2 CPUs; without
# them TCP would retransmit for many minutes.
/usr/bin/python3 -c "import sys; sys.exit(float(sys.argv[1]) > 45)" "$vanish_took" ||
    fail "the run took ${vanish_took}s to end"
one_line_naming vanished "machine $TB_SUBNET.12 stopped answering"
# h2 itself is cut off: what ran there stays until testbed_down.
no_leftovers 1 3
echo "PASS (killed host: run ended ${took}s after the kill; vanished host: ${vanish_took}s after its link went down)"
