#!/usr/bin/env bash
# krgdemo on Kerrighed 3.0's kernel, Linux 2.6.30 (issue 21): under
# linux2630 every system call added after 2.6.30 fails with ENOSYS and
# uname() says 2.6. The selftest on threads and on procs, `show migration`,
# and a checkpointed run killed with SIGKILL then resumed must all pass.
#
#   linux2630_test.sh LINUX2630 KRGDEMO
set -euo pipefail

shim=$1
krgdemo=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
passed=0

check() {  # check NAME COMMAND... : the command must exit 0
    local name=$1
    shift
    local rc=0
    "$@" >"$work/out" 2>&1 || rc=$?
    if [[ $rc -eq 0 ]]; then
        passed=$((passed + 1))
        echo "ok    $name"
    else
        failed=$((failed + 1))
        echo "FAIL  $name (exit $rc)"
        tail -n 20 "$work/out"
    fi
}

old() { timeout --kill-after=5 240 "$shim" "$@"; }

uname_is_26() { [[ $("$shim" uname -r) == 2.6.* ]]; }
getrandom_is_enosys() {
    local out
    out=$("$shim" /usr/bin/python3 -c "import os; os.getrandom(1)" 2>&1) && return 1
    grep -q "Errno 38" <<<"$out"
}
selftest_passes() {
    local out
    out=$(old "$krgdemo" selftest --engine "$1" --nodes 2) &&
        grep -q "passed, 0 failed" <<<"$out"
}
resume_verifies() {  # resume_verifies DIR CHECKSUM
    local out
    out=$(old "$krgdemo" resume "$1") &&
        grep -q "verified *yes" <<<"$out" && grep -q "checksum *$2" <<<"$out"
}

# The filter itself: a 2.6 release, and a post-2.6.30 call refused.
check "uname says 2.6" uname_is_26
check "getrandom is ENOSYS" getrandom_is_enosys
for engine in threads procs; do
    check "selftest --engine $engine" selftest_passes "$engine"
done
check "show migration" old "$krgdemo" show migration --size test --pace fast

# A checkpointed procs run killed with SIGKILL mid-run, then resumed: the
# same checksum as an uninterrupted run.
run=(run poisson --size medium --engine procs --nodes 2 --repeat 1)
reference=$(old "$krgdemo" "${run[@]}" --out "$work/ref" |
    sed -n 's/^ *checksum *//p')
setsid "$shim" "$krgdemo" "${run[@]}" --checkpoint-every 0.05 \
    --out "$work/cp" >"$work/cp.log" 2>&1 &
leader=$!
for _ in $(seq 200); do
    [[ -f "$work/cp/checkpoint/resume.json" ]] && break
    sleep 0.05
done
sleep 1
killed_mid_run() { kill -KILL -- "-$leader" && ! grep -q verified "$work/cp.log"; }
check "SIGKILL mid-run" killed_mid_run
wait "$leader" 2>/dev/null || true
check "resume after SIGKILL" resume_verifies "$work/cp" "$reference"

echo "linux2630 test: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
