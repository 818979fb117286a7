#!/usr/bin/env bash
# The cluster platform against the SSI shape on one machine: DEMO SIZE on 2
# separate network hosts (tests/cluster/testbed.sh: namespaces with their own
# sshd; mpi engine, 2 worker ranks + the master) against procs with 2 nodes
# on this machine, in interleaved rounds (the order alternates each round).
# Prints each round's times (whole `krgdemo run` wall time, and the median
# pass time krgdemo measured), the cluster/procs ratio per round, their
# medians, and the 1-minute load average before each round: quote it.
#
#   bench/scientific/cluster_vs_procs.sh [--rounds 5] [--krgdemo build/krgdemo]
#       [DEMO [SIZE]]          (default: mandelbrot large; as root)
set -euo pipefail

rounds=5
krgdemo=build/krgdemo
while [[ $# -gt 0 ]]; do
    case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --krgdemo) krgdemo="$2"; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
    esac
done
demo=${1:-mandelbrot}
size=${2:-large}
krgdemo=$(realpath "$krgdemo")
here=$(dirname "$(realpath "$0")")
# shellcheck source=/dev/null  # testbed.sh is checked on its own
source "$here/../../tests/cluster/testbed.sh"
trap testbed_down EXIT
testbed_up 2

# Runs one configuration; prints "WALL_S PASS_MEDIAN_S".
one() {
    local start end json
    start=$(date +%s.%N)
    if [ "$1" = cluster ]; then
        json=$(ip netns exec "$TB_HEAD" env KRGDEMO_CLUSTER="$TB_CLUSTER" \
            KRGDEMO_SSH_CONFIG="$TB_SSH_CONFIG" "$krgdemo" run "$demo" \
            --size "$size" --nodes 2 --repeat 1 --json --out "$TB_DIR/r")
    else
        json=$(env -u KRGDEMO_CLUSTER "$krgdemo" run "$demo" --size "$size" \
            --nodes 2 --engine procs --repeat 1 --json --out "$TB_DIR/r")
    fi
    end=$(date +%s.%N)
    echo "$json" | /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); r=j['runs'][0]; assert r['verified']; print($end-$start, r['median_s'])"
}

printf '%-5s %-6s %-12s %-12s %-12s %-12s %s\n' round load procs_wall \
    procs_pass cluster_wall cluster_pass "ratio wall / pass"
ratios=()
for r in $(seq 1 "$rounds"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    if [ $((r % 2)) = 1 ]; then
        p=$(one procs); c=$(one cluster)
    else
        c=$(one cluster); p=$(one procs)
    fi
    read -r pw pp <<<"$p"
    read -r cw cp <<<"$c"
    ratio=$(/usr/bin/python3 -c "print(f'{$cw/$pw:.3f} {$cp/$pp:.3f}')")
    ratios+=("$ratio")
    printf '%-5s %-6s %-12.3f %-12.3f %-12.3f %-12.3f %s\n' "$r" "$load" \
        "$pw" "$pp" "$cw" "$cp" "$ratio"
done
printf '%s\n' "${ratios[@]}" | /usr/bin/python3 -c "
import statistics, sys
w, p = zip(*(map(float, l.split()) for l in sys.stdin))
print(f'median ratio cluster/procs: wall {statistics.median(w):.3f}, '
      f'pass {statistics.median(p):.3f} ({len(w)} rounds)')"
